//! Imports (issue 17): import sources and their rules (importregler), what imported codes resolve
//! against, and the plan that applies an import (see `import_staging` for the transaction it
//! runs in): an idempotent upsert that keeps every replaced value as history.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{
    Page, Param, Sql, Store, StoreResult,
    owners::CodeRow,
    page::PagedQuery,
    seed::{ROWS_PER_STATEMENT, RestrictedUnitValue, complementary, inserts},
};
use crate::domain::{
    CountyNumber, DomainError, ImportFormat, ImportLogEntry, ImportSource, ImportSourceId,
    IndicatorId, IndicatorValue, KommuneChange, Kommunenummer, NamedUnit, OrgNumber,
    OwnerCodePeriod, OwnerId, SchoolYear, SchoolYearRule, Subject, SubjectForms, UnitId,
    ValueGroup, ValueId,
};
use chrono::{DateTime, NaiveDate, Utc};

/// Everything imported codes are looked up in, read once per import.
#[derive(Debug, Clone, Default)]
pub struct ImportTargets {
    pub units: HashMap<OrgNumber, UnitId>,
    /// Every unit with its name and owner, for schools named only by name.
    pub named_units: Vec<NamedUnit>,
    /// Owners by their own organisasjonsnummer.
    pub owners: HashMap<OrgNumber, OwnerId>,
    /// Every kommunenummer and fylkesnummer each owner has had.
    pub owner_codes: Vec<OwnerCodePeriod>,
    pub counties: HashSet<CountyNumber>,
    /// Indicators by code.
    pub indicators: HashMap<String, IndicatorId>,
    /// SSB's KLASS 131 change table (kommuner).
    pub kommune_changes: Vec<KommuneChange>,
}

impl ImportTargets {
    /// The owners that are kommuner: those that have or had a kommunenummer.
    pub fn municipalities(&self) -> HashSet<OwnerId> {
        self.owner_codes
            .iter()
            .filter(|period| period.code.len() == 4)
            .map(|period| period.owner_id)
            .collect()
    }
}

/// The identity of a value: at most one stored row has it.
pub type ValueKey = (IndicatorId, Subject, SchoolYear, ValueGroup);

/// One value an import writes, resolved to stored ids.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportValue {
    pub indicator: IndicatorId,
    pub subject: Subject,
    pub school_year: SchoolYear,
    pub group: ValueGroup,
    /// `None` when missing or suppressed.
    pub value: Option<f64>,
    pub respondents: Option<i64>,
    /// Suppressed (prikket) at the source.
    pub suppressed: bool,
}

impl ImportValue {
    pub fn key(&self) -> ValueKey {
        (
            self.indicator,
            self.subject.clone(),
            self.school_year,
            self.group,
        )
    }

    /// Whether the stored value already says what this one says.
    fn same_as(&self, stored: &IndicatorValue) -> bool {
        self.value == stored.value
            && self.respondents == stored.respondents
            && self.suppressed == stored.suppressed_at_source
    }
}

/// Who imported which file of which source, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub source: ImportSourceId,
    pub file_name: String,
    /// SHA-256 of the file, in lowercase hex.
    pub checksum: String,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

/// What an import did (or, in a dry run, would do) to the stored values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The writes an import makes, decided from the stored values before anything is written.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub(super) counts: ImportCounts,
    /// New values, each with its complementary-suppression flag.
    inserts: Vec<(ImportValue, bool)>,
    /// Stored values replaced by a corrected file.
    updates: Vec<(ValueId, ImportValue)>,
    /// Stored values whose complementary-suppression flag changes.
    flags: Vec<(ValueId, bool)>,
}

