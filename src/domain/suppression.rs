//! Prikking: what of a stored value may be shown. Every value on its way to a reader or into an
//! aggregate passes through [`visibility`], so the rule lives in one place.

use super::IndicatorValue;

/// Why a value is hidden. Kept apart from [`Visibility::Missing`]: "prikket" and "no data" mean
/// different things to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The source hid the cell itself (Udir's "*", SSB's ":"), perhaps as secondary suppression.
    SuppressedAtSource,
    /// Fewer respondents than the source's threshold.
    BelowThreshold,
    /// The value comes from a restricted (local) source the caller may not read in this form.
    NotPermitted,
    /// An aggregate of restricted data rests on fewer counted members than its source's minimum
    /// group size, for a caller who may not read every member on its own.
    TooFewMembers,
    /// Complementary (secondary) suppression: hidden so that another hidden cell cannot be worked
    /// out by subtraction from the cells that are shown (see `domain::protect`).
    Complementary,
    /// A distribution of restricted data (units per self-assessment level) whose members all fall
    /// in one category, which would tell each member's own answer, for a caller who may not read
    /// every member on its own.
    Unanimous,
}

/// What of a stored value may be shown. A hidden value carries neither its value nor its `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Visibility {
    Visible {
        value: f64,
        respondents: Option<i64>,
    },
    Suppressed(SuppressionReason),
    Missing,
}

impl Visibility {
    pub fn value(self) -> Option<f64> {
        match self {
            Self::Visible { value, .. } => Some(value),
            Self::Suppressed(_) | Self::Missing => None,
        }
    }

    pub fn respondents(self) -> Option<i64> {
        match self {
            Self::Visible { respondents, .. } => respondents,
            Self::Suppressed(_) | Self::Missing => None,
        }
    }
}

/// Decides what of a stored value may be shown, given its source's `threshold` (n < threshold
/// hides). A value without `n` was published as it is by its source (a NOK figure) and is shown.
/// A non-finite value is treated as missing: it can be neither shown nor aggregated.
pub fn visibility(
    value: Option<f64>,
    respondents: Option<i64>,
    suppressed_at_source: bool,
    threshold: i64,
) -> Visibility {
    if suppressed_at_source {
        return Visibility::Suppressed(SuppressionReason::SuppressedAtSource);
    }
    let Some(value) = value.filter(|value| value.is_finite()) else {
        return Visibility::Missing;
    };
    match respondents {
        Some(n) if n < threshold => Visibility::Suppressed(SuppressionReason::BelowThreshold),
        respondents => Visibility::Visible { value, respondents },
    }
}

impl IndicatorValue {
    /// What of this value may be shown under its source's suppression threshold.
    pub fn visibility(&self, threshold: i64) -> Visibility {
        if self.complementary && !self.suppressed_at_source {
            return Visibility::Suppressed(SuppressionReason::Complementary);
        }
        visibility(
            self.value,
            self.respondents,
            self.suppressed_at_source,
            threshold,
        )
    }

    /// What of this value may be shown under its own source's threshold: the one rule every path
    /// out of Varde (value lists, aggregates, colour tables, trends) reads a stored value through.
    pub fn shown(&self) -> Visibility {
        self.visibility(self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{IndicatorId, SchoolYear, Subject, ValueGroup, ValueId};

    #[test]
    fn a_value_suppressed_at_source_stays_suppressed_whatever_its_n() {
        let shown = visibility(Some(4.2), Some(500), true, 10);
        assert_eq!(
            shown,
            Visibility::Suppressed(SuppressionReason::SuppressedAtSource)
        );
    }

    #[test]
    fn the_threshold_hides_n_below_it_and_shows_n_equal_to_it() {
        let nine = visibility(Some(4.2), Some(9), false, 10);
        let ten = visibility(Some(4.2), Some(10), false, 10);
        assert_eq!(
            nine,
            Visibility::Suppressed(SuppressionReason::BelowThreshold)
        );
        assert_eq!(
            ten,
            Visibility::Visible {
                value: 4.2,
                respondents: Some(10)
            }
        );
    }

    #[test]
    fn a_value_without_n_is_shown_as_published() {
        let shown = visibility(Some(131_000.0), None, false, 10);
        assert_eq!(shown.value(), Some(131_000.0));
        assert_eq!(shown.respondents(), None);
    }

    #[test]
    fn no_value_or_a_non_finite_one_is_missing() {
        assert_eq!(visibility(None, Some(50), false, 10), Visibility::Missing);
        assert_eq!(
            visibility(Some(f64::NAN), Some(50), false, 10),
            Visibility::Missing
        );
    }

    #[test]
    fn a_stored_indicator_value_is_judged_by_the_same_rule() {
        let stored = IndicatorValue {
            id: ValueId(1),
            indicator_id: IndicatorId(1),
            subject: Subject::Nation,
            school_year: SchoolYear::new(2024).unwrap(),
            group: ValueGroup::ALL,
            value: Some(3.9),
            respondents: Some(7),
            suppressed_at_source: false,
            complementary: false,
            threshold: 10,
        };
        assert_eq!(
            stored.visibility(10),
            Visibility::Suppressed(SuppressionReason::BelowThreshold)
        );
        assert_eq!(stored.visibility(5).value(), Some(3.9));
        assert_eq!(
            stored.shown(),
            Visibility::Suppressed(SuppressionReason::BelowThreshold)
        );
    }

    proptest! {
        /// Nothing suppressed at source or from fewer respondents than the threshold is ever shown,
        /// and what is shown is the stored value and n unchanged.
        #[test]
        fn visibility_never_returns_a_value_below_threshold_or_suppressed_at_source(
            value in proptest::option::of(proptest::num::f64::ANY),
            respondents in proptest::option::of(-5i64..1_000),
            suppressed_at_source in any::<bool>(),
            threshold in 0i64..100,
        ) {
            let shown = visibility(value, respondents, suppressed_at_source, threshold);
            if let Visibility::Visible { value: shown_value, respondents: shown_n } = shown {
                prop_assert!(!suppressed_at_source);
                prop_assert!(respondents.is_none_or(|n| n >= threshold));
                prop_assert_eq!(Some(shown_value), value);
                prop_assert_eq!(shown_n, respondents);
            }
        }
    }
}
