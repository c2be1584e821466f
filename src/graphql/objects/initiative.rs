//! Tiltak (initiatives) with their targets against the latest actual values, progress
//! evaluations (framdrift) and change history.

use std::{hash::Hash, sync::Arc};

use async_graphql::{Context, ID, Object, dataloader::Loader};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Indicator, Owner, QualityFramework, SchoolYear, Unit, child_connection, indicators_by_code,
    linked_indicators, load_one, load_reference, loader, principal,
};
use crate::{
    domain,
    graphql::{
        enums::{InitiativeStatus, Judgement, SuppressionReason},
        error::{ApiError, ApiResult},
        ids::{NodeKind, global_id},
        inputs::InitiativeFilterInput,
        loaders::{ChildPage, IndicatorCode, LatestEvaluationOf, LatestValue, StoreLoader},
        paging::{self, Connection},
    },
    store::{InitiativeFilter, StoreError, WholeHistory},
};

/// A school year stored as its start year, as GraphQL shows it.
fn school_year(year: i32) -> ApiResult<SchoolYear> {
    Ok(SchoolYear(domain::SchoolYear::new(year)?))
}

/// One page of a parent's initiatives (an enhet's, a skoleeier's own or, with `of_units`, its
/// enheter's, an initiative's children) under a filter, read through the request's scoped loader.
pub(crate) async fn initiatives_connection<P>(
    ctx: &Context<'_>,
    parent: P,
    filter: Option<InitiativeFilterInput>,
    of_units: bool,
    (after, before, first, last): (Option<String>, Option<String>, Option<i32>, Option<i32>),
) -> ApiResult<Connection<Initiative>>
where
    P: Send + Sync + Hash + Eq + Clone + 'static,
    StoreLoader: Loader<
            ChildPage<P, InitiativeFilter>,
            Value = Vec<domain::Initiative>,
            Error = Arc<StoreError>,
        >,
{
    let filter = filter.unwrap_or_default().resolve(of_units)?;
    let page = paging::page(after, before, first, last)?;
    child_connection(ctx, parent, filter, page, Initiative::id_of, Initiative).await
}

pub struct Initiative(pub domain::Initiative);

impl Initiative {
    pub(crate) fn id_of(initiative: &domain::Initiative) -> i64 {
        initiative.id.0
    }
}

