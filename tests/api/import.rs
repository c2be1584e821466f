//! Import (issue 17): the fixtures under tests/fixtures/import, written to Varde's CSV template
//! and to JSON-stat 2.0, imported through the seeded import rules and read back through GraphQL;
//! idempotence, dry runs, corrected files with history, and bad files that write nothing.

use std::{collections::HashMap, path::Path};

use serde_json::{Value, json};
use varde::{
    domain::Kommunenummer,
    import::{ImportRequest, ReadOptions, Report, import},
};

use crate::helpers::{Backend, TestApp, error_codes, stored_rows};

crate::on_both_databases!(
    the_template_imports_from_every_dialect_and_again_changes_nothing,
    a_file_with_bad_rows_is_reported_and_writes_nothing,
    a_json_stat_dataset_imports_through_the_rules,
    statistikkbanken_json_and_csv_import_the_same_values_counting_repeats_once,
    a_json_stat_1_bundle_imports_every_dataset_as_2_0_does,
    old_kommunenummer_find_their_owner_through_klass_and_a_split_is_asked_for,
    schools_named_only_by_name_resolve_to_their_unit_or_are_reported,
    a_file_of_several_batches_imports_exactly_and_again_changes_nothing,
    a_conflict_between_rows_far_apart_in_a_large_file_is_reported_with_both_lines,
);

const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
const UNIT_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";

/// Imports a fixture file through the library, as `varde import` does.
async fn import_fixture(app: &TestApp, source: &str, file: &str, dry_run: bool) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(file);
    let bytes = std::fs::read(path).unwrap();
    import_bytes(app, source, file, &bytes, &[], dry_run).await
}

/// Imports a fixture file with split choices, as `varde import --split OLD=NEW` does.
async fn import_with_splits(
    app: &TestApp,
    source: &str,
    file: &str,
    splits: &[(&str, &str)],
) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(file);
    import_bytes(
        app,
        source,
        file,
        &std::fs::read(path).unwrap(),
        splits,
        false,
    )
    .await
}

/// Imports `bytes` under the file name `file`.
async fn import_bytes(
    app: &TestApp,
    source: &str,
    file: &str,
    bytes: &[u8],
    splits: &[(&str, &str)],
    dry_run: bool,
) -> Report {
    let request = ImportRequest {
        source: source.to_owned(),
        file_name: file.to_owned(),
        imported_by: "test".to_owned(),
        options: ReadOptions::default(),
        dry_run,
        splits: splits
            .iter()
            .map(|(old, new)| {
                (
                    Kommunenummer::parse(old).unwrap(),
                    Kommunenummer::parse(new).unwrap(),
                )
            })
            .collect(),
    };
    import(&app.store, &request, bytes).await.unwrap()
}

/// (inserted, updated, unchanged, rejected) of a report.
fn counts(report: &Report) -> (u64, u64, u64, u64) {
    (
        report.counts.inserted,
        report.counts.updated,
        report.counts.unchanged,
        report.rejected,
    )
}

/// The values of unit `org` in `year` as `user` (anonymous with `None`) sees them, by
/// "indicator group".
async fn unit_values(
    app: &TestApp,
    user: Option<&str>,
    org: &str,
    year: i32,
) -> HashMap<String, Value> {
    let token = match user {
        Some(user) => Some(app.token_for(user).await),
        None => None,
    };
    let body = app
        .query_as(
            token.as_deref(),
            "query($org: String!, $year: Int!) { unit(by: {orgNumber: $org}) {
                values(first: 100, filter: {schoolYears: [$year]}) { edges { node {
                    indicator { code } group { code } value n suppressed suppressionReason } } } } }",
            json!({ "org": org, "year": year }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    by_indicator_and_group(&body["data"]["unit"]["values"])
}

/// The Kongsberg kulturskole's values in `year` as its leader sees them.
async fn arts_school_values(app: &TestApp, year: i32) -> HashMap<String, Value> {
    unit_values(app, Some(UNIT_LEADER), KONGSBERG_ARTS_SCHOOL, year).await
}

