//! Owners (skoleeiere) and their code history.

use std::collections::HashMap;

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{
    CountyNumber, DomainError, OrgNumber, Owner, OwnerCode, OwnerCodePeriod, OwnerId, OwnerKind,
};

const OWNER_COLUMNS: &str =
    "owners.id, owners.kind, owners.name, owners.org_number, owners.county_number";

#[derive(sqlx::FromRow)]
struct OwnerRow {
    id: i64,
    kind: String,
    name: String,
    org_number: Option<String>,
    county_number: Option<String>,
}

impl TryFrom<OwnerRow> for Owner {
    type Error = DomainError;

    fn try_from(row: OwnerRow) -> Result<Self, DomainError> {
        Ok(Owner {
            id: OwnerId(row.id),
            kind: OwnerKind::parse(&row.kind)?,
            name: row.name,
            org_number: row
                .org_number
                .as_deref()
                .map(OrgNumber::parse)
                .transpose()?,
            county_number: row
                .county_number
                .as_deref()
                .map(CountyNumber::parse)
                .transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CodeRow {
    owner_id: i64,
    code: String,
    valid_from: Option<i64>,
    valid_to: Option<i64>,
}

impl TryFrom<CodeRow> for OwnerCodePeriod {
    type Error = DomainError;

    fn try_from(row: CodeRow) -> Result<Self, DomainError> {
        let calendar_year = |stored: Option<i64>| {
            stored
                .map(|year| {
                    i32::try_from(year).map_err(|_| DomainError::InvalidYear(year.to_string()))
                })
                .transpose()
        };
        Ok(OwnerCodePeriod {
            owner_id: OwnerId(row.owner_id),
            code: row.code,
            valid_from: calendar_year(row.valid_from)?,
            valid_to: calendar_year(row.valid_to)?,
        })
    }
}

/// Filters for the owner list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OwnerFilter {
    pub kind: Option<OwnerKind>,
    pub county_number: Option<CountyNumber>,
}

fn owners_from(rows: Vec<OwnerRow>) -> StoreResult<Vec<Owner>> {
    Ok(rows
        .into_iter()
        .map(Owner::try_from)
        .collect::<Result<_, _>>()?)
}

impl Store {
    pub async fn owners_page(&self, filter: &OwnerFilter, page: &Page) -> StoreResult<Vec<Owner>> {
        let mut conditions = Sql::default();
        if let Some(kind) = filter.kind {
            conditions.push(" AND owners.kind = ").bind(kind.as_str());
        }
        if let Some(county) = &filter.county_number {
            conditions
                .push(" AND owners.county_number = ")
                .bind(county.as_str());
        }
        let query = PagedQuery {
            columns: OWNER_COLUMNS,
            from: "owners",
            conditions,
            id: "owners.id",
            parent: None,
        };
        owners_from(self.fetch_all(query.build(page)).await?)
    }

    pub async fn owners_by_ids(&self, ids: &[OwnerId]) -> StoreResult<Vec<Owner>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(OWNER_COLUMNS)
            .push(" FROM owners WHERE owners.id IN ");
        sql.bind_list(ids.iter().map(|id| id.0));
        owners_from(self.fetch_all(sql).await?)
    }

    /// Finds the owner that has (or had) `code`: a current kommunenummer, an earlier one from
    /// before a merger or renumbering, or a fylkesnummer. With `calendar_year`, only a code valid
    /// that year matches; without, the most recently valid holder of the code wins.
    pub async fn owner_by_code(
        &self,
        code: &OwnerCode,
        calendar_year: Option<i32>,
    ) -> StoreResult<Option<Owner>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(OWNER_COLUMNS)
            .push(" FROM owners JOIN owner_codes ON owner_codes.owner_id = owners.id WHERE owner_codes.code = ")
            .bind(code.as_str());
        if let Some(year) = calendar_year {
            sql.push(" AND COALESCE(owner_codes.valid_from, 0) <= ")
                .bind(i64::from(year));
            sql.push(" AND COALESCE(owner_codes.valid_to, 9999) >= ")
                .bind(i64::from(year));
        }
        sql.push(" ORDER BY COALESCE(owner_codes.valid_to, 9999) DESC LIMIT 1");
        self.fetch_optional::<OwnerRow>(sql)
            .await?
            .map(Owner::try_from)
            .transpose()
            .map_err(Into::into)
    }

    /// Every code each owner has had, oldest first.
    pub async fn owner_codes(
        &self,
        ids: &[OwnerId],
    ) -> StoreResult<HashMap<OwnerId, Vec<OwnerCodePeriod>>> {
        let mut sql = Sql::new(
            "SELECT owner_id, code, valid_from, valid_to FROM owner_codes WHERE owner_id IN ",
        );
        sql.bind_list(ids.iter().map(|id| id.0));
        sql.push(" ORDER BY owner_id, COALESCE(valid_from, 0), code");
        let mut codes: HashMap<OwnerId, Vec<OwnerCodePeriod>> = HashMap::new();
        for row in self.fetch_all::<CodeRow>(sql).await? {
            codes
                .entry(OwnerId(row.owner_id))
                .or_default()
                .push(OwnerCodePeriod::try_from(row)?);
        }
        Ok(codes)
    }
}