/// Tiltak (initiative): what an enhet or a skoleeier does to get from the situation today
/// (situasjonen i dag) to the wished situation (ønsket situasjon), with targets per indicator,
/// actions, success criteria, a responsible person, dates, a status and progress evaluations
/// (framdrift). Read by the enhet's and its skoleeier's roles; a skoleeier's own initiatives also
/// by the roles of its enheter.
#[Object]
impl Initiative {
    /// Global id (Relay node id).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Initiative, self.0.id.0)
    }

    /// The enhet (unit) whose initiative it is; null for a skoleeier's own.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match self.0.unit {
            Some(unit) => Ok(Some(Unit(load_reference(ctx, unit).await?))),
            None => Ok(None),
        }
    }

    /// The skoleeier (owner): whose initiative it is, or the owner of its enhet.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Owner> {
        Ok(Owner(load_reference(ctx, self.0.owner).await?))
    }

    /// The skoleeier's initiative this enhet's initiative is part of; null when none (or when
    /// the caller may not read it).
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<Initiative>> {
        match self.0.parent {
            Some(parent) => Ok(load_one(ctx, parent).await?.map(Initiative)),
            None => Ok(None),
        }
    }

    /// The enheter's initiatives that are part of this skoleeier's initiative.
    async fn children(
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

    /// Tittel (title).
    async fn title(&self) -> &str {
        &self.0.content.title
    }

    /// Beskrivelse (description).
    async fn description(&self) -> &str {
        &self.0.content.description
    }

    /// Situasjonen i dag (the situation today), in words.
    async fn situation_today(&self) -> &str {
        &self.0.content.situation_today
    }

    /// The linked indicators' latest values when the initiative was made, as its creator could
    /// see them (prikket values without their number).
    async fn situation_snapshot(&self) -> Vec<IndicatorReading> {
        self.0
            .snapshot
            .iter()
            .cloned()
            .map(IndicatorReading)
            .collect()
    }

    /// Ønsket situasjon (the wished situation), in words.
    async fn wished_situation(&self) -> &str {
        &self.0.content.wished_situation
    }

    /// Mål: the target value per linked indicator with the skoleår to reach it by, against the
    /// latest actual value the caller may read (prikket values are never met).
    async fn targets(&self, ctx: &Context<'_>) -> ApiResult<Vec<InitiativeTarget>> {
        let targets = &self.0.content.targets;
        let codes: Vec<String> = targets.iter().map(|t| t.indicator.clone()).collect();
        let indicators = indicators_by_code(ctx, &codes).await?;
        let subject = self.0.subject();
        let keys: Vec<LatestValue> = indicators
            .values()
            .map(|indicator| LatestValue(subject, indicator.id))
            .collect();
        let actuals = loader(ctx).load_many(keys).await.map_err(ApiError::from)?;
        targets
            .iter()
            .map(|target| {
                let indicator = indicators.get(&target.indicator).cloned().ok_or_else(|| {
                    StoreError::BrokenReference(format!("indicator {:?}", target.indicator))
                })?;
                let actual = domain::Reading::of(
                    &target.indicator,
                    actuals.get(&LatestValue(subject, indicator.id)),
                );
                Ok(InitiativeTarget {
                    met: domain::target_met(target.value, actual.value, indicator.direction),
                    actual,
                    by_school_year: domain::SchoolYear::new(target.by_school_year)?,
                    value: target.value,
                    indicator,
                })
            })
            .collect()
    }

    /// Tiltak: what is done.
    async fn actions(&self) -> &str {
        &self.0.content.actions
    }

    /// Suksesskriterier: how we find out that we are on the right track.
    async fn success_criteria(&self) -> &str {
        &self.0.content.success_criteria
    }

    /// Ansvarlig: who is responsible.
    async fn responsible(&self) -> &str {
        &self.0.content.responsible
    }

    /// Startdato.
    async fn start_date(&self) -> NaiveDate {
        self.0.content.start_date
    }

    /// Sluttdato; null when open.
    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.content.end_date
    }

    /// Status: planlagt, aktiv, fullført or avbrutt.
    async fn status(&self) -> InitiativeStatus {
        self.0.status.into()
    }

    /// The current revision: give it as `expectedRevision` to change the initiative.
    async fn revision(&self) -> i64 {
        self.0.revision
    }

    /// Linked kvalitetskjennetegn (quality criteria).
    async fn criteria(&self) -> Vec<InitiativeCriterion> {
        self.0
            .content
            .criteria
            .iter()
            .cloned()
            .map(InitiativeCriterion)
            .collect()
    }

    /// Linked indikatorer.
    async fn indicators(&self, ctx: &Context<'_>) -> ApiResult<Vec<Indicator>> {
        linked_indicators(ctx, &self.0.content.indicators).await
    }

    /// Skoleår the initiative runs in, oldest first.
    async fn school_years(&self) -> ApiResult<Vec<SchoolYear>> {
        self.0
            .content
            .school_years
            .iter()
            .map(|year| school_year(*year))
            .collect()
    }

    /// Feide user id (or API client) that made it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Framdrift: progress evaluations, oldest recorded first.
    async fn evaluations(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<InitiativeEvaluation>> {
        let page = paging::page(after, before, first, last)?;
        child_connection(
            ctx,
            self.0.id,
            (),
            page,
            |evaluation: &domain::Evaluation| evaluation.id.0,
            InitiativeEvaluation,
        )
        .await
    }

    /// The latest progress evaluation (by date); null when none yet.
    async fn latest_evaluation(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<InitiativeEvaluation>> {
        Ok(load_one(ctx, LatestEvaluationOf(self.0.id))
            .await?
            .map(InitiativeEvaluation))
    }

    /// Historikk: who changed what and when, one entry per revision, oldest first. Only the
    /// skoleeier's admins read it: null with a `FORBIDDEN` error for anyone else, so that the
    /// rest of an answer (an overview) stands.
    async fn history(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Option<Connection<InitiativeChange>>> {
        if !principal(ctx)
            .grants
            .may_read_initiative_history(self.0.owner)
        {
            return Err(ApiError::Forbidden(
                "only the skoleeier's admins read an initiative's history".into(),
            ));
        }
        let page = paging::page(after, before, first, last)?;
        child_connection(
            ctx,
            self.0.id,
            WholeHistory,
            page,
            |change: &domain::InitiativeChange| change.revision,
            InitiativeChange,
        )
        .await
        .map(Some)
    }
}

pub struct InitiativeTarget {
    indicator: domain::Indicator,
    value: f64,
    by_school_year: domain::SchoolYear,
    actual: domain::Reading,
    met: Option<bool>,
}

/// Mål: the value one indicator should reach by a skoleår, beside its latest actual value.
#[Object]
impl InitiativeTarget {
    /// The indikator.
    async fn indicator(&self) -> Indicator {
        Indicator::from(self.indicator.clone())
    }

    /// Målverdi: the value to reach.
    async fn value(&self) -> f64 {
        self.value
    }

    /// The skoleår by which it should be reached.
    async fn by_school_year(&self) -> SchoolYear {
        SchoolYear(self.by_school_year)
    }

    /// The latest actual value for the initiative's enhet or skoleeier, through the same
    /// suppression and access rules as every other value.
    async fn actual(&self) -> IndicatorReading {
        IndicatorReading(self.actual.clone())
    }

    /// Whether the actual value reaches the target in the indicator's direction (at or below it
    /// when lower is better, as for Mobbing). False when the actual value is prikket, not for the
    /// caller (`NOT_PERMITTED`) or missing; null for a neutral indicator, which has no better
    /// direction.
    async fn met(&self) -> Option<bool> {
        self.met
    }
}

pub struct IndicatorReading(domain::Reading);

/// One indicator's latest value at one moment, as the caller could see it: its skoleår and
/// value, or why it is prikket (suppressed).
#[Object]
impl IndicatorReading {
    /// The indikator.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Indicator> {
        Ok(Indicator::from(
            load_reference(ctx, IndicatorCode(self.0.indicator.clone())).await?,
        ))
    }

    /// Skoleår of the value; null when there was none.
    async fn school_year(&self) -> ApiResult<Option<SchoolYear>> {
        self.0.school_year.map(school_year).transpose()
    }

    /// Verdi: null when prikket or missing.
    async fn value(&self) -> Option<f64> {
        self.0.value
    }

    /// Antall (n); null when prikket or not reported.
    async fn n(&self) -> Option<i64> {
        self.0.respondents
    }

    /// Prikket: true when the value is suppressed.
    async fn suppressed(&self) -> bool {
        self.0.suppression.is_some()
    }

    /// Why the value is prikket; null when shown or missing.
    async fn suppression_reason(&self) -> Option<SuppressionReason> {
        self.0.suppression.map(Into::into)
    }
}

pub struct InitiativeCriterion(domain::CriterionLink);

/// A kvalitetskjennetegn an initiative is linked to.
#[Object]
impl InitiativeCriterion {
    /// The kvalitetsbeskrivelse.
    async fn framework(&self, ctx: &Context<'_>) -> ApiResult<QualityFramework> {
        let code = crate::graphql::loaders::FrameworkCode(self.0.framework.clone());
        Ok(QualityFramework(load_reference(ctx, code).await?))
    }

    /// The criterion number, e.g. "2.1".
    async fn criterion(&self) -> &str {
        &self.0.criterion
    }
}

pub struct InitiativeEvaluation(pub domain::Evaluation);

/// Framdrift: one evaluation of an initiative's progress.
#[Object]
impl InitiativeEvaluation {
    /// The date it describes.
    async fn date(&self) -> NaiveDate {
        self.0.date
    }

    /// På rett spor, i risiko or ikke på rett spor.
    async fn judgement(&self) -> Judgement {
        self.0.judgement.into()
    }

    /// What was seen and why.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Feide user id (or API client) that evaluated.
    async fn evaluated_by(&self) -> &str {
        &self.0.evaluated_by
    }

    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

pub struct InitiativeChange(domain::InitiativeChange);

/// Endring: one revision of an initiative in its history.
#[Object]
impl InitiativeChange {
    /// Revision number, 1 (the creation) first.
    async fn revision(&self) -> i64 {
        self.0.revision
    }

    /// What changed, as field names (`status`, `targets`, ...); `created` for revision 1.
    async fn fields(&self) -> &[String] {
        &self.0.fields
    }

    /// Feide user id (or API client) that made the change.
    async fn changed_by(&self) -> &str {
        &self.0.changed_by
    }

    /// When.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}