fn by_indicator_and_group(values: &Value) -> HashMap<String, Value> {
    values["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let key = format!(
                "{} {}",
                node["indicator"]["code"].as_str().unwrap(),
                node["group"]["code"].as_str().unwrap()
            );
            (key, node.clone())
        })
        .collect()
}

/// Each data source's and each 2025 selection's lastUpdated.
async fn last_updated(app: &TestApp) -> (HashMap<String, Value>, HashMap<String, Value>) {
    let data = app
        .query(
            "{ dataSources { code lastUpdated }
               selections(first: 100, filter: {schoolYear: 2025}) { edges { node { name lastUpdated } } } }",
            json!({}),
        )
        .await;
    let sources = data["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|source| {
            (
                source["code"].as_str().unwrap().to_owned(),
                source["lastUpdated"].clone(),
            )
        })
        .collect();
    let selections = data["selections"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["name"].as_str().unwrap().to_owned(),
                edge["node"]["lastUpdated"].clone(),
            )
        })
        .collect();
    (sources, selections)
}

async fn the_template_imports_from_every_dialect_and_again_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (sources_before, selections_before) = last_updated(&app).await;
    assert!(
        sources_before.values().all(Value::is_null),
        "{sources_before:?}"
    );

    let first = import_fixture(&app, "varde-mal", "mal-utf8-semikolon.csv", false).await;
    assert_eq!(counts(&first), (8, 0, 0, 0), "{first}");

    let values = arts_school_values(&app, 2026).await;
    assert_eq!(values.len(), 6, "{values:#?}");
    assert_eq!(values["ke_trivsel all"]["value"], 4.4);
    assert_eq!(values["ke_trivsel all"]["n"], 55);
    // n = 7 is below the threshold of 10, and complementary suppression (recomputed on import,
    // the seeds' rule) hides the girls, who would otherwise give the boys away as all - girls.
    assert_eq!(
        values["ke_trivsel kjonn=gutter"]["suppressionReason"],
        "BELOW_THRESHOLD"
    );
    assert_eq!(
        values["ke_trivsel kjonn=jenter"]["suppressionReason"],
        "COMPLEMENTARY"
    );
    assert_eq!(values["ke_trivsel kjonn=jenter"]["value"], Value::Null);
    assert_eq!(
        values["kf_tilfredshet all"]["suppressionReason"],
        "SUPPRESSED_AT_SOURCE"
    );
    assert_eq!(values["gsi_arsverk all"]["value"], 12.5);
    assert_eq!(values["gsi_elever all"]["value"], 1012.0);
    // Kongsberg by today's kommunenummer, and by its number from before 2020.
    let owner = app
        .query(
            "{ owner(by: {code: \"3303\"}) { values(filter: {schoolYears: [2026]}) { edges { node {
                indicator { code } group { code } value } } } } }",
            json!({}),
        )
        .await;
    let owner_values = by_indicator_and_group(&owner["owner"]["values"]);
    assert_eq!(owner_values["gsi_elever all"]["value"], 1012.0);
    assert_eq!(owner_values["gsi_venteliste all"]["value"], 140.0);

    let (sources, selections) = last_updated(&app).await;
    for source in [
        "kulturskole-elevundersokelse",
        "kulturskole-foreldreundersokelse",
        "gsi",
    ] {
        assert!(sources[source].is_string(), "{source}: {sources:?}");
    }
    assert!(sources["udir-elevundersokelsen"].is_null());
    assert_eq!(selections, selections_before, "no 2025 value changed");

    // The same values again, in other dialects and byte for byte: nothing changes.
    for file in [
        "mal-utf16le-tab.csv",
        "mal-windows1252-pipe.csv",
        "mal-utf8-semikolon.csv",
    ] {
        let again = import_fixture(&app, "varde-mal", file, false).await;
        assert_eq!(counts(&again), (0, 0, 8, 0), "{again}");
    }
    assert_eq!(last_updated(&app).await.0, sources);

    // A dry run of the corrected file reports and writes nothing.
    let dry = import_fixture(&app, "varde-mal", "mal-rettet.csv", true).await;
    assert_eq!(counts(&dry), (0, 2, 7, 0), "{dry}");
    assert!(
        dry.to_string().contains("dry run, nothing written"),
        "{dry}"
    );
    assert_eq!(
        arts_school_values(&app, 2026).await["ke_trivsel all"]["value"],
        4.4
    );

    // The corrected file updates the two changed values and keeps the old ones as history.
    let corrected = import_fixture(&app, "varde-mal", "mal-rettet.csv", false).await;
    assert_eq!(counts(&corrected), (0, 2, 7, 0), "{corrected}");
    assert_eq!(
        arts_school_values(&app, 2026).await["ke_trivsel all"]["value"],
        4.45
    );
    assert_eq!(
        arts_school_values(&app, 2025).await["gsi_elever all"]["value"],
        690.0
    );
    let history: Vec<(Option<f64>, Option<i64>, bool)> = stored_rows(
        &app.database_url,
        "SELECT value, respondents, suppressed FROM indicator_value_history ORDER BY value_id",
    )
    .await;
    assert_eq!(
        history,
        [(Some(685.0), None, false), (Some(4.4), Some(55), false)]
    );
    // The 2025 selections that hold the kulturskole are updated; the others are not.
    let (_, selections) = last_updated(&app).await;
    for (name, updated) in &selections {
        let holds_it = [
            "Kongsberg kommune (25-26)",
            "Nasjonalt (25-26)",
            "Kulturskolenettverk Buskerud (25-26)",
        ]
        .contains(&name.as_str());
        assert_eq!(updated != &selections_before[name], holds_it, "{name}");
    }

    let log: Vec<(String, String, bool, i64, i64, i64, i64)> = stored_rows(
        &app.database_url,
        "SELECT file_name, imported_by, applied, inserted, updated, unchanged, rejected FROM imports ORDER BY id",
    )
    .await;
    let files: Vec<&str> = log.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(
        files,
        [
            "mal-utf8-semikolon.csv",
            "mal-utf16le-tab.csv",
            "mal-windows1252-pipe.csv",
            "mal-utf8-semikolon.csv",
            "mal-rettet.csv"
        ],
        "dry runs are not logged"
    );
    assert_eq!(
        log[4],
        ("mal-rettet.csv".into(), "test".into(), true, 0, 2, 7, 0)
    );
    let checksums: Vec<(String,)> = stored_rows(
        &app.database_url,
        "SELECT checksum FROM imports ORDER BY id",
    )
    .await;
    assert_eq!(
        checksums[0], checksums[3],
        "the same file has the same checksum"
    );
    assert_ne!(checksums[0], checksums[1]);
    assert_eq!(checksums[0].0.len(), 64);
}

