//! The number of SQL statements for one request does not grow with the number of objects it
//! returns: every relation goes through a DataLoader.
//!
//! Statements are counted from sqlx's own query log (tracing target `sqlx::query`), so nothing in
//! the code under test is instrumented for the test. This file is its own test binary with one
//! test, so no other test's statements are counted.

#![allow(clippy::unwrap_used)] // a test fails by panicking

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::json;
use tracing::{Event, Subscriber};
use tracing_subscriber::{Layer, layer::Context, prelude::*};

use helpers::{Backend, TestApp};

/// Counts the statements sqlx logs, leaving out SQLite's per-connection set-up (`PRAGMA ...`):
/// the pool opens connections when it likes, which is not a statement of the request; and the
/// audit log's purge of expired records, which a process runs with its first audit record and
/// then every ten minutes, whichever request that falls on.
struct StatementCounter(Arc<AtomicUsize>);

/// Reads the statement summary of a `sqlx::query` event.
#[derive(Default)]
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut summary = Summary::default();
        event.record(&mut summary);
        let statement = summary.0.trim_start_matches('"');
        if !statement.starts_with("PRAGMA") && !statement.starts_with("DELETE FROM audit_log") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A dashboard-like query: units with their owner (and its codes), values with their indicator and
/// its source.
const UNITS_WITH_RELATIONS: &str = "query($first: Int!) {
    units(first: $first) { edges { node {
        name owner { name code codeHistory { code } }
        values(first: 10, filter: {schoolYears: [2024]}) { edges { node { value indicator { name source { name } } } } }
    } } } }";

/// Owners with their units and the units' values: two levels of paged relations.
const OWNERS_WITH_UNITS: &str = "query($first: Int!) {
    owners(first: 10) { edges { node { name
        units(first: $first) { edges { node { name values(first: 3) { edges { node { value } } } } } }
        values(first: 3, filter: {indicators: [\"eu_trivsel\"]}) { edges { node { value indicator { code } } } }
    } } } }";

/// A unit page: one unit's values, each with its indicator. The indicators are loaded for the
/// whole page at once (look-ahead), not in batches cut by the time the list takes to resolve.
const UNIT_PAGE: &str = "query($first: Int!) {
    units(first: 1) { edges { node { name
        values(first: $first) { edges { node { value indicator { name } } } } } } } }";

/// A colour table (fargetabell) over an utvalg, with owner and national reference rows.
const COLOUR_TABLE: &str = "query($selection: ID!) {
    colourTable(rows: {selection: $selection}, schoolYear: 2025,
        indicators: [\"eu_trivsel\", \"np_lesing_5\", \"ke_trivsel\", \"gsi_elever\"]) {
        rows { unit { name owner { name } } cells { value colour indicator { name source { name } } } }
        ownerRow { label cells { value colour } } nationRow { label cells { value colour } } } }";

/// Statements for a colour table over one selection, and the number of its rows.
async fn colour_table_statements(
    app: &TestApp,
    counter: &AtomicUsize,
    selection: &serde_json::Value,
) -> (usize, usize) {
    let before = counter.load(Ordering::SeqCst);
    let data = app
        .query(COLOUR_TABLE, json!({ "selection": selection }))
        .await;
    let statements = counter.load(Ordering::SeqCst) - before;
    (
        statements,
        data["colourTable"]["rows"].as_array().unwrap().len(),
    )
}

/// The analysis queries, each asked for one indicator and for many (and `aggregate` over one unit
/// and over all kulturskoler): the statements of one request must be the same. (A trend has one
/// indicator and one subject by its arguments.)
const ANALYSES: [(&str, &str); 4] = [
    (
        "aggregate",
        "query($indicators: [String!]!, $units: [UnitRef!]!) {
            aggregate(indicators: $indicators, schoolYear: 2024, subject: {units: $units}) {
                value n computed membersCounted indicator { name source { name } } } }",
    ),
    (
        "colourTable",
        "query($indicators: [String!]!) {
            colourTable(rows: {owner: {code: \"3303\"}}, schoolYear: 2024, indicators: $indicators) {
                rows { unit { name } cells { value colour indicator { name } } }
                ownerRow { cells { value } } nationRow { cells { value } } } }",
    ),
    (
        "keyFigures",
        "query($indicators: [String!]!) {
            keyFigures(owner: {code: \"3303\"}, schoolYear: 2024, indicators: $indicators) {
                figures { indicator { name } ownerValue { value } nationValue { value } } } }",
    ),
    (
        "artsSchoolAggregation",
        "query($indicators: [String!]!) {
            artsSchoolAggregation(schoolYear: 2024, indicators: $indicators) {
                owners { owner { name } aggregates { value membersCounted indicator { name } } }
                nation { aggregates { value membersCounted } } } }",
    ),
];

