//! Relay connection arguments to store pages, and store rows back to connections.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{CursorType, Edge, EmptyFields, PageInfo},
};

use super::{
    audit::AuditEntry,
    error::{ApiError, ApiResult},
    ids::IdCursor,
    imports::{ImportJob, ImportRecord, ImportRule},
    meeting::{Meeting, MeetingProcess},
    objects::{
        Assessment, AssessmentRevision, DataSource, Indicator, IndicatorValue, Initiative,
        InitiativeChange, InitiativeEvaluation, Owner, QualityFramework, QualityFrameworkVersion,
        Selection, Unit,
    },
};
use crate::store::Page;

/// Page size when the client gives neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 500;

/// A Relay connection: one page of a list (side), each item with the cursor to continue from.
///
/// Ours rather than async-graphql's `Connection`, which carries no schema description.
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "OwnerConnection", params(Owner)),
    concrete(name = "UnitConnection", params(Unit)),
    concrete(name = "SelectionConnection", params(Selection)),
    concrete(name = "IndicatorConnection", params(Indicator)),
    concrete(name = "DataSourceConnection", params(DataSource)),
    concrete(name = "IndicatorValueConnection", params(IndicatorValue)),
    concrete(name = "QualityFrameworkConnection", params(QualityFramework)),
    concrete(
        name = "QualityFrameworkVersionConnection",
        params(QualityFrameworkVersion)
    ),
    concrete(name = "AssessmentConnection", params(Assessment)),
    concrete(name = "AssessmentRevisionConnection", params(AssessmentRevision)),
    concrete(name = "InitiativeConnection", params(Initiative)),
    concrete(name = "InitiativeEvaluationConnection", params(InitiativeEvaluation)),
    concrete(name = "InitiativeChangeConnection", params(InitiativeChange)),
    concrete(name = "ImportRecordConnection", params(ImportRecord)),
    concrete(name = "ImportJobConnection", params(ImportJob)),
    concrete(name = "ImportRuleConnection", params(ImportRule)),
    concrete(name = "AuditEntryConnection", params(AuditEntry)),
    concrete(name = "MeetingProcessConnection", params(MeetingProcess)),
    concrete(name = "MeetingConnection", params(Meeting))
)]
pub struct Connection<N: OutputType> {
    /// The items of this page, in list order, each with its cursor.
    pub edges: Vec<Edge<IdCursor, N, EmptyFields>>,
    /// Whether pages exist before and after this one, and the cursors at its ends.
    pub page_info: PageInfo,
}

/// Turns Relay's `first`/`after`/`last`/`before` into a keyset page.
pub fn page(
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> ApiResult<Page> {
    let size = |name: &str, value: i32| {
        u32::try_from(value)
            .ok()
            .filter(|size| *size <= MAX_PAGE_SIZE)
            .ok_or_else(|| {
                ApiError::BadUserInput(format!("{name} must be between 0 and {MAX_PAGE_SIZE}"))
            })
    };
    let (limit, from_end) = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadUserInput(
                "give either first or last, not both".into(),
            ));
        }
        (Some(first), None) => (size("first", first)?, false),
        (None, Some(last)) => (size("last", last)?, true),
        (None, None) => (DEFAULT_PAGE_SIZE, false),
    };
    let cursor = |text: Option<String>| {
        text.map(|text| IdCursor::decode_cursor(&text).map(|cursor| cursor.0))
            .transpose()
    };
    Ok(Page {
        after: cursor(after)?,
        before: cursor(before)?,
        limit,
        from_end,
    })
}

/// Builds a connection from the `limit + 1` rows the store fetched for `page`.
pub fn connection<T, N: OutputType>(
    mut rows: Vec<T>,
    page: &Page,
    id_of: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> Connection<N> {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    if page.from_end {
        rows.reverse();
    }
    let (has_previous_page, has_next_page) = if page.from_end {
        (more, page.before.is_some())
    } else {
        (page.after.is_some(), more)
    };
    let edges: Vec<Edge<IdCursor, N, EmptyFields>> = rows
        .into_iter()
        .map(|row| Edge::new(IdCursor(id_of(&row)), node(row)))
        .collect();
    let page_info = PageInfo {
        has_previous_page,
        has_next_page,
        start_cursor: edges.first().map(|edge| edge.cursor.encode_cursor()),
        end_cursor: edges.last().map(|edge| edge.cursor.encode_cursor()),
    };
    Connection { edges, page_info }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_and_is_capped() {
        assert_eq!(
            page(None, None, None, None).unwrap().limit,
            DEFAULT_PAGE_SIZE
        );
        assert!(page(None, None, Some(501), None).is_err());
        assert!(page(None, None, Some(-1), None).is_err());
        assert!(page(None, None, Some(1), Some(1)).is_err());
        assert!(page(Some("junk".into()), None, None, None).is_err());
    }

    #[test]
    fn an_extra_row_means_another_page() {
        let page = page(None, None, Some(2), None).unwrap();
        let connection = connection(vec![1_i64, 2, 3], &page, |id| *id, |id| id as i32);
        assert!(connection.page_info.has_next_page && !connection.page_info.has_previous_page);
        assert_eq!(connection.edges.len(), 2);
    }

    #[test]
    fn last_reads_backwards_and_returns_rows_in_order() {
        let page = page(None, None, None, Some(2)).unwrap();
        let connection = connection(vec![9_i64, 8, 7], &page, |id| *id, |id| id as i32);
        let nodes: Vec<i32> = connection.edges.iter().map(|edge| edge.node).collect();
        assert_eq!(nodes, [8, 9]);
        assert!(connection.page_info.has_previous_page);
    }
}