async fn a_file_with_bad_rows_is_reported_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for dry_run in [true, false] {
        let report = import_fixture(&app, "varde-mal", "mal-feil.csv", dry_run).await;
        assert_eq!(counts(&report), (0, 0, 0, 5), "{report}");
        assert_eq!(report.duplicates, 1, "line 7 repeats line 2 word for word");
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "line 3: no unit or owner has organisasjonsnummer 912345602",
                "line 4: indicator code \"eu_trivsel\" has no import rule for the source varde-mal",
                "line 5: value \"4,2x\" is malformed: it is not a number such as 12, 4,25 or 12 345,5",
                "line 6: a value (4,3) is given for a suppressed cell",
                "line 8: the same value is given at line 2 with other content",
            ]
        );
        assert!(
            report.to_string().contains("mal-feil.csv line 3: no unit"),
            "{report}"
        );
        assert!(
            report
                .to_string()
                .ends_with("duplicates 1, skipped 0, rejected 5: nothing applied"),
            "{report}"
        );
    }
    // Lines 2 and 7 are good, but with any error nothing is applied.
    let written: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "SELECT COUNT(*) FROM indicator_values WHERE school_year = 2026",
    )
    .await;
    assert_eq!(written, [(0,)]);
    assert!(arts_school_values(&app, 2026).await.is_empty());
    let years: Vec<(i64,)> =
        stored_rows(&app.database_url, "SELECT MAX(year) FROM school_years").await;
    assert_eq!(years, [(2025,)]);
    assert!(last_updated(&app).await.0.values().all(Value::is_null));
    // The refused import is logged (not the dry run), with its rejected rows and nothing
    // applied, and national admins read the log through GraphQL; nobody else does.
    let log = "{ imports { edges { node { source fileName checksum importedBy applied
        inserted updated unchanged rejected } } } }";
    let admin = app.token_for("admin@varde.example").await;
    let body = app.query_as(Some(&admin), log, json!({})).await;
    let entries = body["data"]["imports"]["edges"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{body:#}");
    let entry = &entries[0]["node"];
    assert_eq!(
        (
            &entry["source"],
            &entry["fileName"],
            &entry["importedBy"],
            &entry["applied"]
        ),
        (
            &json!("varde-mal"),
            &json!("mal-feil.csv"),
            &json!("test"),
            &json!(false)
        )
    );
    assert_eq!(
        [
            &entry["inserted"],
            &entry["updated"],
            &entry["unchanged"],
            &entry["rejected"]
        ],
        [&json!(0), &json!(0), &json!(0), &json!(5)]
    );
    assert_eq!(entry["checksum"].as_str().unwrap().len(), 64);
    let owner_admin = app.token_for("radgiver@kongsberg.kommune.no").await;
    let refused = app.query_as(Some(&owner_admin), log, json!({})).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused:#}");
    let anonymous = app.query_as(None, log, json!({})).await;
    assert_eq!(
        error_codes(&anonymous),
        ["UNAUTHENTICATED"],
        "{anonymous:#}"
    );
}

async fn a_json_stat_dataset_imports_through_the_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = import_fixture(
        &app,
        "ssb-kostra-kulturskole",
        "ssb-kostra-kulturskole.json",
        false,
    )
    .await;
    // 16 cells; the one marked "." (cannot occur) is no value. 2026 is new; 2025 was seeded.
    assert_eq!(report.counts.inserted, 7, "{report}");
    assert_eq!(
        report.counts.updated + report.counts.unchanged,
        8,
        "{report}"
    );
    assert_eq!(report.rejected, 0, "{report}");
    assert_eq!(report.skipped, 1, "{report}");

    let trend = |owner: &'static str, indicator: &'static str| {
        let app = &app;
        async move {
            let data = app
                .query(
                    "query($owner: String!, $indicator: String!) {
                        trend(indicator: {code: $indicator}, subject: {owner: {code: $owner}}) {
                            points { schoolYear { year } value suppressed suppressionReason nationValue } } }",
                    json!({ "owner": owner, "indicator": indicator }),
                )
                .await;
            data["trend"]["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|point| (point["schoolYear"]["year"].as_i64().unwrap(), point.clone()))
                .collect::<HashMap<i64, Value>>()
        }
    };
    let share = trend("3303", "kostra_andel_elever_6_15").await;
    assert_eq!(share[&2025]["value"], 18.4);
    assert_eq!(
        share[&2026]["value"], 19.1,
        "a number stored as a string, with a decimal comma"
    );
    assert_eq!(share[&2025]["nationValue"], 14.3);
    assert_eq!(share[&2026]["nationValue"], 14.6);
    let waiting = trend("3303", "kostra_andel_venteliste").await;
    assert_eq!(waiting[&2025]["value"], 4.2);
    assert_eq!(waiting[&2026]["suppressionReason"], "SUPPRESSED_AT_SOURCE");
    assert_eq!(
        waiting[&2026]["nationValue"],
        Value::Null,
        "\"...\" is missing"
    );
    let drammen = trend("3301", "kostra_andel_venteliste").await;
    assert_eq!(drammen[&2025]["value"], Value::Null, "\"..\" is missing");
    assert_eq!(drammen[&2025]["suppressed"], false);
    assert!(!drammen.contains_key(&2026) || drammen[&2026]["value"].is_null());

    // Fylkesnummer 33 (Buskerud) is a county value.
    let county: Vec<(i64, Option<f64>)> = stored_rows(
        &app.database_url,
        "SELECT v.school_year, v.value FROM indicator_values v \
         JOIN indicators i ON i.id = v.indicator_id \
         WHERE v.subject_level = 'county' AND v.county_number = '33' AND v.school_year >= 2025 \
         AND i.code = 'kostra_andel_venteliste' ORDER BY v.school_year",
    )
    .await;
    assert_eq!(county, [(2025, Some(5.0)), (2026, Some(5.1))]);

    let again = import_fixture(
        &app,
        "ssb-kostra-kulturskole",
        "ssb-kostra-kulturskole.json",
        false,
    )
    .await;
    assert_eq!(counts(&again), (0, 0, 15, 0), "{again}");
}

