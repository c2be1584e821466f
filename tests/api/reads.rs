//! The read API against expectations computed from the seed files.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, readme_examples, seed_rows};

crate::on_both_databases!(
    seeding_leaves_the_tables_analysed,
    owners_carry_their_current_code_and_code_history,
    an_earlier_kommunenummer_finds_the_owner_it_became,
    units_filter_by_owner_code_kind_and_school_year,
    unit_values_match_the_seeded_rows,
    suppressed_cells_have_no_value,
    selection_units_are_the_seeded_members,
    selection_values_default_to_the_selection_year,
    indicators_filter_by_source_category_and_unit_kind,
    every_node_is_found_again_by_its_global_id,
    health_and_readiness_answer,
    the_readme_examples_answer_as_shown,
    units_are_listed_in_the_order_they_were_registered,
);

fn owner_key_to_org() -> HashMap<String, String> {
    seed_rows("owners.csv")
        .into_iter()
        .map(|row| (row["key"].clone(), row["org_number"].clone()))
        .collect()
}

async fn owners_carry_their_current_code_and_code_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ owners(first: 100) { edges { node { name orgNumber code codeHistory { code validFrom validTo } } } } }",
            json!({}),
        )
        .await;
    let owners = data["owners"]["edges"].as_array().unwrap();
    assert_eq!(owners.len(), seed_rows("owners.csv").len());
    let kongsberg = owners
        .iter()
        .map(|edge| &edge["node"])
        .find(|owner| owner["name"] == "Kongsberg kommune")
        .expect("Kongsberg is seeded");
    assert_eq!(kongsberg["code"], "3303");
    let history: Vec<&str> = kongsberg["codeHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|period| period["code"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["0604", "3006", "3303"]);
}

async fn an_earlier_kommunenummer_finds_the_owner_it_became(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query =
        "query($code: String!, $year: Int) { owner(by: {code: $code}, year: $year) { name code } }";
    for (code, name) in [
        ("0231", "Lillestrøm kommune"),
        ("0219", "Bærum kommune"),
        ("3024", "Bærum kommune"),
    ] {
        let data = app.query(query, json!({ "code": code })).await;
        assert_eq!(data["owner"]["name"], name, "code {code}");
    }
    let in_2019 = app
        .query(query, json!({ "code": "0219", "year": 2019 }))
        .await;
    assert_eq!(in_2019["owner"]["code"], "3201");
    let not_yet = app
        .query(query, json!({ "code": "3201", "year": 2019 }))
        .await;
    assert_eq!(not_yet["owner"], Value::Null);
}

async fn units_filter_by_owner_code_kind_and_school_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owners = owner_key_to_org();
    let kongsberg_key = owners
        .iter()
        .find(|(key, _)| key.as_str() == "kongsberg")
        .map(|(key, _)| key.clone())
        .unwrap();
    for year in [2021, 2025] {
        let expected: BTreeSet<String> = seed_rows("units.csv")
            .into_iter()
            .filter(|u| u["owner_key"] == kongsberg_key && u["kind"] == "school")
            .filter(|u| {
                u["active_from"]
                    .parse::<i32>()
                    .map_or(true, |from| from <= year)
            })
            .filter(|u| u["active_to"].parse::<i32>().map_or(true, |to| year <= to))
            .map(|u| u["org_number"].clone())
            .collect();
        // 0604 is Kongsberg's number before 2020: filters accept earlier numbers too.
        let data = app
            .query(
                "query($year: Int) { units(filter: {owner: {code: \"0604\"}, kind: SCHOOL, schoolYear: $year}, first: 100) { edges { node { orgNumber kind owner { name } } } } }",
                json!({ "year": year }),
            )
            .await;
        let found: BTreeSet<String> = data["units"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["orgNumber"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(found, expected, "school year {year}");
        assert!(data["units"]["edges"][0]["node"]["owner"]["name"] == "Kongsberg kommune");
    }
}

/// The seeded rows of one unit, indicator and year, as (group, value, n, suppressed).
fn seeded_values(
    org: &str,
    indicator: &str,
    year: &str,
) -> BTreeSet<(String, String, String, bool)> {
    seed_rows("values.csv")
        .into_iter()
        .filter(|v| v["subject_level"] == "unit" && v["subject_code"] == org)
        .filter(|v| v["indicator_code"] == indicator && v["school_year"] == year)
        .map(|v| {
            (
                v["group"].clone(),
                v["value"].clone(),
                v["n"].clone(),
                v["suppressed"] == "true",
            )
        })
        .collect()
}

fn returned_values(connection: &Value) -> BTreeSet<(String, String, String, bool)> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let text = |value: &Value| match value {
                Value::Null => String::new(),
                Value::Number(number) => number.to_string(),
                other => panic!("unexpected {other}"),
            };
            (
                node["group"]["code"].as_str().unwrap().to_owned(),
                text(&node["value"]),
                text(&node["n"]),
                node["suppressed"].as_bool().unwrap(),
            )
        })
        .collect()
}

