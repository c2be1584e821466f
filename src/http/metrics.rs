//! Metrics in the Prometheus text format at `/metrics`: requests by route and status with a
//! latency histogram, GraphQL operations by name and outcome, GraphQL errors by code, logins and
//! token use, and the database pool. Recorded through the `metrics` facade, rendered by
//! `metrics-exporter-prometheus` (its own HTTP listener is left out: Varde serves the page).

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed by the first app: the `metrics` facade has one per process,
/// so every app in it (the tests start many) records into the same one and renders it.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder already installed (an embedding program's) keeps working; this
            // page then shows only what is rendered through this handle.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// Counts every request by its route (the pattern, never the raw path, so that ids do not
/// multiply the series) and status, and observes its latency.
pub async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("varde_http_requests_total", &labels).increment(1);
    metrics::histogram!("varde_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the page Prometheus scrapes, with the pool's state and the import log's totals
/// read at scrape time.
pub async fn page(State(state): State<AppState>) -> impl IntoResponse {
    let (size, idle) = state.store.pool_state();
    metrics::gauge!("varde_db_pool_connections").set(f64::from(size));
    metrics::gauge!("varde_db_pool_idle_connections").set(f64::from(idle));
    import_totals(&state).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The import log's totals as gauges: imports run by any process (`varde import` runs in its
/// own), by source and outcome, and their rows. A database that does not answer leaves the last
/// values (the pool gauges still tell).
async fn import_totals(state: &AppState) {
    let totals = match state.store.import_totals().await {
        Ok(totals) => totals,
        Err(error) => {
            tracing::warn!(%error, "reading the import log for the metrics page failed");
            return;
        }
    };
    for total in totals {
        let outcome = if total.applied { "applied" } else { "refused" };
        metrics::gauge!(
            "varde_imports",
            "source" => total.source.clone(),
            "outcome" => outcome,
        )
        .set(total.imports as f64);
        for (rows, count) in [
            ("inserted", total.inserted),
            ("updated", total.updated),
            ("unchanged", total.unchanged),
            ("rejected", total.rejected),
        ] {
            metrics::gauge!(
                "varde_import_rows",
                "source" => total.source.clone(),
                "outcome" => outcome,
                "rows" => rows,
            )
            .set(count as f64);
        }
    }
}
