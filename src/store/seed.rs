//! Writes a complete, validated data set (the demo seeds) in one transaction.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
};

use chrono::{DateTime, NaiveDate, Utc};

use super::{Param, Sql, Store, StoreResult};
use crate::domain::{
    ColourRule, CountyNumber, Direction, FrameworkContent, GroupCell, ImportFormat,
    IndicatorCategory, InitiativeContent, InitiativeStatus, Judgement, KommuneChange,
    Kommunenummer, Level, OrgNumber, OwnerKind, Reading, RoleKind, SchoolStage, SchoolYear,
    SchoolYearRule, SelectionScope, Sensitivity, SubjectForms, SuppressionReason, UnitKind,
    UnitOfMeasure, ValueGroup, Visibility, protect_unit_groups, visibility,
};

/// Rows per multi-row INSERT: far below both dialects' limits on bound parameters.
pub(super) const ROWS_PER_STATEMENT: usize = 400;

/// A data set whose references are already resolved to natural keys (organisasjonsnummer, codes)
/// and checked, ready to be written.
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    pub counties: Vec<SeedCounty>,
    pub owners: Vec<SeedOwner>,
    pub owner_codes: Vec<SeedOwnerCode>,
    pub school_years: Vec<SchoolYear>,
    pub units: Vec<SeedUnit>,
    pub data_sources: Vec<SeedDataSource>,
    pub indicators: Vec<SeedIndicator>,
    pub values: Vec<SeedValue>,
    pub selections: Vec<SeedSelection>,
    pub role_assignments: Vec<SeedRoleAssignment>,
    pub frameworks: Vec<SeedFramework>,
    /// Revisions of assessments, oldest first: a key given again is its next revision.
    pub assessments: Vec<SeedAssessment>,
    pub votes: Vec<SeedVote>,
    /// Tiltak, each after the owner initiative it is part of.
    pub initiatives: Vec<SeedInitiative>,
    pub import_sources: Vec<SeedImportSource>,
    /// SSB's KLASS 131 change table (kommuner), read by imports.
    pub kommune_changes: Vec<KommuneChange>,
    /// National example processes of lærende møter (learning meetings), each with its meetings.
    pub example_processes: Vec<SeedProcess>,
}

/// A national example process (eksempel på god prosess) with its meetings, without times or
/// participants: owners copy it and fill those in.
#[derive(Debug, Clone)]
pub struct SeedProcess {
    pub title: String,
    pub description: String,
    pub meetings: Vec<crate::domain::MeetingContent>,
}

/// A seeded initiative at revision 1, its snapshot made from the seeded values at seeding.
#[derive(Debug, Clone)]
pub struct SeedInitiative {
    /// The owner: of the unit, for a unit's initiative.
    pub owner: OrgNumber,
    pub unit: Option<OrgNumber>,
    /// Index of the owner initiative (earlier in the list) it is part of.
    pub parent: Option<usize>,
    pub status: InitiativeStatus,
    pub content: InitiativeContent,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub evaluations: Vec<SeedEvaluation>,
}

/// A seeded progress evaluation.
#[derive(Debug, Clone)]
pub struct SeedEvaluation {
    pub date: NaiveDate,
    pub judgement: Judgement,
    pub text: String,
    pub evaluated_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// An import source with its import rules (importregler), by natural keys.
#[derive(Debug, Clone)]
pub struct SeedImportSource {
    pub name: String,
    pub format: ImportFormat,
    pub description: String,
    pub school_year_rule: SchoolYearRule,
    pub subjects: SubjectForms,
    /// (source code, Varde indicator code).
    pub indicators: Vec<(String, String)>,
    /// (source group label, group).
    pub groups: Vec<(String, ValueGroup)>,
    /// `split` rules: (kommunenummer that split, the part its figures belong to).
    pub splits: Vec<(String, Kommunenummer)>,
    /// `name` rules: (school name as the source writes it, organisasjonsnummer).
    pub names: Vec<(String, OrgNumber)>,
}

/// A published quality framework at version 1, national (`owner: None`) or one owner's.
#[derive(Debug, Clone)]
pub struct SeedFramework {
    pub code: String,
    pub owner: Option<OrgNumber>,
    pub content: FrameworkContent,
}

/// Names a seeded assessment: framework code, criterion, unit, school year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeedAssessmentKey {
    pub framework: String,
    pub criterion: String,
    pub unit: OrgNumber,
    pub school_year: SchoolYear,
}

