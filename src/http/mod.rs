//! The HTTP shell: the axum router with GraphQL over HTTP, GraphiQL, health checks and the
//! middleware every request passes (body limit, rate limit, timeout, tracing), and the server
//! that holds connections to their limits ([`serve`]). No SQL and no GraphQL types live here.

mod auth_routes;
mod caching;
mod export;
mod graphiql;
mod graphql_over_http;
mod import;
mod metrics;
mod print;
mod rate_limit;
mod server;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::Redirect,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    auth::Auth,
    graphql::{ErrorCode, GraphqlService, QueryLimits, error_body},
    store::Store,
};

pub use graphql_over_http::{MediaType, negotiate};
pub use server::serve;

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes (413 beyond).
    pub body_limit: usize,
    /// Largest file `POST /import` accepts, in bytes (413 beyond); streamed to a temporary file.
    pub import_body_limit: u64,
    /// Longest a request may take, answer written, before it is answered 408.
    pub request_timeout: Duration,
    /// Most operations in one JSON-array batch; 0 turns batching off.
    pub max_batch_size: usize,
    /// What one GraphQL request may ask for.
    pub query: QueryLimits,
    /// Longest a connection may take to send a request's headers, and to wait idle for its next
    /// request (hyper runs one timer for both).
    pub header_read_timeout: Duration,
    /// Longest one write of an answer may stall: a client that stops reading loses the
    /// connection instead of holding it, and the answer's memory, forever.
    pub write_timeout: Duration,
    /// Most connections served at once; beyond, health checks are answered and everything else
    /// gets 503 `TOO_MANY_CONNECTIONS`.
    pub max_connections: usize,
    /// Requests per second a client (bearer token, else address) may send; 0 turns it off.
    pub rate_per_second: u32,
    /// Requests a client may send at once before the rate applies.
    pub rate_burst: u32,
    /// Longest graceful shutdown waits for requests in flight before it closes their connections.
    pub shutdown_deadline: Duration,
    /// Longest `/readyz` waits for the database.
    pub ready_timeout: Duration,
    /// How long the audit log keeps a record.
    pub audit_retention: Duration,
    /// Headless Chromium for printing colour tables to PDF; without one, the PDF answers 503
    /// `PDF_UNAVAILABLE`.
    pub chromium: Option<std::path::PathBuf>,
    /// The SMTP relay meeting invitations are mailed through; none: invitations are only
    /// downloaded (`Meeting.invitation`).
    pub mailer: Option<crate::mail::Mailer>,
}

/// Debian's Chromium, where it is installed.
pub fn default_chromium() -> Option<std::path::PathBuf> {
    let path = std::path::PathBuf::from("/usr/bin/chromium");
    path.exists().then_some(path)
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 256 * 1024,
            import_body_limit: 2 * 1024 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch_size: 0,
            query: QueryLimits::default(),
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 1024,
            rate_per_second: 100,
            rate_burst: 500,
            shutdown_deadline: Duration::from_secs(10),
            ready_timeout: Duration::from_secs(1),
            audit_retention: Duration::from_secs(365 * 24 * 60 * 60),
            chromium: default_chromium(),
            mailer: None,
        }
    }
}

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    graphql: GraphqlService,
    auth: Arc<Auth>,
    store: Store,
    config: Arc<HttpConfig>,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// One PDF print at a time: each starts a browser.
    printing: Arc<tokio::sync::Semaphore>,
    /// One import job at a time in this process; further uploads wait queued.
    import_slots: Arc<tokio::sync::Semaphore>,
}

/// The server's parts: the router and the limits [`serve`] holds connections to.
pub struct App {
    router: Router,
    config: Arc<HttpConfig>,
}

/// The complete application: router and connection limits.
pub fn app(store: Store, config: HttpConfig, auth: Auth) -> App {
    let config = Arc::new(config);
    let state = AppState {
        graphql: GraphqlService::new(
            store.clone(),
            config.query.clone(),
            config.audit_retention,
            config.mailer.clone(),
        ),
        auth: Arc::new(auth),
        store,
        config: config.clone(),
        metrics: metrics::handle(),
        printing: Arc::new(tokio::sync::Semaphore::new(1)),
        import_slots: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    let router = Router::new()
        .route("/", get(root))
        .route(
            "/graphql",
            get(graphql_over_http::get).post(graphql_over_http::post),
        )
        .route("/graphiql/{digest}/{name}", get(graphiql::asset))
        .route("/export/{file}", get(export::export))
        .route("/print/colour-table", get(export::print_page))
        .route("/print/colour-table.pdf", get(export::print_pdf))
        .route("/auth/login", get(auth_routes::login))
        .route("/auth/callback", get(auth_routes::callback))
        .route("/auth/logout", post(auth_routes::logout))
        .route("/auth/token", post(auth_routes::token))
        .route("/auth/dev-login", get(auth_routes::dev_login))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(middleware::from_fn_with_state(
            config.request_timeout,
            whole_request_timeout,
        ))
        // An upload streams a file far larger than the body limit, for longer than the request
        // timeout: it is added after both and holds its own limits (`import::upload`).
        .route("/import", post(import::upload))
        .layer(middleware::from_fn_with_state(
            rate_limit::Limiter::new(config.rate_per_second, config.rate_burst),
            rate_limit::limit,
        ))
        // Health checks and the metrics page pass no rate limit: a load balancer and a scraper
        // must always get their answers.
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::page))
        .route_layer(middleware::from_fn(metrics::record))
        .with_state(state)
        // Every request gets an `x-request-id` (the caller's own, or a new UUID), in its trace
        // span and in the response, so a complaint can be matched to the log.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|id| id.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // A bug must cost one request a 500, never the connection or the process.
        .layer(CatchPanicLayer::new());
    App { router, config }
}

/// Bounds the whole request: handlers build their answers completely (GraphQL bodies are
/// serialized within), so when the timer fires the work is dropped with the future, and loader
/// tasks with it.
async fn whole_request_timeout(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(error_body(
                ErrorCode::RequestTimeout,
                &format!(
                    "the request took longer than {} s and was stopped",
                    timeout.as_secs_f32()
                ),
            )),
        )
            .into_response(),
    }
}

/// Sends newcomers to GraphiQL. 303 See Other, not a permanent redirect, so that browsers do not
/// remember it and `/` stays free for a start page.
async fn root() -> Redirect {
    Redirect::to("/graphql")
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers a real query within the readiness timeout.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let failure = match tokio::time::timeout(state.config.ready_timeout, state.store.ping()).await {
        Ok(Ok(())) => return (StatusCode::OK, format!("ok ({})", state.store.dialect())),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer within {:?}", state.config.ready_timeout),
    };
    tracing::warn!(%failure, "readiness check failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "database unreachable".into(),
    )
}
