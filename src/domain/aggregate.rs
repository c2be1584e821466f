//! Aggregates Varde computes itself (a custom utvalg, surveys with raw per-unit counts). They are
//! built only from what each member may show, so that no caller can work out a hidden member's
//! value by differencing two aggregates (a selection with and without the unit, or a total minus
//! the visible units). Published owner and national values are used as they are, not recomputed.

use super::{UnitOfMeasure, Visibility};

/// How member values combine into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregationMethod {
    /// Mean weighted by respondents: for scores, indexes, shares and amounts per pupil.
    WeightedMean,
    /// Plain sum: for counts and resources that add up over units.
    Sum,
}

impl AggregationMethod {
    /// Matched in full so that a new unit of measure must choose its method.
    pub fn for_unit(unit: UnitOfMeasure) -> Self {
        match unit {
            UnitOfMeasure::Count | UnitOfMeasure::Hours | UnitOfMeasure::Fte => Self::Sum,
            UnitOfMeasure::Index
            | UnitOfMeasure::ScalePoints
            | UnitOfMeasure::Points
            | UnitOfMeasure::Percent
            | UnitOfMeasure::Nok => Self::WeightedMean,
        }
    }
}

/// A computed value that says how it was made: members counted, left out, and total `n`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Aggregate {
    /// `None` when nothing was counted or the aggregate is itself below the threshold.
    pub value: Option<f64>,
    /// Sum of the counted members' `n` only; `None` when none of them had one or when hidden.
    pub respondents: Option<i64>,
    pub members: usize,
    pub counted: usize,
    /// Members left out because they are suppressed.
    pub suppressed: usize,
    /// Members left out because they have no value (or, for a weighted mean, no usable `n`).
    pub missing: usize,
    /// The aggregate's own prikking: its counted respondents are fewer than the threshold.
    pub below_threshold: bool,
}

