//! The schema documents itself: every type and field has a description, the main types name
//! their Norwegian term.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(every_type_and_field_is_described);

const INTROSPECTION: &str = "{ __schema { types { name kind description
    fields { name description args { name description } } enumValues { name description } } } }";

async fn every_type_and_field_is_described(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app.query(INTROSPECTION, json!({})).await;
    let described = |value: &Value| value.as_str().is_some_and(|text| !text.trim().is_empty());
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ty["kind"] == "SCALAR" {
            continue;
        }
        if !described(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if !described(&field["description"]) {
                missing.push(format!("{name}.{}", field["name"]));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if !described(&value["description"]) {
                missing.push(format!("{name}.{}", value["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "without description: {missing:?}");

    let norwegian = [
        ("Owner", "skoleeier"),
        ("Unit", "enhet"),
        ("Selection", "utvalg"),
        ("SchoolYear", "skoleår"),
        ("DataSource", "datakilde"),
        ("Indicator", "indikator"),
        ("IndicatorValue", "indikatorverdi"),
    ];
    let types = data["__schema"]["types"].as_array().unwrap();
    for (name, term) in norwegian {
        let ty = types.iter().find(|ty| ty["name"] == name).unwrap();
        let description = ty["description"].as_str().unwrap().to_lowercase();
        assert!(description.contains(term), "{name}: {description}");
    }
}
