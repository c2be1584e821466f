//! The caller (`me`) and role assignments (roller).

use async_graphql::{Context, Object};

use super::{Owner, Unit, load_reference};
use crate::{
    auth::{Caller, Principal},
    domain::Role,
    graphql::{enums::RoleKind, error::ApiResult},
};

/// En rolle (role) with its scope: nasjonal, one skoleeier or one enhet.
pub struct RoleGrant(pub Role);

/// En rolle (role) with its scope: nasjonal, one skoleeier (owner) or one enhet (unit).
#[Object]
impl RoleGrant {
    /// Rolletype (the kind of role).
    async fn role(&self) -> RoleKind {
        self.0.kind().into()
    }

    /// Skoleeier (owner) the role is scoped to, for owner roles.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.owner() {
            Some(owner) => load_reference(ctx, owner)
                .await
                .map(|owner| Some(Owner(owner))),
            None => Ok(None),
        }
    }

    /// Enhet (unit) the role is scoped to, for unit roles.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match self.0.unit() {
            Some(unit) => load_reference(ctx, unit).await.map(|unit| Some(Unit(unit))),
            None => Ok(None),
        }
    }
}

/// The logged-in caller (innlogget bruker eller tjeneste).
pub struct Me(pub Principal);

/// The logged-in caller (innlogget bruker or API-klient) and the roles (roller) it holds.
#[Object]
impl Me {
    /// Feide user id (eduPersonPrincipalName) of a person; null for a service.
    async fn feide_user_id(&self) -> Option<&str> {
        match &self.0.caller {
            Caller::User(user) => Some(&user.feide_user_id),
            _ => None,
        }
    }

    /// Client id of a service (API-klient); null for a person.
    async fn client_id(&self) -> Option<&str> {
        match &self.0.caller {
            Caller::Client { client_id, .. } => Some(client_id),
            _ => None,
        }
    }

    /// Roller (roles) the caller holds.
    async fn roles(&self) -> Vec<RoleGrant> {
        self.0.grants.roles.iter().copied().map(RoleGrant).collect()
    }
}
