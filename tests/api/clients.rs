//! Third-party clients run the README's examples unchanged: Apollo Client (Node) and Python's gql,
//! which validates every document locally against the schema it introspects. Both must know the
//! schema's `@oneOf` inputs, refuse a document that breaks their rule, and get exactly the
//! README's answers. The scripts and their pinned packages are in tests/clients/.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, readme_examples};

crate::on_both_databases!(third_party_clients_run_the_readme_examples_unchanged);

const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");

/// Gives two ways of naming an owner, which `OwnerRef @oneOf` forbids.
const BREAKS_ONE_OF: &str = r#"{ owner(by: {code: "3205", id: "T3duZXI6MQ=="}) { name } }"#;

async fn third_party_clients_run_the_readme_examples_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let examples = readme_examples();
    assert!(
        examples.len() >= 3,
        "the README's examples were found: {examples:?}"
    );
    let mut given = Vec::new();
    for example in &examples {
        let token = match &example.as_user {
            Some(user) => Some(app.token_for(user).await),
            None => None,
        };
        given.push(json!({ "query": example.query, "token": token }));
    }
    let input = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(
        input.path(),
        json!({ "examples": given, "mustRefuse": BREAKS_ONE_OF }).to_string(),
    )
    .expect("write the examples");

    let url = app.url("/graphql");
    let apollo = tokio::process::Command::new("node")
        .arg(format!("{CLIENTS}/apollo.mjs"))
        .arg(&url)
        .arg(input.path())
        .output();
    let gql = tokio::process::Command::new(format!("{CLIENTS}/.venv/bin/python"))
        .arg(format!("{CLIENTS}/gql_client.py"))
        .arg(&url)
        .arg(input.path())
        .output();
    let (apollo, gql) = tokio::join!(apollo, gql);
    let outputs = [
        ("Apollo Client", apollo.expect("node runs")),
        (
            "gql",
            gql.expect("tests/clients/.venv exists (tests/run.sh creates it)"),
        ),
    ];

    let schema = app
        .query("{ __schema { types { name isOneOf } } }", json!({}))
        .await;
    let one_of_inputs: BTreeSet<&str> = schema["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["isOneOf"] == true)
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(one_of_inputs.contains("OwnerRef"), "{one_of_inputs:?}");

    let mut failures = Vec::new();
    for (name, output) in &outputs {
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!(
                "{name} printed no report: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let client = report["client"].as_str().unwrap_or(name);
        let known: BTreeSet<&str> = report["oneOfInputs"]
            .as_array()
            .expect("oneOfInputs")
            .iter()
            .map(|name| name.as_str().unwrap())
            .collect();
        if known != one_of_inputs {
            failures.push(format!(
                "{client} knows the @oneOf inputs {known:?}, the schema has {one_of_inputs:?}"
            ));
        }
        let refused = report["refused"].as_str().unwrap_or("");
        if !(refused.contains("OneOf") && refused.contains("OwnerRef")) {
            failures.push(format!(
                "{client} did not refuse {BREAKS_ONE_OF} by the @oneOf rule: {}",
                report["refused"]
            ));
        }
        let results = report["results"].as_array().expect("results");
        if results.len() != examples.len() {
            failures.push(format!(
                "{client} ran {} of {} examples",
                results.len(),
                examples.len()
            ));
        }
        for (result, example) in results.iter().zip(&examples) {
            let index = &result["index"];
            if result["ok"] != true {
                failures.push(format!(
                    "{client}, example {index}: {}\n{}",
                    result["error"], example.query
                ));
            } else if !same_answer(&json!({ "data": result["data"] }), &example.expected) {
                failures.push(format!(
                    "{client}, example {index} answered\n{}\nnot the README's\n{}",
                    json!({ "data": result["data"] }),
                    example.expected
                ));
            }
        }
        if !output.status.success() {
            failures.push(format!(
                "{client} exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// JSON equality with numbers compared by value: JavaScript prints the README's `50.0` as `50`.
fn same_answer(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_answer(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_answer(a, b)))
        }
        _ => left == right,
    }
}
