//! Indikatorverdi (indicator value).

use async_graphql::{Context, Object, SimpleObject};

use super::{Indicator, Owner, SchoolYear, Unit, load_reference};
use crate::{
    domain::{self, Subject},
    graphql::{
        enums::{Gender, SubjectLevel, SuppressionReason},
        error::ApiResult,
    },
};

/// Gruppe (group) a value describes: everyone, one trinn, one kjønn, or both.
#[derive(SimpleObject)]
pub struct ValueGroup {
    /// Canonical key: "all", "trinn=7", "kjonn=jenter", "trinn=10;kjonn=gutter".
    code: String,
    /// Trinn (grade 1-13; 11-13 are Vg1-Vg3); null for all grades.
    grade: Option<i32>,
    /// Kjønn (gender); null for both.
    gender: Option<Gender>,
}

/// A value, with its indicator when the page it came in already loaded it (the look-ahead of
/// [`super::values_connection`]), so that a page's hundreds of `indicator` fields need no loader
/// call each.
pub struct IndicatorValue(pub domain::IndicatorValue, Option<Indicator>);

impl From<domain::IndicatorValue> for IndicatorValue {
    fn from(value: domain::IndicatorValue) -> Self {
        Self(value, None)
    }
}

impl IndicatorValue {
    /// The value with its indicator, loaded with its page.
    pub(crate) fn with_indicator(&mut self, indicator: Indicator) {
        self.1 = Some(indicator);
    }

    pub(crate) fn id_of(value: &domain::IndicatorValue) -> i64 {
        value.id.0
    }
}

/// Indikatorverdi (indicator value): the value of one indicator for a subject (enhet,
/// skoleeier, fylke or nasjonalt), a skoleår and a group, as published by its source.
#[Object]
impl IndicatorValue {
    /// Indikator the value belongs to.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Indicator> {
        match &self.1 {
            Some(indicator) => Ok(indicator.clone()),
            None => load_reference(ctx, self.0.indicator_id)
                .await
                .map(Indicator::from),
        }
    }

    /// Nivå of the subject: enhet, skoleeier, fylke or nasjonalt.
    async fn subject_level(&self) -> SubjectLevel {
        self.0.subject.level().into()
    }

    /// Enhet (unit) the value describes, for unit-level values.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match self.0.subject {
            Subject::Unit(unit) => load_reference(ctx, unit).await.map(|unit| Some(Unit(unit))),
            _ => Ok(None),
        }
    }

    /// Skoleeier (owner) the value describes, for owner-level values.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.subject {
            Subject::Owner(owner) => load_reference(ctx, owner)
                .await
                .map(|owner| Some(Owner(owner))),
            _ => Ok(None),
        }
    }

    /// Fylkesnummer the value describes, for county-level values.
    async fn county_number(&self) -> Option<&str> {
        match &self.0.subject {
            Subject::County(number) => Some(number.as_str()),
            _ => None,
        }
    }

    /// Skoleår of the value.
    async fn school_year(&self) -> SchoolYear {
        SchoolYear(self.0.school_year)
    }

    /// Gruppe (trinn, kjønn) of the value.
    async fn group(&self) -> ValueGroup {
        let group = self.0.group;
        ValueGroup {
            code: group.code(),
            grade: group.grade.map(i32::from),
            gender: group.gender.map(Into::into),
        }
    }

    /// Verdi: null when suppressed (prikket: at the source, or n below the data source's
    /// threshold) or missing at the source.
    async fn value(&self) -> Option<f64> {
        self.0.shown().value()
    }

    /// Antall (n): respondents or pupils behind the value, where the source reports them; null
    /// when the value is prikket.
    async fn n(&self) -> Option<i64> {
        self.0.shown().respondents()
    }

    /// Prikket: true when the value is suppressed (hidden to protect privacy), at the source or
    /// because its n is below the data source's threshold.
    async fn suppressed(&self) -> bool {
        matches!(self.0.shown(), domain::Visibility::Suppressed(_))
    }

    /// Why the value is prikket (suppressed); null when it is shown or simply missing.
    async fn suppression_reason(&self) -> Option<SuppressionReason> {
        match self.0.shown() {
            domain::Visibility::Suppressed(reason) => Some(reason.into()),
            _ => None,
        }
    }
}
