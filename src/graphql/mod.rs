//! The GraphQL layer: schema, objects, loaders and the mapping of errors to `extensions.code`.
//! It knows the store and the domain, and nothing of HTTP.

mod analysis;
mod enums;
mod error;
mod field_order;
mod ids;
mod inputs;
mod loaders;
mod mutation;
mod objects;
mod paging;
mod query;

use async_graphql::{
    EmptySubscription, Request, Response, Schema,
    dataloader::{DataLoader, HashMapCache},
};

pub use error::{ApiError, ApiResult, ErrorCode, INTERNAL_MESSAGE, error_body};
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use crate::{
    auth::Principal,
    store::{self, ScopedReader, Store},
};
use loaders::StoreLoader;
use mutation::Mutation;
use query::Query;

/// Deepest selection nesting a query may have: generous for real dashboards, small enough that
/// a hostile query cannot fan out without bound.
const MAX_DEPTH: usize = 16;
/// Upper bound on a query's complexity (roughly, the number of fields it may resolve per page).
const MAX_COMPLEXITY: usize = 20_000;

pub type VardeSchema = Schema<Query, Mutation, EmptySubscription>;

/// Executes GraphQL requests against the store.
#[derive(Clone)]
pub struct GraphqlService {
    schema: VardeSchema,
    store: Store,
}

fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// How a request ended, as the GraphQL-over-HTTP layer needs to know it.
pub struct Outcome {
    pub response: Response,
    /// True when the request failed before execution (parse, validation, variables): the
    /// response then carries no `data`.
    pub is_request_error: bool,
}

impl GraphqlService {
    pub fn new(store: Store) -> Self {
        let schema = schema_builder().data(store.clone()).finish();
        Self { schema, store }
    }

    /// Executes one request for `principal` with a fresh set of loaders, and gives every error an
    /// `extensions.code`.
    pub async fn execute(&self, request: Request, principal: Principal) -> Outcome {
        // A cache per request: an object loaded once is not loaded again by a later field, and
        // nothing cached outlives the request or crosses to another caller.
        let reader = ScopedReader::new(self.store.clone(), principal.grants.restricted_scope());
        let loader: loaders::RequestLoader = DataLoader::with_cache(
            StoreLoader::new(self.store.clone(), reader.clone()),
            tokio::spawn,
            HashMapCache::default(),
        );
        let query = request.query.clone();
        let operation_name = request.operation_name.clone();
        let request = request.data(loader).data(reader).data(principal);
        let mut response = self.schema.execute(request).await;
        field_order::restore_query_order(&mut response.data, &query, operation_name.as_deref());
        // Field errors always have a path; errors without one were raised before execution.
        let is_request_error = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|error| error.path.is_empty());
        set_error_codes(&mut response.errors);
        Outcome {
            response,
            is_request_error,
        }
    }
}

/// Gives every error its `extensions.code`, and logs each internal failure once, with the path of
/// the first field it reached: fields that waited on the same failed batch share one error.
fn set_error_codes(errors: &mut [async_graphql::ServerError]) {
    let mut logged: Vec<*const store::StoreError> = Vec::new();
    for error in errors {
        let code = match error.source::<ApiError>() {
            Some(api_error) => {
                if let ApiError::Internal(cause) = api_error
                    && !logged.contains(&std::sync::Arc::as_ptr(cause))
                {
                    logged.push(std::sync::Arc::as_ptr(cause));
                    let path: Vec<String> = error
                        .path
                        .iter()
                        .map(|segment| match segment {
                            async_graphql::PathSegment::Field(name) => name.clone(),
                            async_graphql::PathSegment::Index(index) => index.to_string(),
                        })
                        .collect();
                    tracing::error!(error = %cause, path = %path.join("."), "a GraphQL field failed");
                }
                api_error.code()
            }
            None if error.path.is_empty() => ErrorCode::GraphqlValidationFailed,
            None => {
                tracing::error!(message = %error.message, "a GraphQL field failed without a Varde error");
                ErrorCode::Internal
            }
        };
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", code.as_str());
    }
}
