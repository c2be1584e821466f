//! Trendgraf (trend series): one indicator over the school years.

use async_graphql::SimpleObject;

use crate::{
    domain::{self, Dataset},
    graphql::{
        enums::SuppressionReason,
        objects::{Indicator, Owner, SchoolYear, Unit},
    },
};

/// Punkt i trendgrafen: one skoleår of a series, with the change from the year before and the
/// skoleeier's and nation's values as references.
#[derive(SimpleObject)]
pub struct TrendPoint {
    /// Skoleår of the point.
    school_year: SchoolYear,
    /// Verdi: null when prikket (suppressed), not permitted or missing.
    value: Option<f64>,
    /// Antall (n) behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the value is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the value is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Endring (change) from the skoleår before; null across a gap or a hidden value.
    change: Option<f64>,
    /// Skoleeiers verdi (the owner's value) the same skoleår, as an aggregate.
    owner_value: Option<f64>,
    /// Nasjonal verdi (the national value) the same skoleår, as an aggregate.
    nation_value: Option<f64>,
}

/// Trendgraf (trend series): one indikator for one enhet or skoleeier over the skoleår that hold
/// data, with year-on-year change.
#[derive(SimpleObject)]
pub struct Trend {
    /// Indikator of the series.
    indicator: Indicator,
    /// Enhet (unit) the series describes, when asked for a unit.
    unit: Option<Unit>,
    /// Skoleeier (owner) the series describes, or the unit's owner.
    owner: Option<Owner>,
    /// Gruppe (e.g. "all") of the series.
    group: String,
    /// Punkter: one per skoleår, oldest first.
    points: Vec<TrendPoint>,
}

/// Builds the trend of the dataset's only indicator for a unit or an owner over `years`.
pub fn build(
    dataset: &Dataset,
    unit: Option<domain::Unit>,
    owner: domain::Owner,
    years: &[domain::SchoolYear],
    group: domain::ValueGroup,
) -> Trend {
    let points = dataset
        .trend(unit.as_ref(), owner.id, years)
        .into_iter()
        .map(|point| TrendPoint {
            school_year: SchoolYear(point.school_year),
            value: point.figure.value,
            n: point.figure.n,
            suppressed: point.figure.suppressed(),
            suppression_reason: point.figure.reason.map(Into::into),
            change: point.change,
            owner_value: point.owner.value,
            nation_value: point.nation.value,
        })
        .collect();
    Trend {
        indicator: Indicator::from(dataset.indicators()[0].clone()),
        unit: unit.map(Unit),
        owner: Some(Owner(owner)),
        group: group.code(),
        points,
    }
}