impl SeedAssessmentKey {
    fn params(&self) -> Vec<Param> {
        vec![
            text(self.unit.as_str()),
            text(&self.framework),
            text(&self.criterion),
            Param::Int(i64::from(self.school_year.start_year())),
        ]
    }
}

/// One revision of a seeded assessment, against version 1 of its framework.
#[derive(Debug, Clone)]
pub struct SeedAssessment {
    pub key: SeedAssessmentKey,
    pub level: Level,
    pub strengths: String,
    pub next_steps: String,
    pub assessed_by: String,
    pub assessed_at: DateTime<Utc>,
}

/// A staff member's seeded vote.
#[derive(Debug, Clone)]
pub struct SeedVote {
    pub key: SeedAssessmentKey,
    pub voter: String,
    pub level: Level,
    pub shown: bool,
}

/// The join from a VALUES row whose first four columns are a [`SeedAssessmentKey`] to its
/// unit `u` and framework `f`.
const ASSESSMENT_KEY_JOINS: &str = "JOIN units u ON u.org_number = v.column1 \
     JOIN quality_frameworks f ON f.code = v.column2";

/// The join further to the assessment `a` the key names.
const ASSESSMENT_JOINS: &str = "JOIN units u ON u.org_number = v.column1 \
     JOIN quality_frameworks f ON f.code = v.column2 \
     JOIN assessments a ON a.unit_id = u.id AND a.framework_id = f.id \
     AND a.criterion = v.column3 AND a.school_year = v.column4";

#[derive(Debug, Clone)]
pub struct SeedCounty {
    pub number: CountyNumber,
    pub name: String,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct SeedOwner {
    pub kind: OwnerKind,
    pub name: String,
    pub org_number: OrgNumber,
    pub county_number: Option<CountyNumber>,
}

#[derive(Debug, Clone)]
pub struct SeedOwnerCode {
    pub owner: OrgNumber,
    pub code: String,
    pub valid_from: Option<i32>,
    pub valid_to: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct SeedUnit {
    pub org_number: OrgNumber,
    pub name: String,
    pub kind: UnitKind,
    pub stage: Option<SchoolStage>,
    pub owner: OrgNumber,
    pub active_from: Option<SchoolYear>,
    pub active_to: Option<SchoolYear>,
}

#[derive(Debug, Clone)]
pub struct SeedDataSource {
    pub code: String,
    pub name: String,
    pub publisher: String,
    pub description: String,
    pub sensitivity: Sensitivity,
    pub suppression_threshold: i64,
    pub min_group_size: i64,
}

#[derive(Debug, Clone)]
pub struct SeedIndicator {
    pub code: String,
    pub name: String,
    pub description: String,
    pub source_code: String,
    pub category: IndicatorCategory,
    pub unit_of_measure: UnitOfMeasure,
    pub direction: Direction,
    pub decimals: u8,
    pub applies_to: Vec<UnitKind>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub colour_rule: ColourRule,
}

/// Who a seeded value describes, by natural key.
#[derive(Debug, Clone)]
pub enum SeedSubject {
    Unit(OrgNumber),
    Owner(OrgNumber),
    County(CountyNumber),
    Nation,
}

#[derive(Debug, Clone)]
pub struct SeedValue {
    pub indicator_code: String,
    pub subject: SeedSubject,
    pub school_year: SchoolYear,
    pub group: ValueGroup,
    pub value: Option<f64>,
    pub respondents: Option<i64>,
    pub suppressed: bool,
}

#[derive(Debug, Clone)]
pub struct SeedSelection {
    pub name: String,
    pub school_year: SchoolYear,
    pub scope: SelectionScope,
    pub owner: Option<OrgNumber>,
    pub last_updated: DateTime<Utc>,
    pub members: Vec<OrgNumber>,
}

/// A demo role for a Feide user id, scoped by natural keys.
#[derive(Debug, Clone)]
pub struct SeedRoleAssignment {
    pub feide_user_id: String,
    pub role: RoleKind,
    pub owner: Option<OrgNumber>,
    pub unit: Option<OrgNumber>,
}

fn year(value: Option<i32>) -> Param {
    Param::OptionalInt(value.map(i64::from))
}

fn school_year(value: Option<SchoolYear>) -> Param {
    year(value.map(SchoolYear::start_year))
}

fn text(value: &str) -> Param {
    Param::Text(value.to_owned())
}

fn optional_text(value: Option<&str>) -> Param {
    Param::OptionalText(value.map(str::to_owned))
}

/// Splits `rows` into INSERT statements of at most [`ROWS_PER_STATEMENT`] rows each:
/// `head` + `VALUES ...` + `tail`.
pub(super) fn inserts(head: &str, tail: &str, rows: Vec<Vec<Param>>) -> Vec<Sql> {
    rows.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut sql = Sql::new(head);
            sql.bind_rows(chunk.iter().cloned());
            sql.push(tail);
            sql
        })
        .collect()
}

