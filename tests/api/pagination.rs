//! Relay connections: cursors walk whole lists, page sizes are capped.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_codes, seed_rows};

crate::on_both_databases!(
    walking_forward_visits_every_unit_once,
    last_and_before_walk_backwards,
    nested_connections_page_each_parent_separately,
    page_sizes_beyond_the_cap_are_refused,
);

const UNITS_PAGE: &str = "query($after: String, $before: String, $first: Int, $last: Int) {
    units(after: $after, before: $before, first: $first, last: $last) {
        edges { cursor node { orgNumber } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn org_numbers(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["orgNumber"].as_str().unwrap().to_owned())
        .collect()
}

async fn walking_forward_visits_every_unit_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .query(UNITS_PAGE, json!({ "first": 7, "after": after }))
            .await;
        let units = &data["units"];
        let page = org_numbers(units);
        assert!(page.len() <= 7);
        seen.extend(page);
        if !units["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = units["pageInfo"]["endCursor"].clone();
    }
    let expected: BTreeSet<String> = seed_rows("units.csv")
        .into_iter()
        .map(|u| u["org_number"].clone())
        .collect();
    assert_eq!(seen.len(), expected.len(), "no unit twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

async fn last_and_before_walk_backwards(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let all = org_numbers(&app.query(UNITS_PAGE, json!({ "first": 500 })).await["units"]);
    let tail = app.query(UNITS_PAGE, json!({ "last": 3 })).await;
    assert_eq!(org_numbers(&tail["units"]), all[all.len() - 3..]);
    assert_eq!(tail["units"]["pageInfo"]["hasPreviousPage"], true);
    let before = tail["units"]["pageInfo"]["startCursor"].clone();
    let previous = app
        .query(UNITS_PAGE, json!({ "last": 2, "before": before }))
        .await;
    assert_eq!(
        org_numbers(&previous["units"]),
        all[all.len() - 5..all.len() - 3]
    );
}

async fn nested_connections_page_each_parent_separately(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ owners(first: 100) { edges { node { orgNumber units(first: 2) { edges { node { orgNumber } } pageInfo { hasNextPage } } } } } }",
            json!({}),
        )
        .await;
    let owners = seed_rows("owners.csv");
    let units = seed_rows("units.csv");
    for edge in data["owners"]["edges"].as_array().unwrap() {
        let owner = &edge["node"];
        let key = &owners
            .iter()
            .find(|o| o["org_number"] == owner["orgNumber"].as_str().unwrap())
            .unwrap()["key"];
        let owned = units.iter().filter(|u| &u["owner_key"] == key).count();
        let page = org_numbers(&owner["units"]);
        assert_eq!(page.len(), owned.min(2), "owner {key}");
        assert_eq!(
            owner["units"]["pageInfo"]["hasNextPage"],
            owned > 2,
            "owner {key}"
        );
    }
}

async fn page_sizes_beyond_the_cap_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for variables in [
        json!({ "first": 501 }),
        json!({ "first": -1 }),
        json!({ "first": 1, "last": 1 }),
        json!({ "after": "bm90LWEtY3Vyc29y" }),
    ] {
        let body = app.query_response(UNITS_PAGE, variables.clone()).await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "{variables}: {body}"
        );
    }
}
