//! Exports for BI tools and the printable colour table (issue 12): each export read back with a
//! CSV or JSON parser and compared with the GraphQL answer for the same caller and question;
//! Norwegian Excel's dialect; suppression and authorization; a large export streamed page by
//! page; conditional GETs; signed links; the colour table printed to PDF by headless Chromium.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use varde::auth::{Caller, Principal};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    each_export_reads_back_as_the_graphql_answer,
    the_norwegian_excel_dialect_has_a_bom_semicolons_and_decimal_commas,
    exports_hide_what_graphql_hides_from_the_same_caller,
    a_large_export_is_streamed_a_page_at_a_time,
    an_unchanged_export_is_answered_304,
    a_signed_link_acts_for_its_caller_until_it_expires_and_only_as_given,
    bad_export_parameters_are_refused_with_a_code,
    a_colour_table_prints_to_pdf_in_chromium,
    without_chromium_the_pdf_is_unavailable,
);

const KONGSBERG: &str = "3303";
const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
const TABLE_INDICATORS: &str = "eu_trivsel,eu_mobbing,np_lesing_5,grunnskolepoeng,ke_trivsel";

/// The columns a test compares: everything but names, ids and the source's metadata.
#[derive(Debug, Clone, PartialEq)]
struct Flat {
    level: String,
    code: String,
    indicator: String,
    year: i64,
    group: String,
    value: Option<f64>,
    n: Option<i64>,
    suppressed: bool,
    reason: String,
    colour: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn flat(level: &str, code: &str, year: i64, group: &str, figure: &Value) -> Flat {
    Flat {
        level: level.into(),
        code: code.into(),
        indicator: text(&figure["indicator"]["code"]),
        year,
        group: group.into(),
        value: figure["value"].as_f64(),
        n: figure["n"].as_i64(),
        suppressed: figure["suppressed"].as_bool().unwrap(),
        reason: text(&figure["suppressionReason"]),
        colour: text(&figure["colour"]),
    }
}

/// An export's body read back: CSV in either dialect, or JSON lines.
fn read_export(body: &[u8], format: &str) -> Vec<Flat> {
    if format == "jsonl" {
        let text = std::str::from_utf8(body).unwrap();
        return text
            .lines()
            .map(|line| {
                let row: Value = serde_json::from_str(line).unwrap();
                Flat {
                    level: text_of(&row["subject_level"]),
                    code: text_of(&row["subject_code"]),
                    indicator: text_of(&row["indicator_code"]),
                    year: row["school_year"].as_i64().unwrap(),
                    group: text_of(&row["group"]),
                    value: row["value"].as_f64(),
                    n: row["n"].as_i64(),
                    suppressed: row["suppressed"].as_bool().unwrap(),
                    reason: text_of(&row["reason"]),
                    colour: text_of(&row["colour"]),
                }
            })
            .collect();
    }
    let norwegian = body.starts_with("\u{feff}".as_bytes());
    let body = if norwegian { &body[3..] } else { body };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if norwegian { b';' } else { b',' })
        .from_reader(body);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        varde::domain::EXPORT_COLUMNS
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let number = |field: &str| -> Option<f64> {
                (!field.is_empty()).then(|| {
                    let field = if norwegian {
                        assert!(!field.contains('.'), "a decimal point in {field:?}");
                        field.replace(',', ".")
                    } else {
                        field.to_owned()
                    };
                    field.parse().unwrap()
                })
            };
            Flat {
                level: record[0].into(),
                code: record[2].into(),
                indicator: record[4].into(),
                year: record[6].parse().unwrap(),
                group: record[7].into(),
                value: number(&record[8]),
                n: (!record[9].is_empty()).then(|| record[9].parse().unwrap()),
                suppressed: record[10].parse().unwrap(),
                reason: record[11].into(),
                colour: record[12].into(),
            }
        })
        .collect()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// GETs `path` as the holder of `bearer` (anonymous with `None`).