/// Kulturskoler with their egenvurderinger (history, votes, the text assessed against) and the
/// cross-source overview of one criterion: every relation of the quality model below a unit. (A
/// framework's `current` text is asked for in `FRAMEWORKS`: asked for here too, at another depth
/// than `criterionOverview` loads it, the loader may or may not find the same key in flight.)
const ASSESSMENTS_OF_UNITS: &str = "query($first: Int!) {
    owner(by: {code: \"3205\"}) { units(filter: {kind: ARTS_SCHOOL}, first: $first) { edges { node {
        name
        assessments(first: 10) { edges { node {
            framework { code }
            current { level frameworkVersion { version } criterionText { name indicators { code } } }
            history(first: 5) { edges { node { revision level } } }
            votes { counts { count } shown { voter } }
        } } }
        criterionOverview(framework: {code: \"kulturskole\"}, criterion: \"2.1\") {
            criterion { name }
            assessments(first: 5) { edges { node { revision } } }
            values(first: 5) { edges { node { value } } }
        }
    } } } } }";

/// Frameworks with their versions and texts.
const FRAMEWORKS: &str = "query($first: Int!) {
    qualityFrameworks(first: $first) { edges { node { code
        versions(first: 5) { edges { node { version } } }
        current { areas { criteria { number indicators { code } } } } } } } }";

/// An owner's overview of its units' initiatives with every relation below them (the unit, the
/// parent with its children, the targets against the latest values, the snapshot, the
/// evaluations, the latest one and the history), its own initiatives, and its units' lists.
const INITIATIVES: &str = "query($first: Int!) {
    owner(by: {code: \"3303\"}) {
      initiatives(first: 5) { edges { node { title } } }
      units(first: $first) { edges { node { initiatives(first: 5) { edges { node { title } } } } } }
      initiativeOverview(first: $first) { edges { node {
        title unit { name } parent { title children(first: 5) { edges { node { title } } } }
        targets { indicator { code } actual { value suppressed } met }
        situationSnapshot { indicator { name } value }
        criteria { framework { code } criterion } indicators { code }
        evaluations(first: 5) { edges { node { judgement } } }
        latestEvaluation { judgement }
        history(first: 5) { edges { node { revision changedBy } } }
    } } } } }";

/// Statements of one request of `query` with `variables`, as the national admin (who may read
/// every aggregate, so no path is skipped for want of access).
/// The audit log as a national admin reads it, each row with its unit and owner.
const AUDIT_LOG: &str = "query($first: Int!) {
    auditLog(first: $first) { edges { node {
        occurredAt actor kind operation fields owner { name } unit { name }
    } } } }";

/// Import jobs as a national admin reads them, each with its problems (stored with the job).
const IMPORT_JOBS: &str = "query($first: Int!) {
    importJobs(first: $first) { edges { node {
        id state source recordsRead problems { location reason }
    } } } }";

/// A source's import rules as a national admin reads them.
const IMPORT_RULES: &str = "query($first: Int!) {
    importRules(source: \"udir-statistikkbanken\", first: $first) { edges { node {
        kind sourceCode target
    } } } }";

