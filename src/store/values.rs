//! Indicator values (indikatorverdier) for units, owners and selections.

use std::collections::HashMap;

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{
    CountyNumber, DomainError, IndicatorId, IndicatorValue, OwnerId, RestrictedScope, SchoolYear,
    SelectionId, Sensitivity, Subject, SubjectLevel, UnitId, UnitKind, ValueAccess, ValueGroup,
    ValueId,
};

/// A value's own columns, without its source's threshold.
macro_rules! value_columns {
    () => {
        "v.id, v.indicator_id, v.subject_level, v.unit_id, v.owner_id, v.county_number, \
         v.school_year, v.group_code, v.value, v.respondents, v.suppressed, v.complementary"
    };
}

/// A value with its source's threshold, from the joins of [`VALUE_FROM`].
pub(super) const VALUE_COLUMNS: &str = concat!(
    value_columns!(),
    ", value_source.suppression_threshold AS threshold"
);

/// A value joined to its source, for [`VALUE_COLUMNS`] and the readable condition (a join, where
/// a subquery in the select list would run once per row).
macro_rules! value_from {
    () => {
        "indicator_values v \
         JOIN indicators value_indicator ON value_indicator.id = v.indicator_id \
         JOIN data_sources value_source ON value_source.id = value_indicator.source_id"
    };
}
pub(super) const VALUE_FROM: &str = value_from!();

/// A value with its source's threshold and sensitivity and its unit's owner, from the joins of
/// [`ANALYSIS_FROM`]: an analysis reads tens of thousands of values, where a subquery per row
/// costs more than the join.
const ANALYSIS_COLUMNS: &str = concat!(
    value_columns!(),
    ", s.suppression_threshold AS threshold, s.sensitivity, u.owner_id AS unit_owner_id"
);

/// The joins [`ANALYSIS_COLUMNS`] read from.
const ANALYSIS_FROM: &str = " FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id \
     JOIN data_sources s ON s.id = i.source_id LEFT JOIN units u ON u.id = v.unit_id";

#[derive(sqlx::FromRow)]
pub(super) struct ValueRow {
    id: i64,
    indicator_id: i64,
    subject_level: String,
    unit_id: Option<i64>,
    owner_id: Option<i64>,
    county_number: Option<String>,
    school_year: i64,
    group_code: String,
    value: Option<f64>,
    respondents: Option<i64>,
    suppressed: bool,
    complementary: bool,
    threshold: i64,
}

impl TryFrom<ValueRow> for IndicatorValue {
    type Error = DomainError;

    fn try_from(row: ValueRow) -> Result<Self, DomainError> {
        let inconsistent = || DomainError::UnknownVariant {
            kind: "subject",
            value: format!("{} without its reference", row.subject_level),
            allowed: "unit, owner, county, nation with the matching id",
        };
        let subject = match SubjectLevel::parse(&row.subject_level)? {
            SubjectLevel::Unit => Subject::Unit(UnitId(row.unit_id.ok_or_else(inconsistent)?)),
            SubjectLevel::Owner => Subject::Owner(OwnerId(row.owner_id.ok_or_else(inconsistent)?)),
            SubjectLevel::County => Subject::County(CountyNumber::parse(
                row.county_number.as_deref().ok_or_else(inconsistent)?,
            )?),
            SubjectLevel::Nation => Subject::Nation,
        };
        Ok(IndicatorValue {
            id: ValueId(row.id),
            indicator_id: IndicatorId(row.indicator_id),
            subject,
            school_year: SchoolYear::try_from(row.school_year)?,
            group: ValueGroup::parse(&row.group_code)?,
            value: row.value,
            respondents: row.respondents,
            suppressed_at_source: row.suppressed,
            complementary: row.complementary,
            threshold: row.threshold,
        })
    }
}