/// Decides the writes: each incoming value is new, changed or unchanged against `stored` (the
/// stored values of the same indicators and school years), and complementary suppression is
/// decided again, with the seeds' rule, over every unit value of a restricted indicator (those in
/// `restricted`, with their threshold) in the affected indicators and school years as they will be.
pub(super) fn plan(
    stored: Vec<IndicatorValue>,
    incoming: Vec<ImportValue>,
    restricted: &HashMap<IndicatorId, i64>,
) -> Plan {
    let affected: HashSet<(IndicatorId, SchoolYear)> = incoming
        .iter()
        .map(|value| (value.indicator, value.school_year))
        .collect();
    let stored: Vec<IndicatorValue> = stored
        .into_iter()
        .filter(|value| affected.contains(&(value.indicator_id, value.school_year)))
        .collect();
    let by_key: HashMap<ValueKey, usize> = stored
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let key = (
                value.indicator_id,
                value.subject.clone(),
                value.school_year,
                value.group,
            );
            (key, index)
        })
        .collect();
    let mut plan = Plan::default();
    // What each stored value will say: its own content, or its replacement's.
    let mut replaced: HashMap<usize, ImportValue> = HashMap::new();
    let mut new = Vec::new();
    for value in incoming {
        match by_key.get(&value.key()) {
            None => new.push(value),
            Some(&index) if value.same_as(&stored[index]) => plan.counts.unchanged += 1,
            Some(&index) => {
                replaced.insert(index, value);
            }
        }
    }
    /// A value as complementary suppression weighs it, by where it will be written.
    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    enum Slot {
        Stored(usize),
        New(usize),
    }
    let restricted_unit_value = |value: &ImportValue| {
        let Subject::Unit(unit) = value.subject else {
            return None;
        };
        let threshold = *restricted.get(&value.indicator)?;
        Some(RestrictedUnitValue {
            family: (value.indicator, unit, value.school_year),
            threshold,
            group: value.group,
            value: value.value,
            respondents: value.respondents,
            suppressed: value.suppressed,
        })
    };
    let will_be: Vec<(Slot, ImportValue)> = stored
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let value = replaced
                .get(&index)
                .cloned()
                .unwrap_or_else(|| as_import(value));
            (Slot::Stored(index), value)
        })
        .chain(
            new.iter()
                .enumerate()
                .map(|(index, value)| (Slot::New(index), value.clone())),
        )
        .collect();
    let hidden = complementary(
        will_be
            .iter()
            .filter_map(|(slot, value)| Some((*slot, restricted_unit_value(value)?))),
    );
    for (index, value) in stored.iter().enumerate() {
        let flag = hidden.contains(&Slot::Stored(index));
        if flag != value.complementary {
            plan.flags.push((value.id, flag));
        }
    }
    plan.counts.inserted = new.len() as u64;
    plan.inserts = new
        .into_iter()
        .enumerate()
        .map(|(index, value)| (value, hidden.contains(&Slot::New(index))))
        .collect();
    plan.counts.updated = replaced.len() as u64;
    let mut updates: Vec<(ValueId, ImportValue)> = replaced
        .into_iter()
        .map(|(index, value)| (stored[index].id, value))
        .collect();
    updates.sort_by_key(|(id, _)| *id);
    plan.updates = updates;
    plan
}

/// What a stored value says, as an import would give it.
pub(super) fn as_import(value: &IndicatorValue) -> ImportValue {
    ImportValue {
        indicator: value.indicator_id,
        subject: value.subject.clone(),
        school_year: value.school_year,
        group: value.group,
        value: value.value,
        respondents: value.respondents,
        suppressed: value.suppressed_at_source,
    }
}

/// The stored columns of an imported value, in table order: indicator, subject (level, unit,
/// owner, county), school year, group, value, respondents, suppressed.
pub(super) fn value_params(value: &ImportValue) -> Vec<Param> {
    let mut params = vec![Param::Int(value.indicator.0)];
    params.extend(subject_params(&value.subject));
    params.extend([
        Param::Int(i64::from(value.school_year.start_year())),
        Param::Text(value.group.code()),
        Param::Float(value.value),
        Param::OptionalInt(value.respondents),
        Param::Bool(value.suppressed),
    ]);
    params
}

/// The stored columns of a value's subject: level, unit, owner, county.
pub(super) fn subject_params(subject: &Subject) -> [Param; 4] {
    let (level, unit, owner, county) = match subject {
        Subject::Unit(unit) => ("unit", Some(unit.0), None, None),
        Subject::Owner(owner) => ("owner", None, Some(owner.0), None),
        Subject::County(number) => ("county", None, None, Some(number.as_str())),
        Subject::Nation => ("nation", None, None, None),
    };
    [
        Param::from(level),
        Param::OptionalInt(unit),
        Param::OptionalInt(owner),
        Param::from(county),
    ]
}

