//! Reads the demo data set (CSV files under `seeds/`) into a checked [`SeedData`].
//!
//! The files are compiled into the binary so that `varde serve` on a fresh machine needs nothing
//! beside it; `varde seed --dir` reads another directory with the same layout. Every identifier is
//! validated and every reference resolved here, with the file and line of anything wrong.

use std::{collections::HashMap, path::Path};

use anyhow::{Context, Result, anyhow, bail, ensure};
use chrono::{DateTime, Utc};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    domain::{
        self, ColourMode, ColourRule, CountyNumber, Direction, FrameworkContent, ImportFormat,
        IndicatorCategory, InitiativeContent, InitiativeStatus, Judgement, Level, OrgNumber,
        OwnerCode, OwnerKind, RoleKind, SchoolStage, SchoolYear, SchoolYearRule, ScopeKind,
        SelectionScope, Sensitivity, SubjectForms, UnitKind, UnitOfMeasure, ValueGroup,
        checked_text,
    },
    store::{
        SeedAssessment, SeedAssessmentKey, SeedCounty, SeedData, SeedDataSource, SeedEvaluation,
        SeedFramework, SeedImportSource, SeedIndicator, SeedInitiative, SeedOwner, SeedOwnerCode,
        SeedProcess, SeedRoleAssignment, SeedSelection, SeedSubject, SeedUnit, SeedValue, SeedVote,
    },
};

/// The files of a seed set, in the order they are read.
const FILES: [&str; 20] = [
    "counties.csv",
    "owners.csv",
    "owner_codes.csv",
    "klass131_changes.csv",
    "school_years.csv",
    "units.csv",
    "data_sources.csv",
    "indicators.csv",
    "values.csv",
    "selections.csv",
    "selection_members.csv",
    "role_assignments.csv",
    "quality/kulturskole.json",
    "quality/lillestrom.json",
    "quality/assessments.csv",
    "quality/votes.csv",
    "initiatives/initiatives.json",
    "import/sources.csv",
    "import/rules.csv",
    "meetings/examples.json",
];

/// The quality frameworks (kvalitetsbeskrivelser) among [`FILES`].
const FRAMEWORK_FILES: [&str; 2] = ["quality/kulturskole.json", "quality/lillestrom.json"];

/// The demo seeds compiled into the binary.
const EMBEDDED: [(&str, &str); 20] = [
    ("counties.csv", include_str!("../seeds/counties.csv")),
    ("owners.csv", include_str!("../seeds/owners.csv")),
    ("owner_codes.csv", include_str!("../seeds/owner_codes.csv")),
    (
        "klass131_changes.csv",
        include_str!("../seeds/klass131_changes.csv"),
    ),
    (
        "school_years.csv",
        include_str!("../seeds/school_years.csv"),
    ),
    ("units.csv", include_str!("../seeds/units.csv")),
    (
        "data_sources.csv",
        include_str!("../seeds/data_sources.csv"),
    ),
    ("indicators.csv", include_str!("../seeds/indicators.csv")),
    ("values.csv", include_str!("../seeds/values.csv")),
    ("selections.csv", include_str!("../seeds/selections.csv")),
    (
        "selection_members.csv",
        include_str!("../seeds/selection_members.csv"),
    ),
    (
        "role_assignments.csv",
        include_str!("../seeds/role_assignments.csv"),
    ),
    (
        "quality/kulturskole.json",
        include_str!("../seeds/quality/kulturskole.json"),
    ),
    (
        "quality/lillestrom.json",
        include_str!("../seeds/quality/lillestrom.json"),
    ),
    (
        "quality/assessments.csv",
        include_str!("../seeds/quality/assessments.csv"),
    ),
    (
        "quality/votes.csv",
        include_str!("../seeds/quality/votes.csv"),
    ),
    (
        "initiatives/initiatives.json",
        include_str!("../seeds/initiatives/initiatives.json"),
    ),
    (
        "import/sources.csv",
        include_str!("../seeds/import/sources.csv"),
    ),
    (
        "import/rules.csv",
        include_str!("../seeds/import/rules.csv"),
    ),
    (
        "meetings/examples.json",
        include_str!("../seeds/meetings/examples.json"),
    ),
];