async fn statements_of(
    app: &TestApp,
    counter: &AtomicUsize,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> usize {
    let before = counter.load(Ordering::SeqCst);
    let body = app.query_as(Some(token), query, variables).await;
    let statements = counter.load(Ordering::SeqCst) - before;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    statements
}

async fn statements_for(
    app: &TestApp,
    counter: &AtomicUsize,
    query: &str,
    first: i64,
) -> (usize, usize) {
    let before = counter.load(Ordering::SeqCst);
    let data = app.query(query, json!({ "first": first })).await;
    let statements = counter.load(Ordering::SeqCst) - before;
    let objects = data.to_string().matches("\"name\"").count();
    (statements, objects)
}

#[tokio::test]
async fn statements_do_not_grow_with_the_number_of_units() {
    let counter = Arc::new(AtomicUsize::new(0));
    tracing_subscriber::registry()
        .with(StatementCounter(counter.clone()))
        .init();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn(backend).await;
        for query in [UNITS_WITH_RELATIONS, OWNERS_WITH_UNITS, UNIT_PAGE] {
            let (one, few_objects) = statements_for(&app, &counter, query, 1).await;
            let (thirty, many_objects) = statements_for(&app, &counter, query, 30).await;
            assert!(one > 0, "{backend:?}: the counter sees statements");
            assert!(
                many_objects >= few_objects + 29,
                "{backend:?}: the larger page returns 29 more objects"
            );
            assert_eq!(
                one, thirty,
                "{backend:?}: statements for 1 and for 30 units differ\n{query}"
            );
        }
        // A colour table over a small network (2 kulturskoler) and over the national selection.
        let selections = app
            .query(
                "{ selections(filter: {schoolYear: 2025}) { edges { node { id scope } } } }",
                json!({}),
            )
            .await;
        let id_of = |scope: &str| {
            selections["selections"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|edge| edge["node"]["scope"] == scope)
                .unwrap()["node"]["id"]
                .clone()
        };
        let (small, national) = (id_of("NETWORK"), id_of("NATIONAL"));
        let (few, few_rows) = colour_table_statements(&app, &counter, &small).await;
        let (many, many_rows) = colour_table_statements(&app, &counter, &national).await;
        assert!(
            many_rows >= few_rows + 28,
            "{backend:?}: {few_rows} vs {many_rows} rows"
        );
        assert_eq!(
            few, many,
            "{backend:?}: colour table statements for {few_rows} and {many_rows} units differ"
        );

        // Egenvurderinger are read by their owner's roles: a reader of Lillestrøm (three
        // kulturskoler, every one assessed) asks for one and for all three.
        let lillestrom = app
            .store
            .owner_by_code(&varde::domain::OwnerCode::parse("3205").unwrap(), None)
            .await
            .unwrap()
            .unwrap();
        let reader = "leser@lillestrom.kommune.no";
        app.store
            .grant_role(
                reader,
                varde::domain::Role::OwnerReader(lillestrom.id),
                "test",
                0,
            )
            .await
            .unwrap();
        let reader_token = app.token_for(reader).await;
        for (query, few, many) in [(ASSESSMENTS_OF_UNITS, 1, 3), (FRAMEWORKS, 1, 2)] {
            let one = statements_of(
                &app,
                &counter,
                &reader_token,
                query,
                json!({ "first": few }),
            )
            .await;
            let all = statements_of(
                &app,
                &counter,
                &reader_token,
                query,
                json!({ "first": many }),
            )
            .await;
            assert_eq!(
                one, all,
                "{backend:?}: statements for {few} and {many} parents differ\n{query}"
            );
        }

        // Kongsberg's owner admin reads the overview of the two seeded unit initiatives, and of
        // those and one more at Tråstølen skole.
        let admin_token = app.token_for("radgiver@kongsberg.kommune.no").await;
        let two = statements_of(
            &app,
            &counter,
            &admin_token,
            INITIATIVES,
            json!({ "first": 2 }),
        )
        .await;
        let created = app
            .query_as(
                Some(&admin_token),
                "mutation { createInitiative(input: {of: {unit: {orgNumber: \"948876639\"}},
                    content: {title: \"Lesing\", startDate: \"2026-01-05\", indicators: [\"np_lesing_5\"],
                    targets: [{indicator: \"np_lesing_5\", value: 50, bySchoolYear: 2026}]}}) { revision } }",
                json!({}),
            )
            .await;
        assert!(created.get("errors").is_none(), "{created:#}");
        let three = statements_of(
            &app,
            &counter,
            &admin_token,
            INITIATIVES,
            json!({ "first": 3 }),
        )
        .await;
        assert_eq!(
            two, three,
            "{backend:?}: statements for 2 and 3 initiatives differ\n{INITIATIVES}"
        );

        live_vote_statements(&app, &counter, backend).await;
        meeting_statements(&app, &counter, backend).await;

        let token = app.token_for("admin@varde.example").await;
        let indicators = helpers::seed_rows("indicators.csv");
        let applying_to = |kind: &str| -> Vec<String> {
            indicators
                .iter()
                .filter(|row| row["applies_to"].split(';').any(|applies| applies == kind))
                .map(|row| row["code"].clone())
                .collect()
        };
        let arts_school_units: Vec<serde_json::Value> = helpers::seed_rows("units.csv")
            .into_iter()
            .filter(|row| row["kind"] == "arts_school")
            .map(|row| json!({ "orgNumber": row["org_number"] }))
            .collect();
        for (name, query) in ANALYSES {
            let (one, many) = match name {
                "colourTable" | "keyFigures" => {
                    (vec!["eu_trivsel".to_string()], applying_to("school"))
                }
                _ => (vec!["ke_trivsel".to_string()], applying_to("arts_school")),
            };
            assert!(many.len() > 5, "{name}: many indicators to ask for");
            let few = statements_of(
                &app,
                &counter,
                &token,
                query,
                json!({ "indicators": one, "units": arts_school_units[..1] }),
            )
            .await;
            let lots = statements_of(
                &app,
                &counter,
                &token,
                query,
                json!({ "indicators": many, "units": arts_school_units }),
            )
            .await;
            assert!(few > 0, "{backend:?}: {name} reads the database");
            assert_eq!(
                few,
                lots,
                "{backend:?}: {name} statements for 1 indicator (1 unit) and {} indicators ({} units) differ",
                many.len(),
                arts_school_units.len()
            );
        }

        // The reads above left audit rows of Lillestrøm's and Kongsberg's units and owners.
        let rows = app
            .query_as(Some(&token), AUDIT_LOG, json!({ "first": 20 }))
            .await;
        let rows = rows["data"]["auditLog"]["edges"].as_array().unwrap().len();
        assert!(rows >= 10, "{backend:?}: {rows} audit rows to read");
        let one = statements_of(&app, &counter, &token, AUDIT_LOG, json!({ "first": 1 })).await;
        let all = statements_of(&app, &counter, &token, AUDIT_LOG, json!({ "first": 20 })).await;
        assert_eq!(
            one, all,
            "{backend:?}: statements for 1 and {rows} audit rows differ"
        );

        // Import jobs (issue 17): a job's problems are stored with it, so one job and many
        // cost the same statements.
        for file in ["a.csv", "b.csv", "c.csv"] {
            app.store
                .create_import_job(&varde::store::NewImportJob {
                    source: "varde-mal".into(),
                    file_name: file.into(),
                    dry_run: false,
                    bytes_total: Some(10),
                    created_by: "test".into(),
                })
                .await
                .unwrap();
        }
        let one = statements_of(&app, &counter, &token, IMPORT_JOBS, json!({ "first": 1 })).await;
        let all = statements_of(&app, &counter, &token, IMPORT_JOBS, json!({ "first": 3 })).await;
        assert_eq!(
            one, all,
            "{backend:?}: statements for 1 and 3 import jobs differ"
        );
        let one = statements_of(&app, &counter, &token, IMPORT_RULES, json!({ "first": 1 })).await;
        let all = statements_of(&app, &counter, &token, IMPORT_RULES, json!({ "first": 20 })).await;
        assert_eq!(
            one, all,
            "{backend:?}: statements for 1 and 20 import rules differ"
        );

        // Exports (issue 12): an export runs its analysis query, so a colour table exported over
        // the small network and over the national selection costs the same statements; a signed
        // export link reads only its signing key, whatever it names.
        let mut exported = Vec::new();
        for selection in [&small, &national] {
            let path = format!(
                "/export/colour-table.csv?selection={}&schoolYear=2025&indicators=eu_trivsel,np_lesing_5,ke_trivsel,gsi_elever",
                selection.as_str().unwrap()
            );
            let before = counter.load(Ordering::SeqCst);
            let response = app
                .client
                .get(app.url(&path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let rows = response.text().await.unwrap().lines().count();
            exported.push((counter.load(Ordering::SeqCst) - before, rows));
        }
        assert!(exported[1].1 > exported[0].1 + 28, "{exported:?}");
        assert_eq!(
            exported[0].0, exported[1].0,
            "{backend:?}: statements of exports of {} and {} rows differ",
            exported[0].1, exported[1].1
        );
        let link = "query($selection: ID!) { exportUrl(input: {kind: COLOUR_TABLE, format: CSV,
            subject: {selection: $selection}, schoolYears: [2025], indicators: [\"eu_trivsel\"]}) { url } }";
        let small_link =
            statements_of(&app, &counter, &token, link, json!({ "selection": small })).await;
        let national_link = statements_of(
            &app,
            &counter,
            &token,
            link,
            json!({ "selection": national }),
        )
        .await;
        assert!(
            small_link > 0 && small_link == national_link,
            "{backend:?}: {small_link} vs {national_link}"
        );
    }
}

/// The live spread of one egenvurdering (`assessmentVotes`): each change costs the vote's own
/// statements and one re-read of the spread, the same with 3 votes as with 6. Staff of Drammen
/// kulturskole vote one after another while its owner's reader follows.
async fn live_vote_statements(app: &TestApp, counter: &AtomicUsize, backend: Backend) {
    let drammen = app
        .store
        .unit_by_org_number(&varde::domain::OrgNumber::parse("903208074").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut tokens = Vec::new();
    for n in 0..4 {
        let voter = format!("laerer{n}@drammen.kommune.no");
        app.store
            .grant_role(
                &voter,
                varde::domain::Role::UnitStaff(drammen.id),
                "test",
                0,
            )
            .await
            .unwrap();
        tokens.push(app.token_for(&voter).await);
    }
    let watcher = app.token_for("analytiker@drammen.kommune.no").await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .bearer_auth(&watcher)
        .json(&json!({ "query": "subscription { assessmentVotes(assessment: {unit: {orgNumber: \"903208074\"},
            framework: {code: \"kulturskole\"}, criterion: \"2.2\", schoolYear: 2025}) {
            counts { count } shown { voter } mine } }" }))
        .send()
        .await
        .unwrap();
    let mut events = EventCount {
        response,
        seen: String::new(),
    };
    events.wait_for(1).await;
    let mut statements = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let before = counter.load(Ordering::SeqCst);
        let body = app
            .query_as(
                Some(token),
                "mutation { voteOnCriterion(input: {assessment: {unit: {orgNumber: \"903208074\"},
                    framework: {code: \"kulturskole\"}, criterion: \"2.2\", schoolYear: 2025},
                    level: 3}) { criterion } }",
                json!({}),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body:#}");
        events.wait_for(n + 2).await;
        statements.push(counter.load(Ordering::SeqCst) - before);
    }
    // Two seeded votes: the first vote here makes 3, the last 6.
    assert_eq!(
        statements.first(),
        statements.last(),
        "{backend:?}: statements of a vote and its live spread, with 3 and with 6 votes: {statements:?}"
    );
}

/// Counts the `next` events of a GraphQL-over-SSE answer as they arrive.
struct EventCount {
    response: reqwest::Response,
    seen: String,
}

impl EventCount {
    async fn wait_for(&mut self, events: usize) {
        while self.seen.matches("event: next").count() < events {
            let chunk = self
                .response
                .chunk()
                .await
                .unwrap()
                .expect("the stream goes on");
            self.seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

/// A process's meetings with everything below them: participants, the agenda's data (live, the
/// snapshot and whether it is withheld), its criteria with the egenvurdering and its votes, its
/// images, the minutes with their decisions' initiatives, and the invitation. (The skoleeier is
/// asked for once, under the data: asked for at two depths, it could be loaded twice, when the
/// deeper field asks while the first batch is still in flight, whatever the number of meetings.)
const MEETINGS: &str = "query($first: Int!) {
    meetingProcesses(filter: {examples: false}, first: 1) { edges { node { title
      meetings(first: $first) { edges { node { title process { title }
        participants { feideUserId staffOf { name } }
        agenda { title
          data { kind owner { name } unit { name } indicators
            live { columns rows { key cells { value } } }
            snapshot { columns rows { key } } snapshotWithheld }
          criterion { unit { name } framework { code } criterion
            assessment { revision current { level } votes { counts { count } } } }
          images { number contentType } }
        images { number size }
        minutes { text decisions { text initiative { title } } }
        invitation { uid sequence } } } } } } } }";

/// The agenda of the `n`th meeting: a colour table, key figures and a trend, each of other
/// indicators or years than the other meetings' (so that no two items share an analysis), a
/// criterion to assess and an image.
fn agenda(n: usize) -> serde_json::Value {
    let school_indicators = ["eu_trivsel", "eu_mobbing", "np_lesing_5"];
    let indicators: Vec<&str> = school_indicators.iter().take(n + 1).copied().collect();
    let year = 2023 + i64::try_from(n % 3).unwrap();
    json!([
        {"title": "Fargetabell",
         "data": {"colourTable": {"owner": {"code": "3303"}, "indicators": indicators, "schoolYear": year}},
         "images": [1]},
        {"title": "Nøkkeltall",
         "data": {"keyFigures": {"owner": {"code": "3303"}, "indicators": indicators, "schoolYear": year}}},
        {"title": "Trend",
         "data": {"trend": {"indicator": school_indicators[n % 3], "owner": {"code": "3303"}}}},
        {"title": "Trend for kulturskolen",
         "data": {"trend": {"indicator": "ke_trivsel", "unit": {"orgNumber": "879819334"}}}},
        {"title": "Egenvurdering",
         "criterion": {"unit": {"orgNumber": "879819334"}, "framework": {"code": "kulturskole"},
                       "criterion": format!("2.{}", n % 2 + 1), "schoolYear": 2025}}
    ])
}

/// Kongsberg's owner admin plans a process of three meetings (each sent, with an image, minutes
/// and a decision that creates an initiative) and reads one meeting and all three: the same
/// statements, though the three hold 15 agenda items with 10 different data references.
async fn meeting_statements(app: &TestApp, counter: &AtomicUsize, backend: Backend) {
    let admin = app.token_for("radgiver@kongsberg.kommune.no").await;
    let ok = async |query: &str, variables: serde_json::Value| -> serde_json::Value {
        let body = app.query_as(Some(&admin), query, variables).await;
        assert!(body.get("errors").is_none(), "{backend:?}: {body:#}");
        body["data"].clone()
    };
    let process = ok(
        "mutation { createMeetingProcess(input: {of: {owner: {code: \"3303\"}}, schoolYear: 2025,
            title: \"PULS-prosesser Kongsberg kommune (25-26)\"}) { id } }",
        json!({}),
    )
    .await["createMeetingProcess"]["id"]
        .clone();
    for n in 0..3 {
        let content = |agenda: serde_json::Value| {
            json!({"title": format!("Møte {}", n + 1),
                   "startsAt": "2026-09-10T12:00:00Z", "endsAt": "2026-09-10T14:00:00Z",
                   "participants": [{"staffOf": {"orgNumber": "879819334"}},
                                    {"staffOf": {"orgNumber": "948876639"}},
                                    {"person": "rektor@kongsberg.kommune.no"}],
                   "agenda": agenda})
        };
        let mut without_image = agenda(n);
        without_image[0]["images"] = json!([]);
        let meeting = ok(
            "mutation($input: PlanMeetingInput!) { planMeeting(input: $input) { id revision } }",
            json!({"input": {"process": process, "content": content(without_image)}}),
        )
        .await["planMeeting"]
            .clone();
        ok(
            "mutation($input: UploadMeetingImageInput!) { uploadMeetingImage(input: $input) { number } }",
            json!({"input": {"meeting": meeting["id"], "base64": PNG}}),
        )
        .await;
        let revision = ok(
            "mutation($input: EditMeetingInput!) { editMeeting(input: $input) { revision } }",
            json!({"input": {"meeting": meeting["id"], "expectedRevision": meeting["revision"],
                             "content": content(agenda(n))}}),
        )
        .await["editMeeting"]["revision"]
            .clone();
        ok(
            "mutation($input: MeetingRevisionInput!) { sendMeeting(input: $input) { meeting { revision } } }",
            json!({"input": {"meeting": meeting["id"], "expectedRevision": revision}}),
        )
        .await;
        ok(
            "mutation($input: RecordMinutesInput!) { recordMinutes(input: $input) { revision } }",
            json!({"input": {"meeting": meeting["id"], "expectedRevision": revision,
                             "text": "Referat.",
                             "decisions": [{"text": "Vi setter i gang.",
                                            "newInitiative": {"title": format!("Tiltak {}", n + 1),
                                                              "startDate": "2026-09-15"}}]}}),
        )
        .await;
    }
    let one = statements_of(app, counter, &admin, MEETINGS, json!({ "first": 1 })).await;
    let all = app
        .query_as(Some(&admin), MEETINGS, json!({ "first": 3 }))
        .await;
    let meetings = &all["data"]["meetingProcesses"]["edges"][0]["node"]["meetings"]["edges"];
    assert_eq!(
        meetings.as_array().unwrap().len(),
        3,
        "{backend:?}: {all:#}"
    );
    let first_agenda = &meetings[0]["node"]["agenda"];
    assert!(
        first_agenda[0]["data"]["snapshot"]["rows"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
            && first_agenda[4]["criterion"]["criterion"] == "2.1"
            && meetings[2]["node"]["minutes"]["decisions"][0]["initiative"]["title"] == "Tiltak 3",
        "{backend:?}: every relation answers: {all:#}"
    );
    let three = statements_of(app, counter, &admin, MEETINGS, json!({ "first": 3 })).await;
    assert_eq!(
        one, three,
        "{backend:?}: statements for 1 meeting (5 agenda items) and 3 meetings (15 items) differ"
    );
}

/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