/// `INSERT INTO target SELECT select FROM (VALUES ...) AS v joins`, chunked. Both dialects name
/// the columns of a VALUES list column1, column2, ... A join may reorder the rows (PostgreSQL's
/// hash joins do), so each row carries its position and the SELECT is ordered by it: rows get
/// their ids in the order of the seed files, the same on both databases.
fn inserts_from_values(target: &str, select: &str, joins: &str, rows: Vec<Vec<Param>>) -> Vec<Sql> {
    let position_column = rows.first().map_or(0, Vec::len) + 1;
    let rows = rows
        .into_iter()
        .zip(0_i64..)
        .map(|(mut row, position)| {
            row.push(Param::Int(position));
            row
        })
        .collect();
    inserts(
        &format!("INSERT INTO {target} SELECT {select} FROM ("),
        &format!(") AS v {joins} ORDER BY v.column{position_column}"),
        rows,
    )
}

/// A unit's value of a restricted source, as complementary suppression weighs it.
pub(super) struct RestrictedUnitValue<K> {
    /// Its family: the indicator, unit and school year whose groups are weighed together.
    pub family: K,
    /// Its source's suppression threshold.
    pub threshold: i64,
    pub group: ValueGroup,
    pub value: Option<f64>,
    pub respondents: Option<i64>,
    pub suppressed: bool,
}

/// The keys of the values complementary suppression hides among their family's groups
/// ([`protect_unit_groups`]), besides those prikket: the one rule for the seeds and for imports.
/// Each value comes with a key of the caller's choosing (a position, a stored id).
pub(super) fn complementary<K: Hash + Eq, I: Hash + Eq + Copy>(
    values: impl IntoIterator<Item = (I, RestrictedUnitValue<K>)>,
) -> HashSet<I> {
    let mut families: HashMap<K, Vec<(I, i64, GroupCell)>> = HashMap::new();
    for (index, value) in values {
        let shown = visibility(
            value.value,
            value.respondents,
            value.suppressed,
            value.threshold,
        );
        let cell = GroupCell {
            group: value.group,
            respondents: (value.value.is_some() || value.suppressed)
                .then(|| value.respondents.unwrap_or(0)),
            hidden: matches!(shown, Visibility::Suppressed(_)),
        };
        families
            .entry(value.family)
            .or_default()
            .push((index, value.threshold, cell));
    }
    let mut hidden = HashSet::new();
    for members in families.into_values() {
        let threshold = members.first().map_or(0, |(_, threshold, _)| *threshold);
        let cells: Vec<GroupCell> = members.iter().map(|(_, _, cell)| *cell).collect();
        let protected = protect_unit_groups(&cells, threshold);
        hidden.extend(
            members
                .iter()
                .zip(protected)
                .filter(|((_, _, cell), now)| *now && !cell.hidden)
                .map(|((index, _, _), _)| *index),
        );
    }
    hidden
}

impl SeedData {
    /// Rows the data set writes, over every table.
    pub fn row_count(&self) -> usize {
        let members: usize = self.selections.iter().map(|s| s.members.len()).sum();
        let unit_kinds: usize = self.indicators.iter().map(|i| i.applies_to.len()).sum();
        self.counties.len()
            + self.owners.len()
            + self.owner_codes.len()
            + self.school_years.len()
            + self.units.len()
            + self.data_sources.len()
            + self.indicators.len()
            + unit_kinds
            + self.values.len()
            + self.selections.len()
            + members
            + self.role_assignments.len()
            + self.import_sources.len()
            + self.frameworks.len()
            + self.assessments.len()
            + self.votes.len()
            + self.initiatives.len()
            + self
                .initiatives
                .iter()
                .map(|i| i.evaluations.len() + i.content.school_years.len())
                .sum::<usize>()
            + self.kommune_changes.len()
    }

