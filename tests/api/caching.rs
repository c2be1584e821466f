//! HTTP caching of GET answers (issue 14): an `ETag` on every answer, `304 Not Modified` while it
//! still matches, shared caches only for anonymous answers.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{Backend, TestApp, as_user};

crate::on_both_databases!(a_conditional_get_is_answered_304_until_the_answer_changes);

const FRAMEWORKS: &str = "{ qualityFrameworks { edges { node { code } } } }";

async fn get(
    app: &TestApp,
    bearer: Option<&str>,
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", FRAMEWORKS)])
        .header(header::ACCEPT, "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    request.send().await.unwrap()
}

fn frameworks(answer: &serde_json::Value) -> usize {
    answer["data"]["qualityFrameworks"]["edges"]
        .as_array()
        .map_or(0, Vec::len)
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

async fn a_conditional_get_is_answered_304_until_the_answer_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = get(&app, None, None).await;
    let etag = header_of(&first, header::ETAG);
    let cache_control = header_of(&first, header::CACHE_CONTROL);
    let answer: serde_json::Value = first.json().await.unwrap();

    let unchanged = get(&app, None, Some(&etag)).await;
    let token = app.token_for("analytiker@kulturskoleradet.no").await;
    let private = get(&app, Some(&token), None).await;

    assert_eq!(frameworks(&answer), 2, "{answer}");
    assert_eq!(cache_control, "public, max-age=0, must-revalidate");
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header_of(&unchanged, header::ETAG), etag);
    assert!(unchanged.bytes().await.unwrap().is_empty());
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(
        header_of(&private, header::CACHE_CONTROL),
        "private, no-cache"
    );

    // A framework published by a national admin changes the public answer: the old tag no
    // longer matches.
    let content = json!({ "name": "Ny", "description": "", "unitKinds": ["ARTS_SCHOOL"],
        "levelDefinitions": ["1", "2", "3", "4"], "reflectionQuestions": [],
        "areas": [{ "number": 1, "name": "Område", "criteria": [{ "number": "1.1", "name": "K",
            "levels": [["a"], ["b"], ["c"], ["d"]], "indicators": [] }] }] });
    let created = as_user(
        &app,
        Some("admin@varde.example"),
        "mutation($content: QualityFrameworkContentInput!) {
            createQualityFramework(input: {code: \"ny\", content: $content}) { status }
            publishQualityFramework(framework: {code: \"ny\"}) { status } }",
        json!({ "content": content }),
    )
    .await;
    assert_eq!(
        created["data"]["publishQualityFramework"]["status"], "PUBLISHED",
        "{created}"
    );
    let changed = get(&app, None, Some(&etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header_of(&changed, header::ETAG), etag);
    let changed: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(frameworks(&changed), 3, "{changed}");
    app.stop().await.unwrap();
}
