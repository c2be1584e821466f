//! The entities of the read model: owners, units, school years, data sources, indicators, their
//! values and selections (utvalg).

use chrono::{DateTime, Utc};

use super::{CountyNumber, DomainError, OrgNumber, SchoolYear, ValueGroup};

/// Declares an enum whose variants have a fixed snake_case text form, used in storage and seeds.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<Self, DomainError> {
                match input.trim() {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(DomainError::UnknownVariant {
                        kind: stringify!($name),
                        value: input.to_owned(),
                        allowed: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

text_enum!(
    /// What kind of skoleeier an owner is.
    OwnerKind { Municipality => "municipality", CountyMunicipality => "county_municipality", Private => "private", State => "state" }
);
text_enum!(
    /// Enhetstype: skole, barnehage or kulturskole.
    UnitKind { School => "school", Kindergarten => "kindergarten", ArtsSchool => "arts_school" }
);
text_enum!(
    /// Skoleslag of a school: barneskole, ungdomsskole, kombinert (1-10) or videregående.
    SchoolStage { Primary => "primary", LowerSecondary => "lower_secondary", Combined => "combined", UpperSecondary => "upper_secondary" }
);
text_enum!(
    /// Whether the public may read a source's values (published statistics) or only its owner's
    /// people may (local surveys).
    Sensitivity { Public => "public", Restricted => "restricted" }
);
text_enum!(
    /// Indicator category: forutsetning (precondition), prosess or resultat.
    IndicatorCategory { Precondition => "forutsetning", Process => "prosess", Result => "resultat" }
);
text_enum!(
    /// Whether a higher value is better, worse (Mobbing), or neither (a count).
    Direction { HigherIsBetter => "higher_is_better", LowerIsBetter => "lower_is_better", Neutral => "neutral" }
);
text_enum!(
    /// What an indicator's numbers count.
    UnitOfMeasure { Index => "index", ScalePoints => "scale_points", Points => "points", Percent => "percent", Count => "count", Hours => "hours", Fte => "fte", Nok => "nok" }
);
text_enum!(
    /// How cells of a colour table (fargetabell) are classified for an indicator.
    ColourMode { Absolute => "absolute", RelativeNational => "relative_national", RelativeOwner => "relative_owner", None => "none" }
);
text_enum!(
    /// The level of the subject a value describes.
    SubjectLevel { Unit => "unit", Owner => "owner", County => "county", Nation => "nation" }
);
text_enum!(
    /// Who a selection (utvalg) belongs to.
    SelectionScope { Owner => "owner", National => "national", Network => "network" }
);

text_enum!(
    /// Where a quality framework is in its life: a draft only its editors see, published (units
    /// assess against it), or retired (kept for the assessments made against it).
    FrameworkStatus { Draft => "draft", Published => "published", Retired => "retired" }
);
text_enum!(
    /// Where a tiltak (initiative) is: planned, active, and then completed or cancelled
    /// (`InitiativeStatus::may_become`).
    InitiativeStatus { Planned => "planned", Active => "active", Completed => "completed", Cancelled => "cancelled" }
);
text_enum!(
    /// A progress evaluation's judgement (framdrift): on track, at risk or off track.
    Judgement { OnTrack => "on_track", AtRisk => "at_risk", OffTrack => "off_track" }
);

text_enum!(
    /// The file format of an import source.
    ImportFormat { VardeCsv => "varde_csv", JsonStat => "json_stat", Udir => "udir" }
);
text_enum!(
    /// How an import source names the skoleår of a value: as the school year itself (`2025` or
    /// `2025-26`), as the calendar year of an autumn count (GSI and KOSTRA count on 1 October, so
    /// 2025 is 2025-26), as the calendar year of a spring result (exams in 2026 end 2025-26), or as
    /// Udir's `TidID` (`202510` is 2025-26).
    SchoolYearRule { SchoolYear => "school_year", AutumnYear => "autumn_year", SpringYear => "spring_year", UdirTid => "udir_tid" }
);

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);
    )+};
}

id_type!(
    /// Database id of an owner.
    OwnerId,
    /// Database id of a unit.
    UnitId,
    /// Database id of a data source.
    DataSourceId,
    /// Database id of an indicator.
    IndicatorId,
    /// Database id of an indicator value.
    ValueId,
    /// Database id of a selection.
    SelectionId,
    /// Database id of a quality framework (kvalitetsbeskrivelse).
    FrameworkId,
    /// Database id of one version of a quality framework's texts.
    FrameworkVersionId,
    /// Database id of a unit's self-assessment (egenvurdering) of one criterion in one school year.
    AssessmentId,
    /// Database id of a tiltak (initiative).
    InitiativeId,
    /// Database id of a progress evaluation (framdrift) of an initiative.
    EvaluationId,
    /// Database id of an import source and its import rules (importregler).
    ImportSourceId,
);

/// Skoleeier: a kommune, fylkeskommune, private owner or the state.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    pub id: OwnerId,
    pub kind: OwnerKind,
    pub name: String,
    pub org_number: Option<OrgNumber>,
    pub county_number: Option<CountyNumber>,
}

