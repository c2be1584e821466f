//! Import over HTTP (issue 17): `POST /import` takes a national admin's bearer token and the file
//! as the body, answers 202 with a job, and the job runs the import in the background; its state,
//! counts and report are read through GraphQL (`importJob`, `importJobs`), here by polling the URL
//! the upload answered, as a client would.

use std::{path::Path, time::Duration};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use varde::http::HttpConfig;

use crate::helpers::{Backend, TestApp, error_codes, stored_rows};

crate::on_both_databases!(
    an_uploaded_file_is_imported_by_a_job_read_through_graphql,
    a_bad_files_job_fails_with_its_problems_and_writes_nothing,
    uploads_and_jobs_are_refused_to_all_but_national_admins,
    an_upload_over_the_import_limit_is_refused,
    progress_is_reported_every_thousand_records_and_at_the_end,
    a_job_whose_process_stopped_is_shown_failed,
);

const NATIONAL_ADMIN: &str = "admin@varde.example";
const OWNER_ADMIN: &str = "radgiver@kongsberg.kommune.no";
const UNIT_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import")
            .join(name),
    )
    .unwrap()
}

/// Uploads `body` with the query string `query` as the holder of `token`.
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/import?{query}")))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Polls the job's URL (a GraphQL GET) until the job has ended, and returns it.
async fn finished_job(app: &TestApp, token: &str, url: &str) -> Value {
    for _ in 0..600 {
        let body: Value = app
            .client
            .get(app.url(url))
            .bearer_auth(token)
            .header(header::ACCEPT, "application/graphql-response+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body.get("errors").is_none(), "{body:#}");
        let job = body["data"]["importJob"].clone();
        if job["state"] == "DONE" || job["state"] == "FAILED" {
            return job;
        }
        assert!(
            job["state"] == "QUEUED" || job["state"] == "RUNNING",
            "{job:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job did not end");
}

/// Uploads a fixture as the national admin and waits for its job: (the 202 answer, the job).
async fn import_over_http(app: &TestApp, token: &str, query: &str, file: &str) -> (Value, Value) {
    let response = upload(app, Some(token), query, fixture(file)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["url"], location.as_str());
    assert_eq!(accepted["state"], "QUEUED");
    let job = finished_job(app, token, &location).await;
    (accepted, job)
}

/// The Kongsberg kulturskole's value of `indicator` (group all) in 2026, as its leader sees it.
async fn arts_school_value(app: &TestApp, indicator: &str) -> Value {
    let token = app.token_for(UNIT_LEADER).await;
    let body = app
        .query_as(
            Some(&token),
            "query($indicator: String!) { unit(by: {orgNumber: \"879819334\"}) {
                values(first: 10, filter: {schoolYears: [2026], indicators: [$indicator]}) {
                    edges { node { group { code } value } } } } }",
            json!({ "indicator": indicator }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["unit"]["values"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["group"]["code"] == "all")
        .map_or(Value::Null, |edge| edge["node"]["value"].clone())
}

const JOB_FIELDS: &str = "id source fileName dryRun state bytesTotal bytesRead recordsRead
    rejected inserted updated unchanged duplicates skipped checksum problems { location reason }
    error createdBy createdAt startedAt finishedAt";

async fn an_uploaded_file_is_imported_by_a_job_read_through_graphql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(NATIONAL_ADMIN).await;
    let size = fixture("mal-utf8-semikolon.csv").len();

    // A dry run reports and writes nothing.
    let (_, dry) = import_over_http(
        &app,
        &token,
        "source=varde-mal&dryRun=true&fileName=mal-utf8-semikolon.csv",
        "mal-utf8-semikolon.csv",
    )
    .await;
    assert_eq!(dry["state"], "DONE", "{dry:#}");
    assert_eq!(dry["dryRun"], true);
    assert_eq!(dry["inserted"], 8, "{dry:#}");
    assert_eq!(arts_school_value(&app, "ke_trivsel").await, Value::Null);

    let (accepted, job) = import_over_http(
        &app,
        &token,
        "source=varde-mal&fileName=mal-utf8-semikolon.csv",
        "mal-utf8-semikolon.csv",
    )
    .await;
    assert_eq!(job["state"], "DONE", "{job:#}");
    assert_eq!(job["source"], "varde-mal");
    assert_eq!(job["fileName"], "mal-utf8-semikolon.csv");
    assert_eq!(job["dryRun"], false);
    assert_eq!(
        (
            &job["recordsRead"],
            &job["inserted"],
            &job["updated"],
            &job["unchanged"],
            &job["rejected"]
        ),
        (&json!(8), &json!(8), &json!(0), &json!(0), &json!(0)),
        "{job:#}"
    );
    assert_eq!(job["problems"], json!([]));
    assert_eq!(job["error"], Value::Null);

    // The values are there, and the import is in the log like one from the command line.
    assert_eq!(arts_school_value(&app, "ke_trivsel").await, 4.4);
    assert_eq!(arts_school_value(&app, "gsi_arsverk").await, 12.5);
    let log: Vec<(String, String, bool, i64)> = stored_rows(
        &app.database_url,
        "SELECT file_name, imported_by, applied, inserted FROM imports ORDER BY id",
    )
    .await;
    assert_eq!(
        log,
        [(
            "mal-utf8-semikolon.csv".to_owned(),
            NATIONAL_ADMIN.to_owned(),
            true,
            8
        )],
        "the dry run is not logged"
    );
    // Both uploads are in the audit log, as mutations by the admin, before they ran.
    let audited: Vec<(String, String, String, String)> = stored_rows(
        &app.database_url,
        "SELECT actor, kind, operation, fields FROM audit_log WHERE operation = 'import' ORDER BY id",
    )
    .await;
    let upload = |fields: &str| {
        (
            NATIONAL_ADMIN.to_owned(),
            "mutation".to_owned(),
            "import".to_owned(),
            fields.to_owned(),
        )
    };
    assert_eq!(
        audited,
        [
            upload("source=varde-mal,dryRun"),
            upload("source=varde-mal")
        ]
    );

    // The whole job, and the page of jobs.
    let body = app
        .query_as(
            Some(&token),
            &format!(
                "query($id: ID!) {{ importJob(id: $id) {{ {JOB_FIELDS} }}
                   importJobs(first: 10) {{ edges {{ node {{ id state dryRun }} }} }} }}"
            ),
            json!({ "id": accepted["id"] }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let whole = &body["data"]["importJob"];
    assert_eq!(whole["id"], accepted["id"]);
    assert_eq!(whole["bytesTotal"], size);
    assert_eq!(whole["bytesRead"], size);
    assert_eq!(whole["createdBy"], NATIONAL_ADMIN);
    assert_eq!(whole["checksum"].as_str().unwrap().len(), 64);
    assert!(whole["startedAt"].is_string() && whole["finishedAt"].is_string());
    let jobs: Vec<(Value, Value)> = body["data"]["importJobs"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["state"].clone(),
                edge["node"]["dryRun"].clone(),
            )
        })
        .collect();
    assert_eq!(
        jobs,
        [(json!("DONE"), json!(true)), (json!("DONE"), json!(false))]
    );

    // The same file again changes nothing.
    let (_, again) =
        import_over_http(&app, &token, "source=varde-mal", "mal-utf8-semikolon.csv").await;
    assert_eq!(again["state"], "DONE", "{again:#}");
    assert_eq!(
        (&again["inserted"], &again["unchanged"]),
        (&json!(0), &json!(8))
    );
    assert_eq!(
        again["fileName"], "upload",
        "a nameless upload is called upload"
    );
}