async fn get(app: &TestApp, bearer: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn export(app: &TestApp, bearer: Option<&str>, path: &str) -> Vec<u8> {
    let response = get(app, bearer, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

const FIGURE: &str = "indicator { code } value n suppressed suppressionReason";

/// A unit's values in 2024, as GraphQL gives them.
async fn values_by_graphql(app: &TestApp, bearer: Option<&str>, org: &str) -> Vec<Flat> {
    let query = format!(
        "query($org: String!) {{ unit(by: {{orgNumber: $org}}) {{ values(first: 500, filter: {{schoolYears: [2024]}}) {{
            edges {{ node {{ {FIGURE} schoolYear {{ year }} group {{ code }} }} }} }} }} }}"
    );
    let body = app.query_as(bearer, &query, json!({ "org": org })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["unit"]["values"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            flat(
                "UNIT",
                org,
                node["schoolYear"]["year"].as_i64().unwrap(),
                node["group"]["code"].as_str().unwrap(),
                node,
            )
        })
        .collect()
}

/// An aggregate as GraphQL gives it.
async fn aggregates_by_graphql(
    app: &TestApp,
    bearer: Option<&str>,
    subject: Value,
    indicators: &str,
) -> Vec<Flat> {
    let query = format!(
        "query($subject: SubjectRef!, $indicators: [String!]!) {{
            aggregate(subject: $subject, schoolYear: 2024, indicators: $indicators) {{ {FIGURE} }} }}"
    );
    let indicators: Vec<&str> = indicators.split(',').collect();
    let body = app
        .query_as(
            bearer,
            &query,
            json!({ "subject": subject, "indicators": indicators }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let (level, code) = match &subject {
        s if s.get("owner").is_some() => ("OWNER", text(&s["owner"]["code"])),
        s if s.get("units").is_some() => (
            "UNITS",
            s["units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|unit| text(&unit["orgNumber"]))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => ("NATION", String::new()),
    };
    body["data"]["aggregate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|figure| flat(level, &code, 2024, "all", figure))
        .collect()
}

/// Kongsberg's colour table as GraphQL gives it: unit rows, the owner's row, the nation's row.
async fn colour_table_by_graphql(app: &TestApp, bearer: Option<&str>) -> Vec<Flat> {
    let cells = format!("cells {{ {FIGURE} colour }}");
    let query = format!(
        "query($indicators: [String!]!) {{ colourTable(rows: {{owner: {{code: \"3303\"}}}}, schoolYear: 2024, indicators: $indicators) {{
            group rows {{ unit {{ orgNumber }} {cells} }} ownerRow {{ owner {{ code }} {cells} }} nationRow {{ {cells} }} }} }}"
    );
    let indicators: Vec<&str> = TABLE_INDICATORS.split(',').collect();
    let body = app
        .query_as(bearer, &query, json!({ "indicators": indicators }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let table = &body["data"]["colourTable"];
    let group = table["group"].as_str().unwrap();
    let mut rows = Vec::new();
    for row in table["rows"].as_array().unwrap() {
        for cell in row["cells"].as_array().unwrap() {
            rows.push(flat(
                "UNIT",
                &text(&row["unit"]["orgNumber"]),
                2024,
                group,
                cell,
            ));
        }
    }
    for cell in table["ownerRow"]["cells"].as_array().unwrap() {
        rows.push(flat("OWNER", KONGSBERG, 2024, group, cell));
    }
    for cell in table["nationRow"]["cells"].as_array().unwrap() {
        rows.push(flat("NATION", "", 2024, group, cell));
    }
    rows
}

const FORMATS: [&str; 3] = ["csv", "csv&dialect=comma", "jsonl"];

fn file_and_format(format: &str) -> (&str, &str) {
    match format.split_once('&') {
        Some((extension, dialect)) => (extension, dialect),
        None => (format, ""),
    }
}

fn path(kind: &str, format: &str, params: &str) -> String {
    let (extension, dialect) = file_and_format(format);
    format!("/export/{kind}.{extension}?{params}&{dialect}")
}

async fn each_export_reads_back_as_the_graphql_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let leader = app.token_for("radgiver@kongsberg.kommune.no").await;
    for bearer in [None, Some(leader.as_str())] {
        let values = values_by_graphql(&app, bearer, KONGSBERG_ARTS_SCHOOL).await;
        let aggregates = aggregates_by_graphql(
            &app,
            bearer,
            json!({ "owner": { "code": KONGSBERG } }),
            TABLE_INDICATORS,
        )
        .await;
        let table = colour_table_by_graphql(&app, bearer).await;
        assert!(
            values.len() > 10 && table.len() > 20,
            "{values:?} {table:?}"
        );
        for format in FORMATS {
            let (extension, _) = file_and_format(format);
            let asked = [
                (
                    path(
                        "values",
                        format,
                        &format!("unit={KONGSBERG_ARTS_SCHOOL}&schoolYear=2024"),
                    ),
                    &values,
                ),
                (
                    path(
                        "aggregates",
                        format,
                        &format!("owner={KONGSBERG}&schoolYear=2024&indicators={TABLE_INDICATORS}"),
                    ),
                    &aggregates,
                ),
                (
                    path(
                        "colour-table",
                        format,
                        &format!("owner={KONGSBERG}&schoolYear=2024&indicators={TABLE_INDICATORS}"),
                    ),
                    &table,
                ),
            ];
            for (path, expected) in asked {
                let body = export(&app, bearer, &path).await;
                assert_eq!(&read_export(&body, extension), expected, "{path}");
            }
        }
    }
}

async fn the_norwegian_excel_dialect_has_a_bom_semicolons_and_decimal_commas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = get(
        &app,
        None,
        &format!("/export/colour-table.csv?owner={KONGSBERG}&schoolYear=2024&indicators=eu_trivsel,grunnskolepoeng"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    let body = response.bytes().await.unwrap();
    assert!(
        body.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 byte-order mark"
    );
    let text = std::str::from_utf8(&body[3..]).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        varde::domain::EXPORT_COLUMNS.join(";")
    );
    let first = lines.next().unwrap();
    let fields: Vec<&str> = first.split(';').collect();
    assert_eq!(fields.len(), 15, "{first}");
    let value = fields[8];
    assert!(
        value.contains(',') && !value.contains('.'),
        "decimal comma: {first}"
    );
    assert!(text.contains("Kongsberg"), "{text}");

    let comma = export(
        &app,
        None,
        &format!("/export/colour-table.csv?owner={KONGSBERG}&schoolYear=2024&indicators=eu_trivsel&dialect=comma"),
    )
    .await;
    assert!(!comma.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(
        std::str::from_utf8(&comma)
            .unwrap()
            .starts_with("subject_level,subject_id,")
    );
}

async fn exports_hide_what_graphql_hides_from_the_same_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let values_path = format!("/export/values.jsonl?unit={KONGSBERG_ARTS_SCHOOL}&schoolYear=2024");
    let few = json!({ "units": [{ "orgNumber": KONGSBERG_ARTS_SCHOOL }] });
    let few_path = format!(
        "/export/aggregates.jsonl?units={KONGSBERG_ARTS_SCHOOL}&schoolYear=2024&indicators=ke_trivsel,gsi_elever"
    );
    let mut restricted_seen = Vec::new();
    for user in [
        None,
        Some("analytiker@drammen.kommune.no"),
        Some("analytiker@kulturskoleradet.no"),
        Some("leder.kulturskole@kongsberg.kommune.no"),
    ] {
        let token = match user {
            Some(user) => Some(app.token_for(user).await),
            None => None,
        };
        let bearer = token.as_deref();
        let exported = read_export(&export(&app, bearer, &values_path).await, "jsonl");
        assert_eq!(
            exported,
            values_by_graphql(&app, bearer, KONGSBERG_ARTS_SCHOOL).await,
            "{user:?}"
        );
        restricted_seen.push(exported.iter().any(|row| row.indicator.starts_with("ke_")));
        let exported = read_export(&export(&app, bearer, &few_path).await, "jsonl");
        let answered =
            aggregates_by_graphql(&app, bearer, few.clone(), "ke_trivsel,gsi_elever").await;
        assert_eq!(exported, answered, "{user:?}");
        // One unit's restricted aggregate is that unit's value: only its own people see it.
        let ke = &exported[0];
        if user == Some("leder.kulturskole@kongsberg.kommune.no") {
            assert!(!ke.suppressed, "{ke:?}");
        } else {
            assert!(
                ke.suppressed && ke.value.is_none() && ke.n.is_none(),
                "{user:?}: {ke:?}"
            );
        }
    }
    assert_eq!(restricted_seen, [false, false, false, true]);

    let colour_table =
        format!("/export/colour-table.csv?owner={KONGSBERG}&schoolYear=2024&indicators=ke_trivsel");
    let rows = read_export(&export(&app, None, &colour_table).await, "csv");
    assert!(
        rows.iter()
            .filter(|row| row.level == "UNIT")
            .all(|row| row.value.is_none())
    );

    // A token that does not check out is refused, never taken as anonymous.
    let response = get(&app, Some("not-a-token"), &values_path).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
}

/// The export operations the server has run, from its metrics page.
async fn export_pages_run(app: &TestApp) -> u64 {
    let page = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.lines()
        .filter(|line| {
            line.starts_with("varde_graphql_operations_total{")
                && line.contains("operation=\"ExportValues\"")
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

async fn a_large_export_is_streamed_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let selection = app
        .query(
            "{ selections(filter: {scope: OWNER}, first: 100) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    let id = selection["selections"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["name"] == "Kongsberg kommune (24-25)")
        .map(|edge| text(&edge["node"]["id"]))
        .unwrap();
    let years = "2019,2020,2021,2022,2023,2024,2025";
    // The same values by GraphQL, 500 a page.
    let mut expected = 0;
    let mut after = Value::Null;
    loop {
        let data = app
            .query(
                "query($id: ID!, $after: String) { selection(id: $id) { values(first: 500, after: $after,
                    filter: {schoolYears: [2019, 2020, 2021, 2022, 2023, 2024, 2025]}) {
                    pageInfo { hasNextPage endCursor } edges { node { value } } } } }",
                json!({ "id": id, "after": after }),
            )
            .await;
        let values = &data["selection"]["values"];
        expected += values["edges"].as_array().unwrap().len();
        if values["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = values["pageInfo"]["endCursor"].clone();
    }
    assert!(expected > 1500, "the seeds give a large export: {expected}");

    let pages_before = export_pages_run(&app).await;
    let mut response = get(
        &app,
        None,
        &format!("/export/values.csv?selection={id}&schoolYear={years}"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Streamed: no length known in advance, sent in chunks.
    assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
    assert_eq!(response.headers()[header::TRANSFER_ENCODING], "chunked");
    let mut body = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
        chunks += 1;
    }
    let rows = read_export(&body, "csv");
    assert_eq!(rows.len(), expected);
    // The server read the export a page of 500 values at a time, each page a query of its own
    // whose answer became one chunk, rather than one answer holding every row.
    let pages = expected.div_ceil(500) as u64;
    assert_eq!(export_pages_run(&app).await - pages_before, pages);
    assert!(
        chunks >= pages as usize,
        "{chunks} chunks for {pages} pages"
    );
}

async fn an_unchanged_export_is_answered_304(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An import of Elevundersøkelsen (the demo seeds carry no `lastUpdated`).
    bump_last_updated(&app, "2026-03-02T08:00:00Z").await;
    let path =
        format!("/export/aggregates.csv?owner={KONGSBERG}&schoolYear=2024&indicators=eu_trivsel");
    let first = get(&app, None, &path).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].clone();
    let last_modified = first.headers()[header::LAST_MODIFIED].clone();
    assert_eq!(last_modified, "Mon, 02 Mar 2026 08:00:00 GMT");
    assert_eq!(
        first.headers()[header::CACHE_CONTROL],
        "public, max-age=0, must-revalidate"
    );
    let again = get(&app, None, &path).await;
    assert_eq!(
        again.headers()[header::ETAG],
        etag,
        "stable while nothing changes"
    );

    let conditional = app
        .client
        .get(app.url(&path))
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(conditional.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(conditional.headers()[header::ETAG], etag);
    assert!(conditional.bytes().await.unwrap().is_empty());
    let since = app
        .client
        .get(app.url(&path))
        .header(header::IF_MODIFIED_SINCE, last_modified.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), StatusCode::NOT_MODIFIED);

    // Another question, or another caller, is another answer.
    let other = get(&app, None, &path.replace("eu_trivsel", "eu_mobbing")).await;
    assert_ne!(other.headers()[header::ETAG], etag);
    let token = app.token_for("radgiver@kongsberg.kommune.no").await;
    let private = app
        .client
        .get(app.url(&path))
        .bearer_auth(&token)
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(
        private.headers()[header::CACHE_CONTROL],
        "private, no-cache"
    );

    // An import that updates a source changes its lastUpdated, and so the answer's validators.
    let bumped = chrono::Utc::now().to_rfc3339();
    bump_last_updated(&app, &bumped).await;
    let changed = app
        .client
        .get(app.url(&path))
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::LAST_MODIFIED], last_modified);
}