const UNIT_VALUES: &str = "query($org: String, $indicator: String!, $year: Int!) {
    unit(by: {orgNumber: $org}) { values(filter: {indicators: [$indicator], schoolYears: [$year]}, first: 100) {
        edges { node { group { code } value n suppressed indicator { code } schoolYear { year label } } } } } }";

async fn unit_values_match_the_seeded_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let unit = &seed_rows("units.csv")[0];
    let org = unit["org_number"].as_str();
    for indicator in ["eu_trivsel", "eu_mobbing"] {
        let data = app
            .query(
                UNIT_VALUES,
                json!({ "org": org, "indicator": indicator, "year": 2024 }),
            )
            .await;
        let values = &data["unit"]["values"];
        let expected = seeded_values(org, indicator, "2024");
        assert!(!expected.is_empty());
        assert_eq!(returned_values(values), expected, "{indicator}");
        assert_eq!(values["edges"][0]["node"]["schoolYear"]["label"], "24-25");
    }
}

async fn suppressed_cells_have_no_value(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let suppressed = seed_rows("values.csv")
        .into_iter()
        .find(|v| v["subject_level"] == "unit" && v["suppressed"] == "true")
        .expect("the seeds hold suppressed unit cells");
    let data = app
        .query(
            UNIT_VALUES,
            json!({
                "org": suppressed["subject_code"],
                "indicator": suppressed["indicator_code"],
                "year": suppressed["school_year"].parse::<i32>().unwrap(),
            }),
        )
        .await;
    let edges = data["unit"]["values"]["edges"].as_array().unwrap();
    let cell = edges
        .iter()
        .map(|edge| &edge["node"])
        .find(|node| node["group"]["code"] == suppressed["group"].as_str())
        .expect("the suppressed cell is listed");
    assert_eq!(cell["suppressed"], true);
    assert_eq!(cell["value"], Value::Null);
    assert_eq!(cell["n"], Value::Null);
}

const SELECTION_BY_NAME: &str = "query($year: Int) { selections(filter: {schoolYear: $year}, first: 100) {
    edges { node { id name scope lastUpdated schoolYear { year } owner { name } units(first: 100) { edges { node { orgNumber } } } } } } }";

async fn selection_units_are_the_seeded_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let selections = seed_rows("selections.csv");
    let members = seed_rows("selection_members.csv");
    let data = app.query(SELECTION_BY_NAME, json!({ "year": 2025 })).await;
    let returned = data["selections"]["edges"].as_array().unwrap();
    let seeded_2025: Vec<_> = selections
        .iter()
        .filter(|s| s["school_year"] == "2025")
        .collect();
    assert_eq!(returned.len(), seeded_2025.len());
    for seeded in seeded_2025 {
        let node = &returned
            .iter()
            .find(|edge| edge["node"]["name"] == seeded["name"].as_str())
            .unwrap_or_else(|| panic!("{} is listed", seeded["name"]))["node"];
        let expected: BTreeSet<&str> = members
            .iter()
            .filter(|m| m["selection_key"] == seeded["key"])
            .map(|m| m["org_number"].as_str())
            .collect();
        let found: BTreeSet<&str> = node["units"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["orgNumber"].as_str().unwrap())
            .collect();
        assert_eq!(found, expected, "{}", seeded["name"]);
        assert_eq!(node["scope"], seeded["scope"].to_uppercase());
        assert_eq!(node["owner"].is_null(), seeded["owner_key"].is_empty());
        let last_updated =
            chrono::DateTime::parse_from_rfc3339(node["lastUpdated"].as_str().unwrap()).unwrap();
        let seeded_time = chrono::DateTime::parse_from_rfc3339(&seeded["last_updated"]).unwrap();
        assert_eq!(last_updated, seeded_time);
    }
}