/// `head` + `(ids)` + `tail` for each chunk of `ids`.
fn per_id_chunk(head: &str, tail: &str, ids: &[i64]) -> Vec<Sql> {
    ids.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut sql = Sql::new(head);
            sql.bind_list(chunk.iter().copied()).push(tail);
            sql
        })
        .collect()
}

impl Plan {
    pub(super) fn changes_anything(&self) -> bool {
        !self.inserts.is_empty() || !self.updates.is_empty() || !self.flags.is_empty()
    }

    /// Every statement that applies the plan for the import `import_id`, in order.
    pub(super) fn statements(&self, import_id: i64, now: DateTime<Utc>) -> Vec<Sql> {
        let mut statements = Vec::new();
        let years: BTreeSet<i64> = self
            .inserts
            .iter()
            .map(|(value, _)| i64::from(value.school_year.start_year()))
            .collect();
        for year in years {
            let mut sql = Sql::new("INSERT INTO school_years (year) SELECT ");
            sql.bind(year)
                .push(" WHERE NOT EXISTS (SELECT 1 FROM school_years WHERE year = ")
                .bind(year)
                .push(")");
            statements.push(sql);
        }
        let updated: Vec<i64> = self.updates.iter().map(|(id, _)| id.0).collect();
        for chunk in updated.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "INSERT INTO indicator_value_history (value_id, value, respondents, suppressed, \
                 replaced_by) SELECT id, value, respondents, suppressed, ",
            );
            sql.bind(import_id)
                .push(" FROM indicator_values WHERE id IN ")
                .bind_list(chunk.iter().copied())
                .push(" ORDER BY id");
            statements.push(sql);
        }
        for (id, value) in &self.updates {
            let mut sql = Sql::new("UPDATE indicator_values SET value = ");
            sql.bind(value.value)
                .push(", respondents = ")
                .bind(value.respondents)
                .push(", suppressed = ")
                .bind(value.suppressed)
                .push(" WHERE id = ")
                .bind(id.0);
            statements.push(sql);
        }
        for flag in [true, false] {
            let ids: Vec<i64> = self
                .flags
                .iter()
                .filter(|(_, hidden)| *hidden == flag)
                .map(|(id, _)| id.0)
                .collect();
            let head = if flag {
                "UPDATE indicator_values SET complementary = TRUE WHERE id IN "
            } else {
                "UPDATE indicator_values SET complementary = FALSE WHERE id IN "
            };
            statements.extend(per_id_chunk(head, "", &ids));
        }
        statements.extend(inserts(
            "INSERT INTO indicator_values (indicator_id, subject_level, unit_id, owner_id, \
             county_number, school_year, group_code, value, respondents, suppressed, complementary) ",
            "",
            self.inserts
                .iter()
                .map(|(value, hidden)| {
                    let mut row = value_params(value);
                    row.push(Param::Bool(*hidden));
                    row
                })
                .collect(),
        ));
        statements.extend(self.last_updated(now));
        statements
    }

    /// Marks the data sources of the changed values, and the selections they belong to, as
    /// updated `now`: a selection of the value's school year that holds its unit, is its owner's,
    /// or (for county and national values) is national.
    fn last_updated(&self, now: DateTime<Utc>) -> Vec<Sql> {
        let changed: Vec<&ImportValue> = self
            .inserts
            .iter()
            .map(|(value, _)| value)
            .chain(self.updates.iter().map(|(_, value)| value))
            .collect();
        if changed.is_empty() {
            return Vec::new();
        }
        let indicators: BTreeSet<i64> = changed.iter().map(|value| value.indicator.0).collect();
        let mut statements = Vec::new();
        let mut sql = Sql::new("UPDATE data_sources SET last_updated = ");
        sql.bind(now)
            .push(" WHERE id IN (SELECT source_id FROM indicators WHERE id IN ")
            .bind_list(indicators)
            .push(")");
        statements.push(sql);
        let mut by_year: HashMap<SchoolYear, (BTreeSet<i64>, BTreeSet<i64>, bool)> = HashMap::new();
        for value in changed {
            let (units, owners, national) = by_year.entry(value.school_year).or_default();
            match &value.subject {
                Subject::Unit(unit) => {
                    units.insert(unit.0);
                }
                Subject::Owner(owner) => {
                    owners.insert(owner.0);
                }
                Subject::County(_) | Subject::Nation => *national = true,
            }
        }
        for (year, (units, owners, national)) in by_year {
            let year = i64::from(year.start_year());
            let units: Vec<i64> = units.into_iter().collect();
            let owners: Vec<i64> = owners.into_iter().collect();
            if national {
                let mut sql = Sql::new("UPDATE selections SET last_updated = ");
                sql.bind(now)
                    .push(" WHERE scope = 'national' AND school_year = ")
                    .bind(year);
                statements.push(sql);
            }
            for (column, ids) in [
                (
                    "id IN (SELECT selection_id FROM selection_members WHERE unit_id IN ",
                    &units,
                ),
                ("(owner_id IN ", &owners),
            ] {
                for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                    let mut sql = Sql::new("UPDATE selections SET last_updated = ");
                    sql.bind(now)
                        .push(" WHERE school_year = ")
                        .bind(year)
                        .push(" AND ")
                        .push(column)
                        .bind_list(chunk.iter().copied())
                        .push(")");
                    statements.push(sql);
                }
            }
        }
        statements
    }
}