async fn statistikkbanken_json_and_csv_import_the_same_values_counting_repeats_once(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // The school repeated under its owner type is one value; the nation's figure for public
    // schools only is a part Varde does not store.
    let json = import_fixture(
        &app,
        "udir-statistikkbanken",
        "udir-elevundersokelsen.json",
        false,
    )
    .await;
    assert_eq!(counts(&json), (5, 0, 0, 0), "{json}");
    assert_eq!((json.duplicates, json.skipped), (1, 1), "{json}");
    let csv = import_fixture(
        &app,
        "udir-statistikkbanken",
        "udir-elevundersokelsen.csv",
        false,
    )
    .await;
    assert_eq!(counts(&csv), (0, 0, 5, 0), "{csv}");
    assert_eq!((csv.duplicates, csv.skipped), (1, 1), "{csv}");
    // The wide shape with dotted two-level headers (indicator.measure), in Windows-1252 with
    // tabs and no final newline: the same school values, each with its own n, and Tråstølen's
    // suppressed Mobbing, which the long files do not give.
    let wide = import_fixture(
        &app,
        "udir-statistikkbanken",
        "udir-flerniva-windows1252-tab.csv",
        false,
    )
    .await;
    assert_eq!(counts(&wide), (1, 0, 3, 0), "{wide}");

    let solvasen = unit_values(&app, None, "820819675", 2026).await;
    assert_eq!(solvasen["eu_trivsel trinn=7"]["value"], 4.4);
    assert_eq!(solvasen["eu_trivsel trinn=7"]["n"], 45);
    assert_eq!(solvasen["eu_mobbing trinn=7"]["value"], 1.3);
    let trastolen = unit_values(&app, None, "948876639", 2026).await;
    assert_eq!(
        trastolen["eu_trivsel trinn=7"]["suppressionReason"],
        "SUPPRESSED_AT_SOURCE"
    );
    assert_eq!(
        trastolen["eu_mobbing trinn=7"]["suppressionReason"],
        "SUPPRESSED_AT_SOURCE"
    );
    let data = app
        .query(
            "{ owner(by: {code: \"3303\"}) { values(filter: {schoolYears: [2026]}) { edges { node {
                indicator { code } group { code } value n } } } }
               trend(indicator: {code: \"eu_trivsel\"}, subject: {unit: {orgNumber: \"820819675\"}},
                     group: {grade: 7}) { points { schoolYear { year } nationValue } } }",
            json!({}),
        )
        .await;
    let kongsberg = by_indicator_and_group(&data["owner"]["values"]);
    assert_eq!(kongsberg["eu_trivsel trinn=7"]["value"], 4.3);
    assert_eq!(kongsberg["eu_trivsel trinn=7"]["n"], 812);
    let points = data["trend"]["points"].as_array().unwrap();
    let latest = points.last().unwrap();
    assert_eq!(latest["schoolYear"]["year"], 2026);
    assert_eq!(latest["nationValue"], 4.2);
}

