//! The root mutation type: role assignments, merged with the quality mutations. Default deny: only
//! callers whose roles allow a grant may make it (see `Grants::may_grant`).

use async_graphql::{Context, InputObject, MergedObject, Object};

use super::{
    enums::RoleKind,
    error::{ApiError, ApiResult},
    imports::ImportMutation,
    initiative::InitiativeMutation,
    inputs::{OwnerRef, UnitRef},
    meeting::MeetingMutation,
    objects::{RoleGrant, principal, store},
    quality::QualityMutation,
};
use crate::{
    auth::{Caller, Principal},
    domain::Role,
};

/// A role for a Feide user id, with its scope: an owner for owner roles, a unit for unit roles,
/// neither for national roles.
#[derive(InputObject)]
pub struct RoleInput {
    /// Feide user id (eduPersonPrincipalName) of the person, e.g. `kari@kongsberg.kommune.no`.
    feide_user_id: String,
    /// Rolletype.
    role: RoleKind,
    /// Skoleeier (owner), for owner roles.
    owner: Option<OwnerRef>,
    /// Enhet (unit), for unit roles.
    unit: Option<UnitRef>,
}

/// Every mutation of Varde: role assignments, kvalitetsbeskrivelser, egenvurderinger, tiltak,
/// meetings and import rules.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    RoleMutation,
    QualityMutation,
    InitiativeMutation,
    MeetingMutation,
    ImportMutation,
);

/// Changes to role assignments (roller).
#[derive(Default)]
pub struct RoleMutation;

/// Checks that the caller may give or take away the role the input describes, and builds it.
async fn authorized_role(ctx: &Context<'_>, input: &RoleInput) -> ApiResult<Role> {
    let caller: &Principal = principal(ctx);
    if caller.caller == Caller::Anonymous {
        return Err(ApiError::Unauthenticated("log in to change roles".into()));
    }
    let owner = match &input.owner {
        Some(owner) => Some(owner.resolve(ctx, None).await?.id),
        None => None,
    };
    let unit = match &input.unit {
        Some(unit) => Some(unit.resolve(ctx).await?),
        None => None,
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
impl RoleMutation {
    /// Gives a role to a Feide user id. National admins grant any role; owner admins grant owner
    /// readers and unit roles inside their owner; unit leaders grant unit staff of their unit.
    async fn grant_role(&self, ctx: &Context<'_>, input: RoleInput) -> ApiResult<RoleGrant> {
        let role = authorized_role(ctx, &input).await?;
        let granted_by = principal(ctx).audit_name();
        store(ctx)
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
        Ok(store(ctx)
            .revoke_role(input.feide_user_id.trim(), role)
            .await?)
    }
}
