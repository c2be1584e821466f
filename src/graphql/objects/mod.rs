//! GraphQL object types. Each wraps a domain type; relations resolve through the request's
//! DataLoader, so a list of N objects costs the same statements as one.

mod access;
mod catalogue;
mod owner;
mod selection;
mod unit;
mod value;

use std::sync::Arc;

use async_graphql::{Context, OutputType, dataloader::Loader};

pub use access::{Me, RoleGrant};
pub use catalogue::{DataSource, Indicator, SchoolYear};
pub use owner::Owner;
pub use selection::Selection;
pub use unit::Unit;
pub use value::IndicatorValue;

use super::{
    error::{ApiError, ApiResult},
    loaders::{ChildPage, IndicatorCode, RequestLoader, StoreLoader},
    paging::{self, Connection},
};
use crate::{
    auth::Principal,
    domain::{SchoolYear as DomainSchoolYear, ValueGroup},
    store::{Page, StoreError, ValueFilter},
};

/// The request's loader (installed by [`super::request_loader`]).
pub(crate) fn loader<'a>(ctx: &'a Context<'_>) -> &'a RequestLoader {
    ctx.data_unchecked::<RequestLoader>()
}

/// The caller of the request (installed by [`super::GraphqlService::execute`]).
pub(crate) fn principal<'a>(ctx: &'a Context<'_>) -> &'a Principal {
    ctx.data_unchecked::<Principal>()
}

/// Loads one object by key through the request's loader.
pub(crate) async fn load_one<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<Option<V>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    StoreLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
{
    loader(ctx).load_one(key).await.map_err(ApiError::from)
}

/// Loads an object that a stored reference points to: missing means a broken reference.
pub(crate) async fn load_reference<K, V>(ctx: &Context<'_>, key: K) -> ApiResult<V>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    StoreLoader: Loader<K, Value = V, Error = Arc<StoreError>>,
{
    let missing = format!("referenced {key:?} does not exist");
    load_one(ctx, key)
        .await?
        .ok_or_else(|| ApiError::NotFound(missing))
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

/// One page of a parent's values (`values` on units, owners and selections): the filter from the
/// field's arguments, the page from its Relay arguments `(after, before, first, last)`.
pub(crate) async fn values_connection<P>(
    ctx: &Context<'_>,
    parent: P,
    indicators: Option<Vec<String>>,
    school_years: Option<Vec<i32>>,
    group: Option<String>,
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
    let filter = value_filter(ctx, indicators, school_years, group).await?;
    let page = paging::page(after, before, first, last)?;
    child_connection(
        ctx,
        parent,
        filter,
        page,
        IndicatorValue::id_of,
        IndicatorValue,
    )
    .await
}

/// Checks school-year arguments.
pub(crate) fn school_years(years: Option<Vec<i32>>) -> ApiResult<Vec<DomainSchoolYear>> {
    let mut years = years
        .unwrap_or_default()
        .into_iter()
        .map(DomainSchoolYear::new)
        .collect::<Result<Vec<_>, _>>()?;
    years.sort();
    years.dedup();
    Ok(years)
}

/// Builds a value filter from the arguments of a `values` field. Indicator codes are checked
/// against the catalogue, so that a misspelt code is an error rather than an empty list.
pub(crate) async fn value_filter(
    ctx: &Context<'_>,
    indicators: Option<Vec<String>>,
    years: Option<Vec<i32>>,
    group: Option<String>,
) -> ApiResult<ValueFilter> {
    let mut indicator_codes = indicators.unwrap_or_default();
    indicator_codes.sort();
    indicator_codes.dedup();
    if !indicator_codes.is_empty() {
        let known = loader(ctx)
            .load_many(indicator_codes.iter().cloned().map(IndicatorCode))
            .await
            .map_err(ApiError::from)?;
        if let Some(unknown) = indicator_codes
            .iter()
            .find(|code| !known.contains_key(&IndicatorCode((*code).clone())))
        {
            return Err(ApiError::BadUserInput(format!(
                "unknown indicator code {unknown:?}; the `indicators` query lists them"
            )));
        }
    }
    Ok(ValueFilter {
        restricted: principal(ctx).grants.restricted_scope(),
        indicator_codes,
        school_years: school_years(years)?,
        group: group.as_deref().map(ValueGroup::parse).transpose()?,
    })
}
