//! Enhet (unit): a school, kindergarten or arts school.

use async_graphql::{Context, ID, Object};

use super::{IndicatorValue, Owner, SchoolYear, load_reference, values_connection};
use crate::{
    domain,
    graphql::{
        enums::{SchoolStage, UnitKind},
        error::ApiResult,
        ids::{NodeKind, global_id},
        inputs::ValueFilterInput,
        paging::Connection,
    },
};

pub struct Unit(pub domain::Unit);

/// Enhet (unit): a skole (grunnskole or videregående), barnehage or kulturskole.
#[Object]
impl Unit {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Unit, self.0.id.0)
    }

    /// Organisasjonsnummer (9 digits) in Enhetsregisteret.
    async fn org_number(&self) -> &str {
        self.0.org_number.as_str()
    }

    /// Navn (name) of the enhet.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Enhetstype: skole, barnehage or kulturskole.
    async fn kind(&self) -> UnitKind {
        self.0.kind.into()
    }

    /// Skoleslag for schools (barneskole, ungdomsskole, kombinert, videregående); null otherwise.
    async fn stage(&self) -> Option<SchoolStage> {
        self.0.stage.map(Into::into)
    }

    /// Skoleeier (owner) running the enhet.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Owner> {
        load_reference(ctx, self.0.owner_id).await.map(Owner)
    }

    /// First skoleår the enhet was active; null when active since before the records.
    async fn active_from(&self) -> Option<SchoolYear> {
        self.0.active_from.map(SchoolYear)
    }

    /// Last skoleår the enhet was active (nedlagt); null while it is active.
    async fn active_to(&self) -> Option<SchoolYear> {
        self.0.active_to.map(SchoolYear)
    }

    /// Indikatorverdier (values) for the enhet.
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
