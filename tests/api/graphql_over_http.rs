//! The GraphQL-over-HTTP layer: the graphql-http audit, and the rules async-graphql-axum's handler
//! would break, each asserted directly.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use varde::http::HttpConfig;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    the_graphql_http_audit_passes_every_must,
    get_runs_queries_and_refuses_mutations_with_405,
    only_json_bodies_are_accepted,
    accept_decides_the_response_type_and_status,
    batches_are_refused_unless_configured,
    oversized_bodies_are_refused_with_413,
    response_keys_follow_the_order_of_the_query,
);

async fn the_graphql_http_audit_passes_every_must(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/graphql-http-audit/audit.mjs"
    );
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(app.url("/graphql"))
        .output()
        .await
        .expect("node runs (tests/run.sh installs the audit's packages)");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "audit printed no report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let results = report["results"].as_array().expect("results");
    assert!(results.len() > 30, "the audit ran its checks: {report}");
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r["name"].as_str().unwrap_or("").starts_with("MUST") && r["status"] != "ok")
        .map(|r| format!("{}: {}", r["name"], r["reason"]))
        .collect();
    assert!(
        failed.is_empty(),
        "MUST audits failed:\n{}",
        failed.join("\n")
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn get_runs_queries_and_refuses_mutations_with_405(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query Years { schoolYears { year } }"),
            ("operationName", "Years"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::OK);
    let body: Value = query.json().await.unwrap();
    assert!(body["data"]["schoolYears"].as_array().unwrap().len() >= 5);

    let mutation = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers()[header::ALLOW], "POST");
}

async fn only_json_bodies_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let send = |content_type: Option<&'static str>, body: &'static str| {
        let mut request = app.client.post(app.url("/graphql")).body(body);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        request.send()
    };
    let query = r#"{"query":"{ schoolYears { year } }"}"#;
    assert_eq!(
        send(Some("application/json"), query)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        send(Some("application/json; charset=utf-8"), query)
            .await
            .unwrap()
            .status(),
        200
    );
    for content_type in [
        Some("text/plain"),
        Some("application/graphql"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let status = send(content_type, query).await.unwrap().status();
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    let malformed = send(Some("application/json"), "{\"query\":").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
}

async fn accept_decides_the_response_type_and_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let send = |accept: &'static str, query: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .header(header::ACCEPT, accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let invalid = "{ noSuchField }";
    let modern = send("application/graphql-response+json", invalid)
        .await
        .unwrap();
    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert!(
        modern.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    let body: Value = modern.json().await.unwrap();
    assert!(body.get("data").is_none());

    let legacy = send("application/json", invalid).await.unwrap();
    assert_eq!(legacy.status(), StatusCode::OK);
    assert!(
        legacy.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let unparsable = send("application/graphql-response+json", "{ schoolYears { year ")
        .await
        .unwrap();
    assert_eq!(unparsable.status(), StatusCode::BAD_REQUEST);

    let refused = send("text/html", "{ schoolYears { year } }").await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);

    // A field error is not a request error: 200 with data and the error's path.
    let field_error = send(
        "application/graphql-response+json",
        "{ owners(first: 9999) { edges { cursor } } }",
    )
    .await
    .unwrap();
    assert_eq!(field_error.status(), StatusCode::OK);
    let body: Value = field_error.json().await.unwrap();
    assert!(body.get("data").is_some());
    assert_eq!(body["errors"][0]["path"][0], "owners");
}

async fn batches_are_refused_unless_configured(backend: Backend) {
    let batch =
        json!([{ "query": "{ schoolYears { year } }" }, { "query": "{ dataSources { code } }" }]);
    let app = TestApp::spawn(backend).await;
    let refused = app.post_graphql(&batch).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let config = HttpConfig {
        max_batch_size: 2,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(backend, config).await;
    let answered: Value = app.post_graphql(&batch).await.json().await.unwrap();
    assert!(answered[0]["data"]["schoolYears"].is_array());
    assert!(answered[1]["data"]["dataSources"].is_array());
    let too_many = json!([batch[0], batch[0], batch[0]]);
    assert_eq!(
        app.post_graphql(&too_many).await.status(),
        StatusCode::BAD_REQUEST
    );
}

async fn oversized_bodies_are_refused_with_413(backend: Backend) {
    let config = HttpConfig {
        body_limit: 1024,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(backend, config).await;
    let padding = " ".repeat(2048);
    let response = app
        .post_graphql(&json!({ "query": format!("{{ schoolYears {{ year }} {padding} }}") }))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Fields resolved through loaders finish after plain ones; the response must still list every
/// key where the query asked for it (GraphQL spec, serialized map ordering), as the raw body shows.
async fn response_keys_follow_the_order_of_the_query(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = "{ owner(by: {code: \"3205\"}) { units(first: 2) { edges { node { owner { code } name \
                 orgNumber } } } code ... on Owner { kind } name } }";
    let body = app
        .post_graphql(&json!({ "query": query }))
        .await
        .text()
        .await
        .unwrap();
    let position = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {body}"))
    };
    let owner_keys = [
        "\"units\"",
        "\"code\":\"3205\",\"kind\"",
        "\"name\":\"Lillestr",
    ];
    let positions: Vec<usize> = owner_keys.iter().map(|key| position(key)).collect();
    assert!(
        positions.is_sorted(),
        "owner keys out of query order: {body}"
    );
    let unit_keys = ["\"node\":{\"owner\"", "\"name\"", "\"orgNumber\""];
    let positions: Vec<usize> = unit_keys.iter().map(|key| position(key)).collect();
    assert!(
        positions.is_sorted(),
        "unit keys out of query order: {body}"
    );
}