    /// Indexes into `values` of the restricted unit values that complementary suppression hides
    /// among their unit's groups (per indicator, unit and school year), so that no prikket group
    /// follows from "all" and the other groups.
    fn complementary_values(&self) -> HashSet<usize> {
        let restricted_sources: HashMap<&str, i64> = self
            .data_sources
            .iter()
            .filter(|source| source.sensitivity == Sensitivity::Restricted)
            .map(|source| (source.code.as_str(), source.suppression_threshold))
            .collect();
        let thresholds: HashMap<&str, i64> = self
            .indicators
            .iter()
            .filter_map(|indicator| {
                let threshold = restricted_sources.get(indicator.source_code.as_str())?;
                Some((indicator.code.as_str(), *threshold))
            })
            .collect();
        complementary(self.values.iter().enumerate().filter_map(|(index, value)| {
            let SeedSubject::Unit(org) = &value.subject else {
                return None;
            };
            let threshold = *thresholds.get(value.indicator_code.as_str())?;
            Some((
                index,
                RestrictedUnitValue {
                    family: (
                        value.indicator_code.as_str(),
                        org.as_str(),
                        value.school_year,
                    ),
                    threshold,
                    group: value.group,
                    value: value.value,
                    respondents: value.respondents,
                    suppressed: value.suppressed,
                },
            ))
        }))
    }