async fn a_json_stat_1_bundle_imports_every_dataset_as_2_0_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let json_stat_2 = import_fixture(
        &app,
        "ssb-kostra-kulturskole",
        "ssb-kostra-kulturskole.json",
        false,
    )
    .await;
    assert_eq!(json_stat_2.rejected, 0, "{json_stat_2}");
    // The bundle's first dataset holds the same cells as the 2.0 dataset (dimensions in another
    // order, `value` sparse): nothing changes. Its second adds net operating costs for 2026.
    let bundle = import_fixture(
        &app,
        "ssb-kostra-kulturskole",
        "ssb-kostra-kulturskole-1x.json",
        false,
    )
    .await;
    assert_eq!(counts(&bundle), (2, 0, 15, 0), "{bundle}");
    assert_eq!(bundle.skipped, 1, "the cell marked . is no value: {bundle}");
    let data = app
        .query(
            "{ trend(indicator: {code: \"kostra_netto_driftsutgift\"}, subject: {owner: {code: \"3303\"}}) {
                points { schoolYear { year } value nationValue } } }",
            json!({}),
        )
        .await;
    let latest = data["trend"]["points"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(latest["schoolYear"]["year"], 2026);
    assert_eq!(
        latest["value"], 3105.0,
        "a number stored as a string, spaces between thousands"
    );
    assert_eq!(latest["nationValue"], 3040.0);
}

