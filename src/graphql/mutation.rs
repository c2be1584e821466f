//! The root mutation type: role assignments. Default deny: only callers whose roles allow a grant
//! may make it (see `Grants::may_grant`).

use async_graphql::{Context, ID, InputObject, Object};

use super::{
    enums::RoleKind,
    error::{ApiError, ApiResult},
    ids::{NodeKind, parse_id_of},
    objects::{RoleGrant, load_one, principal},
    query::owner_id,
};
use crate::{
    auth::{Caller, Principal},
    domain::{OrgNumber, Role, UnitId},
    store::Store,
};

/// A role for a Feide user id, with its scope given by id or by natural identifier.
#[derive(InputObject)]
pub struct RoleInput {
    /// Feide user id (eduPersonPrincipalName) of the person, e.g. `kari@kongsberg.kommune.no`.
    feide_user_id: String,
    /// Rolletype.
    role: RoleKind,
    /// Skoleeier (owner) by global id, for owner roles.
    owner_id: Option<ID>,
    /// Skoleeier (owner) by kommunenummer or fylkesnummer, for owner roles.
    owner_code: Option<String>,
    /// Enhet (unit) by global id, for unit roles.
    unit_id: Option<ID>,
    /// Enhet (unit) by organisasjonsnummer, for unit roles.
    unit_org_number: Option<String>,
}

/// Changes to role assignments (roller).
pub struct MutationRoot;

/// Checks that the caller may give or take away the role the input describes, and builds it.
async fn authorized_role(ctx: &Context<'_>, input: &RoleInput) -> ApiResult<Role> {
    let caller: &Principal = principal(ctx);
    if caller.caller == Caller::Anonymous {
        return Err(ApiError::Unauthenticated("log in to change roles".into()));
    }
    let owner = owner_id(ctx, input.owner_id.clone(), input.owner_code.clone(), None).await?;
    let unit = match (&input.unit_id, &input.unit_org_number) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadUserInput(
                "give the unit by id or by orgNumber, not both".into(),
            ));
        }
        (Some(id), None) => {
            let unit = UnitId(parse_id_of(NodeKind::Unit, id)?);
            Some(
                load_one(ctx, unit)
                    .await?
                    .ok_or_else(|| ApiError::NotFound("no such unit".into()))?,
            )
        }
        (None, Some(org)) => {
            let org = OrgNumber::parse(org)?;
            let store = ctx.data_unchecked::<Store>();
            Some(store.unit_by_org_number(&org).await?.ok_or_else(|| {
                ApiError::NotFound(format!("no unit has organisasjonsnummer {org}"))
            })?)
        }
        (None, None) => None,
    };
    let role = Role::new(input.role.into(), owner, unit.as_ref().map(|unit| unit.id))?;
    if !caller
        .grants
        .may_grant(role, unit.map(|unit| unit.owner_id))
    {
        return Err(ApiError::Forbidden(format!(
            "your roles do not allow giving or taking the {} role in this scope",
            role.kind().as_str()
        )));
    }
    Ok(role)
}

/// Tildeling av roller (role assignments).
#[Object]
impl MutationRoot {
    /// Gives a role to a Feide user id. National admins grant any role; owner admins grant owner
    /// readers and unit roles inside their owner; unit leaders grant unit staff of their unit.
    async fn grant_role(&self, ctx: &Context<'_>, input: RoleInput) -> ApiResult<RoleGrant> {
        let role = authorized_role(ctx, &input).await?;
        let granted_by = principal(ctx).audit_name();
        let store = ctx.data_unchecked::<Store>();
        store
            .grant_role(
                input.feide_user_id.trim(),
                role,
                &granted_by,
                chrono::Utc::now().timestamp(),
            )
            .await?;
        Ok(RoleGrant(role))
    }

    /// Takes a role away from a Feide user id, under the same rules as granting it. Answers
    /// whether the person had it.
    async fn revoke_role(&self, ctx: &Context<'_>, input: RoleInput) -> ApiResult<bool> {
        let role = authorized_role(ctx, &input).await?;
        let store = ctx.data_unchecked::<Store>();
        Ok(store.revoke_role(input.feide_user_id.trim(), role).await?)
    }
}