/// Aggregates the visible members only: a hidden member enters no number but the `suppressed`
/// count. The result is itself hidden (value and `n` dropped) when its total `n` is below
/// `threshold`; a sum of members without `n` has no total to test and stays shown.
pub fn aggregate(method: AggregationMethod, members: &[Visibility], threshold: i64) -> Aggregate {
    let mut result = Aggregate {
        members: members.len(),
        ..Aggregate::default()
    };
    let (mut weighted_sum, mut total_weight) = (0.0, 0.0);
    for member in members {
        let (value, respondents) = match *member {
            Visibility::Visible { value, respondents } => (value, respondents),
            Visibility::Suppressed(_) => {
                result.suppressed += 1;
                continue;
            }
            Visibility::Missing => {
                result.missing += 1;
                continue;
            }
        };
        let weight = match (method, respondents) {
            (AggregationMethod::Sum, _) => 1.0,
            (AggregationMethod::WeightedMean, Some(n)) if n > 0 => n as f64,
            (AggregationMethod::WeightedMean, _) => {
                result.missing += 1;
                continue;
            }
        };
        result.counted += 1;
        weighted_sum += weight * value;
        total_weight += weight;
        if let Some(n) = respondents {
            result.respondents = Some(result.respondents.unwrap_or(0).saturating_add(n));
        }
    }
    result.value = (result.counted > 0).then(|| match method {
        AggregationMethod::WeightedMean => weighted_sum / total_weight,
        AggregationMethod::Sum => weighted_sum,
    });
    if result.respondents.is_some_and(|n| n < threshold) {
        result.value = None;
        result.respondents = None;
        result.below_threshold = true;
    }
    result
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{SuppressionReason, visibility};

    fn member(value: f64, n: i64) -> Visibility {
        Visibility::Visible {
            value,
            respondents: Some(n),
        }
    }

    #[test]
    fn counts_and_resources_are_summed_and_the_rest_averaged() {
        assert_eq!(
            AggregationMethod::for_unit(UnitOfMeasure::Fte),
            AggregationMethod::Sum
        );
        assert_eq!(
            AggregationMethod::for_unit(UnitOfMeasure::Percent),
            AggregationMethod::WeightedMean
        );
    }

    #[test]
    fn a_weighted_mean_weighs_members_by_respondents() {
        let members = [member(4.0, 20), member(5.0, 30)];

        let result = aggregate(AggregationMethod::WeightedMean, &members, 10);

        assert!((result.value.unwrap() - 4.6).abs() < 1e-12);
        assert_eq!(result.respondents, Some(50));
        assert_eq!((result.members, result.counted), (2, 2));
    }

    #[test]
    fn a_suppressed_member_never_enters_an_aggregate() {
        let members = [
            member(4.0, 20),
            Visibility::Suppressed(SuppressionReason::BelowThreshold),
            Visibility::Missing,
        ];

        let result = aggregate(AggregationMethod::WeightedMean, &members, 10);

        assert_eq!(result.value, Some(4.0));
        assert_eq!(result.respondents, Some(20));
        assert_eq!(
            (result.counted, result.suppressed, result.missing),
            (1, 1, 1)
        );
    }

    #[test]
    fn a_visible_member_without_n_cannot_be_weighted_and_counts_as_missing() {
        let members = [
            member(4.0, 20),
            Visibility::Visible {
                value: 1.0,
                respondents: None,
            },
        ];

        let result = aggregate(AggregationMethod::WeightedMean, &members, 10);

        assert_eq!((result.value, result.missing), (Some(4.0), 1));
    }

    #[test]
    fn a_sum_adds_visible_values_and_the_n_that_exist() {
        let members = [
            member(12.0, 20),
            Visibility::Visible {
                value: 3.5,
                respondents: None,
            },
        ];

        let result = aggregate(AggregationMethod::Sum, &members, 10);

        assert_eq!(result.value, Some(15.5));
        assert_eq!(result.respondents, Some(20));
    }

    #[test]
    fn an_aggregate_with_nothing_counted_has_no_value() {
        let result = aggregate(AggregationMethod::Sum, &[Visibility::Missing], 10);
        assert_eq!((result.value, result.respondents), (None, None));
    }

    #[test]
    fn an_aggregate_below_the_threshold_is_itself_suppressed() {
        let result = aggregate(AggregationMethod::WeightedMean, &[member(4.0, 12)], 20);
        assert_eq!((result.value, result.respondents), (None, None));
        assert!(result.below_threshold && result.counted == 1);
    }

    fn any_method() -> impl Strategy<Value = AggregationMethod> {
        prop_oneof![
            Just(AggregationMethod::WeightedMean),
            Just(AggregationMethod::Sum)
        ]
    }

    /// Any stored value, passed through prikking with threshold 10 as every member is.
    fn any_member() -> impl Strategy<Value = Visibility> {
        (
            proptest::option::of(-1e6..1e6f64),
            proptest::option::of(0i64..1_000),
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(value, n, at_source)| visibility(value, n, at_source, 10))
    }

    /// A stored value that prikking must hide: suppressed at source, or with n below 10.
    fn hidden_member() -> impl Strategy<Value = Visibility> {
        let at_source = (-1e6..1e6f64, proptest::option::of(0i64..1_000))
            .prop_map(|(value, n)| visibility(Some(value), n, true, 10));
        let below_threshold = (-1e6..1e6f64, 0i64..10)
            .prop_map(|(value, n)| visibility(Some(value), Some(n), false, 10));
        prop_oneof![at_source, below_threshold]
    }

    proptest! {
        #[test]
        fn a_weighted_mean_lies_between_the_counted_values(
            members in proptest::collection::vec((-1e6..1e6f64, 10i64..10_000), 1..20),
        ) {
            let visible: Vec<_> = members.iter().map(|&(value, n)| member(value, n)).collect();
            let min = members.iter().map(|m| m.0).fold(f64::INFINITY, f64::min);
            let max = members.iter().map(|m| m.0).fold(f64::NEG_INFINITY, f64::max);

            let mean = aggregate(AggregationMethod::WeightedMean, &visible, 10).value.unwrap();

            let slack = 1e-9 * min.abs().max(max.abs()).max(1.0);
            prop_assert!(min - slack <= mean && mean <= max + slack, "{min} <= {mean} <= {max}");
        }

        /// The core privacy proof against differencing: adding a member that prikking hides, at any
        /// position, changes no number of an aggregate but its member and suppressed counts. So
        /// two aggregates that differ only by a hidden unit (a selection with and without it, an
        /// owner total and its visible units) are equal, and their difference reveals nothing.
        #[test]
        fn a_hidden_member_never_changes_an_aggregate(
            method in any_method(),
            members in proptest::collection::vec(any_member(), 0..12),
            hidden in hidden_member(),
            position in any::<prop::sample::Index>(),
            threshold in 0i64..200,
        ) {
            prop_assert!(matches!(hidden, Visibility::Suppressed(_)));
            let mut with_hidden = members.clone();
            with_hidden.insert(position.index(members.len() + 1), hidden);

            let without = aggregate(method, &members, threshold);
            let with = aggregate(method, &with_hidden, threshold);

            prop_assert_eq!(with.value.map(f64::to_bits), without.value.map(f64::to_bits));
            prop_assert_eq!(with.respondents, without.respondents);
            prop_assert_eq!(with.counted, without.counted);
            prop_assert_eq!(with.below_threshold, without.below_threshold);
            prop_assert_eq!(with.suppressed, without.suppressed + 1);
        }
    }
}
