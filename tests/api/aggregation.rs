//! Aggregation, prikking (suppression), colour tables and trends against expectations computed
//! from the seed files.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, seed_rows};

crate::on_both_databases!(
    survey_values_below_the_threshold_are_suppressed_on_every_path,
    a_computed_aggregate_is_the_weighted_mean_of_visible_members,
    a_published_owner_value_is_used_as_published,
    hidden_members_change_no_aggregate,
    colour_cells_have_the_colour_of_the_indicator_rule,
    suppressed_seed_cells_never_appear_in_tables_or_trends,
    anonymous_callers_get_no_restricted_aggregates,
    restricted_sets_of_units_need_every_member_readable,
    arts_school_aggregation_has_a_row_per_owner_with_an_arts_school,
);

type Row = HashMap<String, String>;

const NATIONAL_READER: &str = "analytiker@kulturskoleradet.no";
const KONGSBERG_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const KONGSBERG_ARTS_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";

const AGGREGATE: &str = "query($indicators: [String!]!, $year: Int!, $subject: SubjectRef!) {
    aggregate(indicators: $indicators, schoolYear: $year, subject: $subject) {
        indicator { code } value n suppressed suppressionReason computed
        members membersCounted membersSuppressed membersMissing } }";

const COLOUR_TABLE: &str = "query($rows: UnitSetRef!, $year: Int!, $indicators: [String!]!) {
    colourTable(rows: $rows, schoolYear: $year, indicators: $indicators) {
        rows { unit { orgNumber } cells { indicator { code } value n suppressed suppressionReason colour } }
        ownerRow { label cells { indicator { code } value n suppressed suppressionReason colour } }
        nationRow { label cells { indicator { code } value n suppressed suppressionReason colour } } } }";

const TREND: &str = "query($indicator: String!, $orgNumber: String!) {
    trend(indicator: {code: $indicator}, subject: {unit: {orgNumber: $orgNumber}}) {
        points { schoolYear { year } value n suppressed suppressionReason change ownerValue nationValue } } }";

/// A `units` set of a `SubjectRef`, by organisasjonsnummer.
fn units<S: AsRef<str>>(org_numbers: &[S]) -> Value {
    org_numbers
        .iter()
        .map(|org| json!({ "orgNumber": org.as_ref() }))
        .collect()
}

fn threshold_of(indicator: &str) -> i64 {
    let source = seed_rows("indicators.csv")
        .into_iter()
        .find(|row| row["code"] == indicator)
        .unwrap()["source_code"]
        .clone();
    seed_rows("data_sources.csv")
        .into_iter()
        .find(|row| row["code"] == source)
        .unwrap()["suppression_threshold"]
        .parse()
        .unwrap()
}

/// The seeded `all`-group value rows of one indicator and year at one level, by subject code.
fn seeded(indicator: &str, level: &str, year: i32) -> HashMap<String, Row> {
    seed_rows("values.csv")
        .into_iter()
        .filter(|row| {
            row["indicator_code"] == indicator
                && row["subject_level"] == level
                && row["school_year"] == year.to_string()
                && row["group"] == "all"
        })
        .map(|row| (row["subject_code"].clone(), row))
        .collect()
}

/// A seeded row's value if prikking lets it be shown, with its n.
fn visible(row: &Row, threshold: i64) -> Option<(f64, i64)> {
    let value: f64 = row["value"].parse().ok()?;
    let n: i64 = row["n"].parse().ok()?;
    (row["suppressed"] == "false" && n >= threshold).then_some((value, n))
}

/// The n-weighted mean of the visible members, as (value, total n, counted).
fn weighted_mean(indicator: &str, year: i32, members: &[String]) -> (f64, i64, usize) {
    let threshold = threshold_of(indicator);
    let rows = seeded(indicator, "unit", year);
    let shown: Vec<(f64, i64)> = members
        .iter()
        .filter_map(|org| rows.get(org).and_then(|row| visible(row, threshold)))
        .collect();
    let total: i64 = shown.iter().map(|(_, n)| n).sum();
    let sum: f64 = shown.iter().map(|(value, n)| value * *n as f64).sum();
    (sum / total as f64, total, shown.len())
}