async fn a_bad_files_job_fails_with_its_problems_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(NATIONAL_ADMIN).await;
    let (_, job) = import_over_http(
        &app,
        &token,
        "source=varde-mal&fileName=mal-feil.csv",
        "mal-feil.csv",
    )
    .await;
    assert_eq!(job["state"], "FAILED", "{job:#}");
    assert_eq!(job["rejected"], 5, "{job:#}");
    assert_eq!(job["inserted"], 0);
    assert_eq!(
        job["error"],
        Value::Null,
        "the file was read; its rows were refused"
    );
    let problems = job["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 5, "{job:#}");
    assert_eq!(
        problems[0],
        json!({ "location": "line 3", "reason": "no unit or owner has organisasjonsnummer 912345602" })
    );
    assert_eq!(arts_school_value(&app, "ke_trivsel").await, Value::Null);
    let log: Vec<(bool, i64, i64)> = stored_rows(
        &app.database_url,
        "SELECT applied, inserted, rejected FROM imports",
    )
    .await;
    assert_eq!(log, [(false, 0, 5)], "the refused import is logged");

    // A file that cannot be read at all: a JSON-stat source given CSV.
    let (_, unreadable) = import_over_http(
        &app,
        &token,
        "source=ssb-kostra-kulturskole",
        "mal-utf8-semikolon.csv",
    )
    .await;
    assert_eq!(unreadable["state"], "FAILED", "{unreadable:#}");
    assert!(unreadable["error"].is_string(), "{unreadable:#}");
    assert_eq!(unreadable["inserted"], 0);
}

async fn uploads_and_jobs_are_refused_to_all_but_national_admins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let file = || fixture("mal-utf8-semikolon.csv");
    let code = |body: &Value| error_codes(body).join(",");

    let anonymous = upload(&app, None, "source=varde-mal", file()).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(code(&anonymous.json().await.unwrap()), "UNAUTHENTICATED");

    // A session cookie alone is no credential here (cross-site requests carry cookies).
    let with_cookie = app
        .client
        .post(app.url("/import?source=varde-mal"))
        .header(header::COOKIE, "__Host-varde_session=anything")
        .body(file())
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::UNAUTHORIZED);
    let body: Value = with_cookie.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bearer token"),
        "{body:#}"
    );

    let forged = upload(&app, Some("not-a-token"), "source=varde-mal", file()).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    for user in [OWNER_ADMIN, UNIT_LEADER] {
        let token = app.token_for(user).await;
        let refused = upload(&app, Some(&token), "source=varde-mal", file()).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{user}");
        assert_eq!(code(&refused.json().await.unwrap()), "FORBIDDEN");
        let body = app
            .query_as(
                Some(&token),
                "{ importJobs(first: 1) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{user}");
    }
    let body = app
        .query_response("{ importJob(id: \"1\") { state } }", json!({}))
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    let admin = app.token_for(NATIONAL_ADMIN).await;
    let unknown = upload(&app, Some(&admin), "source=udir", file()).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no import source is called \"udir\"; the sources are: "),
        "{body:#}"
    );
    for query in [
        "fileName=a.csv",
        "source=varde-mal&separator=x",
        "source=varde-mal&dryRun=perhaps",
    ] {
        let refused = upload(&app, Some(&admin), query, file()).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            code(&refused.json().await.unwrap()),
            "BAD_USER_INPUT",
            "{query}"
        );
    }
    let jobs: Vec<(i64,)> = stored_rows(&app.database_url, "SELECT id FROM import_jobs").await;
    assert!(jobs.is_empty(), "no refused upload made a job");

    let body = app
        .query_as(
            Some(&admin),
            "{ importJob(id: \"x\") { state } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let body = app
        .query_as(
            Some(&admin),
            "{ importJob(id: \"999\") { state } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["importJob"], Value::Null, "{body:#}");
}

async fn an_upload_over_the_import_limit_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        HttpConfig {
            import_body_limit: 100,
            ..HttpConfig::default()
        },
    )
    .await;
    let admin = app.token_for(NATIONAL_ADMIN).await;
    let file = fixture("mal-utf8-semikolon.csv");
    assert!(file.len() > 100);
    let refused = upload(&app, Some(&admin), "source=varde-mal", file.clone()).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        error_codes(&refused.json().await.unwrap()),
        ["PAYLOAD_TOO_LARGE"]
    );
    // Without a declared length (chunked), the limit holds while the body streams.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut request = format!(
        "POST /import?source=varde-mal HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {admin}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in file.chunks(16) {
        request.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        request.extend(chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    let jobs: Vec<(i64,)> = stored_rows(&app.database_url, "SELECT id FROM import_jobs").await;
    assert!(jobs.is_empty());
}

