//! Trendgraf: one indicator's values for one subject over school years, with year-on-year change.

use super::SchoolYear;

/// One school year of a trend series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendPoint {
    pub school_year: SchoolYear,
    pub value: Option<f64>,
    /// Value minus the previous school year's; `None` when either is missing or that year is
    /// absent, so that no change is ever drawn across a gap.
    pub change: Option<f64>,
}

/// Builds the series in school-year order. Pass only visible values (hidden ones as `None`): a
/// change between two visible values reveals nothing that was hidden.
pub fn trend(series: &[(SchoolYear, Option<f64>)]) -> Vec<TrendPoint> {
    let mut sorted = series.to_vec();
    sorted.sort_by_key(|(year, _)| *year);
    sorted
        .iter()
        .map(|&(school_year, value)| {
            let previous = sorted
                .iter()
                .find(|(year, _)| year.start_year() == school_year.start_year() - 1)
                .and_then(|(_, value)| *value);
            TrendPoint {
                school_year,
                value,
                change: value.zip(previous).map(|(now, before)| now - before),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(start: i32) -> SchoolYear {
        SchoolYear::new(start).unwrap()
    }

    fn changes(series: &[(SchoolYear, Option<f64>)]) -> Vec<(i32, Option<f64>)> {
        trend(series)
            .iter()
            .map(|point| (point.school_year.start_year(), point.change))
            .collect()
    }

    #[test]
    fn each_year_shows_its_change_from_the_year_before() {
        let series = [(year(2022), Some(4.0)), (year(2023), Some(4.25))];
        assert_eq!(changes(&series), [(2022, None), (2023, Some(0.25))]);
    }

    #[test]
    fn no_change_is_drawn_across_a_gap_or_a_missing_value() {
        let series = [
            (year(2019), Some(4.0)),
            (year(2021), Some(4.5)),
            (year(2022), None),
            (year(2023), Some(4.0)),
        ];
        let expected = [(2019, None), (2021, None), (2022, None), (2023, None)];
        assert_eq!(changes(&series), expected);
    }

    #[test]
    fn an_unordered_series_comes_back_in_school_year_order() {
        let series = [(year(2024), Some(3.0)), (year(2023), Some(3.5))];
        assert_eq!(changes(&series), [(2023, None), (2024, Some(-0.5))]);
    }
}
