//! Keyset pagination by id, for single lists and for many parents' lists in one statement.

use std::collections::HashMap;

use super::sql::Sql;

/// One page of a list ordered by id: rows after or before a cursor id, at most `limit` of them.
///
/// The store fetches `limit + 1` rows so that the caller can tell whether more exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: u32,
    /// Take the last `limit` rows (Relay's `last`) instead of the first.
    pub from_end: bool,
}

/// Where a paged list's rows come from: `columns` and `from` are constant SQL, `conditions` holds
/// the caller's filters (with bound values), `id` is the key ordered by and `parent` the column
/// that partitions the list by parent, when many parents' pages are fetched at once.
pub struct PagedQuery<'a> {
    pub columns: &'a str,
    pub from: &'a str,
    pub conditions: Sql,
    pub id: &'a str,
    pub parent: Option<&'a str>,
}

impl PagedQuery<'_> {
    /// Builds the statement. With a parent column, each parent gets its own page through
    /// `ROW_NUMBER() OVER (PARTITION BY parent ...)`, so one statement serves any number of parents.
    pub fn build(self, page: &Page) -> Sql {
        let direction = if page.from_end { "DESC" } else { "ASC" };
        let mut inner = Sql::new("SELECT ");
        inner.push(self.columns);
        if let Some(parent) = self.parent {
            inner.push(&format!(
                ", {parent} AS parent_id, ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {id} {direction}) AS page_rank",
                id = self.id
            ));
        }
        inner.push(" FROM ").push(self.from).push(" WHERE 1 = 1");
        inner.text.push_str(&self.conditions.text);
        // The caller's placeholders stay valid: nothing was bound before them.
        inner.params.extend(self.conditions.params);
        if let Some(after) = page.after {
            inner.push(&format!(" AND {} > ", self.id)).bind(after);
        }
        if let Some(before) = page.before {
            inner.push(&format!(" AND {} < ", self.id)).bind(before);
        }
        let fetch = i64::from(page.limit) + 1;
        match self.parent {
            None => {
                inner
                    .push(&format!(" ORDER BY {} {direction} LIMIT ", self.id))
                    .bind(fetch);
                inner
            }
            Some(_) => {
                let mut outer = Sql::new("SELECT * FROM (");
                outer.text.push_str(&inner.text);
                outer.params = inner.params;
                outer.push(") AS paged WHERE page_rank <= ").bind(fetch);
                outer.push(" ORDER BY parent_id, page_rank");
                outer
            }
        }
    }
}

/// Groups rows that carry their parent's id into per-parent lists, keeping their order.
pub fn group_by_parent<T>(rows: Vec<(i64, T)>) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for (parent, row) in rows {
        grouped.entry(parent).or_default().push(row);
    }
    grouped
}