/// The demo data set shipped with Varde.
pub fn demo() -> Result<SeedData> {
    parse(&|name| {
        EMBEDDED
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, content)| (*content).to_owned())
            .ok_or_else(|| anyhow!("no embedded seed file {name}"))
    })
}

/// A data set from a directory laid out like `seeds/`.
pub fn from_dir(dir: &Path) -> Result<SeedData> {
    parse(&|name| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    })
}

fn records<T: DeserializeOwned>(
    read: &dyn Fn(&str) -> Result<String>,
    file: &str,
) -> Result<Vec<(u64, T)>> {
    debug_assert!(FILES.contains(&file));
    let content = read(file)?;
    let mut reader = csv::Reader::from_reader(content.as_bytes());
    reader
        .deserialize()
        .map(|record| {
            let record: csv::Result<T> = record;
            record
                .map(|row| (0, row))
                .map_err(|error| anyhow!("{file}: {error}"))
        })
        .enumerate()
        // Line 1 is the header.
        .map(|(index, record)| record.map(|(_, row)| (index as u64 + 2, row)))
        .collect()
}

/// Runs `check` on each record, naming file and line in any error.
fn each<T, U>(
    file: &str,
    rows: Vec<(u64, T)>,
    mut check: impl FnMut(T) -> Result<U>,
) -> Result<Vec<U>> {
    rows.into_iter()
        .map(|(line, row)| check(row).with_context(|| format!("{file} line {line}")))
        .collect()
}

fn empty_to_none(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.trim().is_empty())
}

fn optional_year(value: Option<i32>) -> Result<Option<SchoolYear>> {
    Ok(value.map(SchoolYear::new).transpose()?)
}

#[derive(Deserialize)]
struct CountyRecord {
    county_number: String,
    name: String,
    valid_from: Option<i32>,
    valid_to: Option<i32>,
}

#[derive(Deserialize)]
struct OwnerRecord {
    key: String,
    kind: String,
    name: String,
    org_number: String,
    county_number: Option<String>,
}

#[derive(Deserialize)]
struct OwnerCodeRecord {
    owner_key: String,
    code: String,
    valid_from: Option<i32>,
    valid_to: Option<i32>,
}

#[derive(Deserialize)]
struct SchoolYearRecord {
    year: i32,
}

#[derive(Deserialize)]
struct UnitRecord {
    org_number: String,
    name: String,
    kind: String,
    stage: Option<String>,
    owner_key: String,
    active_from: Option<i32>,
    active_to: Option<i32>,
}

#[derive(Deserialize)]
struct DataSourceRecord {
    code: String,
    name: String,
    publisher: String,
    description: String,
    sensitivity: String,
    suppression_threshold: i64,
    min_group_size: i64,
}

#[derive(Deserialize)]
struct IndicatorRecord {
    code: String,
    name: String,
    description: String,
    source_code: String,
    category: String,
    unit_of_measure: String,
    direction: String,
    decimals: u8,
    applies_to: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
    colour_mode: String,
    colour_green: Option<f64>,
    colour_red: Option<f64>,
    colour_margin: Option<f64>,
}

#[derive(Deserialize)]
struct ValueRecord {
    indicator_code: String,
    subject_level: String,
    subject_code: Option<String>,
    school_year: i32,
    group: String,
    value: Option<f64>,
    n: Option<i64>,
    suppressed: bool,
}

#[derive(Deserialize)]
struct SelectionRecord {
    key: String,
    name: String,
    school_year: i32,
    scope: String,
    owner_key: Option<String>,
    last_updated: DateTime<Utc>,
}

#[derive(Deserialize)]
struct RoleRecord {
    feide_user_id: String,
    role: String,
    owner_key: Option<String>,
    unit_org_number: Option<String>,
}