/// What an import does to a source's `lastUpdated`, done straight in the database.
async fn bump_last_updated(app: &TestApp, time: &str) {
    use sqlx::Connection;
    let sql = "UPDATE data_sources SET last_updated = $1 WHERE code = 'udir-elevundersokelsen'";
    if app.database_url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        let time = chrono::DateTime::parse_from_rfc3339(time)
            .unwrap()
            .with_timezone(&chrono::Utc);
        sqlx::query(sql)
            .bind(time)
            .execute(&mut connection)
            .await
            .unwrap();
    } else {
        let mut connection = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        let time = chrono::DateTime::parse_from_rfc3339(time)
            .unwrap()
            .with_timezone(&chrono::Utc);
        sqlx::query(sql)
            .bind(time)
            .execute(&mut connection)
            .await
            .unwrap();
    }
}

const EXPORT_URL: &str =
    "query($input: ExportInput!) { exportUrl(input: $input) { url expiresAt } }";

async fn a_signed_link_acts_for_its_caller_until_it_expires_and_only_as_given(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let leader = app
        .token_for("leder.kulturskole@kongsberg.kommune.no")
        .await;
    let input = json!({
        "kind": "VALUES", "format": "JSON_LINES",
        "subject": { "orgNumber": KONGSBERG_ARTS_SCHOOL }, "schoolYears": [2024],
    });
    let body = app
        .query_as(Some(&leader), EXPORT_URL, json!({ "input": input }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let url = text(&body["data"]["exportUrl"]["url"]);
    assert!(
        url.starts_with("/export/values.jsonl?unit=879819334&schoolYear=2024&as="),
        "{url}"
    );
    let expires = chrono::DateTime::parse_from_rfc3339(
        body["data"]["exportUrl"]["expiresAt"].as_str().unwrap(),
    )
    .unwrap();
    assert!(
        expires > chrono::Utc::now()
            && expires < chrono::Utc::now() + chrono::Duration::minutes(10)
    );

    // Followed without credentials, the link gives what the caller's own token gives.
    let by_link = read_export(&export(&app, None, &url).await, "jsonl");
    assert_eq!(
        by_link,
        values_by_graphql(&app, Some(&leader), KONGSBERG_ARTS_SCHOOL).await
    );
    assert!(by_link.iter().any(|row| row.indicator.starts_with("ke_")));

    // Any change to it is refused.
    for tampered in [
        url.replace("schoolYear=2024", "schoolYear=2023"),
        url.replace("unit=879819334", "unit=903208074"),
        url.replacen("as=user%3A", "as=user%3Aadmin", 1),
        format!("{url}x"),
        url.replace("&sig=", "&sig=A"),
        url.split("&sig=").next().unwrap().to_owned() + "&sig=",
    ] {
        let response = get(&app, None, &tampered).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{tampered}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_codes(&body), ["DOWNLOAD_LINK_INVALID"], "{tampered}");
    }

    // A link past its expiry is refused with its own code.
    let principal = Principal {
        caller: Caller::Anonymous,
        grants: Default::default(),
    };
    let (expired, _) = varde::auth::sign_link_expiring(
        &app.store,
        &principal,
        "/export/values.csv",
        &format!("unit={KONGSBERG_ARTS_SCHOOL}"),
        chrono::Utc::now().timestamp() - 1,
    )
    .await
    .unwrap();
    let response = get(&app, None, &expired).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["DOWNLOAD_LINK_EXPIRED"]);

    // A printable page is linked the same way.
    let input = json!({
        "kind": "COLOUR_TABLE", "format": "HTML", "subject": { "ownerCode": KONGSBERG },
        "schoolYears": [2024], "indicators": ["eu_trivsel"],
    });
    let body = app
        .query_as(None, EXPORT_URL, json!({ "input": input }))
        .await;
    let url = text(&body["data"]["exportUrl"]["url"]);
    assert!(url.starts_with("/print/colour-table?owner=3303&"), "{body}");
    let page = get(&app, None, &url).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Kongsberg"));
}