/// Organisasjonsnummer of the seeded units of `kind` active in `year`.
fn units_active_in(kind: &str, year: i32) -> Vec<String> {
    seed_rows("units.csv")
        .into_iter()
        .filter(|unit| unit["kind"] == kind)
        .filter(|unit| {
            unit["active_from"]
                .parse::<i32>()
                .is_ok_and(|from| from <= year)
                || unit["active_from"].is_empty()
        })
        .filter(|unit| {
            unit["active_to"].parse::<i32>().is_ok_and(|to| year <= to)
                || unit["active_to"].is_empty()
        })
        .map(|unit| unit["org_number"].clone())
        .collect()
}

fn assert_hidden(cell: &Value, reason: &str) {
    assert_eq!(cell["value"], Value::Null, "{cell}");
    assert_eq!(cell["n"], Value::Null, "{cell}");
    assert_eq!(cell["suppressed"], true, "{cell}");
    assert_eq!(cell["suppressionReason"], reason, "{cell}");
}

async fn data_as(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = app.query_as(token, query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

async fn survey_values_below_the_threshold_are_suppressed_on_every_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Kongsberg kulturskole, parent survey 2024: n = 6 in the seeds, below the threshold of 10.
    let (org, indicator, year) = ("879819334", "kf_informasjon", 2024);
    let seeded_n: i64 = seeded(indicator, "unit", year)[org]["n"].parse().unwrap();
    assert!(seeded_n < threshold_of(indicator));
    let leader = app.token_for(KONGSBERG_ARTS_LEADER).await;
    let values = data_as(
        &app,
        Some(&leader),
        "query($org: String!) { unit(by: {orgNumber: $org}) { values(filter: {indicators: [\"kf_informasjon\"], schoolYears: [2024]}) {
            edges { node { value n suppressed suppressionReason } } } } }",
        json!({ "org": org }),
    )
    .await;
    let cell = &values["unit"]["values"]["edges"][0]["node"];
    assert_hidden(cell, "BELOW_THRESHOLD");

    let admin = app.token_for(KONGSBERG_ADMIN).await;
    let table = data_as(
        &app,
        Some(&admin),
        COLOUR_TABLE,
        json!({ "rows": { "owner": { "code": "3303" } }, "year": year, "indicators": [indicator] }),
    )
    .await;
    let row = table["colourTable"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["unit"]["orgNumber"] == org)
        .expect("the kulturskole is a row");
    assert_hidden(&row["cells"][0], "BELOW_THRESHOLD");
    assert_eq!(row["cells"][0]["colour"], "NONE");
    assert_eq!(
        table["colourTable"]["ownerRow"]["cells"][0]["value"],
        Value::Null
    );

    let aggregate = data_as(
        &app,
        Some(&admin),
        AGGREGATE,
        json!({ "indicators": [indicator], "year": year, "subject": { "owner": { "code": "3303" } } }),
    )
    .await;
    let aggregate = &aggregate["aggregate"][0];
    assert_eq!(aggregate["value"], Value::Null);
    assert_eq!(aggregate["n"], Value::Null);
    assert_eq!(aggregate["membersSuppressed"], 1);

    let trend = data_as(
        &app,
        Some(&leader),
        TREND,
        json!({ "indicator": indicator, "orgNumber": org }),
    )
    .await;
    let point = trend["trend"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|point| point["schoolYear"]["year"] == year)
        .unwrap();
    assert_hidden(point, "BELOW_THRESHOLD");
    assert_eq!(point["change"], Value::Null);
}

