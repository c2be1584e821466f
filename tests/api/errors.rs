//! Bad input gets a clear error with a code, never a 500.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    malformed_identifiers_are_bad_user_input,
    unknown_codes_in_filters_are_named_in_the_error,
    unknown_things_asked_for_by_identifier_are_null,
    requests_that_do_not_validate_carry_a_code,
    messages_name_what_the_caller_gave_never_rust_values,
    a_one_of_input_takes_exactly_one_field,
    set_arguments_count_repeats_once,
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
    assert!(message_of(&body).contains("\"9999\""), "{body}");
}

fn message_of(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// A refusal names what the caller gave (a kommunenummer, an organisasjonsnummer, a global id),
/// never a Rust value such as `Some(OwnerId(1))` or `UnitId(46)`.
async fn messages_name_what_the_caller_gave_never_rust_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.token_for("radgiver@kongsberg.kommune.no").await;
    let grant = "mutation($input: RoleInput!) { grantRole(input: $input) { role } }";
    let cases = [
        (
            json!({ "input": { "feideUserId": "x@drammen.kommune.no", "role": "OWNER_READER",
                               "owner": { "code": "3005" } } }),
            "FORBIDDEN",
            "owner_reader",
        ),
        (
            json!({ "input": { "feideUserId": "x@kongsberg.kommune.no", "role": "OWNER_READER",
                               "unit": { "orgNumber": "879819334" } } }),
            "BAD_USER_INPUT",
            "needs an owner",
        ),
        (
            json!({ "input": { "feideUserId": "x@kongsberg.kommune.no", "role": "UNIT_STAFF",
                               "unit": { "id": "VW5pdDo5OTk5OTk" } } }),
            "NOT_FOUND",
            "\"VW5pdDo5OTk5OTk\"",
        ),
    ];
    for (variables, code, needle) in cases {
        let body = app.query_as(Some(&admin), grant, variables).await;
        assert_eq!(error_codes(&body), [code], "{body}");
        let message = message_of(&body);
        assert!(message.contains(needle), "{message}");
        for rust in ["Some(", "None", "OwnerId", "UnitId"] {
            assert!(!message.contains(rust), "{message}");
        }
    }
}

/// A `@oneOf` input takes exactly one field; two, or none, do not validate.
async fn a_one_of_input_takes_exactly_one_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "{ owner(by: {code: \"3205\", id: \"T3duZXI6MQ\"}) { name } }",
        "{ owner(by: {}) { name } }",
        "{ unit(by: {orgNumber: null}) { name } }",
    ] {
        let body = app.query_response(query, json!({})).await;
        assert_eq!(
            error_codes(&body),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{query}: {body}"
        );
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    }
}

/// A set argument is a set: naming a unit or an indicator twice is naming it once.
async fn set_arguments_count_repeats_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = "query($units: [UnitRef!]!, $indicators: [String!]!) {
        aggregate(subject: {units: $units}, indicators: $indicators, schoolYear: 2024) {
            indicator { code } value n members } }";
    let once = app
        .query(
            query,
            json!({ "units": [{ "orgNumber": "870283822" }], "indicators": ["eu_trivsel"] }),
        )
        .await;
    let twice = app
        .query(
            query,
            json!({ "units": [{ "orgNumber": "870283822" }, { "orgNumber": "870283822" }],
                    "indicators": ["eu_trivsel", "eu_trivsel"] }),
        )
        .await;
    assert_eq!(once, twice);
    assert_eq!(once["aggregate"][0]["members"], 1, "{once}");
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