/// Registers Ålesund (1508) and Haram (1580), the two parts of the Ålesund of 2020-23, which the
/// demo seeds do not hold, as an operator adds owners.
async fn add_alesund_and_haram(app: &TestApp) {
    let owners: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "INSERT INTO owners (kind, name, org_number, county_number) VALUES \
         ('municipality', 'Ålesund kommune', '986454284', NULL), \
         ('municipality', 'Haram kommune', '941036643', NULL) RETURNING id",
    )
    .await;
    assert_eq!(owners.len(), 2);
    let codes: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "INSERT INTO owner_codes (owner_id, code, valid_from, valid_to) \
         SELECT id, CASE WHEN org_number = '986454284' THEN '1508' ELSE '1580' END, 2024, NULL \
         FROM owners WHERE org_number IN ('986454284', '941036643') RETURNING id",
    )
    .await;
    assert_eq!(codes.len(), 2);
}

/// An owner's value of `indicator` in `year`, by kommunenummer.
async fn owner_value(app: &TestApp, code: &str, indicator: &str, year: i32) -> Value {
    let data = app
        .query(
            "query($code: String!, $indicator: String!, $year: Int!) { owner(by: {code: $code}) {
                name values(filter: {indicators: [$indicator], schoolYears: [$year]}) {
                    edges { node { value } } } } }",
            json!({ "code": code, "indicator": indicator, "year": year }),
        )
        .await;
    data["owner"]["values"]["edges"][0]["node"]["value"].clone()
}

async fn old_kommunenummer_find_their_owner_through_klass_and_a_split_is_asked_for(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    add_alesund_and_haram(&app).await;
    // Nedre Eiker's 0625 merged into Drammen in 2020: the seeder reads that from the KLASS 131
    // change table, so Drammen's code history shows it.
    let drammen = app
        .query(
            "{ owner(by: {code: \"0625\"}) { name codeHistory { code validTo } } }",
            json!({}),
        )
        .await;
    assert_eq!(drammen["owner"]["name"], "Drammen kommune");
    let history: Vec<(String, Value)> = drammen["owner"]["codeHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap().to_owned(), p["validTo"].clone()))
        .collect();
    assert!(
        history.contains(&("0625".to_owned(), json!(2019))),
        "{history:?}"
    );
    assert!(
        history.contains(&("0711".to_owned(), json!(2019))),
        "{history:?}"
    );

    // Ålesund 1507 split in 2024: without a choice its figure is a problem and nothing is
    // applied; Svalbard (2100) is skipped with its reason.
    let asked = import_fixture(&app, "varde-mal", "mal-kommunenummer.csv", false).await;
    assert_eq!(counts(&asked), (0, 0, 0, 1), "{asked}");
    let problems: Vec<String> = asked.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "line 4: 1507 Ålesund split into 1508 Ålesund and 1580 Haram on 2024-01-01: choose \
          with a split rule or --split 1507=1508"
        ]
    );
    let skipped: Vec<String> = asked
        .skipped_reasons
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        skipped,
        ["line 5: 2100 (Svalbard) is in no version of KLASS 131 and no owner has the code"]
    );
    assert!(
        asked
            .to_string()
            .contains("mal-kommunenummer.csv line 5: 2100 (Svalbard)"),
        "{asked}"
    );
    assert_eq!(
        owner_value(&app, "3301", "gsi_elever", 2019).await,
        Value::Null
    );

    // The option says Ålesund's figure belongs to Haram.
    let chosen = import_with_splits(
        &app,
        "varde-mal",
        "mal-kommunenummer.csv",
        &[("1507", "1580")],
    )
    .await;
    assert_eq!(counts(&chosen), (3, 0, 0, 0), "{chosen}");
    assert_eq!(chosen.skipped, 1, "{chosen}");
    assert_eq!(
        owner_value(&app, "3301", "gsi_elever", 2019).await,
        812.0,
        "Nedre Eiker's"
    );
    assert_eq!(owner_value(&app, "3301", "gsi_elever", 2020).await, 2310.0);
    assert_eq!(owner_value(&app, "1580", "gsi_elever", 2022).await, 1240.0);
    assert_eq!(
        owner_value(&app, "1508", "gsi_elever", 2022).await,
        Value::Null
    );
}

