//! The metrics page and request ids (issue 14): what the requests did shows at `/metrics` in the
//! Prometheus text format, and every answer carries an `x-request-id`.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    the_metrics_page_shows_the_requests_made,
    every_answer_carries_a_request_id
);

/// The value of the first series of `page` whose line starts with `name{` and holds every label.
fn series(page: &str, name: &str, labels: &[&str]) -> Option<f64> {
    page.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn the_metrics_page_shows_the_requests_made(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The recorder is the process's: a name of this test's own tells its operations apart.
    let operation = format!("MetricsProbe{backend:?}");
    let named =
        format!("query {operation} {{ owners(first: 1) {{ edges {{ node {{ name }} }} }} }}");
    for _ in 0..2 {
        let data = app.query(&named, json!({})).await;
        assert_eq!(data["owners"]["edges"].as_array().unwrap().len(), 1);
    }
    let failed = app
        .query_response("{ owners(first: 1) { noSuchField } }", json!({}))
        .await;
    assert!(failed["errors"].is_array());

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let page = response.text().await.unwrap();

    let operation_label = format!("operation=\"{operation}\"");
    assert_eq!(
        series(
            &page,
            "varde_graphql_operations_total",
            &[&operation_label, "outcome=\"ok\""]
        ),
        Some(2.0),
        "{page}"
    );
    assert!(
        series(
            &page,
            "varde_graphql_errors_total",
            &["code=\"GRAPHQL_VALIDATION_FAILED\""]
        )
        .is_some_and(|count| count >= 1.0)
    );
    assert!(
        series(
            &page,
            "varde_http_requests_total",
            &["route=\"/graphql\"", "method=\"POST\"", "status=\"200\""]
        )
        .is_some_and(|count| count >= 2.0)
    );
    assert!(
        series(
            &page,
            "varde_http_request_duration_seconds_bucket",
            &[
                "route=\"/graphql\"",
                "method=\"POST\"",
                "status=\"200\"",
                "le=\"+Inf\""
            ]
        )
        .is_some_and(|count| count >= 2.0)
    );
    assert!(
        series(
            &page,
            "varde_callers_total",
            &["credential=\"anonymous\"", "outcome=\"accepted\""]
        )
        .is_some()
    );
    assert!(
        page.lines()
            .any(|line| line.starts_with("varde_db_pool_connections ")),
        "{page}"
    );
    app.stop().await.unwrap();
}

async fn every_answer_carries_a_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "dashboard-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "dashboard-42");

    let mut made = Vec::new();
    for _ in 0..2 {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        made.push(id);
    }
    assert_ne!(made[0], made[1]);
    app.stop().await.unwrap();
}