/// Filters for value lists; empty lists mean "all". The caller's scope is not part of it: only a
/// [`super::ScopedReader`], bound to one scope, runs value queries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ValueFilter {
    /// Indicator codes (e.g. `eu_trivsel`).
    pub indicator_codes: Vec<String>,
    pub school_years: Vec<SchoolYear>,
    pub group: Option<ValueGroup>,
}

impl ValueFilter {
    fn conditions(&self, scope: &RestrictedScope) -> Sql {
        let mut sql = Sql::default();
        readable_condition(&mut sql, scope);
        if !self.indicator_codes.is_empty() {
            sql.push(" AND v.indicator_id IN (SELECT id FROM indicators WHERE code IN ")
                .bind_list(self.indicator_codes.iter().map(String::as_str))
                .push(")");
        }
        if !self.school_years.is_empty() {
            sql.push(" AND v.school_year IN ").bind_list(
                self.school_years
                    .iter()
                    .map(|year| i64::from(year.start_year())),
            );
        }
        if let Some(group) = &self.group {
            sql.push(" AND v.group_code = ").bind(group.code());
        }
        sql
    }
}

/// The values [`RestrictedScope::value_access`] gives [`ValueAccess::Read`], as SQL: public
/// values, plus the restricted ones the scope opens: its units' values, its owners' units' and
/// owners' own values, and (national readers) values above unit level. Default deny. It reads
/// the value's source from the joins of [`VALUE_FROM`]. `tests/api/isolation.rs` checks that it agrees with the pure rule for every seeded role.
fn readable_condition(sql: &mut Sql, scope: &RestrictedScope) {
    sql.push(" AND (value_source.sensitivity = 'public'");
    if !scope.units.is_empty() {
        sql.push(" OR v.unit_id IN ")
            .bind_list(scope.units.iter().map(|unit| unit.0));
    }
    if !scope.owners.is_empty() {
        let owners: Vec<i64> = scope.owners.iter().map(|owner| owner.0).collect();
        sql.push(" OR v.owner_id IN ")
            .bind_list(owners.iter().copied());
        sql.push(" OR v.unit_id IN (SELECT id FROM units WHERE owner_id IN ")
            .bind_list(owners)
            .push(")");
    }
    if scope.all_aggregates {
        sql.push(" OR v.subject_level <> 'unit'");
    }
    sql.push(")");
}

fn children_from<K: std::hash::Hash + Eq>(
    grouped: HashMap<i64, Vec<ValueRow>>,
    key: impl Fn(i64) -> K,
) -> StoreResult<HashMap<K, Vec<IndicatorValue>>> {
    grouped
        .into_iter()
        .map(|(parent, rows)| {
            let values = rows
                .into_iter()
                .map(IndicatorValue::try_from)
                .collect::<Result<_, _>>()?;
            Ok((key(parent), values))
        })
        .collect()
}