async fn selection_values_default_to_the_selection_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ selections(filter: {schoolYear: 2023, scope: OWNER}, first: 1) { edges { node {
                units(first: 100) { edges { node { orgNumber } } }
                values(filter: {indicators: [\"eu_trivsel\"], group: {}}, first: 500) { edges { node { schoolYear { year } unit { orgNumber } value } } } } } } }",
            json!({}),
        )
        .await;
    let selection = &data["selections"]["edges"][0]["node"];
    let members: BTreeSet<&str> = selection["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["orgNumber"].as_str().unwrap())
        .collect();
    let values = selection["values"]["edges"].as_array().unwrap();
    let expected = seed_rows("values.csv")
        .into_iter()
        .filter(|v| {
            v["indicator_code"] == "eu_trivsel" && v["group"] == "all" && v["school_year"] == "2023"
        })
        .filter(|v| v["subject_level"] == "unit" && members.contains(v["subject_code"].as_str()))
        .count();
    assert!(expected > 0);
    assert_eq!(values.len(), expected);
    for value in values {
        assert_eq!(value["node"]["schoolYear"]["year"], 2023);
        assert!(members.contains(value["node"]["unit"]["orgNumber"].as_str().unwrap()));
    }
}

async fn indicators_filter_by_source_category_and_unit_kind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let indicators = seed_rows("indicators.csv");
    let data = app
        .query(
            "{ eu: indicators(filter: {source: \"udir-elevundersokelsen\"}, first: 100) { edges { node { code direction source { code } } } }
               arts: indicators(filter: {unitKind: ARTS_SCHOOL, category: PRECONDITION}, first: 100) { edges { node { code appliesTo category } } } }",
            json!({}),
        )
        .await;
    let eu = data["eu"]["edges"].as_array().unwrap();
    let expected_eu = indicators
        .iter()
        .filter(|i| i["source_code"] == "udir-elevundersokelsen")
        .count();
    assert_eq!(eu.len(), expected_eu);
    assert_eq!(expected_eu, 12, "the 12 official Elevundersøkelsen indexes");
    let mobbing = eu
        .iter()
        .find(|edge| edge["node"]["code"] == "eu_mobbing")
        .unwrap();
    assert_eq!(mobbing["node"]["direction"], "LOWER_IS_BETTER");
    let arts = data["arts"]["edges"].as_array().unwrap();
    let expected_arts = indicators
        .iter()
        .filter(|i| {
            i["category"] == "forutsetning"
                && i["applies_to"].split('|').any(|k| k == "arts_school")
        })
        .count();
    assert_eq!(arts.len(), expected_arts);
    assert!(arts.iter().all(|edge| {
        edge["node"]["appliesTo"]
            .as_array()
            .unwrap()
            .contains(&json!("ARTS_SCHOOL"))
    }));
}

async fn every_node_is_found_again_by_its_global_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ owners(first: 1) { edges { node { id } } } units(first: 1) { edges { node { id } } }
               selections(first: 1) { edges { node { id } } } indicators(first: 1) { edges { node { id source { id } } } } }",
            json!({}),
        )
        .await;
    let ids = [
        ("Owner", data["owners"]["edges"][0]["node"]["id"].clone()),
        ("Unit", data["units"]["edges"][0]["node"]["id"].clone()),
        (
            "Selection",
            data["selections"]["edges"][0]["node"]["id"].clone(),
        ),
        (
            "Indicator",
            data["indicators"]["edges"][0]["node"]["id"].clone(),
        ),
        (
            "DataSource",
            data["indicators"]["edges"][0]["node"]["source"]["id"].clone(),
        ),
    ];
    for (typename, id) in ids {
        let found = app
            .query(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(found["node"]["__typename"], typename);
        assert_eq!(found["node"]["id"], id);
    }
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.store.close().await;
    let unready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(unready.status(), 503);
}

/// Every README example, sent as the README's curl sends its query (GET), as the example's user
/// when it names one, answers the JSON the README shows.
async fn the_readme_examples_answer_as_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let examples = readme_examples();
    assert!(examples.len() >= 3, "the README's examples are found");
    for example in examples {
        let mut request = reqwest::Client::new()
            .get(app.url("/graphql"))
            .query(&[("query", example.query.as_str())]);
        if let Some(user) = &example.as_user {
            request = request.bearer_auth(app.token_for(user).await);
        }
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(body, example.expected, "{}", example.query);
    }
}

/// Lists are ordered by registration (the id), and the seeds register units in the order of
/// units.csv on both databases, so a page is the same whichever database serves it.
async fn units_are_listed_in_the_order_they_were_registered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            "{ units(first: 500) { edges { node { orgNumber } } } }",
            json!({}),
        )
        .await;
    let listed: Vec<&str> = data["units"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["orgNumber"].as_str().unwrap())
        .collect();
    let seeded: Vec<String> = seed_rows("units.csv")
        .into_iter()
        .map(|row| row["org_number"].clone())
        .collect();
    assert_eq!(listed, seeded);
}

/// The planner has statistics for the seeded tables at once: seeding ends with `ANALYZE`.
async fn seeding_leaves_the_tables_analysed(backend: Backend) {
    use sqlx::Connection;

    let app = TestApp::spawn(backend).await;
    let statistics: (i64,) = match backend {
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query_as("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'indicator_values'")
                .fetch_one(&mut connection)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&app.database_url)
                .await
                .unwrap();
            sqlx::query_as("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'indicator_values'")
                .fetch_one(&mut connection)
                .await
                .unwrap()
        }
    };
    assert!(
        statistics.0 > 0,
        "{backend:?}: no statistics on indicator_values"
    );
}
