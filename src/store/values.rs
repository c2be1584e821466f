//! Indicator values (indikatorverdier) for units, owners and selections.

use std::collections::HashMap;

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{
    CountyNumber, DomainError, IndicatorId, IndicatorValue, OwnerId, RestrictedScope, SchoolYear,
    SelectionId, Sensitivity, Subject, SubjectLevel, UnitId, ValueAccess, ValueGroup, ValueId,
};

pub(super) const VALUE_COLUMNS: &str = "v.id, v.indicator_id, v.subject_level, v.unit_id, v.owner_id, \
    v.county_number, v.school_year, v.group_code, v.value, v.respondents, v.suppressed, v.complementary, \
    (SELECT s.suppression_threshold FROM indicators i JOIN data_sources s ON s.id = i.source_id \
     WHERE i.id = v.indicator_id) AS threshold";

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
/// owners' own values, and (national readers) values above unit level. Default deny.
/// `tests/api/isolation.rs` checks that it agrees with the pure rule for every seeded role.
fn readable_condition(sql: &mut Sql, scope: &RestrictedScope) {
    sql.push(
        " AND (v.indicator_id IN (SELECT i.id FROM indicators i JOIN data_sources s \
         ON s.id = i.source_id WHERE s.sensitivity = 'public')",
    );
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
            from: "indicator_values v",
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
            from: "indicator_values v",
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
            from: "indicator_values v \
                   JOIN selection_members m ON m.unit_id = v.unit_id \
                   JOIN selections s ON s.id = m.selection_id",
            conditions,
            id: "v.id",
            parent: Some("s.id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, SelectionId)
    }

    /// Every stored value of the indicators in the school years and group, at unit, owner and
    /// nation level, in one statement, for aggregates, colour tables and trends; each tagged with
    /// what `scope` may do with it, and those it may not use at all left out.
    pub(super) async fn values_for_analysis(
        &self,
        scope: &RestrictedScope,
        filter: &AnalysisFilter,
    ) -> StoreResult<Vec<(IndicatorValue, ValueAccess)>> {
        if filter.indicators.is_empty() || filter.school_years.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        sql.push(VALUE_COLUMNS)
            .push(
                ", (SELECT s.sensitivity FROM indicators i JOIN data_sources s \
                 ON s.id = i.source_id WHERE i.id = v.indicator_id) AS sensitivity, \
                 (SELECT u.owner_id FROM units u WHERE u.id = v.unit_id) AS unit_owner_id \
                 FROM indicator_values v WHERE v.indicator_id IN ",
            )
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
            .bind_list(
                [
                    SubjectLevel::Unit,
                    SubjectLevel::Owner,
                    SubjectLevel::Nation,
                ]
                .map(SubjectLevel::as_str),
            )
            .push(" ORDER BY v.id");
        let rows: Vec<AnalysisRow> = self.fetch_all(sql).await?;
        let mut values = Vec::with_capacity(rows.len());
        for row in rows {
            let restricted = Sensitivity::parse(&row.sensitivity)? == Sensitivity::Restricted;
            let unit_owner = row.unit_owner_id.map(OwnerId);
            let value = IndicatorValue::try_from(row.value)?;
            match scope.value_access(restricted, &value.subject, unit_owner) {
                ValueAccess::Denied => {}
                access => values.push((value, access)),
            }
        }
        Ok(values)
    }
}

/// A value with what the access rule needs to know about it.
#[derive(sqlx::FromRow)]
struct AnalysisRow {
    #[sqlx(flatten)]
    value: ValueRow,
    sensitivity: String,
    unit_owner_id: Option<i64>,
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
}