async fn a_computed_aggregate_is_the_weighted_mean_of_visible_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let selections = app
        .query(
            "{ selections(filter: {schoolYear: 2025, scope: NATIONAL}) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    let national = &selections["selections"]["edges"][0]["node"];
    let key = seed_rows("selections.csv")
        .into_iter()
        .find(|row| row["name"] == national["name"].as_str().unwrap())
        .unwrap()["key"]
        .clone();
    let members: Vec<String> = seed_rows("selection_members.csv")
        .into_iter()
        .filter(|row| row["selection_key"] == key)
        .map(|row| row["org_number"].clone())
        .collect();
    // Elevundersøkelsen has every school visible; nasjonale prøver 5. trinn has hidden schools.
    for indicator in ["eu_trivsel", "np_lesing_5"] {
        let (expected, total, counted) = weighted_mean(indicator, 2025, &members);
        let data = app
            .query(
                AGGREGATE,
                json!({ "indicators": [indicator], "year": 2025, "subject": { "selection": national["id"] } }),
            )
            .await;
        let aggregate = &data["aggregate"][0];
        assert_eq!(aggregate["computed"], true);
        assert!(
            (aggregate["value"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{indicator}: {aggregate} vs {expected}"
        );
        assert_eq!(aggregate["n"], total);
        assert_eq!(aggregate["membersCounted"], counted);
    }
}

async fn a_published_owner_value_is_used_as_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let published = &seeded("eu_trivsel", "owner", 2024)["3303"];
    let data = app
        .query(
            AGGREGATE,
            json!({ "indicators": ["eu_trivsel"], "year": 2024, "subject": { "owner": { "code": "3303" } } }),
        )
        .await;
    let aggregate = &data["aggregate"][0];
    assert_eq!(aggregate["computed"], false);
    assert_eq!(
        aggregate["value"].as_f64().unwrap(),
        published["value"].parse::<f64>().unwrap()
    );
    assert_eq!(
        aggregate["n"].as_i64().unwrap(),
        published["n"].parse::<i64>().unwrap()
    );
    assert_eq!(aggregate["membersCounted"], Value::Null);
}

/// The first unit whose seeded `all` value of `indicator` in `year` prikking hides (suppressed
/// at the source or below the threshold; not merely missing).
fn hidden_unit(indicator: &str, year: i32) -> String {
    let threshold = threshold_of(indicator);
    let mut hidden: Vec<String> = seeded(indicator, "unit", year)
        .into_iter()
        .filter(|(_, row)| {
            row["suppressed"] == "true" || row["n"].parse::<i64>().is_ok_and(|n| n < threshold)
        })
        .map(|(org, _)| org)
        .collect();
    hidden.sort();
    hidden.into_iter().next().expect("the seeds hide a unit")
}

/// The differencing rule: an aggregate with a hidden member equals the one without it, so no
/// pair of answers reveals the hidden value.
async fn hidden_members_change_no_aggregate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Public statistics, over chosen sets of schools: with and without a hidden school.
    for (indicator, year) in [("np_lesing_5", 2024), ("grunnskolepoeng", 2023)] {
        let hidden = hidden_unit(indicator, year);
        let all = units_active_in("school", year);
        assert!(all.contains(&hidden));
        let without: Vec<&String> = all.iter().filter(|org| **org != hidden).collect();
        let query = |variables: Value| data_as(&app, None, AGGREGATE, variables);
        let with_hidden = query(
            json!({ "indicators": [indicator], "year": year, "subject": { "units": units(&all) } }),
        )
        .await["aggregate"][0]
            .clone();
        let without_hidden =
            query(json!({ "indicators": [indicator], "year": year, "subject": { "units": units(&without) } })).await
                ["aggregate"][0]
                .clone();
        for field in ["value", "n", "membersCounted", "suppressed"] {
            assert_eq!(
                with_hidden[field], without_hidden[field],
                "{indicator} {field}"
            );
        }
        assert_eq!(
            with_hidden["membersSuppressed"].as_i64().unwrap(),
            without_hidden["membersSuppressed"].as_i64().unwrap() + 1
        );
        let (expected, _, _) = weighted_mean(indicator, year, &all);
        assert!((with_hidden["value"].as_f64().unwrap() - expected).abs() < 1e-9);
    }
    // A restricted survey, as the national reader sees it: the computed national aggregate leaves
    // the hidden kulturskole out, and its owner's aggregate (over that one school) stays hidden.
    let reader = app.token_for(NATIONAL_READER).await;
    for (indicator, year) in [("kf_informasjon", 2024), ("ke_trivsel", 2022)] {
        let hidden = hidden_unit(indicator, year);
        let all = units_active_in("arts_school", year);
        let query = |variables: Value| data_as(&app, Some(&reader), AGGREGATE, variables);
        let nation = query(
            json!({ "indicators": [indicator], "year": year, "subject": { "nation": true } }),
        )
        .await["aggregate"][0]
            .clone();
        let (expected, total, counted) = weighted_mean(indicator, year, &all);
        assert!((nation["value"].as_f64().unwrap() - expected).abs() < 1e-9);
        assert_eq!(nation["n"], total);
        assert_eq!(nation["membersCounted"], counted);
        assert_eq!(nation["membersSuppressed"], 1);
        let owner_code = owner_code_of(&hidden);
        let owner =
            query(json!({ "indicators": [indicator], "year": year, "subject": { "owner": { "code": owner_code } } }))
                .await["aggregate"][0]
                .clone();
        assert_eq!(owner["value"], Value::Null, "{owner}");
        assert_eq!(owner["suppressed"], true, "{owner}");
    }
}