async fn bad_export_parameters_are_refused_with_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (path, status, code) in [
        (
            "/export/values.xlsx?owner=3303",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/everything.csv?owner=3303",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/values.csv?owner=3303&unit=879819334",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/values.csv?owner=3303&colour=red",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/aggregates.csv?owner=3303&indicators=eu_trivsel",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/aggregates.csv?owner=3303&schoolYear=2024&indicators=no_such",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/values.csv?owner=9999",
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            "/export/values.csv?unit=123",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/values.csv?owner=3303&schoolYear=2024&grade=99",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "/export/colour-table.csv?owner=3303&schoolYear=2024&indicators=eu_trivsel&dialect=excel",
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
    ] {
        let response = get(&app, None, path).await;
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_codes(&body), [code], "{path}: {body}");
    }
    let body = app
        .query_as(
            None,
            EXPORT_URL,
            json!({ "input": { "kind": "VALUES", "format": "PDF", "subject": { "ownerCode": "3303" } } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
}

/// Reads a PDF with pypdf (tests/clients/.venv, installed by tests/run.sh): its page count and
/// text.
fn read_pdf(pdf: &[u8]) -> (usize, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("table.pdf");
    std::fs::write(&file, pdf).unwrap();
    let python = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/.venv/bin/python"
    );
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(
            "import json, sys; from pypdf import PdfReader; r = PdfReader(sys.argv[1]); \
             print(json.dumps({'pages': len(r.pages), 'text': '\\n'.join(p.extract_text() for p in r.pages)}))",
        )
        .arg(&file)
        .output()
        .expect("tests/run.sh installs pypdf into tests/clients/.venv");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    (
        read["pages"].as_u64().unwrap() as usize,
        text(&read["text"]),
    )
}

async fn a_colour_table_prints_to_pdf_in_chromium(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let params = format!(
        "owner={KONGSBERG}&schoolYear=2024&indicators=eu_trivsel,eu_mobbing,np_lesing_5,grunnskolepoeng"
    );
    let page = get(&app, None, &format!("/print/colour-table?{params}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("@page") && html.contains("print-color-adjust: exact"));
    let table = colour_table_by_graphql(&app, None).await;
    // Every coloured cell carries its class's symbol, so that black and white keeps the colour.
    for (colour, symbol) in [("GREEN", "▲"), ("YELLOW", "◆"), ("RED", "▼")] {
        let cells = table
            .iter()
            .filter(|row| row.colour == colour && row.indicator != "ke_trivsel")
            .count();
        let shown = html
            .matches(&format!("<span class=\"symbol\">{symbol}</span>"))
            .count();
        assert_eq!(shown, cells, "{colour}");
    }
    assert!(
        table.iter().any(|row| row.colour == "GREEN")
            && table.iter().any(|row| row.colour == "RED")
    );

    let pdf = get(&app, None, &format!("/print/colour-table.pdf?{params}")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()[header::CONTENT_TYPE], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let (pages, text) = read_pdf(&pdf);
    assert_eq!(pages, 1, "{text}");
    let units = app
        .query(
            "{ owner(by: {code: \"3303\"}) { name units(first: 100, filter: {schoolYear: 2024}) { edges { node { name } } } } }",
            json!({}),
        )
        .await;
    assert!(text.contains("Fargetabell: Kongsberg kommune"), "{text}");
    for unit in units["owner"]["units"]["edges"].as_array().unwrap() {
        let name = unit["node"]["name"].as_str().unwrap();
        if html.contains(name) {
            assert!(text.contains(name), "{name} in the PDF: {text}");
        }
    }
    assert!(
        text.contains("Nasjonalt") && text.contains("Trivsel"),
        "{text}"
    );
}

async fn without_chromium_the_pdf_is_unavailable(backend: Backend) {
    let config = varde::http::HttpConfig {
        chromium: None,
        ..Default::default()
    };
    let app = TestApp::spawn_with(backend, config).await;
    let response = get(
        &app,
        None,
        "/print/colour-table.pdf?owner=3303&schoolYear=2024&indicators=eu_trivsel",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["PDF_UNAVAILABLE"]);
}