#[derive(sqlx::FromRow)]
struct ImportSourceRow {
    id: i64,
    name: String,
    format: String,
    description: String,
    school_year_rule: String,
    org_numbers: bool,
    kommunenummer: bool,
    fylkesnummer: bool,
    nation_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ImportLogRow {
    id: i64,
    source: String,
    file_name: String,
    checksum: String,
    imported_by: String,
    imported_at: DateTime<Utc>,
    applied: bool,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
}

/// The import log summed per source and outcome, for the metrics page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportTotals {
    pub source: String,
    /// Applied, or refused with rejected rows (nothing written).
    pub applied: bool,
    pub imports: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

#[derive(sqlx::FromRow)]
struct KommuneChangeRow {
    old_code: String,
    old_name: String,
    new_code: String,
    new_name: String,
    change_occurred: NaiveDate,
}

impl TryFrom<KommuneChangeRow> for KommuneChange {
    type Error = DomainError;

    fn try_from(row: KommuneChangeRow) -> Result<Self, DomainError> {
        Ok(Self {
            old_code: Kommunenummer::parse(&row.old_code)?,
            old_name: row.old_name,
            new_code: Kommunenummer::parse(&row.new_code)?,
            new_name: row.new_name,
            occurred: row.change_occurred,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    kind: String,
    source_code: String,
    target: String,
}

impl Store {
    /// The import source named `name`, with its rules.
    pub async fn import_source(&self, name: &str) -> StoreResult<Option<ImportSource>> {
        let mut sql = Sql::new(
            "SELECT id, name, format, description, school_year_rule, org_numbers, kommunenummer, \
             fylkesnummer, nation_code FROM import_sources WHERE name = ",
        );
        sql.bind(name);
        let Some(row) = self.fetch_optional::<ImportSourceRow>(sql).await? else {
            return Ok(None);
        };
        let mut sql =
            Sql::new("SELECT kind, source_code, target FROM import_rules WHERE source_id = ");
        sql.bind(row.id).push(" ORDER BY id");
        let mut source = ImportSource {
            id: ImportSourceId(row.id),
            name: row.name,
            format: ImportFormat::parse(&row.format)?,
            description: row.description,
            school_year_rule: SchoolYearRule::parse(&row.school_year_rule)?,
            subjects: SubjectForms {
                org_numbers: row.org_numbers,
                kommunenummer: row.kommunenummer,
                fylkesnummer: row.fylkesnummer,
                nation_code: row.nation_code,
            },
            indicators: HashMap::new(),
            groups: HashMap::new(),
            splits: HashMap::new(),
            names: HashMap::new(),
        };
        for rule in self.fetch_all::<RuleRow>(sql).await? {
            match rule.kind.as_str() {
                "indicator" => {
                    source.indicators.insert(rule.source_code, rule.target);
                }
                "group" => {
                    source
                        .groups
                        .insert(rule.source_code, ValueGroup::parse(&rule.target)?);
                }
                "split" => {
                    source
                        .splits
                        .insert(rule.source_code, Kommunenummer::parse(&rule.target)?);
                }
                "name" => {
                    source
                        .names
                        .insert(rule.source_code, OrgNumber::parse(&rule.target)?);
                }
                kind => {
                    return Err(DomainError::UnknownVariant {
                        kind: "import rule kind",
                        value: kind.to_owned(),
                        allowed: "indicator group split name",
                    }
                    .into());
                }
            }
        }
        Ok(Some(source))
    }

    /// The names of every import source, for messages.
    pub async fn import_source_names(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = self
            .fetch_all(Sql::new("SELECT name FROM import_sources ORDER BY name"))
            .await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// The units, owners, codes, counties and indicators imported codes resolve against.
    pub async fn import_targets(&self) -> StoreResult<ImportTargets> {
        let by_org = |rows: Vec<(String, i64)>| -> StoreResult<Vec<(OrgNumber, i64)>> {
            rows.into_iter()
                .map(|(org, id)| Ok((OrgNumber::parse(&org)?, id)))
                .collect()
        };
        let unit_rows: Vec<(String, i64, String, i64)> = self
            .fetch_all(Sql::new(
                "SELECT org_number, id, name, owner_id FROM units ORDER BY id",
            ))
            .await?;
        let named_units = unit_rows
            .into_iter()
            .map(|(org, id, name, owner)| {
                Ok(NamedUnit {
                    id: UnitId(id),
                    org_number: OrgNumber::parse(&org)?,
                    name,
                    owner: OwnerId(owner),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let owners = by_org(
            self.fetch_all(Sql::new(
                "SELECT org_number, id FROM owners WHERE org_number IS NOT NULL",
            ))
            .await?,
        )?;
        let codes: Vec<CodeRow> = self
            .fetch_all(Sql::new(
                "SELECT owner_id, code, valid_from, valid_to FROM owner_codes ORDER BY id",
            ))
            .await?;
        let counties: Vec<(String,)> = self
            .fetch_all(Sql::new("SELECT county_number FROM counties"))
            .await?;
        let indicators: Vec<(String, i64)> = self
            .fetch_all(Sql::new("SELECT code, id FROM indicators"))
            .await?;
        let changes: Vec<KommuneChangeRow> = self
            .fetch_all(Sql::new(
                "SELECT old_code, old_name, new_code, new_name, change_occurred \
                 FROM kommune_changes ORDER BY id",
            ))
            .await?;
        Ok(ImportTargets {
            units: named_units
                .iter()
                .map(|unit| (unit.org_number.clone(), unit.id))
                .collect(),
            named_units,
            kommune_changes: changes
                .into_iter()
                .map(KommuneChange::try_from)
                .collect::<Result<_, _>>()?,
            owners: owners
                .into_iter()
                .map(|(org, id)| (org, OwnerId(id)))
                .collect(),
            owner_codes: codes
                .into_iter()
                .map(OwnerCodePeriod::try_from)
                .collect::<Result<_, _>>()?,
            counties: counties
                .into_iter()
                .map(|(number,)| CountyNumber::parse(&number))
                .collect::<Result<_, _>>()?,
            indicators: indicators
                .into_iter()
                .map(|(code, id)| (code, IndicatorId(id)))
                .collect(),
        })
    }

    /// One page of the import log, oldest first.
    pub async fn imports_page(&self, page: &Page) -> StoreResult<Vec<ImportLogEntry>> {
        let query = PagedQuery {
            columns: "imports.id, import_sources.name AS source, imports.file_name, \
                      imports.checksum, imports.imported_by, imports.imported_at, imports.applied, \
                      imports.inserted, imports.updated, imports.unchanged, imports.rejected",
            from: "imports JOIN import_sources ON import_sources.id = imports.source_id",
            conditions: Sql::default(),
            id: "imports.id",
            parent: None,
        };
        let rows: Vec<ImportLogRow> = self.fetch_all(query.build(page)).await?;
        Ok(rows
            .into_iter()
            .map(|row| ImportLogEntry {
                id: row.id,
                source: row.source,
                file_name: row.file_name,
                checksum: row.checksum,
                imported_by: row.imported_by,
                imported_at: row.imported_at,
                applied: row.applied,
                inserted: row.inserted,
                updated: row.updated,
                unchanged: row.unchanged,
                rejected: row.rejected,
            })
            .collect())
    }

    /// One page of the rules of the import source named `source`, in the order they were
    /// added: (id, kind, source code, target).
    pub async fn import_rules_page(
        &self,
        source: &str,
        page: &Page,
    ) -> StoreResult<Vec<(i64, String, String, String)>> {
        let mut conditions = Sql::new(" AND import_sources.name = ");
        conditions.bind(source);
        let query = PagedQuery {
            columns: "import_rules.id, import_rules.kind, import_rules.source_code, \
                      import_rules.target",
            from: "import_rules JOIN import_sources ON import_sources.id = import_rules.source_id",
            conditions,
            id: "import_rules.id",
            parent: None,
        };
        self.fetch_all(query.build(page)).await
    }

    /// Adds the rule of source `source` that reads `source_code` of `kind` (`indicator` or
    /// `group`) as `target`, or changes the target of the one there is. `None` when there is no
    /// such source. The caller checks the target.
    pub async fn set_import_rule(
        &self,
        source: &str,
        kind: &str,
        source_code: &str,
        target: &str,
    ) -> StoreResult<Option<()>> {
        let Some(source_id) = self.import_source_id(source).await? else {
            return Ok(None);
        };
        let mut sql = Sql::new("INSERT INTO import_rules (source_id, kind, source_code, target) ");
        sql.bind_rows([vec![
            Param::Int(source_id),
            Param::from(kind),
            Param::from(source_code),
            Param::from(target),
        ]])
        .push(" ON CONFLICT (source_id, kind, source_code) DO UPDATE SET target = excluded.target");
        self.execute_in_transaction(vec![sql]).await?;
        Ok(Some(()))
    }

    /// Removes a rule; answers whether there was one. `None` when there is no such source.
    pub async fn remove_import_rule(
        &self,
        source: &str,
        kind: &str,
        source_code: &str,
    ) -> StoreResult<Option<bool>> {
        let Some(source_id) = self.import_source_id(source).await? else {
            return Ok(None);
        };
        let mut sql = Sql::new("DELETE FROM import_rules WHERE source_id = ");
        sql.bind(source_id)
            .push(" AND kind = ")
            .bind(kind)
            .push(" AND source_code = ")
            .bind(source_code)
            .push(" RETURNING id");
        let removed: Vec<(i64,)> = self.fetch_all(sql).await?;
        Ok(Some(!removed.is_empty()))
    }

    async fn import_source_id(&self, name: &str) -> StoreResult<Option<i64>> {
        let mut sql = Sql::new("SELECT id FROM import_sources WHERE name = ");
        sql.bind(name);
        Ok(self.fetch_optional::<(i64,)>(sql).await?.map(|(id,)| id))
    }

    /// Every logged import (from any process, the CLI's too) summed per source and outcome.
    pub async fn import_totals(&self) -> StoreResult<Vec<ImportTotals>> {
        self.fetch_all(Sql::new(
            "SELECT import_sources.name AS source, imports.applied, COUNT(*) AS imports, \
             CAST(SUM(imports.inserted) AS BIGINT) AS inserted, \
             CAST(SUM(imports.updated) AS BIGINT) AS updated, \
             CAST(SUM(imports.unchanged) AS BIGINT) AS unchanged, \
             CAST(SUM(imports.rejected) AS BIGINT) AS rejected \
             FROM imports JOIN import_sources ON import_sources.id = imports.source_id \
             GROUP BY import_sources.name, imports.applied ORDER BY import_sources.name",
        ))
        .await
    }

    /// Records an import that was refused because `rejected` rows were wrong; no value is written.
    pub async fn record_refused_import(&self, run: &ImportRun, rejected: u64) -> StoreResult<()> {
        self.execute_in_transaction(vec![record(run, false, ImportCounts::default(), rejected)])
            .await
    }
}

/// The statement that records an import and returns its id.
pub(super) fn record(run: &ImportRun, applied: bool, counts: ImportCounts, rejected: u64) -> Sql {
    let count = |value: u64| Param::Int(i64::try_from(value).unwrap_or(i64::MAX));
    let mut sql = Sql::new(
        "INSERT INTO imports (source_id, file_name, checksum, imported_by, imported_at, applied, \
         inserted, updated, unchanged, rejected) ",
    );
    sql.bind_rows([vec![
        Param::Int(run.source.0),
        Param::from(run.file_name.as_str()),
        Param::from(run.checksum.as_str()),
        Param::from(run.imported_by.as_str()),
        Param::Time(run.imported_at),
        Param::Bool(applied),
        count(counts.inserted),
        count(counts.updated),
        count(counts.unchanged),
        count(rejected),
    ]])
    .push(" RETURNING id");
    sql
}
