//! The GraphQL layer: schema, objects, loaders and the mapping of errors to `extensions.code`.
//! It knows the store and the domain, and nothing of HTTP.

mod analysis;
mod audit;
mod documents;
mod enums;
mod error;
mod export;
mod field_order;
mod ids;
mod imports;
mod initiative;
mod inputs;
mod limits;
mod live;
mod loaders;
mod meeting;
mod mutation;
mod objects;
mod paging;
mod persisted;
mod quality;
mod query;

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use async_graphql::{
    Request, Response, Schema,
    dataloader::{DataLoader, HashMapCache},
    parser::types::DocumentOperations,
};

pub use error::{ApiError, ApiResult, ErrorCode, INTERNAL_MESSAGE, error_body};
pub use export::{ExportKind, ExportPage, ExportRefusal, ExportRequest};
pub use limits::{QueryLimits, Violation};
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use persisted::{MAX_PERSISTED_QUERIES, PersistedQueryError};

use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::{
    auth::Principal,
    store::{self, ScopedReader, Store},
};
use futures_util::{Stream, StreamExt};
use live::Subscription;
use loaders::StoreLoader;
use mutation::Mutation;
use query::Query;

pub type VardeSchema = Schema<Query, Mutation, Subscription>;

/// Executes GraphQL requests against the store.
#[derive(Clone)]
pub struct GraphqlService {
    schema: VardeSchema,
    store: Store,
    limits: Arc<QueryLimits>,
    index: Arc<limits::SchemaIndex>,
    documents: Arc<documents::DocumentCache>,
    /// How long audit records are kept.
    audit_retention: Arc<audit::Retention>,
}

fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
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
    pub fn new(
        store: Store,
        limits: QueryLimits,
        audit_retention: Duration,
        mailer: Option<crate::mail::Mailer>,
    ) -> Self {
        let mut builder = schema_builder()
            .data(store.clone())
            .data(meeting::Invitations { mailer });
        if !limits.introspection {
            builder = builder.disable_introspection();
        }
        let schema = builder.finish();
        let index = limits::SchemaIndex::from_sdl(&schema.sdl());
        Self {
            schema,
            store,
            limits: Arc::new(limits),
            index: Arc::new(index),
            documents: Arc::default(),
            audit_retention: Arc::new(audit::Retention::new(audit_retention)),
        }
    }

    /// Gives `request` its parsed document, parsing its text only the first time it is seen.
    pub fn parse(&self, request: &mut Request) {
        self.documents.parse(request);
    }

    /// The limits requests are held to.
    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// Executes one request for `principal` with a fresh set of loaders, and gives every error an
    /// `extensions.code`. A request beyond the limits is refused before any resolver runs. Every
    /// operation is counted by name and outcome, and every error by code (the metrics page).
    pub async fn execute(&self, mut request: Request, principal: Principal) -> Outcome {
        self.parse(&mut request);
        // The name asked for, or the name of a document's only operation.
        let operation_name = request.operation_name.clone().or_else(|| {
            match &request.parsed_query().ok()?.operations {
                DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                    operations.keys().next().map(ToString::to_string)
                }
                _ => None,
            }
        });
        let span = tracing::info_span!(
            "graphql",
            graphql.operation.name = operation_name.as_deref().unwrap_or("anonymous")
        );
        let outcome = self.run(request, principal).instrument(span).await;
        record_operation(operation_name.as_deref(), &outcome);
        outcome
    }

    async fn run(&self, request: Request, principal: Principal) -> Outcome {
        let prepared = match self.prepare(request, principal) {
            Ok(prepared) => prepared,
            Err(refused) => return *refused,
        };
        let Prepared {
            request,
            tasks,
            document,
            operation_name,
            audit,
            reader,
        } = prepared;
        if let Some(audit) = &audit
            && let Err(error) = audit.before(&self.store, &reader).await
        {
            return audit_refusal(error);
        }
        let response = self.schema.execute(request).await;
        // Loader tasks still running end with the request.
        drop(tasks);
        if let Some(audit) = &audit
            && let Err(error) = audit.after(&self.store, &reader).await
        {
            return audit_refusal(error);
        }
        finish(response, document.as_ref(), operation_name.as_deref())
    }

    /// Executes a subscription (or any operation) for `principal` as a stream of answers: the
    /// same limits, loaders, error codes and key order as [`Self::execute`], each answer in turn.
    /// A request beyond the limits, or one whose field fails before its stream starts, yields one
    /// request error and ends. Counted once, like an operation.
    pub fn execute_stream(
        &self,
        mut request: Request,
        principal: Principal,
    ) -> impl Stream<Item = Outcome> + Send + 'static {
        self.parse(&mut request);
        let operation_name = request.operation_name.clone();
        let prepared = match self.prepare(request, principal) {
            Ok(prepared) => prepared,
            Err(refused) => {
                record_operation(operation_name.as_deref(), &refused);
                return futures_util::stream::once(async move { *refused }).boxed();
            }
        };
        let Prepared {
            request,
            tasks,
            document,
            operation_name: name,
            audit,
            reader,
        } = prepared;
        let (store, audit, document) = (self.store.clone(), Arc::new(audit), Arc::new(document));
        let mut first = true;
        let answers = self.schema.execute_stream(request);
        // A mutation over the stream is recorded before it runs, as in `execute`.
        let started = {
            let (store, audit, reader) = (store.clone(), audit.clone(), reader.clone());
            async move {
                match audit.as_ref() {
                    Some(audit) => audit.before(&store, &reader).await,
                    None => Ok(()),
                }
            }
        };
        futures_util::stream::once(started)
            .flat_map(move |started| match started {
                Err(error) => {
                    futures_util::stream::once(async move { audit_refusal(error) }).boxed()
                }
                Ok(()) => futures_util::stream::empty().boxed(),
            })
            .chain(answers.then(move |response| {
                // The loader tasks live as long as the stream.
                let _ = &tasks;
                let (store, audit, reader) = (store.clone(), audit.clone(), reader.clone());
                let (document, name) = (document.clone(), name.clone());
                async move {
                    // Each answer's restricted reads are recorded before it is sent.
                    if let Some(audit) = audit.as_ref()
                        && let Err(error) = audit.after(&store, &reader).await
                    {
                        return audit_refusal(error);
                    }
                    finish(response, document.as_ref().as_ref(), name.as_deref())
                }
            }))
            .map(move |outcome| {
                if std::mem::take(&mut first) {
                    record_operation(operation_name.as_deref(), &outcome);
                }
                outcome
            })
            .boxed()
    }

    /// Checks the limits and gives the request its loaders, reader and principal; the refusal
    /// when it breaks a limit.
    fn prepare(
        &self,
        mut request: Request,
        principal: Principal,
    ) -> Result<Prepared, Box<Outcome>> {
        // A document that does not parse is left for execution to report.
        let operation_name = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let checked = request.parsed_query().map(|document| {
            limits::check(
                document,
                operation_name.as_deref(),
                &variables,
                &self.index,
                &self.limits,
            )
        });
        request.variables = variables;
        if let Ok(Err(violations)) = checked {
            return Err(Box::new(Outcome {
                response: Response::from_errors(
                    violations
                        .into_iter()
                        .map(Violation::into_server_error)
                        .collect(),
                ),
                is_request_error: true,
            }));
        }
        // Loader tasks are spawned; they are aborted when this request ends or is dropped (a
        // timeout, a client gone), so no query keeps running for nobody.
        let tasks = AbortOnDrop::default();
        let spawned = tasks.0.clone();
        let document = request.parsed_query().ok().cloned();
        let audit = document.as_ref().and_then(|document| {
            audit::Audit::of(
                document,
                operation_name.as_deref(),
                &principal,
                &self.audit_retention,
            )
        });
        // Queries read from the read replica when there is one; mutations, which read their
        // own writes, subscriptions, woken by the primary's notices, and the audit log stay on
        // the primary.
        let store = match &audit {
            Some(audit) if audit.is_query() => self.store.for_reads(),
            _ => self.store.clone(),
        };
        // A cache per request: an object loaded once is not loaded again by a later field, and
        // nothing cached outlives the request or crosses to another caller.
        let reader = ScopedReader::new(store.clone(), principal.grants.restricted_scope());
        let loader: loaders::RequestLoader = DataLoader::with_cache(
            StoreLoader::new(store.clone(), reader.clone()),
            move |task| {
                let handle = tokio::spawn(task).abort_handle();
                if let Ok(mut spawned) = spawned.lock() {
                    spawned.retain(|task| !task.is_finished());
                    spawned.push(handle);
                }
            },
            HashMapCache::default(),
        );
        let request = request
            .data(loader)
            .data(reader.clone())
            .data(principal)
            .data(store)
            .data(objects::Primary(self.store.clone()));
        Ok(Prepared {
            request,
            tasks,
            document,
            operation_name,
            audit,
            reader,
        })
    }
}

/// A request ready to execute, with what its answer is finished with.
struct Prepared {
    request: Request,
    tasks: AbortOnDrop,
    document: Option<async_graphql::parser::types::ExecutableDocument>,
    operation_name: Option<String>,
    /// Its audit record, written around execution.
    audit: Option<audit::Audit>,
    /// Its reader of restricted data, which notes whose data it returned.
    reader: ScopedReader,
}