impl Store {
    /// One page of values for each unit, in one statement.
    pub(super) async fn values_of_units(
        &self,
        scope: &RestrictedScope,
        units: &[UnitId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<IndicatorValue>>> {
        let mut conditions = filter.conditions(scope);
        conditions
            .push(" AND v.unit_id IN ")
            .bind_list(units.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: VALUE_COLUMNS,
            from: VALUE_FROM,
            conditions,
            id: "v.id",
            parent: Some("v.unit_id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, UnitId)
    }

    /// One page of the values published for each owner itself, in one statement.
    pub(super) async fn values_of_owners(
        &self,
        scope: &RestrictedScope,
        owners: &[OwnerId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<IndicatorValue>>> {
        let mut conditions = filter.conditions(scope);
        conditions
            .push(" AND v.owner_id IN ")
            .bind_list(owners.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: VALUE_COLUMNS,
            from: VALUE_FROM,
            conditions,
            id: "v.id",
            parent: Some("v.owner_id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, OwnerId)
    }

    /// One page of member-unit values for each selection, in one statement. Without a school-year
    /// filter, a selection's values are those of its own school year.
    pub(super) async fn values_of_selections(
        &self,
        scope: &RestrictedScope,
        selections: &[SelectionId],
        filter: &ValueFilter,
        page: &Page,
    ) -> StoreResult<HashMap<SelectionId, Vec<IndicatorValue>>> {
        let mut conditions = filter.conditions(scope);
        if filter.school_years.is_empty() {
            conditions.push(" AND v.school_year = s.school_year");
        }
        conditions
            .push(" AND s.id IN ")
            .bind_list(selections.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: VALUE_COLUMNS,
            from: concat!(
                value_from!(),
                " JOIN selection_members m ON m.unit_id = v.unit_id \
                 JOIN selections s ON s.id = m.selection_id"
            ),
            conditions,
            id: "v.id",
            parent: Some("s.id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, SelectionId)
    }

    /// Every value of the group of everyone, of `indicators`, published for the units and for
    /// the owners themselves, every school year, in one statement, each tagged with what `scope`
    /// may do with it (see [`with_access`]): what the latest actual values of initiatives (and
    /// their snapshots) are picked from, so that a value the caller may not read is known as such.
    pub(super) async fn values_of_subjects(
        &self,
        scope: &RestrictedScope,
        units: &[UnitId],
        owners: &[OwnerId],
        indicators: &[IndicatorId],
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        if indicators.is_empty() || (units.is_empty() && owners.is_empty()) {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        sql.push(ANALYSIS_COLUMNS)
            .push(ANALYSIS_FROM)
            .push(" WHERE v.group_code = ")
            .bind(ValueGroup::ALL.code())
            .push(" AND v.indicator_id IN ")
            .bind_list(indicators.iter().map(|id| id.0))
            .push(" AND (1 = 0");
        if !units.is_empty() {
            sql.push(" OR (v.subject_level = 'unit' AND v.unit_id IN ")
                .bind_list(units.iter().map(|id| id.0))
                .push(")");
        }
        if !owners.is_empty() {
            sql.push(" OR (v.subject_level = 'owner' AND v.owner_id IN ")
                .bind_list(owners.iter().map(|id| id.0))
                .push(")");
        }
        sql.push(") ORDER BY v.id");
        with_access(self.fetch_all(sql).await?, scope)
    }

    /// The stored values an analysis of `filter` uses, at unit, owner and nation level, for
    /// aggregates, colour tables and trends; each tagged with what `scope` may do with it, and
    /// those it may not use at all left out.
    ///
    /// With `filter.owners` given, in two statements instead of one over the whole country: first
    /// the published owner and national values, then unit values only where they are needed, i.e.
    /// the given owners' units, and every unit of an indicator whose national figure Varde must
    /// compute itself: one published by the source is used as it is (`Dataset::aggregate`), so
    /// only an indicator without a published national value for some school year asked, or a
    /// restricted one (complementary suppression decides over every owner), needs them all.
    pub(super) async fn values_for_analysis(
        &self,
        scope: &RestrictedScope,
        filter: &AnalysisFilter,
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        Ok(self
            .analysis_values(scope, filter)
            .await?
            .into_iter()
            .map(|(value, access, _)| (value, access))
            .collect())
    }

    /// The values of several analyses (one list per filter, each exactly what
    /// [`Self::values_for_analysis`] answers for it), read in the statements of one analysis per
    /// group: those of the filters' union, each value then kept for the filters that read it.
    pub(super) async fn values_for_analyses(
        &self,
        scope: &RestrictedScope,
        filters: &[AnalysisFilter],
    ) -> StoreResult<Vec<Vec<(IndicatorValue, ValueAccess)>>> {
        let mut answers = vec![Vec::new(); filters.len()];
        let mut groups: Vec<ValueGroup> = filters.iter().map(|filter| filter.group).collect();
        groups.sort_by_key(|group| group.code());
        groups.dedup();
        for group in groups {
            let of_group: Vec<usize> = (0..filters.len())
                .filter(|&index| filters[index].group == group)
                .collect();
            let union = AnalysisFilter::union(of_group.iter().map(|&index| &filters[index]), group);
            let values = self.analysis_values(scope, &union).await?;
            for index in of_group {
                let filter = &filters[index];
                let every_unit_of = filter.every_unit_of(values.iter().map(|(value, ..)| value));
                answers[index] = values
                    .iter()
                    .filter(|(value, _, unit_owner)| {
                        filter.reads(value, *unit_owner, &every_unit_of)
                    })
                    .map(|(value, access, _)| (value.clone(), *access))
                    .collect();
            }
        }
        Ok(answers)
    }

    /// [`Self::values_for_analysis`], each value with its unit's owner (for unit values).
    async fn analysis_values(
        &self,
        scope: &RestrictedScope,
        filter: &AnalysisFilter,
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess, Option<OwnerId>)>> {
        if filter.indicators.is_empty() || filter.school_years.is_empty() {
            return Ok(Vec::new());
        }
        let Some(owners) = &filter.owners else {
            return self
                .analysis_rows(
                    scope,
                    filter,
                    |sql| {
                        if !filter.unit_kinds.is_empty() {
                            sql.push(" AND (v.subject_level <> ")
                                .bind(SubjectLevel::Unit.as_str())
                                .push(" OR ");
                            unit_of_kinds(sql, &filter.unit_kinds);
                            sql.push(")");
                        }
                    },
                    &ANALYSIS_LEVELS,
                )
                .await;
        };
        let mut values = self
            .analysis_rows(
                scope,
                filter,
                |sql| {
                    sql.push(" AND (v.subject_level = ")
                        .bind(SubjectLevel::Nation.as_str())
                        .push(" OR v.owner_id IN ")
                        .bind_list(owners.iter().map(|owner| owner.0))
                        .push(")");
                },
                &[SubjectLevel::Owner, SubjectLevel::Nation],
            )
            .await?;
        let every_unit_of: Vec<i64> = filter
            .every_unit_of(values.iter().map(|(value, ..)| value))
            .into_iter()
            .map(|indicator| indicator.0)
            .collect();
        if owners.is_empty() && every_unit_of.is_empty() {
            return Ok(values);
        }
        let units = self
            .analysis_rows(
                scope,
                filter,
                |sql| {
                    // Each condition only when it can hold, so that the planner sees a plain
                    // path: the owners' units, or the indicators' rows.
                    sql.push(" AND (");
                    if !owners.is_empty() {
                        sql.push("u.owner_id IN ")
                            .bind_list(owners.iter().map(|owner| owner.0));
                    }
                    if !owners.is_empty() && !every_unit_of.is_empty() {
                        sql.push(" OR ");
                    }
                    if !every_unit_of.is_empty() {
                        sql.push("v.indicator_id IN ")
                            .bind_list(every_unit_of.iter().copied());
                    }
                    sql.push(")");
                    if !filter.unit_kinds.is_empty() {
                        sql.push(" AND ");
                        unit_of_kinds(sql, &filter.unit_kinds);
                    }
                },
                &[SubjectLevel::Unit],
            )
            .await?;
        values.extend(units);
        Ok(values)
    }

    /// The values of `filter`'s indicators, school years and group (every group of its
    /// restricted indicators) at `levels`, narrowed by the conditions `narrow` adds.
    async fn analysis_rows(
        &self,
        scope: &RestrictedScope,
        filter: &AnalysisFilter,
        narrow: impl FnOnce(&mut Sql),
        levels: &[SubjectLevel],
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess, Option<OwnerId>)>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(ANALYSIS_COLUMNS)
            .push(ANALYSIS_FROM)
            .push(" WHERE v.indicator_id IN ")
            .bind_list(filter.indicators.iter().map(|id| id.0))
            .push(" AND v.school_year IN ")
            .bind_list(
                filter
                    .school_years
                    .iter()
                    .map(|year| i64::from(year.start_year())),
            )
            .push(" AND (v.group_code = ")
            .bind(filter.group.code());
        if !filter.every_group_of.is_empty() {
            sql.push(" OR v.indicator_id IN ")
                .bind_list(filter.every_group_of.iter().map(|id| id.0));
        }
        sql.push(") AND v.subject_level IN ")
            .bind_list(levels.iter().map(|level| level.as_str()));
        narrow(&mut sql);
        sql.push(" ORDER BY v.id");
        let mut values = with_access_and_owner(self.fetch_all(sql).await?, scope)?;
        values.retain(|(_, access, _)| *access != ValueAccess::Denied);
        Ok(values)
    }
}

/// The condition that a value's unit (`u` in [`ANALYSIS_FROM`]) is of one of `kinds`.
fn unit_of_kinds(sql: &mut Sql, kinds: &[UnitKind]) {
    sql.push("u.kind IN ")
        .bind_list(kinds.iter().map(|kind| kind.as_str()));
}

/// The levels an analysis reads values at.
const ANALYSIS_LEVELS: [SubjectLevel; 3] = [
    SubjectLevel::Unit,
    SubjectLevel::Owner,
    SubjectLevel::Nation,
];

/// Each value with what `scope` may do with it ([`RestrictedScope::value_access`]). A value the
/// caller may not use at all keeps only that it exists: its number and `n` are dropped here.
fn with_access(
    rows: Vec<AnalysisColumns>,
    scope: &RestrictedScope,
) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
    Ok(with_access_and_owner(rows, scope)?
        .into_iter()
        .map(|(value, access, _)| (value, access))
        .collect())
}

/// [`with_access`], each value with its unit's owner (for unit values).
fn with_access_and_owner(
    rows: Vec<AnalysisColumns>,
    scope: &RestrictedScope,
) -> StoreResult<Vec<(IndicatorValue, ValueAccess, Option<OwnerId>)>> {
    rows.into_iter()
        .map(AnalysisRow::from)
        .map(|row| {
            let restricted = Sensitivity::parse(&row.sensitivity)? == Sensitivity::Restricted;
            let unit_owner = row.unit_owner_id.map(OwnerId);
            let mut value = IndicatorValue::try_from(row.value)?;
            let access = scope.value_access(restricted, &value.subject, unit_owner);
            if access == ValueAccess::Denied {
                value.value = None;
                value.respondents = None;
            }
            Ok((value, access, unit_owner))
        })
        .collect()
}

/// A value with what the access rule needs to know about it.
struct AnalysisRow {
    value: ValueRow,
    sensitivity: String,
    unit_owner_id: Option<i64>,
}

/// The columns of [`ANALYSIS_COLUMNS`] by position. An analysis reads thousands of rows, and
/// read by name sqlx would look each column's name up in every row.
type AnalysisColumns = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    String,
    Option<f64>,
    Option<i64>,
    bool,
    bool,
    i64,
    String,
    Option<i64>,
);

impl From<AnalysisColumns> for AnalysisRow {
    fn from(
        (
            id,
            indicator_id,
            subject_level,
            unit_id,
            owner_id,
            county_number,
            school_year,
            group_code,
            value,
            respondents,
            suppressed,
            complementary,
            threshold,
            sensitivity,
            unit_owner_id,
        ): AnalysisColumns,
    ) -> Self {
        Self {
            value: ValueRow {
                id,
                indicator_id,
                subject_level,
                unit_id,
                owner_id,
                county_number,
                school_year,
                group_code,
                value,
                respondents,
                suppressed,
                complementary,
                threshold,
            },
            sensitivity,
            unit_owner_id,
        }
    }
}

/// Which values an analysis (aggregate, colour table, trend) reads: indicators x school years in
/// one group, and in every group for the indicators listed in `every_group_of` (restricted ones,
/// whose groups complementary suppression must see together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisFilter {
    pub indicators: Vec<IndicatorId>,
    pub school_years: Vec<SchoolYear>,
    pub group: ValueGroup,
    pub every_group_of: Vec<IndicatorId>,
    /// The owners whose figures (their own aggregates, their units' values) the analysis shows;
    /// `None` for every owner. Other owners' unit values are read only where a national figure
    /// needs them.
    pub owners: Option<Vec<OwnerId>>,
    /// The kinds of unit whose values the analysis reads: those its indicators apply to (a
    /// value of another kind of unit counts in no figure, and leaving them out lets the database
    /// read only, say, an owner's schools instead of all its units); empty for every kind.
    pub unit_kinds: Vec<UnitKind>,
}

impl AnalysisFilter {
    /// The filter that reads everything each of `filters` (all of `group`) reads.
    fn union<'a>(filters: impl Iterator<Item = &'a AnalysisFilter>, group: ValueGroup) -> Self {
        let mut union = Self {
            indicators: Vec::new(),
            school_years: Vec::new(),
            group,
            every_group_of: Vec::new(),
            owners: Some(Vec::new()),
            unit_kinds: Vec::new(),
        };
        for filter in filters {
            union.indicators.extend(&filter.indicators);
            union.school_years.extend(&filter.school_years);
            union.every_group_of.extend(&filter.every_group_of);
            union.unit_kinds.extend(&filter.unit_kinds);
            union.owners = match (union.owners, &filter.owners) {
                (Some(mut owners), Some(more)) => {
                    owners.extend(more);
                    Some(owners)
                }
                _ => None,
            };
        }
        union.indicators.sort();
        union.indicators.dedup();
        union.school_years.sort();
        union.school_years.dedup();
        union.every_group_of.sort();
        union.every_group_of.dedup();
        union.unit_kinds.sort_by_key(|kind| kind.as_str());
        union.unit_kinds.dedup();
        if let Some(owners) = &mut union.owners {
            owners.sort();
            owners.dedup();
        }
        union
    }

    /// The indicators whose every unit value the analysis reads (when `owners` is given): a
    /// restricted one (complementary suppression decides over every owner), or one without a
    /// published national value (among `published`) for some school year asked, whose national
    /// figure Varde computes itself.
    fn every_unit_of<'a>(
        &self,
        published: impl Iterator<Item = &'a IndicatorValue> + Clone,
    ) -> Vec<IndicatorId> {
        self.indicators
            .iter()
            .copied()
            .filter(|&indicator| {
                self.every_group_of.contains(&indicator)
                    || self.school_years.iter().any(|&year| {
                        !published.clone().any(|value| {
                            value.subject == Subject::Nation
                                && value.indicator_id == indicator
                                && value.school_year == year
                                && value.group == self.group
                        })
                    })
            })
            .collect()
    }

    /// Whether this analysis reads `value` (of a unit owned by `unit_owner`), given the
    /// indicators it reads every unit of: what its own statements would have selected.
    fn reads(
        &self,
        value: &IndicatorValue,
        unit_owner: Option<OwnerId>,
        every_unit_of: &[IndicatorId],
    ) -> bool {
        let shown = match (&self.owners, &value.subject) {
            (None, Subject::Unit(_) | Subject::Owner(_) | Subject::Nation) => true,
            (Some(_), Subject::Nation) => true,
            (Some(owners), Subject::Owner(owner)) => owners.contains(owner),
            (Some(owners), Subject::Unit(_)) => {
                unit_owner.is_some_and(|owner| owners.contains(&owner))
                    || every_unit_of.contains(&value.indicator_id)
            }
            (_, Subject::County(_)) => false,
        };
        shown
            && self.indicators.contains(&value.indicator_id)
            && self.school_years.contains(&value.school_year)
            && (value.group == self.group || self.every_group_of.contains(&value.indicator_id))
    }
}
