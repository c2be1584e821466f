//! The metrics page and request ids (issue 14): what the requests did shows at `/metrics` in the
//! Prometheus text format, and every answer carries an `x-request-id`.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    the_metrics_page_shows_the_requests_made,
    every_answer_carries_a_request_id,
    a_scrape_after_imports_shows_them_by_source_and_outcome,
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

/// Imports run by `varde import` (another process: here the library on the same database) show
/// as gauges read from the import log at scrape time; a job this server ran counts in its own
/// counter, dry runs too.
async fn a_scrape_after_imports_shows_them_by_source_and_outcome(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fixture = |name: &str| {
        std::fs::File::open(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/import")
                .join(name),
        )
        .unwrap()
    };
    for (file, dry_run) in [
        ("mal-utf8-semikolon.csv", false),
        ("mal-feil.csv", false),
        ("mal-utf8-semikolon.csv", true),
    ] {
        let request = varde::import::ImportRequest {
            source: "varde-mal".into(),
            file_name: file.into(),
            imported_by: "cli".into(),
            options: varde::import::ReadOptions::default(),
            dry_run,
            splits: Vec::new(),
        };
        varde::import::import(&app.store, &request, fixture(file))
            .await
            .unwrap();
    }
    // A dry run uploaded to this server, run as its job.
    let token = app.token_for("admin@varde.example").await;
    let accepted: serde_json::Value = app
        .client
        .post(app.url("/import?source=varde-mal&dryRun=true"))
        .bearer_auth(&token)
        .body(
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/import/mal-utf8-semikolon.csv"),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = loop {
        let page = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("varde_import_jobs_total{") {
            break page;
        }
        let job = app
            .query_as(
                Some(&token),
                "query($id: ID!) { importJob(id: $id) { state } }",
                json!({ "id": accepted["id"] }),
            )
            .await;
        assert!(
            ["QUEUED", "RUNNING", "DONE"]
                .contains(&job["data"]["importJob"]["state"].as_str().unwrap()),
            "{job:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let source = "source=\"varde-mal\"";
    assert_eq!(
        series(&page, "varde_imports", &[source, "outcome=\"applied\""]),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        series(&page, "varde_imports", &[source, "outcome=\"refused\""]),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        series(
            &page,
            "varde_import_rows",
            &[source, "outcome=\"applied\"", "rows=\"inserted\""]
        ),
        Some(8.0),
        "{page}"
    );
    assert_eq!(
        series(
            &page,
            "varde_import_rows",
            &[source, "outcome=\"refused\"", "rows=\"rejected\""]
        ),
        Some(5.0),
        "{page}"
    );
    assert_eq!(
        series(
            &page,
            "varde_import_jobs_total",
            &[source, "outcome=\"dry_run\""]
        ),
        Some(1.0),
        "{page}"
    );
}
