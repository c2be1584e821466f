//! Selections (utvalg): named sets of units for one school year.

use chrono::{DateTime, Utc};

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{DomainError, OwnerId, SchoolYear, Selection, SelectionId, SelectionScope};

const SELECTION_COLUMNS: &str = "selections.id, selections.name, selections.school_year, \
    selections.scope, selections.owner_id, selections.last_updated";

#[derive(sqlx::FromRow)]
struct SelectionRow {
    id: i64,
    name: String,
    school_year: i64,
    scope: String,
    owner_id: Option<i64>,
    last_updated: DateTime<Utc>,
}

impl TryFrom<SelectionRow> for Selection {
    type Error = DomainError;

    fn try_from(row: SelectionRow) -> Result<Self, DomainError> {
        Ok(Selection {
            id: SelectionId(row.id),
            name: row.name,
            school_year: SchoolYear::try_from(row.school_year)?,
            scope: SelectionScope::parse(&row.scope)?,
            owner_id: row.owner_id.map(OwnerId),
            last_updated: row.last_updated,
        })
    }
}

/// Filters for the selection list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SelectionFilter {
    pub school_year: Option<SchoolYear>,
    pub owner: Option<OwnerId>,
    pub scope: Option<SelectionScope>,
}

fn selections_from(rows: Vec<SelectionRow>) -> StoreResult<Vec<Selection>> {
    Ok(rows
        .into_iter()
        .map(Selection::try_from)
        .collect::<Result<_, _>>()?)
}

impl Store {
    pub async fn selections_page(
        &self,
        filter: &SelectionFilter,
        page: &Page,
    ) -> StoreResult<Vec<Selection>> {
        let mut conditions = Sql::default();
        if let Some(year) = filter.school_year {
            conditions
                .push(" AND selections.school_year = ")
                .bind(i64::from(year.start_year()));
        }
        if let Some(owner) = filter.owner {
            conditions.push(" AND selections.owner_id = ").bind(owner.0);
        }
        if let Some(scope) = filter.scope {
            conditions
                .push(" AND selections.scope = ")
                .bind(scope.as_str());
        }
        let query = PagedQuery {
            columns: SELECTION_COLUMNS,
            from: "selections",
            conditions,
            id: "selections.id",
            parent: None,
        };
        selections_from(self.fetch_all(query.build(page)).await?)
    }

    pub async fn selections_by_ids(&self, ids: &[SelectionId]) -> StoreResult<Vec<Selection>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(SELECTION_COLUMNS)
            .push(" FROM selections WHERE selections.id IN ");
        sql.bind_list(ids.iter().map(|id| id.0));
        selections_from(self.fetch_all(sql).await?)
    }
}
