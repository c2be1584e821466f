//! Automatic persisted queries (Apollo's APQ protocol, issue 14): a document registered once by
//! its SHA-256 hash is later sent by hash alone, over GET as well.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    a_document_registered_by_its_hash_is_then_sent_by_hash_alone,
    apollo_clients_persisted_query_link_registers_then_sends_the_hash_alone,
);

const QUERY: &str = "{ owner(by: {code: \"3205\"}) { name } }";

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// A GET of the hash alone, as Apollo Client's `useGETForHashedQueries` sends it.
async fn get_by_hash(app: &TestApp, hash: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(hash).to_string())])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app.post_graphql(&body).await;
    (response.status(), response.json().await.unwrap())
}

async fn a_document_registered_by_its_hash_is_then_sent_by_hash_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hash = sha256(QUERY);

    let (unknown_status, unknown) = get_by_hash(&app, &hash).await;
    let (mismatch_status, mismatch) = post(
        &app,
        json!({ "query": QUERY, "extensions": persisted(&sha256("{ me { feideUserId } }")) }),
    )
    .await;
    let (_, still_unknown) = get_by_hash(&app, &hash).await;
    let (_, registered) = post(
        &app,
        json!({ "query": QUERY, "extensions": persisted(&hash) }),
    )
    .await;
    let (by_hash_status, by_hash) = get_by_hash(&app, &hash).await;
    let (version_status, version_two) = post(
        &app,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }),
    )
    .await;

    assert_eq!(unknown_status, StatusCode::OK);
    assert_eq!(error_codes(&unknown), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(mismatch_status, StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&mismatch), ["BAD_REQUEST"]);
    assert_eq!(
        error_codes(&still_unknown),
        ["PERSISTED_QUERY_NOT_FOUND"],
        "a mismatched document is not registered"
    );
    let expected = json!({ "data": { "owner": { "name": "Lillestrøm kommune" } } });
    assert_eq!(registered, expected);
    assert_eq!(by_hash_status, StatusCode::OK);
    assert_eq!(by_hash, expected);
    assert_eq!(version_status, StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&version_two), ["BAD_REQUEST"]);

    // A mutation registered over POST is still refused over GET when sent by its hash.
    let mutation = "mutation { revokeRole(feideUserId: \"x@y.no\", role: NATIONAL_READER) }";
    let mutation_hash = sha256(mutation);
    post(
        &app,
        json!({ "query": mutation, "extensions": persisted(&mutation_hash) }),
    )
    .await;
    let (mutation_status, refused) = get_by_hash(&app, &mutation_hash).await;
    assert_eq!(mutation_status, StatusCode::METHOD_NOT_ALLOWED, "{refused}");

    // A document that does not parse is answered as usual and never registered.
    let broken = "{ owner(by: {code: \"3205\"}) { name ";
    let (_, broken_answer) = post(
        &app,
        json!({ "query": broken, "extensions": persisted(&sha256(broken)) }),
    )
    .await;
    let (_, broken_by_hash) = get_by_hash(&app, &sha256(broken)).await;
    assert_eq!(error_codes(&broken_answer), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(error_codes(&broken_by_hash), ["PERSISTED_QUERY_NOT_FOUND"]);
    app.stop().await.unwrap();
}

/// Apollo Client's own persisted-query link (tests/clients/apq.mjs), hashed queries over GET: a
/// first client's hash alone is not known, so it sends the document; a second client's hash
/// alone is answered.
async fn apollo_clients_persisted_query_link_registers_then_sends_the_hash_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let output = tokio::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/apq.mjs"
        ))
        .arg(app.url("/graphql"))
        .arg(QUERY)
        .output()
        .await
        .expect("node runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "apq.mjs printed no report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let owner = json!({ "__typename": "Owner", "name": "Lillestrøm kommune" });
    assert_eq!(report["first"]["owner"], owner, "{report}");
    assert_eq!(
        report["firstCalls"],
        json!([{ "method": "GET", "withDocument": false },
               { "method": "POST", "withDocument": true }]),
        "{report}"
    );
    assert_eq!(report["second"]["owner"], owner, "{report}");
    assert_eq!(
        report["secondCalls"],
        json!([{ "method": "GET", "withDocument": false }]),
        "{report}"
    );
    app.stop().await.unwrap();
}
