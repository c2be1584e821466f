//! Bad input gets a clear error with a code, never a 500.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    malformed_identifiers_are_bad_user_input,
    unknown_codes_in_filters_are_named_in_the_error,
    unknown_things_asked_for_by_identifier_are_null,
    requests_that_do_not_validate_carry_a_code,
);

async fn malformed_identifiers_are_bad_user_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            "{ unit(by: {orgNumber: \"123456789\"}) { name } }",
            "mod-11",
        ),
        ("{ owner(by: {code: \"12345\"}) { name } }", "kommunenummer"),
        (
            "{ units(filter: {schoolYear: 1850}) { edges { cursor } } }",
            "school year",
        ),
        ("{ node(id: \"not-an-id\") { id } }", "not a valid id"),
        (
            "{ unit(by: {id: \"T3duZXI6MQ\"}) { name } }",
            "not of a Unit",
        ),
        (
            "{ units(first: 1) { edges { node { values(filter: {group: {grade: 99}}) { edges { cursor } } } } } }",
            "trinn",
        ),
    ];
    for (query, needle) in cases {
        let body = app.query_response(query, json!({})).await;
        assert!(
            error_codes(&body)
                .iter()
                .all(|code| code == "BAD_USER_INPUT"),
            "{query}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{query}: {message}");
    }
}

async fn unknown_codes_in_filters_are_named_in_the_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app
        .query_response(
            "{ units(first: 1) { edges { node { values(filter: {indicators: [\"eu_trivsel\", \"eu_trivesl\"]}) { edges { cursor } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("eu_trivesl")
    );
    let body = app
        .query_response(
            "{ indicators(filter: {source: \"udir-nope\"}) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = app
        .query_response(
            "{ units(filter: {owner: {code: \"9999\"}}) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);
}

async fn unknown_things_asked_for_by_identifier_are_null(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Well-formed identifiers that nothing in the seeds has (970018131 is Udir's own number).
    let data = app
        .query(
            "{ owner(by: {code: \"9999\"}) { name } unit(by: {orgNumber: \"970018131\"}) { name } indicator(by: {code: \"nope\"}) { name } node(id: \"VW5pdDo5OTk5OTk\") { id } }",
            json!({}),
        )
        .await;
    for field in ["owner", "unit", "indicator", "node"] {
        assert_eq!(data[field], Value::Null, "{field}");
    }
}

async fn requests_that_do_not_validate_carry_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = app
        .query_response("{ owners { edges { node { noSuchField } } } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(
        body.get("data").is_none(),
        "no data before execution: {body}"
    );
}
