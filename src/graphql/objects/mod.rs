//! GraphQL object types. Each wraps a domain type; relations resolve through the request's
//! DataLoader, so a list of N objects costs the same statements as one.

mod access;
mod catalogue;
mod initiative;
mod owner;
mod quality;
mod selection;
mod unit;
mod value;

use std::sync::Arc;

use async_graphql::{Context, OutputType, dataloader::Loader};

pub use access::{Me, RoleGrant};
pub use catalogue::{DataSource, Indicator, SchoolYear};
pub(crate) use initiative::initiatives_connection;
pub use initiative::{Initiative, InitiativeChange, InitiativeEvaluation};
pub use owner::Owner;
pub use quality::{
    Assessment, AssessmentRevision, AssessmentVotes, CriterionOverview, LevelDistributionPoint,
    QualityFramework, QualityFrameworkVersion,
};
pub use selection::Selection;
pub use unit::Unit;
pub use value::IndicatorValue;

use super::{
    error::{ApiError, ApiResult},
    inputs::{MemberUnitFilterInput, ValueFilterInput},
    loaders::{ChildPage, IndicatorCode, RequestLoader, StoreLoader},
    paging::{self, Connection},
};
use crate::{
    auth::Principal,
    domain::SchoolYear as DomainSchoolYear,
    store::{Page, ScopedReader, Store, StoreError, UnitFilter, ValueFilter},
};

/// The request's loader (installed by [`super::GraphqlService::execute`]).
pub(crate) fn loader<'a>(ctx: &'a Context<'_>) -> &'a RequestLoader {
    ctx.data_unchecked::<RequestLoader>()
}

/// The store, for everything but values (installed by [`super::GraphqlService::execute`]: the
/// read replica's for a query when one is configured).
pub(crate) fn store<'a>(ctx: &'a Context<'_>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

/// The primary database, for query fields that write (a download link's signing key is made
/// on first use); [`store`] may be a read replica.
pub(crate) struct Primary(pub Store);

pub(crate) fn primary<'a>(ctx: &'a Context<'_>) -> &'a Store {
    &ctx.data_unchecked::<Primary>().0
}

/// The request's reader of values, bound to the caller's scope (installed by
/// [`super::GraphqlService::execute`]): the only way to read indicator values.
pub(crate) fn reader<'a>(ctx: &'a Context<'_>) -> &'a ScopedReader {
    ctx.data_unchecked::<ScopedReader>()
}

/// The caller of the request (installed by [`super::GraphqlService::execute`]).
pub(crate) fn principal<'a>(ctx: &'a Context<'_>) -> &'a Principal {
    ctx.data_unchecked::<Principal>()
}

/// The caller, who must be logged in `to` do what it asks (`UNAUTHENTICATED` otherwise).
pub(crate) fn logged_in<'a>(ctx: &'a Context<'_>, to: &str) -> ApiResult<&'a Principal> {
    let caller = principal(ctx);
    if caller.caller == crate::auth::Caller::Anonymous {
        return Err(ApiError::Unauthenticated(format!("log in to {to}")));
    }
    Ok(caller)
}

/// Loads one object by key through the request's loader.
pub(crate) async fn load_one<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<Option<V>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    StoreLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
{
    loader(ctx).load_one(key).await.map_err(ApiError::from)
}

/// Loads an object that a stored reference points to: missing means a broken reference, a fault
/// of the server (the details go to the log, never to the caller).
pub(crate) async fn load_reference<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<V>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    StoreLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
{
    load_one(ctx, key.clone())
        .await?
        .ok_or_else(|| StoreError::BrokenReference(format!("{key:?}")).into())
}

/// Loads one page of a parent's children through the request's loader.
pub(crate) async fn child_connection<P, F, V, N>(
    ctx: &Context<'_>,
    parent: P,
    filter: F,
    page: Page,
    id_of: impl Fn(&V) -> i64,
    wrap: impl Fn(V) -> N,
) -> ApiResult<Connection<N>>
where
    P: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    F: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    N: OutputType,
    StoreLoader: Loader<ChildPage<P, F>, Value = Vec<V>, Error = Arc<StoreError>>,
{
    let rows = load_one(
        ctx,
        ChildPage {
            parent,
            filter,
            page,
        },
    )
    .await?
    .unwrap_or_default();
    Ok(paging::connection(rows, &page, id_of, wrap))
}

