//! Enhet (unit): a school, kindergarten or arts school.

use async_graphql::{Context, ID, Object};

use super::{
    Assessment, CriterionOverview, IndicatorValue, Initiative, Owner, SchoolYear, child_connection,
    initiatives_connection, load_reference, values_connection,
};
use crate::{
    domain,
    graphql::{
        enums::{SchoolStage, UnitKind},
        error::ApiResult,
        ids::{NodeKind, global_id},
        inputs::{
            AssessmentFilterInput, InitiativeFilterInput, QualityFrameworkRef, ValueFilterInput,
        },
        paging::{self, Connection},
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

    /// Egenvurderinger (self-assessments) of the enhet, optionally against one framework, of one
    /// criterion or in one skoleår. Only the enhet's own roles and its skoleeier's roles read
    /// them; national roles read distributions only (`levelDistribution`).
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        filter: Option<AssessmentFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Assessment>> {
        let filter = filter.unwrap_or_default().resolve(ctx).await?;
        let page = paging::page(after, before, first, last)?;
        child_connection(ctx, self.0.id, filter, page, Assessment::id_of, Assessment).await
    }

    /// Tiltak (initiatives) of the enhet, optionally running in one skoleår or with one status.
    /// Only the enhet's own roles and its skoleeier's roles read them.
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        filter: Option<InitiativeFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<Initiative>> {
        initiatives_connection(ctx, self.0.id, filter, false, (after, before, first, last)).await
    }

    /// One kvalitetskjennetegn for this enhet across data sources: its agreed levels over the
    /// years beside the values of the indicators linked to it.
    async fn criterion_overview(
        &self,
        ctx: &Context<'_>,
        framework: QualityFrameworkRef,
        #[graphql(desc = "Criterion number, e.g. \"2.1\".")] criterion: String,
    ) -> ApiResult<CriterionOverview> {
        let framework = framework.resolve(ctx).await?;
        let version: domain::FrameworkVersion = load_reference(
            ctx,
            crate::graphql::loaders::VersionNumber(framework.id, framework.version),
        )
        .await?;
        Ok(CriterionOverview {
            unit: self.0.id,
            framework: framework.id,
            criterion: version.content.criterion(&criterion)?.clone(),
        })
    }
}
