//! Units (enheter): schools, kindergartens and arts schools.

use std::collections::HashMap;

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{
    DomainError, OrgNumber, OwnerId, SchoolStage, SchoolYear, SelectionId, Unit, UnitId, UnitKind,
};

const UNIT_COLUMNS: &str = "units.id, units.org_number, units.name, units.kind, units.stage, \
                            units.owner_id, units.active_from, units.active_to";

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    org_number: String,
    name: String,
    kind: String,
    stage: Option<String>,
    owner_id: i64,
    active_from: Option<i64>,
    active_to: Option<i64>,
}

/// The columns of [`UnitRow`] by position, for the analyses' thousands of units (read by name,
/// sqlx would look each column's name up in every row).
type UnitColumns = (
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

impl From<UnitColumns> for UnitRow {
    fn from(
        (id, org_number, name, kind, stage, owner_id, active_from, active_to): UnitColumns,
    ) -> Self {
        Self {
            id,
            org_number,
            name,
            kind,
            stage,
            owner_id,
            active_from,
            active_to,
        }
    }
}

fn school_year(stored: Option<i64>) -> Result<Option<SchoolYear>, DomainError> {
    stored.map(SchoolYear::try_from).transpose()
}

impl TryFrom<UnitRow> for Unit {
    type Error = DomainError;

    fn try_from(row: UnitRow) -> Result<Self, DomainError> {
        Ok(Unit {
            id: UnitId(row.id),
            org_number: OrgNumber::parse(&row.org_number)?,
            name: row.name,
            kind: UnitKind::parse(&row.kind)?,
            stage: row.stage.as_deref().map(SchoolStage::parse).transpose()?,
            owner_id: OwnerId(row.owner_id),
            active_from: school_year(row.active_from)?,
            active_to: school_year(row.active_to)?,
        })
    }
}

/// Filters for unit lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UnitFilter {
    pub owner: Option<OwnerId>,
    pub kind: Option<UnitKind>,
    /// Only units active in this school year.
    pub school_year: Option<SchoolYear>,
}

impl UnitFilter {
    fn conditions(&self) -> Sql {
        let mut sql = Sql::default();
        if let Some(owner) = self.owner {
            sql.push(" AND units.owner_id = ").bind(owner.0);
        }
        if let Some(kind) = self.kind {
            sql.push(" AND units.kind = ").bind(kind.as_str());
        }
        if let Some(year) = self.school_year {
            let year = i64::from(year.start_year());
            sql.push(" AND COALESCE(units.active_from, 0) <= ")
                .bind(year);
            sql.push(" AND COALESCE(units.active_to, 9999) >= ")
                .bind(year);
        }
        sql
    }
}

fn units_from(rows: Vec<UnitRow>) -> StoreResult<Vec<Unit>> {
    Ok(rows
        .into_iter()
        .map(Unit::try_from)
        .collect::<Result<_, _>>()?)
}

fn children_from<K: std::hash::Hash + Eq>(
    grouped: HashMap<i64, Vec<UnitRow>>,
    key: impl Fn(i64) -> K,
) -> StoreResult<HashMap<K, Vec<Unit>>> {
    grouped
        .into_iter()
        .map(|(parent, rows)| Ok((key(parent), units_from(rows)?)))
        .collect()
}

impl Store {
    pub async fn units_page(&self, filter: &UnitFilter, page: &Page) -> StoreResult<Vec<Unit>> {
        let query = PagedQuery {
            columns: UNIT_COLUMNS,
            from: "units",
            conditions: filter.conditions(),
            id: "units.id",
            parent: None,
        };
        units_from(self.fetch_all(query.build(page)).await?)
    }

    pub async fn units_by_ids(&self, ids: &[UnitId]) -> StoreResult<Vec<Unit>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(UNIT_COLUMNS)
            .push(" FROM units WHERE units.id IN ");
        sql.bind_list(ids.iter().map(|id| id.0));
        units_from(self.fetch_all(sql).await?)
    }

    pub async fn unit_by_org_number(&self, org_number: &OrgNumber) -> StoreResult<Option<Unit>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(UNIT_COLUMNS)
            .push(" FROM units WHERE units.org_number = ");
        sql.bind(org_number.as_str());
        self.fetch_optional::<UnitRow>(sql)
            .await?
            .map(Unit::try_from)
            .transpose()
            .map_err(Into::into)
    }

    /// One page of units for each owner, in one statement.
    pub async fn units_of_owners(
        &self,
        owners: &[OwnerId],
        filter: &UnitFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<Unit>>> {
        let mut conditions = filter.conditions();
        conditions
            .push(" AND units.owner_id IN ")
            .bind_list(owners.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: UNIT_COLUMNS,
            from: "units",
            conditions,
            id: "units.id",
            parent: Some("units.owner_id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, OwnerId)
    }

    /// One page of member units for each selection, in one statement.
    pub async fn units_of_selections(
        &self,
        selections: &[SelectionId],
        filter: &UnitFilter,
        page: &Page,
    ) -> StoreResult<HashMap<SelectionId, Vec<Unit>>> {
        let mut conditions = filter.conditions();
        conditions
            .push(" AND selection_members.selection_id IN ")
            .bind_list(selections.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: UNIT_COLUMNS,
            from: "units JOIN selection_members ON selection_members.unit_id = units.id",
            conditions,
            id: "units.id",
            parent: Some("selection_members.selection_id"),
        };
        children_from(self.fetch_children(query.build(page)).await?, SelectionId)
    }

    /// The units with the given organisasjonsnummer, in one statement.
    pub async fn units_by_org_numbers(&self, numbers: &[OrgNumber]) -> StoreResult<Vec<Unit>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        sql.push(UNIT_COLUMNS)
            .push(" FROM units WHERE units.org_number IN ")
            .bind_list(numbers.iter().map(OrgNumber::as_str));
        units_from(self.fetch_all(sql).await?)
    }

    /// Every unit of the given kinds, active or not, in one statement: the universe that
    /// aggregates, colour tables and trends are computed over.
    pub async fn units_of_kinds(&self, kinds: &[UnitKind]) -> StoreResult<Vec<Unit>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT ");
        sql.push(UNIT_COLUMNS)
            .push(" FROM units WHERE units.kind IN ")
            .bind_list(kinds.iter().map(|kind| kind.as_str()))
            .push(" ORDER BY units.id");
        let rows: Vec<UnitColumns> = self.fetch_all(sql).await?;
        units_from(rows.into_iter().map(UnitRow::from).collect())
    }

    /// The member units of each selection (ids only), in one statement.
    pub async fn selection_member_ids(
        &self,
        selections: &[SelectionId],
    ) -> StoreResult<HashMap<SelectionId, Vec<UnitId>>> {
        let mut members: HashMap<SelectionId, Vec<UnitId>> = HashMap::new();
        if selections.is_empty() {
            return Ok(members);
        }
        let mut sql =
            Sql::new("SELECT selection_id, unit_id FROM selection_members WHERE selection_id IN ");
        sql.bind_list(selections.iter().map(|id| id.0))
            .push(" ORDER BY selection_id, unit_id");
        for (selection, unit) in self.fetch_all::<(i64, i64)>(sql).await? {
            members
                .entry(SelectionId(selection))
                .or_default()
                .push(UnitId(unit));
        }
        Ok(members)
    }
}