/// The current kommunenummer of a unit's owner.
fn owner_code_of(org: &str) -> String {
    let owner_key = seed_rows("units.csv")
        .into_iter()
        .find(|unit| unit["org_number"] == org)
        .unwrap()["owner_key"]
        .clone();
    seed_rows("owner_codes.csv")
        .into_iter()
        .find(|code| code["owner_key"] == owner_key && code["valid_to"].is_empty())
        .unwrap()["code"]
        .clone()
}

/// Chosen sets of units (`units`, an utvalg) give restricted aggregates only to a caller who
/// may read every member: otherwise two sets differing in one unit would reveal it. Owner and
/// national aggregates stay open to national readers.
async fn restricted_sets_of_units_need_every_member_readable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (indicator, year) = ("ke_trivsel", 2025);
    let arts_schools = units_active_in("arts_school", year);
    let kongsberg: Vec<String> = arts_schools
        .iter()
        .filter(|org| owner_code_of(org) == "3303")
        .cloned()
        .collect();
    assert_eq!(kongsberg.len(), 1);
    let network = data_as(
        &app,
        None,
        "{ selections(filter: {schoolYear: 2025, scope: NETWORK}) { edges { node { id } } } }",
        json!({}),
    )
    .await["selections"]["edges"][0]["node"]["id"]
        .clone();
    let aggregate = |token: String, subject: Value| {
        let app = &app;
        async move {
            let mut variables = json!({ "indicators": [indicator], "year": year });
            variables
                .as_object_mut()
                .unwrap()
                .extend(subject.as_object().unwrap().clone());
            data_as(app, Some(&token), AGGREGATE, variables).await["aggregate"][0].clone()
        }
    };

    let reader = app.token_for(NATIONAL_READER).await;
    for subject in [
        json!({ "subject": { "units": units(&kongsberg) } }),
        json!({ "subject": { "units": units(&arts_schools) } }),
        json!({ "subject": { "selection": network } }),
    ] {
        assert_hidden(&aggregate(reader.clone(), subject).await, "NOT_PERMITTED");
    }
    // Lillestrøm runs three kulturskoler: enough members for a national reader.
    for subject in [
        json!({ "subject": { "owner": { "code": "3205" } } }),
        json!({ "subject": { "nation": true } }),
    ] {
        let shown = aggregate(reader.clone(), subject).await;
        assert_eq!(shown["suppressed"], false, "{shown}");
    }
    // Kongsberg runs one: its aggregate would be that school's own result (issue 16).
    let alone = aggregate(
        reader.clone(),
        json!({ "subject": { "owner": { "code": "3303" } } }),
    )
    .await;
    assert_hidden(&alone, "TOO_FEW_MEMBERS");
    assert_eq!(alone["membersCounted"], Value::Null, "{alone}");

    let (expected, _, _) = weighted_mean(indicator, year, &kongsberg);
    for user in [KONGSBERG_ADMIN, KONGSBERG_ARTS_LEADER] {
        let token = app.token_for(user).await;
        let own = aggregate(
            token.clone(),
            json!({ "subject": { "units": units(&kongsberg) } }),
        )
        .await;
        assert!(
            (own["value"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{own}"
        );
        let mixed = aggregate(
            token,
            json!({ "subject": { "units": units(&arts_schools) } }),
        )
        .await;
        assert_hidden(&mixed, "NOT_PERMITTED");
    }
}

/// The colour `domain::classify` gives, computed here from the rule in indicators.csv.
fn expected_colour(rule: &Row, value: Option<f64>, national: Option<f64>) -> &'static str {
    let Some(value) = value else { return "NONE" };
    let sign = match rule["direction"].as_str() {
        "higher_is_better" => 1.0,
        "lower_is_better" => -1.0,
        _ => return "NONE",
    };
    let number = |column: &str| rule[column].parse::<f64>().ok();
    match rule["colour_mode"].as_str() {
        "absolute" => {
            let (green, red) = (
                number("colour_green").unwrap(),
                number("colour_red").unwrap(),
            );
            if sign * value >= sign * green {
                "GREEN"
            } else if sign * value < sign * red {
                "RED"
            } else {
                "YELLOW"
            }
        }
        "relative_national" => {
            let (Some(margin), Some(reference)) = (number("colour_margin"), national) else {
                return "NONE";
            };
            let better_by = sign * (value - reference);
            if better_by > margin {
                "GREEN"
            } else if better_by < -margin {
                "RED"
            } else {
                "YELLOW"
            }
        }
        _ => "NONE",
    }
}

