//! Utvalg (selection).

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{
    IndicatorValue, Owner, SchoolYear, Unit, load_reference, member_units_connection,
    values_connection,
};
use crate::{
    domain,
    graphql::{
        enums::SelectionScope,
        error::ApiResult,
        ids::{NodeKind, global_id},
        inputs::{MemberUnitFilterInput, ValueFilterInput},
        paging::Connection,
    },
};

pub struct Selection(pub domain::Selection);

/// Utvalg (selection): a named set of units for one skoleår, such as "Kongsberg kommune (24-25)",
/// "Nasjonalt (25-26)" or a network of schools.
#[Object]
impl Selection {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Selection, self.0.id.0)
    }

    /// Navn (name) of the utvalg, e.g. "Kongsberg kommune (24-25)".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Skoleår the utvalg is for.
    async fn school_year(&self) -> SchoolYear {
        SchoolYear(self.0.school_year)
    }

    /// Whose utvalg it is: one skoleeier's, nasjonalt, or a nettverk.
    async fn scope(&self) -> SelectionScope {
        self.0.scope.into()
    }

    /// Skoleeier (owner) of an owner-scoped utvalg; null for national utvalg and networks.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.owner_id {
            Some(owner) => load_reference(ctx, owner)
                .await
                .map(|owner| Some(Owner(owner))),
            None => Ok(None),
        }
    }

    /// Sist oppdatert: when the utvalg's data last changed.
    async fn last_updated(&self) -> DateTime<Utc> {
        self.0.last_updated
    }

    /// Enheter (member units) of the utvalg, optionally of one kind or active in one skoleår.
    async fn units(
        &self,
        ctx: &Context<'_>,
        filter: Option<MemberUnitFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Unit>> {
        member_units_connection(ctx, self.0.id, filter, (after, before, first, last)).await
    }

    /// Indikatorverdier (values) of the member units; without `schoolYears`, those of the
    /// utvalg's own skoleår.
    async fn values(
        &self,
        ctx: &Context<'_>,
        filter: Option<ValueFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<IndicatorValue>> {
        values_connection(
            ctx,
            self.0.id,
            filter.as_ref(),
            (after, before, first, last),
        )
        .await
    }
}