async fn schools_named_only_by_name_resolve_to_their_unit_or_are_reported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_alesund_and_haram(&app).await;
    let report = import_fixture(&app, "udir-statistikkbanken", "udir-skolenavn.csv", false).await;
    // Sølvåsen twice (the second year with a trailing space, and once more under its owner
    // type), Myrjordet by a name rule, Buskerud (utgått) by its code 06, Ålesund 1507 by the
    // source's split rule; Svalbard skipped.
    assert_eq!(counts(&report), (5, 0, 0, 0), "{report}");
    assert_eq!((report.duplicates, report.skipped), (1, 1), "{report}");
    let solvasen_2026 = unit_values(&app, None, "820819675", 2026).await;
    assert_eq!(solvasen_2026["eu_trivsel trinn=7"]["value"], 4.3);
    let solvasen_2027 = unit_values(&app, None, "820819675", 2027).await;
    assert_eq!(solvasen_2027["eu_trivsel trinn=7"]["value"], 4.5);
    assert_eq!(solvasen_2027["eu_trivsel trinn=7"]["n"], 44);
    let myrjordet = unit_values(&app, None, "873177845", 2026).await;
    assert_eq!(myrjordet["eu_trivsel trinn=7"]["value"], 4.1);
    let stored: Vec<(String, String, i64, Option<f64>)> = stored_rows(
        &app.database_url,
        "SELECT v.subject_level, COALESCE(v.county_number, o.name), v.school_year, v.value \
         FROM indicator_values v LEFT JOIN owners o ON o.id = v.owner_id \
         WHERE v.school_year IN (2019, 2022) AND (v.county_number = '06' OR o.org_number = '986454284') \
         AND v.group_code = 'trinn=7' AND v.indicator_id = (SELECT id FROM indicators WHERE code = 'eu_trivsel') \
         ORDER BY v.school_year",
    )
    .await;
    assert_eq!(
        stored,
        [
            ("county".into(), "06".into(), 2019, Some(4.2)),
            ("owner".into(), "Ålesund kommune".into(), 2022, Some(4.0)),
        ]
    );

    // A name no unit has in the record's kommune is reported, never guessed.
    let header = "Spoersmaalkode;TidID;Kommunekode;Skolenavn;TrinnKode;Score;AntallBesvart\n";
    let file = format!(
        "{header}EUIndeks_1379;202810;3303;Ukjent skole;7;4,0;30\n\
         EUIndeks_1379;202810;3301;Sølvåsen skole;7;4,0;30\n"
    );
    let refused = import_bytes(
        &app,
        "udir-statistikkbanken",
        "skolenavn.csv",
        file.as_bytes(),
        &[],
        false,
    )
    .await;
    let problems: Vec<String> = refused.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "line 2: no unit is named \"Ukjent skole\" in the record's kommune: map the name to \
             an organisasjonsnummer with a name rule",
            "line 3: no unit is named \"Sølvåsen skole\" in the record's kommune: map the name to \
             an organisasjonsnummer with a name rule",
        ]
    );
    assert!(unit_values(&app, None, "820819675", 2028).await.is_empty());
}

/// The indicators of the template source's rules.
const TEMPLATE_INDICATORS: [&str; 20] = [
    "ke_trivsel",
    "ke_motivasjon",
    "ke_mestring",
    "ke_laererstotte",
    "ke_medvirkning",
    "ke_framforing",
    "kf_informasjon",
    "kf_samarbeid_hjem",
    "kf_tilfredshet",
    "kf_elevens_utvikling",
    "gsi_elever",
    "gsi_venteliste",
    "gsi_plasser_musikk",
    "gsi_plasser_visuell",
    "gsi_plasser_teater",
    "gsi_plasser_dans",
    "gsi_plasser_samisk",
    "gsi_plasser_andre",
    "gsi_arsverk",
    "gsi_timer_musikk",
];