/// One kommunenummer or fylkesnummer an owner has had, with the calendar years it was valid.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerCodePeriod {
    pub owner_id: OwnerId,
    pub code: String,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
}

/// Whether `at` lies in the inclusive span from `from` to `to`, either end open when `None`: the one
/// reading of every validity period (code histories, units' active years).
pub fn within_period<T: Ord>(from: Option<T>, to: Option<T>, at: T) -> bool {
    from.is_none_or(|from| from <= at) && to.is_none_or(|to| at <= to)
}

impl OwnerCodePeriod {
    pub fn is_valid_in(&self, calendar_year: i32) -> bool {
        within_period(self.valid_from, self.valid_to, calendar_year)
    }
}

/// Enhet: a school, kindergarten or arts school.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: UnitId,
    pub org_number: OrgNumber,
    pub name: String,
    pub kind: UnitKind,
    pub stage: Option<SchoolStage>,
    pub owner_id: OwnerId,
    pub active_from: Option<SchoolYear>,
    pub active_to: Option<SchoolYear>,
}

impl Unit {
    pub fn is_active_in(&self, year: SchoolYear) -> bool {
        within_period(self.active_from, self.active_to, year)
    }
}

/// Datakilde: who publishes values and how they may be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    pub id: DataSourceId,
    pub code: String,
    pub name: String,
    pub publisher: String,
    pub description: String,
    pub sensitivity: Sensitivity,
    /// Values from fewer respondents than this are never shown (prikking).
    pub suppression_threshold: i64,
    /// Minimum group size: an aggregate of this (restricted) source shown to a caller who may not
    /// read every member on its own must rest on at least this many counted members.
    pub min_group_size: i64,
    /// When an import last changed one of its values; `None` when none has.
    pub last_updated: Option<DateTime<Utc>>,
}

/// Fargeregel: how a value is classified GREEN / YELLOW / RED. Data, not code: seeded per indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourRule {
    pub mode: ColourMode,
    pub green: Option<f64>,
    pub red: Option<f64>,
    pub margin: Option<f64>,
}

/// Indikator: a measure from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: IndicatorId,
    pub code: String,
    pub name: String,
    pub description: String,
    pub source_id: DataSourceId,
    pub category: IndicatorCategory,
    pub unit_of_measure: UnitOfMeasure,
    pub direction: Direction,
    pub decimals: u8,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub colour_rule: ColourRule,
    pub applies_to: Vec<UnitKind>,
}

/// Who a value describes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Unit(UnitId),
    Owner(OwnerId),
    County(CountyNumber),
    Nation,
}

impl Subject {
    pub fn level(&self) -> SubjectLevel {
        match self {
            Self::Unit(_) => SubjectLevel::Unit,
            Self::Owner(_) => SubjectLevel::Owner,
            Self::County(_) => SubjectLevel::County,
            Self::Nation => SubjectLevel::Nation,
        }
    }
}

/// Indikatorverdi: one value as published by its source (or registered locally).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub id: ValueId,
    pub indicator_id: IndicatorId,
    pub subject: Subject,
    pub school_year: SchoolYear,
    pub group: ValueGroup,
    /// `None` when the source suppressed the cell or reported it missing.
    pub value: Option<f64>,
    /// Respondents or pupils behind the value, where the source reports them.
    pub respondents: Option<i64>,
    /// The source itself suppressed the value (Udir's "*", SSB's ":").
    pub suppressed_at_source: bool,
    /// Hidden by complementary suppression among its unit's groups, so that a prikket group cannot
    /// be worked out by subtraction; decided when the value was written
    /// ([`super::protect_unit_groups`]).
    pub complementary: bool,
    /// Its data source's suppression threshold (prikking below this `n`), carried with the value
    /// so that [`IndicatorValue::shown`] needs nothing else to decide what may be shown.
    pub threshold: i64,
}

/// Utvalg: a named set of units for one school year.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub id: SelectionId,
    pub name: String,
    pub school_year: SchoolYear,
    pub scope: SelectionScope,
    pub owner_id: Option<OwnerId>,
    pub last_updated: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_parse_their_own_text_and_refuse_others() {
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.as_str()), Ok(*kind));
        }
        let error = UnitKind::parse("university").unwrap_err();
        assert!(error.to_string().contains("arts_school"), "{error}");
    }

    #[test]
    fn owner_code_periods_are_inclusive_and_open_ended() {
        let period = OwnerCodePeriod {
            owner_id: OwnerId(1),
            code: "3024".into(),
            valid_from: Some(2020),
            valid_to: Some(2023),
        };
        assert!(period.is_valid_in(2020) && period.is_valid_in(2023));
        assert!(!period.is_valid_in(2019) && !period.is_valid_in(2024));
        let open = OwnerCodePeriod {
            valid_from: None,
            valid_to: None,
            ..period
        };
        assert!(open.is_valid_in(1990));
    }
}