async fn progress_is_reported_every_thousand_records_and_at_the_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 2500 records, the same one again and again (counted once, as a duplicate).
    let mut file = String::from("subject;indicator;school_year;value;n\n");
    for _ in 0..2500 {
        file.push_str("879819334;ke_trivsel;2026;4,4;55\n");
    }
    let request = varde::import::ImportRequest {
        source: "varde-mal".into(),
        file_name: "many.csv".into(),
        imported_by: "test".into(),
        options: varde::import::ReadOptions::default(),
        dry_run: false,
        splits: Vec::new(),
    };
    let mut seen = Vec::new();
    let report = varde::import::import_with_progress(
        &app.store,
        &request,
        std::io::Cursor::new(file.clone().into_bytes()),
        |progress| seen.push(progress),
    )
    .await
    .unwrap();
    assert_eq!((report.counts.inserted, report.duplicates), (1, 2499));
    let records: Vec<u64> = seen.iter().map(|progress| progress.records).collect();
    assert_eq!(records, [1000, 2000, 2500]);
    assert!(
        seen.windows(2).all(|pair| pair[0].bytes <= pair[1].bytes),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().bytes, file.len() as u64);
    assert_eq!(report.bytes, file.len() as u64);
}

/// Sets a job's state and heartbeat as a process that died would have left them.
async fn leave_running(database_url: &str, id: i64, heartbeat: chrono::DateTime<chrono::Utc>) {
    use sqlx::Connection;
    let statement = "UPDATE import_jobs SET state = 'running', heartbeat_at = $1 WHERE id = $2";
    if database_url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(statement)
            .bind(heartbeat)
            .bind(id)
            .execute(&mut connection)
            .await
            .unwrap();
    } else {
        let mut connection = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(statement)
            .bind(heartbeat)
            .bind(id)
            .execute(&mut connection)
            .await
            .unwrap();
    }
}