/// A template file with a value for every seeded unit, template indicator and school year of
/// `years` (group all, n 100): more rows than the importer stages in one batch (1 000). The
/// value of the row `i` (0 first) is `i % 97` and a half.
fn large_template_file(years: std::ops::Range<i32>) -> (String, usize) {
    let units =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/units.csv"))
            .unwrap();
    let orgs: Vec<&str> = units
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap())
        .collect();
    let mut file = String::from("subject;name;indicator;school_year;group;value;n;suppressed\n");
    let mut rows = 0;
    for year in years {
        for indicator in TEMPLATE_INDICATORS {
            for org in &orgs {
                file.push_str(&format!(
                    "{org};;{indicator};{year};all;{},5;100;\n",
                    rows % 97
                ));
                rows += 1;
            }
        }
    }
    (file, rows)
}

async fn a_file_of_several_batches_imports_exactly_and_again_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (mut file, rows) = large_template_file(2030..2033);
    assert!(rows > 3000, "{rows} rows make several batches");
    // The first row again, word for word, three batches later: counted once.
    let first_row = file.lines().nth(1).unwrap().to_owned();
    file.push_str(&first_row);
    file.push('\n');

    let dry = import_bytes(&app, "varde-mal", "stor.csv", file.as_bytes(), &[], true).await;
    assert_eq!(counts(&dry), (rows as u64, 0, 0, 0), "{dry}");
    let report = import_bytes(&app, "varde-mal", "stor.csv", file.as_bytes(), &[], false).await;
    assert_eq!(counts(&report), (rows as u64, 0, 0, 0), "{report}");
    assert_eq!(report.duplicates, 1);
    let stored: Vec<(i64, f64, i64)> = stored_rows(
        &app.database_url,
        "SELECT COUNT(*), SUM(value), CAST(SUM(respondents) AS BIGINT) FROM indicator_values \
         WHERE school_year >= 2030",
    )
    .await;
    let expected_sum: f64 = (0..rows).map(|row| (row % 97) as f64 + 0.5).sum();
    assert_eq!(stored, [(rows as i64, expected_sum, 100 * rows as i64)]);

    let again = import_bytes(&app, "varde-mal", "stor.csv", file.as_bytes(), &[], false).await;
    assert_eq!(counts(&again), (0, 0, rows as u64, 0), "{again}");
    // The last row corrected: one value updated, the previous one kept as history.
    let corrected = file.replacen(&format!("{first_row}\n"), "", 1);
    let last_row = corrected.lines().last().unwrap().to_owned();
    let corrected = corrected.replace(&last_row, &last_row.replace(";100;", ";90;"));
    let report = import_bytes(
        &app,
        "varde-mal",
        "stor-rettet.csv",
        corrected.as_bytes(),
        &[],
        false,
    )
    .await;
    assert_eq!(counts(&report), (0, 1, rows as u64 - 1, 0), "{report}");
    let history: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "SELECT respondents FROM indicator_value_history",
    )
    .await;
    assert_eq!(history, [(100,)]);
}

async fn a_conflict_between_rows_far_apart_in_a_large_file_is_reported_with_both_lines(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (mut file, rows) = large_template_file(2030..2032);
    // Line 2 again near the end, two batches later, with another value.
    let first_row = file.lines().nth(1).unwrap().to_owned();
    file.push_str(&first_row.replace(";0,5;", ";1,5;"));
    file.push('\n');
    let conflict_line = rows + 2;

    for dry_run in [true, false] {
        let report =
            import_bytes(&app, "varde-mal", "stor.csv", file.as_bytes(), &[], dry_run).await;
        assert_eq!(counts(&report), (0, 0, 0, 1), "{report}");
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [format!(
                "line {conflict_line}: the same value is given at line 2 with other content"
            )]
        );
    }
    let written: Vec<(i64,)> = stored_rows(
        &app.database_url,
        "SELECT COUNT(*) FROM indicator_values WHERE school_year >= 2030",
    )
    .await;
    assert_eq!(written, [(0,)], "nothing is applied");
}