/// One page of a parent's values (`values` on units, owners and selections), read through the
/// request's scoped reader (see [`crate::store::ScopedReader`]).
pub(crate) async fn values_connection<P>(
    ctx: &Context<'_>,
    parent: P,
    filter: Option<&ValueFilterInput>,
    (after, before, first, last): (Option<String>, Option<String>, Option<i32>, Option<i32>),
) -> ApiResult<Connection<IndicatorValue>>
where
    P: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    StoreLoader: Loader<
            ChildPage<P, ValueFilter>,
            Value = Vec<crate::domain::IndicatorValue>,
            Error = Arc<StoreError>,
        >,
{
    let filter = ValueFilterInput::resolve(ctx, filter).await?;
    let page = paging::page(after, before, first, last)?;
    let mut connection = child_connection(
        ctx,
        parent,
        filter,
        page,
        IndicatorValue::id_of,
        IndicatorValue::from,
    )
    .await?;
    // Look-ahead: when the selection asks for each value's indicator, load the page's
    // indicators now, in one batch, and hand each value its own. Left to the nodes, their loads
    // arrive over the time the list takes to resolve and split into many batches (issue 15: 13
    // indicator statements for one unit page of 432 values), and even from the cache each is a
    // loader call (a lock and a hash).
    if ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .field("indicator")
        .exists()
    {
        let indicators = load_indicators(
            ctx,
            connection.edges.iter().map(|edge| edge.node.0.indicator_id),
        )
        .await?;
        for edge in &mut connection.edges {
            if let Some(indicator) = indicators.get(&edge.node.0.indicator_id) {
                edge.node.with_indicator(indicator.clone());
            }
        }
    }
    Ok(connection)
}

/// Loads indicators in one batch (through the request's loader and its cache).
async fn load_indicators(
    ctx: &Context<'_>,
    ids: impl Iterator<Item = crate::domain::IndicatorId>,
) -> ApiResult<std::collections::HashMap<crate::domain::IndicatorId, Indicator>> {
    let ids: std::collections::HashSet<_> = ids.collect();
    Ok(loader(ctx)
        .load_many(ids)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|(id, indicator)| (id, Indicator::from(indicator)))
        .collect())
}

/// The indicators named by `codes` through the request's loader, by code; a code that names none
/// is left out (callers decide whether that is bad input or a broken reference).
pub(crate) async fn indicators_by_code(
    ctx: &Context<'_>,
    codes: &[String],
) -> ApiResult<std::collections::HashMap<String, crate::domain::Indicator>> {
    let found = loader(ctx)
        .load_many(codes.iter().cloned().map(IndicatorCode))
        .await
        .map_err(ApiError::from)?;
    Ok(found
        .into_iter()
        .map(|(code, indicator)| (code.0, indicator))
        .collect())
}

/// The indicators linked by `codes` (a criterion's, an initiative's), in their order.
pub(crate) async fn linked_indicators(
    ctx: &Context<'_>,
    codes: &[String],
) -> ApiResult<Vec<Indicator>> {
    let mut found = indicators_by_code(ctx, codes).await?;
    Ok(codes
        .iter()
        .filter_map(|code| found.remove(code))
        .map(Indicator::from)
        .collect())
}

/// The units of a parent (an owner's, an utvalg's members) under a filter, one page.
pub(crate) async fn member_units_connection<P>(
    ctx: &Context<'_>,
    parent: P,
    filter: Option<MemberUnitFilterInput>,
    (after, before, first, last): (Option<String>, Option<String>, Option<i32>, Option<i32>),
) -> ApiResult<Connection<Unit>>
where
    P: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    StoreLoader:
        Loader<ChildPage<P, UnitFilter>, Value = Vec<crate::domain::Unit>, Error = Arc<StoreError>>,
{
    let filter = filter.unwrap_or_default();
    let filter = UnitFilter {
        owner: None,
        kind: filter.kind.map(Into::into),
        school_year: filter.school_year.map(DomainSchoolYear::new).transpose()?,
    };
    let page = paging::page(after, before, first, last)?;
    child_connection(
        ctx,
        parent,
        filter,
        page,
        |unit: &crate::domain::Unit| unit.id.0,
        Unit,
    )
    .await
}