async fn colour_cells_have_the_colour_of_the_indicator_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let indicators = ["eu_trivsel", "eu_mobbing", "np_lesing_5"];
    let rules: HashMap<String, Row> = seed_rows("indicators.csv")
        .into_iter()
        .map(|row| (row["code"].clone(), row))
        .collect();
    let year = 2024;
    let data = app
        .query(
            COLOUR_TABLE,
            json!({ "rows": { "owner": { "code": "3303" } }, "year": year, "indicators": indicators }),
        )
        .await;
    let rows = data["colourTable"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let stored: HashMap<&str, (HashMap<String, Row>, Option<f64>)> = indicators
        .iter()
        .map(|&indicator| {
            let national = seeded(indicator, "nation", year)
                .get("")
                .and_then(|row| row["value"].parse().ok());
            (indicator, (seeded(indicator, "unit", year), national))
        })
        .collect();
    let mut coloured = 0;
    for row in rows {
        let org = row["unit"]["orgNumber"].as_str().unwrap();
        for (cell, indicator) in row["cells"].as_array().unwrap().iter().zip(indicators) {
            assert_eq!(cell["indicator"]["code"], indicator);
            let threshold = threshold_of(indicator);
            let (units, national) = &stored[indicator];
            let shown = units.get(org).and_then(|row| visible(row, threshold));
            assert_eq!(
                cell["value"].as_f64(),
                shown.map(|(value, _)| value),
                "{org} {indicator}"
            );
            let expected = expected_colour(&rules[indicator], shown.map(|s| s.0), *national);
            assert_eq!(cell["colour"], expected, "{org} {indicator}");
            coloured += usize::from(expected != "NONE");
        }
    }
    assert!(coloured > 5, "the table colours cells");
    let nation = &data["colourTable"]["nationRow"]["cells"][0];
    let national: f64 = seeded("eu_trivsel", "nation", year)[""]["value"]
        .parse()
        .unwrap();
    assert_eq!(nation["value"].as_f64(), Some(national));
}