    /// Every statement that writes the data set, in dependency order.
    fn statements(&self) -> StoreResult<Vec<Sql>> {
        let mut statements = Vec::new();
        statements.extend(inserts(
            "INSERT INTO counties (county_number, name, valid_from, valid_to) ",
            "",
            self.counties
                .iter()
                .map(|c| {
                    vec![
                        text(c.number.as_str()),
                        text(&c.name),
                        year(c.valid_from),
                        year(c.valid_to),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts(
            "INSERT INTO owners (kind, name, org_number, county_number) ",
            "",
            self.owners
                .iter()
                .map(|o| {
                    vec![
                        text(o.kind.as_str()),
                        text(&o.name),
                        text(o.org_number.as_str()),
                        optional_text(o.county_number.as_ref().map(CountyNumber::as_str)),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "owner_codes (owner_id, code, valid_from, valid_to)",
            "o.id, v.column2, v.column3, v.column4",
            "JOIN owners o ON o.org_number = v.column1",
            self.owner_codes
                .iter()
                .map(|c| {
                    vec![
                        text(c.owner.as_str()),
                        text(&c.code),
                        year(c.valid_from),
                        year(c.valid_to),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts(
            "INSERT INTO school_years (year) ",
            "",
            self.school_years
                .iter()
                .map(|y| vec![Param::Int(i64::from(y.start_year()))])
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "units (org_number, name, kind, stage, owner_id, active_from, active_to)",
            "v.column1, v.column2, v.column3, v.column4, o.id, v.column6, v.column7",
            "JOIN owners o ON o.org_number = v.column5",
            self.units
                .iter()
                .map(|u| {
                    vec![
                        text(u.org_number.as_str()),
                        text(&u.name),
                        text(u.kind.as_str()),
                        optional_text(u.stage.map(SchoolStage::as_str)),
                        text(u.owner.as_str()),
                        school_year(u.active_from),
                        school_year(u.active_to),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts(
            "INSERT INTO data_sources (code, name, publisher, description, sensitivity, suppression_threshold, min_group_size) ",
            "",
            self.data_sources
                .iter()
                .map(|s| {
                    vec![
                        text(&s.code),
                        text(&s.name),
                        text(&s.publisher),
                        text(&s.description),
                        text(s.sensitivity.as_str()),
                        Param::Int(s.suppression_threshold),
                        Param::Int(s.min_group_size),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "indicators (code, name, description, source_id, category, unit_of_measure, direction, \
             decimals, min_value, max_value, colour_mode, colour_green, colour_red, colour_margin)",
            "v.column1, v.column2, v.column3, s.id, v.column5, v.column6, v.column7, v.column8, \
             v.column9, v.column10, v.column11, v.column12, v.column13, v.column14",
            "JOIN data_sources s ON s.code = v.column4",
            self.indicators
                .iter()
                .map(|i| {
                    vec![
                        text(&i.code),
                        text(&i.name),
                        text(&i.description),
                        text(&i.source_code),
                        text(i.category.as_str()),
                        text(i.unit_of_measure.as_str()),
                        text(i.direction.as_str()),
                        Param::Int(i64::from(i.decimals)),
                        Param::Float(i.min_value),
                        Param::Float(i.max_value),
                        text(i.colour_rule.mode.as_str()),
                        Param::Float(i.colour_rule.green),
                        Param::Float(i.colour_rule.red),
                        Param::Float(i.colour_rule.margin),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "indicator_unit_kinds (indicator_id, unit_kind)",
            "i.id, v.column2",
            "JOIN indicators i ON i.code = v.column1",
            self.indicators
                .iter()
                .flat_map(|i| {
                    i.applies_to
                        .iter()
                        .map(|kind| vec![text(&i.code), text(kind.as_str())])
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "indicator_values (indicator_id, subject_level, unit_id, owner_id, county_number, \
             school_year, group_code, value, respondents, suppressed, complementary)",
            "i.id, v.column2, u.id, o.id, v.column5, v.column6, v.column7, v.column8, v.column9, \
             v.column10, v.column11",
            "JOIN indicators i ON i.code = v.column1 \
             LEFT JOIN units u ON u.org_number = v.column3 \
             LEFT JOIN owners o ON o.org_number = v.column4",
            {
                let complementary = self.complementary_values();
                self.values
                    .iter()
                    .enumerate()
                    .map(|(index, value)| value.row(complementary.contains(&index)))
                    .collect()
            },
        ));
        statements.extend(inserts_from_values(
            "selections (name, school_year, scope, owner_id, last_updated)",
            "v.column1, v.column2, v.column3, o.id, v.column5",
            "LEFT JOIN owners o ON o.org_number = v.column4",
            self.selections
                .iter()
                .map(|s| {
                    vec![
                        text(&s.name),
                        Param::Int(i64::from(s.school_year.start_year())),
                        text(s.scope.as_str()),
                        optional_text(s.owner.as_ref().map(OrgNumber::as_str)),
                        Param::Time(s.last_updated),
                    ]
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "selection_members (selection_id, unit_id)",
            "s.id, u.id",
            "JOIN selections s ON s.name = v.column1 AND s.school_year = v.column2 \
             JOIN units u ON u.org_number = v.column3",
            self.selections
                .iter()
                .flat_map(|s| {
                    s.members.iter().map(|member| {
                        vec![
                            text(&s.name),
                            Param::Int(i64::from(s.school_year.start_year())),
                            text(member.as_str()),
                        ]
                    })
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "role_assignments (feide_user_id, role, owner_id, unit_id, granted_by, granted_at)",
            "v.column1, v.column2, o.id, u.id, 'seed', 0",
            "LEFT JOIN owners o ON o.org_number = v.column3 \
             LEFT JOIN units u ON u.org_number = v.column4",
            self.role_assignments
                .iter()
                .map(|r| {
                    vec![
                        text(&r.feide_user_id),
                        text(r.role.as_str()),
                        optional_text(r.owner.as_ref().map(OrgNumber::as_str)),
                        optional_text(r.unit.as_ref().map(OrgNumber::as_str)),
                    ]
                })
                .collect(),
        ));
        statements.extend(self.quality_statements()?);
        statements.extend(self.initiative_statements()?);
        statements.extend(self.meeting_statements()?);
        statements.extend(self.import_rule_statements());
        Ok(statements)
    }

    /// The latest seeded value (group of everyone) of `indicator` for `subject` (a unit's
    /// organisasjonsnummer, or an owner's when `unit` is false), as its owner's people see it.
    fn reading(
        &self,
        complementary: &HashSet<usize>,
        indicator: &str,
        subject: &OrgNumber,
        unit: bool,
    ) -> Reading {
        let threshold = self
            .indicators
            .iter()
            .find(|i| i.code == indicator)
            .and_then(|i| self.data_sources.iter().find(|s| s.code == i.source_code))
            .map_or(0, |source| source.suppression_threshold);
        let latest = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, value)| {
                value.indicator_code == indicator
                    && value.group == ValueGroup::ALL
                    && match &value.subject {
                        SeedSubject::Unit(org) => unit && org == subject,
                        SeedSubject::Owner(org) => !unit && org == subject,
                        SeedSubject::County(_) | SeedSubject::Nation => false,
                    }
            })
            .max_by_key(|(_, value)| value.school_year)
            .map(|(index, value)| {
                let shown = if complementary.contains(&index) && !value.suppressed {
                    Visibility::Suppressed(SuppressionReason::Complementary)
                } else {
                    visibility(value.value, value.respondents, value.suppressed, threshold)
                };
                (value.school_year, shown)
            });
        Reading::new(indicator, latest)
    }

    /// The initiatives with their school years, first history row and evaluations. An
    /// initiative is found again by its content, unique among the seeds.
    /// The example processes and their meetings, each meeting with a fresh UID.
    fn meeting_statements(&self) -> StoreResult<Vec<Sql>> {
        let now = chrono::Utc::now();
        let mut statements = Vec::new();
        for process in &self.example_processes {
            let mut insert = Sql::new(
                "INSERT INTO meeting_processes (title, description, created_by, created_at) \
                 VALUES (",
            );
            insert
                .bind(process.title.as_str())
                .push(", ")
                .bind(process.description.as_str())
                .push(", 'seed', ")
                .bind(now)
                .push(")");
            statements.push(insert);
            for meeting in &process.meetings {
                let mut insert = Sql::new(
                    "INSERT INTO meetings (process_id, uid, status, revision, ics_sequence, \
                     content, created_by, created_at) SELECT id, ",
                );
                insert
                    .bind(format!("{}@varde", crate::auth::random_token()))
                    .push(", 'planned', 1, 0, ")
                    .bind(serde_json::to_string(meeting)?)
                    .push(", 'seed', ")
                    .bind(now)
                    .push(" FROM meeting_processes WHERE owner_id IS NULL AND title = ")
                    .bind(process.title.as_str());
                statements.push(insert);
            }
        }
        Ok(statements)
    }

    fn initiative_statements(&self) -> StoreResult<Vec<Sql>> {
        let complementary = self.complementary_values();
        let mut statements = Vec::new();
        let contents = self
            .initiatives
            .iter()
            .map(|initiative| serde_json::to_string(&initiative.content))
            .collect::<Result<Vec<_>, _>>()?;
        let created = serde_json::to_string(&["created"])?;
        for (initiative, content) in self.initiatives.iter().zip(&contents) {
            let subject = initiative.unit.as_ref().unwrap_or(&initiative.owner);
            let snapshot: Vec<Reading> = initiative
                .content
                .indicators
                .iter()
                .map(|code| self.reading(&complementary, code, subject, initiative.unit.is_some()))
                .collect();
            let mut insert = Sql::new(
                "INSERT INTO initiatives (owner_id, unit_id, parent_id, status, revision, content, \
                 snapshot, created_by, created_at) SELECT o.id, (SELECT id FROM units WHERE org_number = ",
            );
            insert
                .bind(initiative.unit.as_ref().map(OrgNumber::as_str))
                .push("), (SELECT id FROM initiatives WHERE content = ")
                .bind(initiative.parent.map(|parent| contents[parent].as_str()))
                .push("), ")
                .bind(initiative.status.as_str())
                .push(", 1, ")
                .bind(content.as_str())
                .push(", ")
                .bind(serde_json::to_string(&snapshot)?)
                .push(", ")
                .bind(initiative.created_by.as_str())
                .push(", ")
                .bind(initiative.created_at)
                .push(" FROM owners o WHERE o.org_number = ")
                .bind(initiative.owner.as_str());
            statements.push(insert);
            let mut change = Sql::new(
                "INSERT INTO initiative_changes (initiative_id, revision, fields, changed_by, changed_at) \
                 SELECT id, 1, ",
            );
            change
                .bind(created.as_str())
                .push(", created_by, created_at FROM initiatives WHERE content = ")
                .bind(content.as_str());
            statements.push(change);
            for year in &initiative.content.school_years {
                let mut sql = Sql::new(
                    "INSERT INTO initiative_school_years (initiative_id, school_year) SELECT id, ",
                );
                sql.bind(i64::from(*year))
                    .push(" FROM initiatives WHERE content = ")
                    .bind(content.as_str());
                statements.push(sql);
            }
            for evaluation in &initiative.evaluations {
                let mut sql = Sql::new(
                    "INSERT INTO initiative_evaluations (initiative_id, evaluated_on, judgement, \
                     text, evaluated_by, recorded_at) SELECT id, ",
                );
                sql.bind(evaluation.date)
                    .push(", ")
                    .bind(evaluation.judgement.as_str())
                    .push(", ")
                    .bind(evaluation.text.as_str())
                    .push(", ")
                    .bind(evaluation.evaluated_by.as_str())
                    .push(", ")
                    .bind(evaluation.recorded_at)
                    .push(" FROM initiatives WHERE content = ")
                    .bind(content.as_str());
                statements.push(sql);
            }
        }
        Ok(statements)
    }

    /// The import sources and their rules.
    fn import_rule_statements(&self) -> Vec<Sql> {
        let mut statements = inserts(
            "INSERT INTO import_sources (name, format, description, school_year_rule, org_numbers, \
             kommunenummer, fylkesnummer, nation_code) ",
            "",
            self.import_sources
                .iter()
                .map(|s| {
                    vec![
                        text(&s.name),
                        text(s.format.as_str()),
                        text(&s.description),
                        text(s.school_year_rule.as_str()),
                        Param::Bool(s.subjects.org_numbers),
                        Param::Bool(s.subjects.kommunenummer),
                        Param::Bool(s.subjects.fylkesnummer),
                        optional_text(s.subjects.nation_code.as_deref()),
                    ]
                })
                .collect(),
        );
        statements.extend(inserts_from_values(
            "import_rules (source_id, kind, source_code, target)",
            "s.id, v.column2, v.column3, v.column4",
            "JOIN import_sources s ON s.name = v.column1",
            self.import_sources
                .iter()
                .flat_map(|s| {
                    let indicators = s.indicators.iter().map(|(code, indicator)| {
                        vec![
                            text(&s.name),
                            text("indicator"),
                            text(code),
                            text(indicator),
                        ]
                    });
                    let groups = s.groups.iter().map(|(label, group)| {
                        vec![
                            text(&s.name),
                            text("group"),
                            text(label),
                            text(&group.code()),
                        ]
                    });
                    let splits = s.splits.iter().map(|(code, part)| {
                        vec![
                            text(&s.name),
                            text("split"),
                            text(code),
                            text(part.as_str()),
                        ]
                    });
                    let names = s.names.iter().map(|(name, org)| {
                        vec![text(&s.name), text("name"), text(name), text(org.as_str())]
                    });
                    indicators.chain(groups).chain(splits).chain(names)
                })
                .collect(),
        ));
        statements.extend(inserts(
            "INSERT INTO kommune_changes (old_code, old_name, new_code, new_name, \
             change_occurred) ",
            "",
            self.kommune_changes
                .iter()
                .map(|c| {
                    vec![
                        text(c.old_code.as_str()),
                        text(&c.old_name),
                        text(c.new_code.as_str()),
                        text(&c.new_name),
                        Param::Date(c.occurred),
                    ]
                })
                .collect(),
        ));
        statements
    }

    /// The frameworks, assessments (each at its last revision, or 0 when only voted on), their
    /// revisions and votes.
    fn quality_statements(&self) -> StoreResult<Vec<Sql>> {
        let mut statements = inserts_from_values(
            "quality_frameworks (code, owner_id, status, version)",
            "v.column1, o.id, 'published', 1",
            "LEFT JOIN owners o ON o.org_number = v.column2",
            self.frameworks
                .iter()
                .map(|f| {
                    vec![
                        text(&f.code),
                        optional_text(f.owner.as_ref().map(OrgNumber::as_str)),
                    ]
                })
                .collect(),
        );
        let seeded_at = self
            .assessments
            .iter()
            .map(|a| a.assessed_at)
            .min()
            .unwrap_or_default();
        for framework in &self.frameworks {
            let mut sql = Sql::new(
                "INSERT INTO quality_framework_versions (framework_id, version, content, created_by, created_at) \
                 SELECT id, 1, ",
            );
            sql.bind(serde_json::to_string(&framework.content)?)
                .push(", 'seed', ")
                .bind(seeded_at)
                .push(" FROM quality_frameworks WHERE code = ")
                .bind(framework.code.as_str());
            statements.push(sql);
        }
        // Each assessment once, in the order first named, at its last revision and level.
        let mut current: Vec<(&SeedAssessmentKey, i64, Option<Level>)> = Vec::new();
        let mut revisions = Vec::new();
        for assessment in &self.assessments {
            let revision = match current
                .iter_mut()
                .find(|(key, _, _)| **key == assessment.key)
            {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 = Some(assessment.level);
                    entry.1
                }
                None => {
                    current.push((&assessment.key, 1, Some(assessment.level)));
                    1
                }
            };
            let mut row = assessment.key.params();
            row.extend([
                Param::Int(revision),
                Param::Int(i64::from(assessment.level.get())),
                text(&assessment.strengths),
                text(&assessment.next_steps),
                text(&assessment.assessed_by),
                Param::Time(assessment.assessed_at),
            ]);
            revisions.push(row);
        }
        for vote in &self.votes {
            if !current.iter().any(|(key, _, _)| **key == vote.key) {
                current.push((&vote.key, 0, None));
            }
        }
        statements.extend(inserts_from_values(
            "assessments (unit_id, framework_id, criterion, school_year, revision, level)",
            "u.id, f.id, v.column3, v.column4, v.column5, v.column6",
            ASSESSMENT_KEY_JOINS,
            current
                .iter()
                .map(|(key, revision, level)| {
                    let mut row = key.params();
                    row.extend([
                        Param::Int(*revision),
                        Param::OptionalInt(level.map(|level| i64::from(level.get()))),
                    ]);
                    row
                })
                .collect(),
        ));
        statements.extend(inserts_from_values(
            "assessment_revisions (assessment_id, revision, version_id, level, strengths, \
             next_steps, assessed_by, assessed_at)",
            "a.id, v.column5, fv.id, v.column6, v.column7, v.column8, v.column9, v.column10",
            &format!(
                "{ASSESSMENT_JOINS} JOIN quality_framework_versions fv \
                 ON fv.framework_id = f.id AND fv.version = 1"
            ),
            revisions,
        ));
        statements.extend(inserts_from_values(
            "assessment_votes (assessment_id, voter, level, shown, voted_at)",
            "a.id, v.column5, v.column6, v.column7, v.column8",
            ASSESSMENT_JOINS,
            self.votes
                .iter()
                .map(|vote| {
                    let mut row = vote.key.params();
                    row.extend([
                        text(&vote.voter),
                        Param::Int(i64::from(vote.level.get())),
                        Param::Bool(vote.shown),
                        Param::Time(seeded_at),
                    ]);
                    row
                })
                .collect(),
        ));
        Ok(statements)
    }
}

impl SeedValue {
    fn row(&self, complementary: bool) -> Vec<Param> {
        let (level, unit, owner, county) = match &self.subject {
            SeedSubject::Unit(org) => ("unit", Some(org.as_str()), None, None),
            SeedSubject::Owner(org) => ("owner", None, Some(org.as_str()), None),
            SeedSubject::County(number) => ("county", None, None, Some(number.as_str())),
            SeedSubject::Nation => ("nation", None, None, None),
        };
        vec![
            text(&self.indicator_code),
            text(level),
            optional_text(unit),
            optional_text(owner),
            optional_text(county),
            Param::Int(i64::from(self.school_year.start_year())),
            text(&self.group.code()),
            Param::Float(self.value),
            Param::OptionalInt(self.respondents),
            Param::Bool(self.suppressed),
            Param::Bool(complementary),
        ]
    }
}

impl Store {
    /// Whether the database holds no owners yet (a fresh database to seed).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let (count,): (i64,) = self
            .fetch_optional(Sql::new("SELECT COUNT(*) FROM owners"))
            .await?
            .unwrap_or((0,));
        Ok(count == 0)
    }

    /// Writes the whole data set in one transaction, then gathers the planner's statistics: until
    /// `ANALYZE`, PostgreSQL plans the analysis statements for empty tables (one colour-table
    /// statement took 4.9 ms instead of 0.7 in issue 15's trace). Both dialects take `ANALYZE`.
    pub async fn load_seed(&self, data: &SeedData) -> StoreResult<()> {
        self.execute_in_transaction(data.statements()?).await?;
        self.execute_in_transaction(vec![Sql::new("ANALYZE")]).await
    }
}
