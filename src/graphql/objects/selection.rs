//! Utvalg (selection).

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{
    IndicatorValue, Owner, SchoolYear, Unit, child_connection, load_reference, values_connection,
};
use crate::{
    domain,
    graphql::{
        enums::{SelectionScope, UnitKind},
        error::ApiResult,
        ids::{NodeKind, global_id},
        paging::{self, Connection},
    },
    store::UnitFilter,
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

    /// Enheter (member units) of the utvalg, optionally of one kind.
    async fn units(
        &self,
        ctx: &Context<'_>,
        kind: Option<UnitKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Unit>> {
        let filter = UnitFilter {
            kind: kind.map(Into::into),
            ..UnitFilter::default()
        };
        let page = paging::page(after, before, first, last)?;
        child_connection(
            ctx,
            self.0.id,
            filter,
            page,
            |unit: &domain::Unit| unit.id.0,
            Unit,
        )
        .await
    }

    /// Indikatorverdier (values) of the member units; without `schoolYears`, those of the
    /// utvalg's own skoleår. `group` is "all", "trinn=7", "kjonn=jenter" or "trinn=7;kjonn=jenter".
    #[allow(clippy::too_many_arguments)]
    async fn values(
        &self,
        ctx: &Context<'_>,
        indicators: Option<Vec<String>>,
        school_years: Option<Vec<i32>>,
        group: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<IndicatorValue>> {
        values_connection(
            ctx,
            self.0.id,
            indicators,
            school_years,
            group,
            (after, before, first, last),
        )
        .await
    }
}