/// Restores the query's key order, tells request errors apart and gives every error its code.
fn finish(
    mut response: Response,
    document: Option<&async_graphql::parser::types::ExecutableDocument>,
    operation_name: Option<&str>,
) -> Outcome {
    if let Some(document) = document {
        field_order::restore_query_order(&mut response.data, document, operation_name);
    }
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

/// The answer to a request whose audit record could not be written: its error and no data.
fn audit_refusal(error: async_graphql::ServerError) -> Outcome {
    let mut response = Response::from_errors(vec![error]);
    set_error_codes(&mut response.errors);
    Outcome {
        response,
        is_request_error: false,
    }
}

/// Distinct operation names counted apart; beyond, they count as `other`, so that callers who
/// make up names cannot multiply the metrics' series without bound.
const MAX_OPERATION_NAMES: usize = 200;

/// Counts an operation by name and outcome, and its errors by code.
fn record_operation(name: Option<&str>, outcome: &Outcome) {
    static NAMES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let name = match name {
        None => "anonymous".to_owned(),
        Some(name) => {
            let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
            if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
                names.insert(name.to_owned());
                name.to_owned()
            } else {
                "other".to_owned()
            }
        }
    };
    let errors = &outcome.response.errors;
    let result = match (errors.is_empty(), outcome.is_request_error) {
        (true, _) => "ok",
        (false, true) => "request_error",
        (false, false) => "field_errors",
    };
    metrics::counter!("varde_graphql_operations_total", "operation" => name, "outcome" => result)
        .increment(1);
    for error in errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| ErrorCode::Internal.as_str().to_owned());
        metrics::counter!("varde_graphql_errors_total", "code" => code).increment(1);
    }
}

/// The tasks a request spawned, aborted when it ends.
#[derive(Default)]
struct AbortOnDrop(Arc<Mutex<Vec<AbortHandle>>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Ok(tasks) = self.0.lock() {
            tasks.iter().for_each(AbortHandle::abort);
        }
    }
}

/// Gives every error its `extensions.code`, and logs each internal failure once, with the path of
/// the first field it reached.
fn set_error_codes(errors: &mut [async_graphql::ServerError]) {
    for (path, cause) in first_internal_failures(errors) {
        tracing::error!(error = %cause, path = %path, "a GraphQL field failed");
    }
    for error in errors {
        let code = match error.source::<ApiError>() {
            Some(api_error) => api_error.code(),
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

/// Each distinct internal failure with the path of the first field it reached: fields that waited
/// on the same failed batch share one error (one `Arc`), and it is worth one log line.
fn first_internal_failures(
    errors: &[async_graphql::ServerError],
) -> Vec<(String, Arc<store::StoreError>)> {
    let mut failures: Vec<(String, Arc<store::StoreError>)> = Vec::new();
    for error in errors {
        if let Some(ApiError::Internal(cause)) = error.source::<ApiError>()
            && !failures.iter().any(|(_, seen)| Arc::ptr_eq(seen, cause))
        {
            let path: Vec<String> = error
                .path
                .iter()
                .map(|segment| match segment {
                    async_graphql::PathSegment::Field(name) => name.clone(),
                    async_graphql::PathSegment::Index(index) => index.to_string(),
                })
                .collect();
            failures.push((path.join("."), cause.clone()));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use async_graphql::{ErrorExtensions, PathSegment, Pos, ServerError};

    use super::*;

    fn field_error(error: &ApiError, path: &[&str]) -> ServerError {
        let mut server_error = async_graphql::Error::new_with_source(error.clone())
            .extend()
            .into_server_error(Pos::default());
        server_error.path = path
            .iter()
            .map(|name| PathSegment::Field((*name).to_owned()))
            .collect();
        server_error
    }

    #[test]
    fn a_failed_batch_is_logged_once_with_the_first_path_and_every_field_gets_its_code() {
        let batch = ApiError::from(store::StoreError::BrokenReference("OwnerId(1)".into()));
        let other = ApiError::from(store::StoreError::BrokenReference("UnitId(2)".into()));
        let mut errors = vec![
            field_error(&batch, &["units", "owner"]),
            field_error(&batch, &["units", "owner"]),
            field_error(&other, &["unit"]),
            field_error(&ApiError::NotFound("no such".into()), &["owner"]),
        ];

        let failures = first_internal_failures(&errors);
        set_error_codes(&mut errors);

        let paths: Vec<&str> = failures.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["units.owner", "unit"]);
        let codes: Vec<String> = errors
            .iter()
            .map(|error| {
                error
                    .extensions
                    .as_ref()
                    .unwrap()
                    .get("code")
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            codes,
            [
                "\"INTERNAL\"",
                "\"INTERNAL\"",
                "\"INTERNAL\"",
                "\"NOT_FOUND\""
            ]
        );
        assert!(
            errors
                .iter()
                .all(|error| !error.message.contains("OwnerId"))
        );
    }
}