async fn a_job_whose_process_stopped_is_shown_failed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(NATIONAL_ADMIN).await;
    let mut ids = Vec::new();
    for file in ["alive.csv", "dead.csv"] {
        let id = app
            .store
            .create_import_job(&varde::store::NewImportJob {
                source: "varde-mal".into(),
                file_name: file.into(),
                dry_run: false,
                bytes_total: Some(10),
                created_by: NATIONAL_ADMIN.into(),
            })
            .await
            .unwrap();
        ids.push(id);
    }
    let now = chrono::Utc::now();
    leave_running(&app.database_url, ids[0], now).await;
    leave_running(
        &app.database_url,
        ids[1],
        now - chrono::Duration::seconds(varde::domain::JOB_STALE_AFTER_SECONDS + 60),
    )
    .await;
    let body = app
        .query_as(
            Some(&token),
            "{ importJobs(first: 10) { edges { node { fileName state error } } } }",
            json!({}),
        )
        .await;
    let jobs = &body["data"]["importJobs"]["edges"];
    assert_eq!(jobs[0]["node"]["state"], "RUNNING", "{body:#}");
    assert_eq!(jobs[0]["node"]["error"], Value::Null);
    assert_eq!(jobs[1]["node"]["state"], "FAILED", "{body:#}");
    assert!(
        jobs[1]["node"]["error"]
            .as_str()
            .unwrap()
            .contains("the process running this import stopped"),
        "{body:#}"
    );
}
