//! Fargetabell: classifying a value GREEN / YELLOW / RED by its indicator's colour rule.

use super::{ColourMode, ColourRule, Direction};

/// The colour of one cell. `None` means "not classified", not "bad".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    Green,
    Yellow,
    Red,
    None,
}

impl Direction {
    /// The factor that turns this direction's "better" into "higher": 1 when higher is better, -1
    /// when lower is better (Mobbing), none for a neutral indicator, which has no better.
    /// Lower-is-better is higher-is-better on the negated scale, so one comparison serves both
    /// (colours here, targets in `domain::target_met`).
    pub fn sign(self) -> Option<f64> {
        match self {
            Self::HigherIsBetter => Some(1.0),
            Self::LowerIsBetter => Some(-1.0),
            Self::Neutral => None,
        }
    }
}

/// Classifies `value` by `rule`. Relative modes compare with `reference`, the owner's or national
/// value the caller looked up. Gives `Colour::None` when there is nothing sound to compare: no
/// value, mode `None`, a neutral direction, or a missing threshold, margin or reference.
pub fn classify(
    value: Option<f64>,
    rule: &ColourRule,
    direction: Direction,
    reference: Option<f64>,
) -> Colour {
    let Some(sign) = direction.sign() else {
        return Colour::None;
    };
    let finite = |number: Option<f64>| number.filter(|n| n.is_finite());
    let classified = (|| {
        let value = finite(value)?;
        match rule.mode {
            ColourMode::Absolute => {
                let (green, red) = (finite(rule.green)?, finite(rule.red)?);
                Some(if sign * value >= sign * green {
                    Colour::Green
                } else if sign * value < sign * red {
                    Colour::Red
                } else {
                    Colour::Yellow
                })
            }
            ColourMode::RelativeNational | ColourMode::RelativeOwner => {
                let margin = finite(rule.margin)?;
                let better_by = sign * (value - finite(reference)?);
                Some(if better_by > margin {
                    Colour::Green
                } else if better_by < -margin {
                    Colour::Red
                } else {
                    Colour::Yellow
                })
            }
            ColourMode::None => None,
        }
    })();
    classified.unwrap_or(Colour::None)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn absolute(green: f64, red: f64) -> ColourRule {
        ColourRule {
            mode: ColourMode::Absolute,
            green: Some(green),
            red: Some(red),
            margin: None,
        }
    }

    fn relative(margin: f64) -> ColourRule {
        ColourRule {
            mode: ColourMode::RelativeNational,
            green: None,
            red: None,
            margin: Some(margin),
        }
    }

    #[test]
    fn absolute_thresholds_include_green_and_exclude_red_when_higher_is_better() {
        let rule = absolute(4.0, 3.5);
        let colour = |value| classify(Some(value), &rule, Direction::HigherIsBetter, None);
        assert_eq!(colour(4.0), Colour::Green);
        assert_eq!(colour(3.5), Colour::Yellow);
        assert_eq!(colour(3.49), Colour::Red);
    }

    #[test]
    fn absolute_thresholds_are_mirrored_when_lower_is_better() {
        // Mobbing: 2 % or less is green, above 6 % red.
        let rule = absolute(2.0, 6.0);
        let colour = |value| classify(Some(value), &rule, Direction::LowerIsBetter, None);
        assert_eq!(colour(2.0), Colour::Green);
        assert_eq!(colour(6.0), Colour::Yellow);
        assert_eq!(colour(6.1), Colour::Red);
    }

    #[test]
    fn relative_modes_colour_the_difference_from_the_reference_beyond_the_margin() {
        let rule = relative(0.1);
        let colour = |value, direction| classify(Some(value), &rule, direction, Some(4.0));
        assert_eq!(colour(4.2, Direction::HigherIsBetter), Colour::Green);
        assert_eq!(colour(4.1, Direction::HigherIsBetter), Colour::Yellow);
        assert_eq!(colour(3.8, Direction::HigherIsBetter), Colour::Red);
        assert_eq!(colour(3.8, Direction::LowerIsBetter), Colour::Green);
    }

    #[test]
    fn nothing_sound_to_compare_gives_no_colour() {
        use Direction::{HigherIsBetter as Higher, Neutral};
        let (abs, rel) = (absolute(4.0, 3.5), relative(0.1));
        let no_mode = ColourRule {
            mode: ColourMode::None,
            ..abs
        };
        let no_red = ColourRule { red: None, ..abs };
        let cases = [
            (None, abs, Higher, None),
            (Some(4.0), no_mode, Higher, None),
            (Some(4.0), no_red, Higher, None),
            (Some(4.0), rel, Higher, None),
            (Some(4.0), rel, Neutral, Some(3.0)),
            (Some(4.0), abs, Neutral, None),
        ];
        for (value, rule, direction, reference) in cases {
            let colour = classify(value, &rule, direction, reference);
            assert_eq!(colour, Colour::None, "{value:?} {rule:?} {direction:?}");
        }
    }

    fn rank(colour: Colour) -> Option<u8> {
        match colour {
            Colour::Red => Some(0),
            Colour::Yellow => Some(1),
            Colour::Green => Some(2),
            Colour::None => None,
        }
    }

    fn any_rule() -> impl Strategy<Value = ColourRule> {
        let mode = prop_oneof![
            Just(ColourMode::Absolute),
            Just(ColourMode::RelativeNational),
            Just(ColourMode::RelativeOwner),
        ];
        let threshold = || proptest::option::weighted(0.9, -100.0..100.0f64);
        (
            mode,
            threshold(),
            threshold(),
            proptest::option::weighted(0.9, 0.0..10.0f64),
        )
            .prop_map(|(mode, green, red, margin)| ColourRule {
                mode,
                green,
                red,
                margin,
            })
    }

    proptest! {
        /// A better value never gets a worse colour (Red < Yellow < Green), for any rule and
        /// reference; and whether a cell is coloured at all does not depend on its value.
        #[test]
        fn colours_are_monotonic_in_the_value(
            rule in any_rule(),
            reference in proptest::option::weighted(0.9, -100.0..100.0f64),
            lower_is_better in any::<bool>(),
            a in -200.0..200.0f64,
            b in -200.0..200.0f64,
        ) {
            let direction =
                if lower_is_better { Direction::LowerIsBetter } else { Direction::HigherIsBetter };
            let (worse, better) = match (a <= b) != lower_is_better {
                true => (a, b),
                false => (b, a),
            };
            let worse = rank(classify(Some(worse), &rule, direction, reference));
            let better = rank(classify(Some(better), &rule, direction, reference));
            prop_assert_eq!(worse.is_some(), better.is_some());
            prop_assert!(worse <= better, "{worse:?} > {better:?}");
        }
    }
}
