//! The pure core of Varde: the vocabulary of Norwegian quality development as plain Rust types,
//! with the rules that hold whatever the storage or API (identifier checks, school years, groups).
//! No I/O, no async and no framework types live here.

mod access;
mod aggregate;
mod analysis;
mod codes;
mod colour;
mod disclosure;
mod export;
mod group;
mod import_job;
mod import_rules;
mod import_subjects;
mod initiative;
mod meeting;
mod model;
mod quality;
mod suppression;
mod trend;

pub use access::{Grants, RestrictedScope, Role, RoleKind, ScopeKind, ValueAccess};
pub use aggregate::{Aggregate, AggregationMethod, aggregate};
pub use analysis::{
    AggregateSubject, ArtsSchoolRow, Cell, ColourTableFigures, Coverage, Dataset, Figure,
    TrendFigure,
};
pub use codes::{CountyNumber, Kommunenummer, OrgNumber, OwnerCode, SchoolYear};
pub use colour::{Colour, classify};
pub use disclosure::{
    DEFAULT_MIN_GROUP_SIZE, GroupCell, Part, Protection, Relation, protect, protect_related,
    protect_unit_groups, too_few_members,
};
pub use export::{COLUMNS as EXPORT_COLUMNS, CsvDialect, ExportFormat, ExportRow, format_number};
pub use group::{Gender, ValueGroup, group_relations};
pub use import_job::{
    ImportJob, JOB_HEARTBEAT_SECONDS, JOB_STALE_AFTER_SECONDS, JobProblem, JobState,
};
pub use import_rules::{ImportLogEntry, ImportSource, SubjectCode, SubjectForms};
pub use import_subjects::{
    KommuneChange, KommuneCodes, NamedUnit, SVALBARD, Unresolved, inherited_codes, normalise_name,
    unit_by_name,
};
pub use initiative::*;
pub use meeting::*;
pub use model::*;
pub use quality::*;
pub use suppression::{SuppressionReason, Visibility, visibility};
pub use trend::{TrendPoint, trend};

/// Why a value from outside (a seed file, a query argument, an import) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("organisasjonsnummer {0:?} must be 9 digits with a valid mod-11 check digit")]
    InvalidOrgNumber(String),
    #[error("kommunenummer {0:?} must be 4 digits, the first two a fylkesnummer (01-99)")]
    InvalidKommunenummer(String),
    #[error("fylkesnummer {0:?} must be 2 digits (01-99)")]
    InvalidCountyNumber(String),
    #[error("school year {0:?} must be a start year between 1990 and 2100, e.g. 2024 for 2024-25")]
    InvalidSchoolYear(String),
    #[error("trinn (grade) {0} must be between 1 and 13 (11-13 are Vg1-Vg3)")]
    InvalidGrade(String),
    #[error("year {0:?} is out of range")]
    InvalidYear(String),
    #[error(
        "group {0:?} is not a known group; use \"all\" or e.g. \"trinn=7\", \"kjonn=jenter\", \"trinn=7;kjonn=gutter\""
    )]
    InvalidGroup(String),
    #[error("the {role} role needs {needs}")]
    InvalidRoleScope {
        role: &'static str,
        needs: &'static str,
    },
    #[error("level {0} must be 1, 2, 3 or 4")]
    InvalidLevel(i64),
    #[error("{field} has {chars} characters; at most {max} are allowed")]
    TextTooLong {
        field: &'static str,
        chars: usize,
        max: usize,
    },
    #[error(
        "kvalitetskjennetegn (criterion) {criterion:?} is not in this framework; it has {known}"
    )]
    UnknownCriterion { criterion: String, known: String },
    #[error("the initiative is not valid: {0}")]
    InvalidInitiative(String),
    #[error(
        "an initiative cannot go from {from} to {to}; it goes planned -> active -> completed or cancelled"
    )]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("the framework text is not valid: {0}")]
    InvalidFramework(String),
    #[error("{kind} {code:?} has no import rule for the source {source_name}")]
    NoImportRule {
        kind: &'static str,
        code: String,
        source_name: String,
    },
    #[error("subject code {code:?} is not one this source gives; it gives {accepted}")]
    UnknownSubjectForm { code: String, accepted: String },
    #[error("period {period:?} does not name a school year by the rule {rule}")]
    InvalidPeriod { period: String, rule: &'static str },
    #[error("the meeting is not valid: {0}")]
    InvalidMeeting(String),
    #[error("{kind} {value:?} is not one of: {allowed}")]
    UnknownVariant {
        kind: &'static str,
        value: String,
        allowed: &'static str,
    },
}
