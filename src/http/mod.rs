//! The HTTP shell: the axum router with GraphQL over HTTP, GraphiQL, health checks and the
//! middleware every request passes (body limit, timeout, tracing). No SQL and no GraphQL types
//! live here.

mod auth_routes;
mod graphiql;
mod graphql_over_http;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::Redirect,
    routing::{get, post},
};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{auth::Auth, graphql::GraphqlService, store::Store};

pub use graphql_over_http::{MediaType, negotiate};

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes (413 beyond).
    pub body_limit: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Most operations in one JSON-array batch; 0 turns batching off.
    pub max_batch_size: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            max_batch_size: 0,
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
}

/// The complete router.
pub fn router(store: Store, config: HttpConfig, auth: Auth) -> Router {
    let state = AppState {
        graphql: GraphqlService::new(store.clone()),
        auth: Arc::new(auth),
        store,
        config: Arc::new(config.clone()),
    };
    Router::new()
        .route("/", get(root))
        .route(
            "/graphql",
            get(graphql_over_http::get).post(graphql_over_http::post),
        )
        .route("/graphiql/{digest}/{name}", get(graphiql::asset))
        .route("/auth/login", get(auth_routes::login))
        .route("/auth/callback", get(auth_routes::callback))
        .route("/auth/logout", post(auth_routes::logout))
        .route("/auth/token", post(auth_routes::token))
        .route("/auth/dev-login", get(auth_routes::dev_login))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(TraceLayer::new_for_http())
        // A bug must cost one request a 500, never the connection or the process.
        .layer(CatchPanicLayer::new())
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

/// The database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, format!("ok ({})", state.store.dialect())),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable".into(),
            )
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