/// A framework file: its code, the key of its owner (none for a national one) and its texts.
#[derive(Deserialize)]
struct FrameworkRecord {
    code: String,
    owner: Option<String>,
    #[serde(flatten)]
    content: FrameworkContent,
}

#[derive(Deserialize)]
struct AssessmentRecord {
    framework: String,
    criterion: String,
    unit_org_number: String,
    school_year: i32,
    level: i64,
    strengths: String,
    next_steps: String,
    assessed_by: String,
    assessed_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct VoteRecord {
    framework: String,
    criterion: String,
    unit_org_number: String,
    school_year: i32,
    voter: String,
    level: i64,
    shown: bool,
}

/// A seeded initiative: of an owner (`owner`, its key) or of a unit (`unit`, its
/// organisasjonsnummer), part of an earlier owner initiative (`parent`, its key) or not.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitiativeRecord {
    key: String,
    owner: Option<String>,
    unit: Option<String>,
    parent: Option<String>,
    status: String,
    created_by: String,
    created_at: DateTime<Utc>,
    content: InitiativeContent,
    evaluations: Vec<EvaluationRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EvaluationRecord {
    date: chrono::NaiveDate,
    judgement: String,
    text: String,
    evaluated_by: String,
    recorded_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ImportSourceRecord {
    name: String,
    format: String,
    description: String,
    school_year_rule: String,
    org_numbers: bool,
    kommunenummer: bool,
    fylkesnummer: bool,
    nation_code: Option<String>,
}

#[derive(Deserialize)]
struct ImportRuleRecord {
    source: String,
    kind: String,
    source_code: String,
    target: String,
}

/// A row of SSB's KLASS 131 change table, as its `changes` API names the fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KommuneChangeRecord {
    old_code: String,
    old_name: String,
    new_code: String,
    new_name: String,
    change_occurred: chrono::NaiveDate,
}

#[derive(Deserialize)]
struct MemberRecord {
    selection_key: String,
    org_number: String,
}

fn parse(read: &dyn Fn(&str) -> Result<String>) -> Result<SeedData> {
    let counties = each(
        "counties.csv",
        records::<CountyRecord>(read, "counties.csv")?,
        |r| {
            Ok(SeedCounty {
                number: CountyNumber::parse(&r.county_number)?,
                name: r.name,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            })
        },
    )?;

    let mut owner_by_key: HashMap<String, OrgNumber> = HashMap::new();
    let owners = each(
        "owners.csv",
        records::<OwnerRecord>(read, "owners.csv")?,
        |r| {
            let owner = SeedOwner {
                kind: OwnerKind::parse(&r.kind)?,
                name: r.name,
                org_number: OrgNumber::parse(&r.org_number)?,
                county_number: empty_to_none(r.county_number)
                    .as_deref()
                    .map(CountyNumber::parse)
                    .transpose()?,
            };
            ensure!(
                owner_by_key
                    .insert(r.key.clone(), owner.org_number.clone())
                    .is_none(),
                "owner key {:?} is used twice",
                r.key
            );
            Ok(owner)
        },
    )?;
    let owner = |key: &str| {
        owner_by_key
            .get(key)
            .cloned()
            .ok_or_else(|| anyhow!("unknown owner key {key:?}"))
    };

    let mut owner_codes = each(
        "owner_codes.csv",
        records::<OwnerCodeRecord>(read, "owner_codes.csv")?,
        |r| {
            Ok(SeedOwnerCode {
                owner: owner(&r.owner_key)?,
                code: OwnerCode::parse(&r.code)?.as_str().to_owned(),
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            })
        },
    )?;
    let kommune_changes = each(
        "klass131_changes.csv",
        records::<KommuneChangeRecord>(read, "klass131_changes.csv")?,
        |r| {
            Ok(domain::KommuneChange {
                old_code: domain::Kommunenummer::parse(&r.old_code)?,
                old_name: checked_text("oldName", &r.old_name)?,
                new_code: domain::Kommunenummer::parse(&r.new_code)?,
                new_name: checked_text("newName", &r.new_name)?,
                occurred: r.change_occurred,
            })
        },
    )?;
    // A merged kommune's old number is the history of the owner it became part of (KLASS 131).
    let held: Vec<_> = owner_codes
        .iter()
        .map(|c| (c.owner.clone(), c.code.clone(), c.valid_from, c.valid_to))
        .collect();
    owner_codes.extend(
        domain::inherited_codes(&held, &kommune_changes)
            .into_iter()
            .map(|(owner, code, valid_to)| SeedOwnerCode {
                owner,
                code,
                valid_from: None,
                valid_to: Some(valid_to),
            }),
    );
    let owner_with_code = |code: &str, school_year: SchoolYear| -> Result<OrgNumber> {
        let calendar_year = school_year.reference_calendar_year();
        owner_codes
            .iter()
            .find(|c| {
                c.code == code && domain::within_period(c.valid_from, c.valid_to, calendar_year)
            })
            .map(|c| c.owner.clone())
            .ok_or_else(|| anyhow!("no owner has code {code:?} in {calendar_year}"))
    };

    let school_years = each(
        "school_years.csv",
        records::<SchoolYearRecord>(read, "school_years.csv")?,
        |r| Ok(SchoolYear::new(r.year)?),
    )?;

    let units = each(
        "units.csv",
        records::<UnitRecord>(read, "units.csv")?,
        |r| {
            Ok(SeedUnit {
                org_number: OrgNumber::parse(&r.org_number)?,
                name: r.name,
                kind: UnitKind::parse(&r.kind)?,
                stage: empty_to_none(r.stage)
                    .as_deref()
                    .map(SchoolStage::parse)
                    .transpose()?,
                owner: owner(&r.owner_key)?,
                active_from: optional_year(r.active_from)?,
                active_to: optional_year(r.active_to)?,
            })
        },
    )?;

    let data_sources = each(
        "data_sources.csv",
        records::<DataSourceRecord>(read, "data_sources.csv")?,
        |r| {
            ensure!(
                r.suppression_threshold >= 0,
                "suppression_threshold must not be negative"
            );
            ensure!(r.min_group_size >= 1, "min_group_size must be at least 1");
            Ok(SeedDataSource {
                code: r.code,
                name: r.name,
                publisher: r.publisher,
                description: r.description,
                sensitivity: Sensitivity::parse(&r.sensitivity)?,
                suppression_threshold: r.suppression_threshold,
                min_group_size: r.min_group_size,
            })
        },
    )?;

    let indicators = each(
        "indicators.csv",
        records::<IndicatorRecord>(read, "indicators.csv")?,
        |r| {
            ensure!(
                data_sources.iter().any(|s| s.code == r.source_code),
                "unknown data source {:?}",
                r.source_code
            );
            Ok(SeedIndicator {
                code: r.code,
                name: r.name,
                description: r.description,
                source_code: r.source_code,
                category: IndicatorCategory::parse(&r.category)?,
                unit_of_measure: UnitOfMeasure::parse(&r.unit_of_measure)?,
                direction: Direction::parse(&r.direction)?,
                decimals: r.decimals,
                applies_to: r
                    .applies_to
                    .split('|')
                    .map(UnitKind::parse)
                    .collect::<Result<_, _>>()?,
                min_value: r.min_value,
                max_value: r.max_value,
                colour_rule: ColourRule {
                    mode: ColourMode::parse(&r.colour_mode)?,
                    green: r.colour_green,
                    red: r.colour_red,
                    margin: r.colour_margin,
                },
            })
        },
    )?;

    let values = each(
        "values.csv",
        records::<ValueRecord>(read, "values.csv")?,
        |r| {
            ensure!(
                indicators.iter().any(|i| i.code == r.indicator_code),
                "unknown indicator {:?}",
                r.indicator_code
            );
            let school_year = SchoolYear::new(r.school_year)?;
            ensure!(
                school_years.contains(&school_year),
                "school year {} is not seeded",
                r.school_year
            );
            let code = empty_to_none(r.subject_code);
            let subject = match (r.subject_level.as_str(), code) {
                ("unit", Some(code)) => SeedSubject::Unit(OrgNumber::parse(&code)?),
                ("owner", Some(code)) => SeedSubject::Owner(owner_with_code(&code, school_year)?),
                ("county", Some(code)) => SeedSubject::County(CountyNumber::parse(&code)?),
                ("nation", None) => SeedSubject::Nation,
                (level, code) => {
                    bail!("subject {level:?} with code {code:?} is not a valid subject")
                }
            };
            if let SeedSubject::Unit(org) = &subject {
                ensure!(
                    units.iter().any(|u| &u.org_number == org),
                    "unknown unit {org}"
                );
            }
            ensure!(
                !(r.suppressed && r.value.is_some()),
                "a suppressed value must be empty"
            );
            ensure!(r.n.is_none_or(|n| n >= 0), "n must not be negative");
            Ok(SeedValue {
                indicator_code: r.indicator_code,
                subject,
                school_year,
                group: ValueGroup::parse(&r.group)?,
                value: r.value,
                respondents: r.n,
                suppressed: r.suppressed,
            })
        },
    )?;

    let mut selection_keys: HashMap<String, usize> = HashMap::new();
    let mut selections = each(
        "selections.csv",
        records::<SelectionRecord>(read, "selections.csv")?,
        |r| {
            let scope = SelectionScope::parse(&r.scope)?;
            let owner = empty_to_none(r.owner_key)
                .as_deref()
                .map(owner)
                .transpose()?;
            ensure!(
                (scope == SelectionScope::Owner) == owner.is_some(),
                "an owner selection needs an owner_key, other scopes none"
            );
            selection_keys.insert(r.key, selection_keys.len());
            Ok(SeedSelection {
                name: r.name,
                school_year: SchoolYear::new(r.school_year)?,
                scope,
                owner,
                last_updated: r.last_updated,
                members: Vec::new(),
            })
        },
    )?;
    for (selection, member) in each(
        "selection_members.csv",
        records::<MemberRecord>(read, "selection_members.csv")?,
        |r| {
            let index = *selection_keys
                .get(&r.selection_key)
                .ok_or_else(|| anyhow!("unknown selection {:?}", r.selection_key))?;
            let org = OrgNumber::parse(&r.org_number)?;
            ensure!(
                units.iter().any(|u| u.org_number == org),
                "unknown unit {org}"
            );
            Ok((index, org))
        },
    )? {
        selections[selection].members.push(member);
    }

    let role_assignments = each(
        "role_assignments.csv",
        records::<RoleRecord>(read, "role_assignments.csv")?,
        |r| {
            let role = RoleKind::parse(&r.role)?;
            let owner = empty_to_none(r.owner_key)
                .as_deref()
                .map(owner)
                .transpose()?;
            let unit = empty_to_none(r.unit_org_number)
                .as_deref()
                .map(OrgNumber::parse)
                .transpose()?;
            if let Some(unit) = &unit {
                ensure!(
                    units.iter().any(|u| &u.org_number == unit),
                    "unknown unit {unit}"
                );
            }
            let scope_ok = match role.scope_kind() {
                ScopeKind::Nation => owner.is_none() && unit.is_none(),
                ScopeKind::Owner => owner.is_some() && unit.is_none(),
                ScopeKind::Unit => owner.is_none() && unit.is_some(),
            };
            ensure!(scope_ok, "role {} needs exactly its scope", role.as_str());
            Ok(SeedRoleAssignment {
                feide_user_id: r.feide_user_id,
                role,
                owner,
                unit,
            })
        },
    )?;

    let frameworks = FRAMEWORK_FILES
        .iter()
        .map(|file| {
            let record: FrameworkRecord = serde_json::from_str(&read(file)?)
                .with_context(|| format!("{file} is not a framework"))?;
            record.content.check().with_context(|| file.to_string())?;
            Ok(SeedFramework {
                owner: record.owner.as_deref().map(owner).transpose()?,
                code: record.code,
                content: record.content,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // An assessment names a criterion of its framework, and a unit of a kind it applies to.
    let assessment_key = |framework: String, criterion: String, org: &str, year: i32| {
        let unit = OrgNumber::parse(org)?;
        let kind = units
            .iter()
            .find(|u| u.org_number == unit)
            .ok_or_else(|| anyhow!("unknown unit {unit}"))?
            .kind;
        let content = &frameworks
            .iter()
            .find(|f| f.code == framework)
            .ok_or_else(|| anyhow!("unknown framework {framework:?}"))?
            .content;
        content.criterion(&criterion)?;
        ensure!(
            content.applies_to(kind),
            "{framework} does not apply to {unit}"
        );
        Ok(SeedAssessmentKey {
            framework,
            criterion,
            unit,
            school_year: SchoolYear::new(year)?,
        })
    };
    let assessments = each(
        "quality/assessments.csv",
        records::<AssessmentRecord>(read, "quality/assessments.csv")?,
        |r| {
            Ok(SeedAssessment {
                key: assessment_key(r.framework, r.criterion, &r.unit_org_number, r.school_year)?,
                level: Level::new(r.level)?,
                strengths: checked_text("strengths", &r.strengths)?,
                next_steps: checked_text("next_steps", &r.next_steps)?,
                assessed_by: r.assessed_by,
                assessed_at: r.assessed_at,
            })
        },
    )?;
    let votes = each(
        "quality/votes.csv",
        records::<VoteRecord>(read, "quality/votes.csv")?,
        |r| {
            Ok(SeedVote {
                key: assessment_key(r.framework, r.criterion, &r.unit_org_number, r.school_year)?,
                voter: r.voter,
                level: Level::new(r.level)?,
                shown: r.shown,
            })
        },
    )?;

    let initiatives = initiatives(read, &units, &owner, &indicators, &frameworks)?;
    let import_sources = import_sources(read, &indicators)?;

    let example_processes = example_processes(read)?;

    Ok(SeedData {
        kommune_changes,
        example_processes,
        initiatives,
        import_sources,
        frameworks,
        assessments,
        votes,
        role_assignments,
        counties,
        owners,
        owner_codes,
        school_years,
        units,
        data_sources,
        indicators,
        values,
        selections,
    })
}

/// The seeded initiatives, checked as `createInitiative` checks them: known owner or unit, a
/// parent that is an earlier initiative of the unit's owner, valid content whose indicators apply
/// to the unit's kind and whose criteria are in the seeded frameworks.
fn initiatives(
    read: &dyn Fn(&str) -> Result<String>,
    units: &[SeedUnit],
    owner: &dyn Fn(&str) -> Result<OrgNumber>,
    indicators: &[SeedIndicator],
    frameworks: &[SeedFramework],
) -> Result<Vec<SeedInitiative>> {
    const FILE: &str = "initiatives/initiatives.json";
    let records: Vec<InitiativeRecord> = serde_json::from_str(&read(FILE)?)
        .with_context(|| format!("{FILE} is not a list of initiatives"))?;
    let mut keys: Vec<(String, OrgNumber, bool)> = Vec::new();
    let mut seeded = Vec::with_capacity(records.len());
    for record in records {
        let key = record.key.clone();
        let checked = (|| {
            let (owner, unit) = match (&record.owner, &record.unit) {
                (Some(key), None) => (owner(key)?, None),
                (None, Some(org)) => {
                    let org = OrgNumber::parse(org)?;
                    let unit = units
                        .iter()
                        .find(|u| u.org_number == org)
                        .ok_or_else(|| anyhow!("unknown unit {org}"))?;
                    (unit.owner.clone(), Some(unit))
                }
                _ => bail!("give either an owner or a unit"),
            };
            let parent = match &record.parent {
                Some(parent) => Some(
                    keys.iter()
                        .position(|(key, of, is_unit)| key == parent && *of == owner && !is_unit)
                        .filter(|_| unit.is_some())
                        .ok_or_else(|| {
                            anyhow!(
                                "parent {parent:?} is not an earlier initiative of the unit's owner"
                            )
                        })?,
                ),
                None => None,
            };
            let content = record.content.checked()?;
            for code in &content.indicators {
                let indicator = indicators
                    .iter()
                    .find(|i| &i.code == code)
                    .ok_or_else(|| anyhow!("unknown indicator {code:?}"))?;
                if let Some(unit) = unit {
                    ensure!(
                        indicator.applies_to.contains(&unit.kind),
                        "{code} does not apply to {}",
                        unit.org_number
                    );
                }
            }
            for link in &content.criteria {
                frameworks
                    .iter()
                    .find(|f| f.code == link.framework)
                    .ok_or_else(|| anyhow!("unknown framework {:?}", link.framework))?
                    .content
                    .criterion(&link.criterion)?;
            }
            let evaluations = record
                .evaluations
                .into_iter()
                .map(|e| {
                    Ok(SeedEvaluation {
                        date: e.date,
                        judgement: Judgement::parse(&e.judgement)?,
                        text: checked_text("text", &e.text)?,
                        evaluated_by: e.evaluated_by,
                        recorded_at: e.recorded_at,
                    })
                })
                .collect::<Result<_>>()?;
            keys.push((record.key, owner.clone(), unit.is_some()));
            Ok(SeedInitiative {
                owner,
                unit: unit.map(|unit| unit.org_number.clone()),
                parent,
                status: InitiativeStatus::parse(&record.status)?,
                content,
                created_by: record.created_by,
                created_at: record.created_at,
                evaluations,
            })
        })()
        .with_context(|| format!("{FILE}, initiative {key:?}"))?;
        seeded.push(checked);
    }
    Ok(seeded)
}

/// The import sources and their rules (importregler): each rule names a known source, and an
/// indicator rule a known indicator.
fn import_sources(
    read: &dyn Fn(&str) -> Result<String>,
    indicators: &[SeedIndicator],
) -> Result<Vec<SeedImportSource>> {
    enum Rule {
        Indicator(String, String),
        Group(String, ValueGroup),
        Split(String, domain::Kommunenummer),
        Name(String, OrgNumber),
    }
    let mut sources = each(
        "import/sources.csv",
        records::<ImportSourceRecord>(read, "import/sources.csv")?,
        |r| {
            Ok(SeedImportSource {
                name: r.name,
                format: ImportFormat::parse(&r.format)?,
                description: r.description,
                school_year_rule: SchoolYearRule::parse(&r.school_year_rule)?,
                subjects: SubjectForms {
                    org_numbers: r.org_numbers,
                    kommunenummer: r.kommunenummer,
                    fylkesnummer: r.fylkesnummer,
                    nation_code: empty_to_none(r.nation_code),
                },
                indicators: Vec::new(),
                groups: Vec::new(),
                splits: Vec::new(),
                names: Vec::new(),
            })
        },
    )?;
    for (index, rule) in each(
        "import/rules.csv",
        records::<ImportRuleRecord>(read, "import/rules.csv")?,
        |r| {
            let index = sources
                .iter()
                .position(|source| source.name == r.source)
                .ok_or_else(|| anyhow!("unknown import source {:?}", r.source))?;
            let rule = match r.kind.as_str() {
                "indicator" => {
                    ensure!(
                        indicators.iter().any(|i| i.code == r.target),
                        "unknown indicator {:?}",
                        r.target
                    );
                    Rule::Indicator(r.source_code, r.target)
                }
                "group" => Rule::Group(r.source_code, ValueGroup::parse(&r.target)?),
                "split" => Rule::Split(
                    domain::Kommunenummer::parse(&r.source_code)?
                        .as_str()
                        .to_owned(),
                    domain::Kommunenummer::parse(&r.target)?,
                ),
                "name" => Rule::Name(r.source_code, OrgNumber::parse(&r.target)?),
                kind => bail!("rule kind {kind:?} is not one of: indicator group split name"),
            };
            Ok((index, rule))
        },
    )? {
        match rule {
            Rule::Indicator(code, indicator) => sources[index].indicators.push((code, indicator)),
            Rule::Group(label, group) => sources[index].groups.push((label, group)),
            Rule::Split(code, part) => sources[index].splits.push((code, part)),
            Rule::Name(name, org) => sources[index].names.push((name, org)),
        }
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_seeds_are_valid() {
        let data = demo().expect("demo seeds parse");
        assert!(data.owners.len() >= 5);
        assert!(data.values.len() > 1000);
        assert!(data.selections.iter().all(|s| !s.members.is_empty()));
        let parents: Vec<Option<usize>> = data.initiatives.iter().map(|i| i.parent).collect();
        assert_eq!(parents, [None, Some(0), None]);
    }

    #[test]
    fn an_initiative_with_an_unknown_parent_is_reported_with_its_key() {
        let read = |name: &str| -> Result<String> {
            let content = EMBEDDED
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, content)| (*content).to_owned())
                .ok_or_else(|| anyhow!("no {name}"))?;
            Ok(content.replace(
                "\"parent\": \"kongsberg-skolemiljo\"",
                "\"parent\": \"ukjent\"",
            ))
        };
        let error = format!("{:#}", parse(&read).unwrap_err());
        assert!(
            error.contains("initiative \"solvasen-friminutt\""),
            "{error}"
        );
        assert!(error.contains("parent \"ukjent\""), "{error}");
    }

    #[test]
    fn an_invalid_org_number_is_reported_with_file_and_line() {
        let files: HashMap<&str, String> = EMBEDDED
            .iter()
            .map(|(name, content)| (*name, (*content).to_owned()))
            .collect();
        let read = |name: &str| -> Result<String> {
            let content = files[name].clone();
            Ok(if name == "units.csv" {
                // Break the check digit of the first unit.
                let mut lines: Vec<String> = content.lines().map(str::to_owned).collect();
                let first = &mut lines[1];
                let digit = first.as_bytes()[8];
                let broken = if digit == b'9' {
                    '0'
                } else {
                    char::from(digit + 1)
                };
                first.replace_range(8..9, &broken.to_string());
                lines.join("\n")
            } else {
                content
            })
        };
        let error = format!("{:#}", parse(&read).unwrap_err());
        assert!(error.contains("units.csv line 2"), "{error}");
        assert!(error.contains("mod-11"), "{error}");
    }
}

#[derive(Deserialize)]
struct ExampleProcessRecord {
    title: String,
    #[serde(default)]
    description: String,
    meetings: Vec<crate::domain::MeetingContent>,
}

/// The national example processes of lærende møter, each meeting checked as `planMeeting`
/// checks it (examples carry no data references, times or participants: owners add those).
fn example_processes(read: &dyn Fn(&str) -> Result<String>) -> Result<Vec<SeedProcess>> {
    const FILE: &str = "meetings/examples.json";
    let records: Vec<ExampleProcessRecord> = serde_json::from_str(&read(FILE)?)
        .with_context(|| format!("{FILE} is not a list of example processes"))?;
    records
        .into_iter()
        .map(|record| {
            let meetings = record
                .meetings
                .into_iter()
                .map(|meeting| {
                    let meeting = meeting.checked()?;
                    if meeting.starts_at.is_some()
                        || !meeting.participants.is_empty()
                        || meeting.agenda.iter().any(|item| {
                            item.data.is_some()
                                || item.criterion.is_some()
                                || !item.images.is_empty()
                        })
                    {
                        return Err(anyhow!(
                            "an example meeting has no time, participants, data, criteria or images"
                        ));
                    }
                    Ok(meeting)
                })
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("{FILE}: process {:?}", record.title))?;
            Ok(SeedProcess {
                title: record.title,
                description: record.description,
                meetings,
            })
        })
        .collect()
}