async fn suppressed_seed_cells_never_appear_in_tables_or_trends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cells: Vec<Row> = seed_rows("values.csv")
        .into_iter()
        .filter(|row| {
            row["subject_level"] == "unit" && row["group"] == "all" && row["suppressed"] == "true"
        })
        .take(3)
        .collect();
    assert!(!cells.is_empty());
    for cell in cells {
        let (indicator, org) = (&cell["indicator_code"], &cell["subject_code"]);
        let year: i32 = cell["school_year"].parse().unwrap();
        let trend = app
            .query(TREND, json!({ "indicator": indicator, "orgNumber": org }))
            .await;
        let point = trend["trend"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|point| point["schoolYear"]["year"] == year)
            .unwrap()
            .clone();
        assert_hidden(&point, "SUPPRESSED_AT_SOURCE");
        let owner = app
            .query(
                "query($org: String!) { unit(by: {orgNumber: $org}) { owner { code } } }",
                json!({ "org": org }),
            )
            .await["unit"]["owner"]["code"]
            .clone();
        let table = app
            .query(
                COLOUR_TABLE,
                json!({ "rows": { "owner": { "code": owner } }, "year": year, "indicators": [indicator] }),
            )
            .await;
        let row = table["colourTable"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["unit"]["orgNumber"] == org.as_str())
            .expect("the unit is a row")
            .clone();
        assert_hidden(&row["cells"][0], "SUPPRESSED_AT_SOURCE");
    }
}

async fn anonymous_callers_get_no_restricted_aggregates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = app
        .query(
            AGGREGATE,
            json!({ "indicators": ["ke_trivsel", "gsi_elever"], "year": 2024, "subject": { "nation": true } }),
        )
        .await;
    let restricted = &data["aggregate"][0];
    assert_hidden(restricted, "NOT_PERMITTED");
    assert_eq!(data["aggregate"][1]["suppressed"], false);
    let table = app
        .query(
            COLOUR_TABLE,
            json!({ "rows": { "owner": { "code": "3303" } }, "year": 2024, "indicators": ["ke_trivsel"] }),
        )
        .await;
    for row in table["colourTable"]["rows"].as_array().unwrap() {
        assert_hidden(&row["cells"][0], "NOT_PERMITTED");
    }
    assert_hidden(
        &table["colourTable"]["nationRow"]["cells"][0],
        "NOT_PERMITTED",
    );
}

async fn arts_school_aggregation_has_a_row_per_owner_with_an_arts_school(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reader = app.token_for(NATIONAL_READER).await;
    let year = 2024;
    let data = data_as(
        &app,
        Some(&reader),
        "query($year: Int!) { artsSchoolAggregation(schoolYear: $year,
            indicators: [\"ke_trivsel\", \"kf_informasjon\", \"gsi_elever\", \"kostra_andel_elever_6_15\"]) {
            owners { owner { name } artsSchools aggregates { indicator { code } value n computed membersCounted } }
            nation { artsSchools aggregates { indicator { code } value computed } } } }",
        json!({ "year": year }),
    )
    .await;
    let aggregation = &data["artsSchoolAggregation"];
    let all = units_active_in("arts_school", year);
    assert_eq!(aggregation["nation"]["artsSchools"], all.len());
    let owners = aggregation["owners"].as_array().unwrap();
    let unit_owners: std::collections::BTreeSet<String> = seed_rows("units.csv")
        .into_iter()
        .filter(|unit| all.contains(&unit["org_number"]))
        .map(|unit| unit["owner_key"].clone())
        .collect();
    assert_eq!(owners.len(), unit_owners.len());
    let (expected, _, _) = weighted_mean("ke_trivsel", year, &all);
    let nation = &aggregation["nation"]["aggregates"];
    assert!((nation[0]["value"].as_f64().unwrap() - expected).abs() < 1e-9);
    assert_eq!(nation[0]["computed"], true);
    let gsi_nation: f64 = seeded("gsi_elever", "nation", year)[""]["value"]
        .parse()
        .unwrap();
    assert_eq!(nation[2]["value"].as_f64(), Some(gsi_nation));
    assert_eq!(nation[2]["computed"], false);
}
