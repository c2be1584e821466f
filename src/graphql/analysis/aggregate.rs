//! Aggregat: one indicator's figure for a skoleeier, an utvalg, a set of units or the nation.

use async_graphql::SimpleObject;

use super::count;
use crate::{
    domain::{self, Figure},
    graphql::{
        enums::SuppressionReason,
        objects::{Indicator, SchoolYear},
    },
};

/// Aggregat: one indicator's value for a skoleeier, an utvalg or the nation, either as published
/// by the source or computed by Varde as an n-weighted mean (or sum, for counts) over the members
/// that are visible themselves, so that no prikket value can be worked out by differencing.
#[derive(SimpleObject)]
pub struct Aggregate {
    /// Indikator the aggregate is of.
    indicator: Indicator,
    /// Skoleår of the aggregate.
    school_year: SchoolYear,
    /// Verdi: null when prikket (suppressed), not permitted, or when nothing could be counted.
    value: Option<f64>,
    /// Antall (n): total respondents behind the value; null when prikket.
    n: Option<i64>,
    /// Prikket: true when the aggregate is hidden (suppressed or not permitted).
    suppressed: bool,
    /// Why the aggregate is prikket; null when it is shown.
    suppression_reason: Option<SuppressionReason>,
    /// Beregnet: true when Varde computed it from the members; false when the source published a
    /// value for the subject (skoleeier or nasjonalt), which is then used as it is.
    computed: bool,
    /// Medlemmer: member enheter (units) the indikator applies to.
    members: i32,
    /// Medlemmer tatt med: members counted in a computed aggregate; null for a published value.
    members_counted: Option<i32>,
    /// Medlemmer prikket: members left out because their own value is prikket; null for a
    /// published value.
    members_suppressed: Option<i32>,
    /// Medlemmer uten verdi: members left out for lack of a value (or of n for a weighted mean);
    /// null for a published value.
    members_missing: Option<i32>,
}

impl Aggregate {
    pub fn new(indicator: &domain::Indicator, year: domain::SchoolYear, figure: Figure) -> Self {
        let coverage = figure.coverage;
        Self {
            indicator: Indicator::from(indicator.clone()),
            school_year: SchoolYear(year),
            value: figure.value,
            n: figure.n,
            suppressed: figure.suppressed(),
            suppression_reason: figure.reason.map(Into::into),
            computed: figure.computed,
            members: count(figure.members),
            members_counted: coverage.map(|c| count(c.counted)),
            members_suppressed: coverage.map(|c| count(c.suppressed)),
            members_missing: coverage.map(|c| count(c.missing)),
        }
    }
}
