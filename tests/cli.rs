//! The binary: `varde schema` matches the checked-in SDL, `varde serve` on an empty database
//! migrates and seeds it (one command serves a working demo), and the admin subcommands work.

#![allow(clippy::unwrap_used)] // a test fails by panicking

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::{process::Stdio, time::Duration};

use helpers::Backend;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStderr, Command},
};

const BINARY: &str = env!("CARGO_BIN_EXE_varde");

on_both_databases!(
    serve_seeds_an_empty_database,
    two_processes_on_one_database_act_as_one,
    migrate_seed_grant_and_create_token,
    import_reports_dry_runs_and_refuses_bad_files,
    an_import_killed_mid_file_applies_nothing_and_runs_again,
    an_import_from_a_url_fetches_and_imports_and_refuses_errors_and_non_json,
);

/// PostgreSQL only: SQLite serves one process.
mod postgres_only {
    #[tokio::test]
    async fn a_vote_cast_through_one_process_reaches_a_subscriber_on_another() {
        super::a_vote_cast_through_one_process_reaches_a_subscriber_on_another().await
    }
}

#[tokio::test]
async fn schema_graphql_is_the_output_of_varde_schema() {
    let output = Command::new(BINARY).arg("schema").output().await.unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .unwrap_or_default();
    assert!(
        printed == checked_in,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

/// A running `varde serve` with JSON logs, and the GraphQL endpoint it announced.
struct Server {
    child: Child,
    logs: Lines<BufReader<ChildStderr>>,
    endpoint: String,
}

impl Server {
    /// Starts `varde serve` on `url` with `args` and waits until it serves.
    async fn start(url: &str, args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .env("DATABASE_URL", url)
            .env("VARDE_ADDR", "127.0.0.1:0")
            .env("VARDE_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,tower_http=debug")
            .args(args)
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let logs = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut server = Self {
            child,
            logs,
            endpoint: String::new(),
        };
        server.endpoint = tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                let log = server.next_log().await;
                let message = log["message"].as_str().unwrap_or_default();
                if let Some(rest) = message.split("serving GraphQL at ").nth(1) {
                    return rest.split_whitespace().next().unwrap().to_owned();
                }
            }
        })
        .await
        .expect("varde starts within two minutes");
        server
    }

    async fn next_log(&mut self) -> Value {
        let line = self
            .logs
            .next_line()
            .await
            .unwrap()
            .expect("varde is running");
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("{error}: {line}"))
    }

    /// A URL of the server: `path` in place of the endpoint's `/graphql`.
    fn url(&self, path: &str) -> String {
        self.endpoint.replace("/graphql", path)
    }
}

/// `varde serve` on an empty database migrates and seeds it, and serves; its logs are JSON lines
/// (`VARDE_LOG_FORMAT=json`) that carry the request id the answer returned.
async fn serve_seeds_an_empty_database(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    let mut server = Server::start(&url, &[]).await;
    let response = reqwest::Client::new()
        .post(&server.endpoint)
        .json(&json!({ "query": "{ owner(by: {code: \"3205\"}) { name units(first: 1) { edges { node { name } } } } }" }))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["owner"]["name"], "Lillestrøm kommune",
        "{body}"
    );
    let logged = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let log = server.next_log().await;
            if log["span"]["request_id"] == request_id.as_str() {
                return log;
            }
        }
    })
    .await
    .expect("a log line of the request names its id");
    assert_eq!(logged["span"]["uri"], "/graphql", "{logged}");
    server.child.kill().await.unwrap();
}

/// Two `varde serve` processes on one database behave as one (issue 14): a session started
/// through one is known to the other until it is ended through the first, and a persisted query
/// registered through one is served by hash through the other.
async fn two_processes_on_one_database_act_as_one(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    let mut first = Server::start(&url, &["--dev-login"]).await;
    let mut second = Server::start(&url, &["--dev-login"]).await;
    let client = no_redirects();
    let me = async |server: &Server, cookie: &str| -> Value {
        let request = client.post(&server.endpoint).header("cookie", cookie);
        helpers::send_query(request, "{ me { feideUserId } }").await["data"]["me"].clone()
    };

    let cookie = dev_login(&client, &first, RECTOR).await;
    let known_to_second = me(&second, &cookie).await;
    let logout = client
        .post(first.url("/auth/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let after_logout = me(&second, &cookie).await;

    assert_eq!(
        known_to_second["feideUserId"],
        "rektor@kongsberg.kommune.no"
    );
    assert_eq!(logout.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(
        after_logout,
        Value::Null,
        "the second process refuses it too"
    );

    let query = "{ owner(by: {code: \"3205\"}) { name } }";
    let hash = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(query.as_bytes())
    );
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    client
        .post(&first.endpoint)
        .json(&json!({ "query": query, "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let by_hash: Value = client
        .get(&second.endpoint)
        .query(&[("extensions", extensions.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .expect("a JSON answer");
    assert_eq!(
        by_hash["data"]["owner"]["name"], "Lillestrøm kommune",
        "{by_hash}"
    );
    first.child.kill().await.unwrap();
    second.child.kill().await.unwrap();
}

/// A PostgreSQL cluster of one test's own (tests/pg-cluster.sh), for tests that stop it or
/// follow it with a replica; removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
}

impl Cluster {
    fn script(args: &[&str]) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pg-cluster.sh");
        let output = std::process::Command::new("bash")
            .arg(script)
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(output.status.success(), "pg-cluster.sh {args:?} failed");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = Self::script(&["start", dir.path().to_str().unwrap()]);
        Self { dir, url }
    }

    /// A streaming replica of this cluster.
    fn replica(&self) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = Self::script(&["replica", dir.path().to_str().unwrap(), &self.url]);
        Self { dir, url }
    }

    /// Stops the cluster, waits `seconds`, and starts it again on its port.
    async fn restart(&self, seconds: u32) {
        let dir = self.dir.path().to_str().unwrap().to_owned();
        tokio::task::spawn_blocking(move || {
            Self::script(&["restart", &dir, &seconds.to_string()]);
        })
        .await
        .unwrap();
    }

    async fn rows<T>(&self, query: &'static str) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + Send
            + Unpin,
    {
        helpers::stored_rows(&self.url, query).await
    }

    async fn execute(&self, statement: &'static str) {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let dir = self.dir.path().to_str().unwrap();
        let _ = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pg-cluster.sh"))
            .args(["stop", dir])
            .status();
    }
}

/// The spread of criterion 2.2 of `kulturskole` at Drammen kulturskole in 2025-26.
const WATCH_DRAMMEN: &str = "subscription { assessmentVotes(assessment: {unit: {orgNumber: \"903208074\"},
    framework: {code: \"kulturskole\"}, criterion: \"2.2\", schoolYear: 2025}) { counts { count } } }";

/// A session cookie of `user` through the demo login of `server`.
async fn dev_login(client: &reqwest::Client, server: &Server, user: &str) -> String {
    let login = client
        .get(server.url("/auth/dev-login"))
        .query(&[("user", user)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// A client that keeps redirects to itself (the demo login answers with one and a cookie).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

const RECTOR: &str = "rektor@kongsberg.kommune.no";

/// Plans an initiative titled `title` at the rector's school; its title when the answer says it
/// was committed.
async fn plan(
    client: &reqwest::Client,
    endpoint: &str,
    cookie: &str,
    title: &str,
) -> Option<String> {
    let query = format!(
        "mutation {{ createInitiative(input: {{of: {{unit: {{orgNumber: \"820819675\"}}}},
            content: {{title: \"{title}\", startDate: \"2026-01-05\"}}}}) {{ title }} }}"
    );
    let request = client.post(endpoint).header("cookie", cookie);
    let sent = request.json(&json!({ "query": query })).send().await.ok()?;
    let body: Value = sent.json().await.ok()?;
    body["data"]["createInitiative"]["title"]
        .as_str()
        .map(str::to_owned)
}

/// The titles of the initiatives at the rector's school, as `server` reads them; `None` when it
/// cannot answer.
async fn titles(client: &reqwest::Client, endpoint: &str, cookie: &str) -> Option<Vec<String>> {
    let request = client.post(endpoint).header("cookie", cookie);
    let query = "{ unit(by: {orgNumber: \"820819675\"}) {
        initiatives(first: 100) { edges { node { title } } } } }";
    let body = helpers::send_query(request, query).await;
    let edges = body["data"]["unit"]["initiatives"]["edges"].as_array()?;
    Some(
        edges
            .iter()
            .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
            .collect(),
    )
}

/// With `VARDE_READ_DATABASE_URL`, queries read from the replica and everything that writes
/// (mutations, the audit log of restricted reads, the session) goes to the primary: with the
/// replica's replay paused, a new initiative is answered by its mutation but not yet listed, and
/// it is listed once the replica has caught up.
#[tokio::test]
async fn queries_read_from_a_streaming_replica_and_writes_go_to_the_primary() {
    let primary = Cluster::start();
    let replica = primary.replica();
    let server = Server::start(
        &primary.url,
        &["--dev-login", "--read-database-url", &replica.url],
    )
    .await;
    let client = no_redirects();
    let cookie = dev_login(&client, &server, RECTOR).await;
    // The replica follows the migrated, seeded primary.
    let seeded = async {
        loop {
            match titles(&client, &server.endpoint, &cookie).await {
                Some(titles) => return titles,
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    };
    let before = tokio::time::timeout(Duration::from_secs(60), seeded)
        .await
        .expect("the replica catches up with the seeded primary");

    replica.execute("SELECT pg_wal_replay_pause()").await;
    let planned = plan(&client, &server.endpoint, &cookie, "Lesekvarter").await;
    let while_paused = titles(&client, &server.endpoint, &cookie).await.unwrap();
    let on_primary: Vec<(String,)> = primary
        .rows("SELECT content FROM initiatives WHERE content LIKE '%Lesekvarter%'")
        .await;
    replica.execute("SELECT pg_wal_replay_resume()").await;
    let caught_up = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let now = titles(&client, &server.endpoint, &cookie).await.unwrap();
            if now.iter().any(|title| title == "Lesekvarter") {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the replica catches up");

    assert_eq!(
        planned.as_deref(),
        Some("Lesekvarter"),
        "written on the primary"
    );
    assert_eq!(on_primary.len(), 1);
    assert_eq!(while_paused, before, "listed from the paused replica");
    assert_eq!(caught_up.len(), before.len() + 1);
    let audited: Vec<(i64,)> = primary
        .rows("SELECT COUNT(*) FROM audit_log WHERE kind = 'read'")
        .await;
    assert!(
        audited[0].0 > 0,
        "restricted reads are recorded on the primary"
    );
}

/// Faults (issue 14): PostgreSQL restarts while two processes take writes and reads, and then
/// one process is killed mid-request. Varde answers again within 5 seconds of the database's
/// return, every write answered as committed is there, and no initiative is half-written.
#[tokio::test]
async fn restarts_of_the_database_and_a_killed_process_lose_no_committed_write() {
    let cluster = Cluster::start();
    let first = Server::start(&cluster.url, &["--dev-login", "--db-acquire-timeout", "1"]).await;
    let mut second =
        Server::start(&cluster.url, &["--dev-login", "--db-acquire-timeout", "1"]).await;
    let client = no_redirects();
    let cookie = dev_login(&client, &first, RECTOR).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = [&first, &second]
        .into_iter()
        .enumerate()
        .map(|(process, server)| {
            let (client, cookie, stop) = (client.clone(), cookie.clone(), stop.clone());
            let endpoint = server.endpoint.clone();
            tokio::spawn(async move {
                let mut committed = Vec::new();
                let mut attempt = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    attempt += 1;
                    let title = format!("Tiltak {process}-{attempt}");
                    if let Some(title) = plan(&client, &endpoint, &cookie, &title).await {
                        committed.push(title);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                committed
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.restart(2).await;
    let back = tokio::time::Instant::now();
    while titles(&client, &first.endpoint, &cookie).await.is_none() {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "Varde answers within 5 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The second process dies with requests in flight; the first goes on.
    second.child.start_kill().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = titles(&client, &first.endpoint, &cookie).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut committed = Vec::new();
    for writer in writers {
        committed.extend(writer.await.unwrap());
    }

    assert!(
        during.is_some(),
        "the first process answers after the second died"
    );
    assert!(committed.len() > 10, "writes went through: {committed:?}");
    let stored: Vec<(String,)> = cluster.rows("SELECT content FROM initiatives").await;
    let stored: Vec<String> = stored
        .into_iter()
        .map(|(content,)| {
            serde_json::from_str::<Value>(&content).unwrap()["title"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let lost: Vec<&String> = committed
        .iter()
        .filter(|title| !stored.contains(title))
        .collect();
    assert!(lost.is_empty(), "committed writes lost: {lost:?}");
    let half_written: Vec<(i64,)> = cluster
        .rows(
            "SELECT id FROM initiatives i WHERE NOT EXISTS \
             (SELECT 1 FROM initiative_changes c WHERE c.initiative_id = i.id)",
        )
        .await;
    assert!(
        half_written.is_empty(),
        "initiatives without their history row: {half_written:?}"
    );
}

/// With an OTLP endpoint configured, the spans of a request, its GraphQL operation and its
/// database statements reach a collector (an OTLP/HTTP receiver built on the OpenTelemetry
/// project's protobuf definitions, tests/clients/otlp_receiver.py), the statement's span inside
/// the operation's request.
#[tokio::test]
async fn traces_reach_an_otlp_collector_when_one_is_configured() {
    let clients = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");
    let mut receiver = Command::new(format!("{clients}/.venv/bin/python"))
        .arg(format!("{clients}/otlp_receiver.py"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tests/run.sh makes tests/clients/.venv");
    let mut spans = BufReader::new(receiver.stdout.take().unwrap()).lines();
    let port = spans
        .next_line()
        .await
        .unwrap()
        .expect("the receiver's port");
    let (url, _dir) = helpers::fresh_database(Backend::Sqlite).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(&url, &["--otlp-endpoint", &endpoint]).await;
    let request = reqwest::Client::new()
        .post(&server.endpoint)
        .header("x-request-id", "trace-me");
    let body = helpers::send_query(
        request,
        "query Directory { owner(by: {code: \"3205\"}) { name } }",
    )
    .await;
    assert_eq!(body["data"]["owner"]["name"], "Lillestrøm kommune");

    let mut seen = Vec::new();
    let wanted = |seen: &[Value]| {
        let has = |name: &str, key: &str, value: &dyn Fn(&str) -> bool| {
            seen.iter().any(|span| {
                span["name"] == name && span["attributes"][key].as_str().is_some_and(value)
            })
        };
        has("request", "request_id", &|id| id == "trace-me")
            && has("graphql", "graphql.operation.name", &|name| {
                name == "Directory"
            })
            && has("db", "db.statement", &|sql| sql.contains("FROM owners"))
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        while !wanted(&seen) {
            let line = spans.next_line().await.unwrap().expect("the receiver runs");
            seen.push(serde_json::from_str::<Value>(&line).unwrap());
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the spans arrive; seen: {seen:#?}"));
    server.child.kill().await.unwrap();
}

/// The counts of the `next` events of a GraphQL-over-SSE answer, read until there are `events`.
async fn spreads(response: &mut reqwest::Response, seen: &mut String, events: usize) -> Vec<Value> {
    loop {
        let spreads: Vec<Value> = seen
            .split("\n\n")
            .filter(|block| block.starts_with("event: next"))
            .filter_map(|block| block.split_once("data: "))
            .map(|(_, data)| serde_json::from_str::<Value>(data).unwrap())
            .map(|result| result["data"]["assessmentVotes"]["counts"].clone())
            .collect();
        if spreads.len() >= events && seen.ends_with("\n\n") {
            return spreads;
        }
        let chunk = response.chunk().await.unwrap().expect("the stream goes on");
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// Live voting behind a load balancer (issue 13): a subscriber on process B sees a vote cast
/// through process A, carried by PostgreSQL's `NOTIFY` between them.
async fn a_vote_cast_through_one_process_reaches_a_subscriber_on_another() {
    let (url, _dir) = helpers::fresh_database(Backend::Postgres).await;
    let mut a = Server::start(&url, &["--dev-login"]).await;
    let mut b = Server::start(&url, &["--dev-login"]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let watcher = dev_login(&client, &b, "analytiker@drammen.kommune.no").await;
    let staff = dev_login(&client, &a, "laerer.kulturskole@drammen.kommune.no").await;
    let mut subscription = client
        .post(&b.endpoint)
        .header("cookie", &watcher)
        .header("accept", "text/event-stream")
        .json(&json!({ "query": WATCH_DRAMMEN }))
        .send()
        .await
        .unwrap();
    assert_eq!(subscription.status(), reqwest::StatusCode::OK);
    let mut seen = String::new();
    let before = spreads(&mut subscription, &mut seen, 1).await;

    let voted = helpers::send_query(
        client.post(&a.endpoint).header("cookie", &staff),
        "mutation { voteOnCriterion(input: {assessment: {unit: {orgNumber: \"903208074\"},
            framework: {code: \"kulturskole\"}, criterion: \"2.2\", schoolYear: 2025}, level: 4}) { revision } }",
    )
    .await;
    assert!(voted.get("errors").is_none(), "{voted}");
    let after = spreads(&mut subscription, &mut seen, 2).await;

    let count = |spread: &Value| -> Vec<i64> {
        spread
            .as_array()
            .unwrap()
            .iter()
            .map(|level| level["count"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(count(&before[0]), [0, 1, 1, 0], "as seeded");
    assert_eq!(
        count(&after[1]),
        [0, 1, 0, 1],
        "the staff member's 3 moved to 4 through A, seen on B"
    );
    a.child.kill().await.unwrap();
    b.child.kill().await.unwrap();
}

#[tokio::test]
async fn the_demo_login_is_refused_on_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .env(
            "DATABASE_URL",
            format!("sqlite:{}", dir.path().join("varde.db").display()),
        )
        .args(["--dev-login", "--addr", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refused on the non-loopback address"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_api_client_created_on_the_command_line_gets_a_token() {
    let (url, _dir) = helpers::fresh_database(Backend::Sqlite).await;
    varde(&url, &["seed"]).await;
    let printed = varde(
        &url,
        &[
            "create-client",
            "--name",
            "Kongsberg BI",
            "--role",
            "owner_reader",
            "--owner-code",
            "0604",
        ],
    )
    .await;
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let store = varde::store::Store::connect(&url, 1).await.unwrap();
    let auth = varde::auth::Auth::new(store, varde::auth::AuthConfig::default()).unwrap();
    let issued = auth
        .issue_client_token(&field("client_id"), &field("client_secret"))
        .await
        .unwrap();
    assert!(!issued.access_token.is_empty());
}

/// Runs the binary on `url` with `args`.
async fn run_varde(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BINARY)
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .await
        .unwrap()
}

/// Runs the binary on `url` with `args` and returns its stdout; the command must succeed.
async fn varde(url: &str, args: &[&str]) -> String {
    let output = run_varde(url, args).await;
    assert!(
        output.status.success(),
        "varde {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `migrate` creates the tables and loads nothing; `seed` loads the demo; `grant` gives the first
/// national admin a role and `create-token` a personal token that speaks for them.
async fn migrate_seed_grant_and_create_token(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    varde(&url, &["migrate"]).await;
    let store = varde::store::Store::connect(&url, 1).await.unwrap();
    assert!(store.is_empty().await.unwrap(), "migrate loads no data");
    varde(&url, &["seed"]).await;
    assert!(!store.is_empty().await.unwrap(), "seed loads the demo");

    let user = "ny.admin@varde.example";
    let granted = varde(&url, &["grant", "--user", user, "--role", "national_admin"]).await;
    assert!(granted.contains("national_admin"), "{granted}");
    assert_eq!(
        store.roles_of(user).await.unwrap(),
        [varde::domain::Role::NationalAdmin]
    );
    let token = varde(&url, &["create-token", "--user", user, "--days", "1"]).await;
    let auth = varde::auth::Auth::new(store, varde::auth::AuthConfig::default()).unwrap();
    let principal = auth.principal(Some(token.trim()), None).await.unwrap();
    assert_eq!(principal.grants.roles, [varde::domain::Role::NationalAdmin]);
}

/// Runs the binary on `url` with `args`, expecting it to fail; returns (stdout, stderr).
async fn varde_fails(url: &str, args: &[&str]) -> (String, String) {
    let output = run_varde(url, args).await;
    assert!(!output.status.success(), "varde {args:?} succeeded");
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `import`: a dry run prints the report and writes nothing, the import applies, a file with bad
/// rows prints each problem and fails, and a wrong source or encoding says what to use.
async fn import_reports_dry_runs_and_refuses_bad_files(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    let fixture = |name: &str| {
        format!(
            "{}/tests/fixtures/import/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let good = fixture("mal-utf8-semikolon.csv");
    let import = ["import", "--source", "varde-mal"];
    let (_, stderr) = varde_fails(&url, &[&import[..], &[good.as_str()]].concat()).await;
    assert!(stderr.contains("none is set up"), "{stderr}");
    varde(&url, &["seed"]).await;

    let dry = varde(&url, &[&import[..], &["--dry-run", &good]].concat()).await;
    assert!(
        dry.contains(
            "inserted 8, updated 0, unchanged 0, duplicates 0, skipped 0, rejected 0: dry run, nothing written"
        ),
        "{dry}"
    );
    let applied = varde(&url, &[&import[..], &["--by", "ola", &good]].concat()).await;
    assert!(
        applied.contains("inserted 8,") && applied.trim_end().ends_with(": applied"),
        "{applied}"
    );
    let again = varde(&url, &[&import[..], &[good.as_str()]].concat()).await;
    assert!(
        again.contains("inserted 0, updated 0, unchanged 8,"),
        "{again}"
    );

    let (stdout, stderr) = varde_fails(
        &url,
        &[&import[..], &[fixture("mal-feil.csv").as_str()]].concat(),
    )
    .await;
    assert!(
        stdout.contains("mal-feil.csv line 3: no unit or owner has organisasjonsnummer 912345602"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mal-feil.csv line 6: a value (4,3) is given for a suppressed cell"),
        "{stdout}"
    );
    assert!(
        stderr.contains("5 rejected rows: nothing was applied"),
        "{stderr}"
    );

    let (_, stderr) = varde_fails(&url, &["import", "--source", "udir", &good]).await;
    assert!(
        stderr.contains("no import source is called \"udir\"; the sources are: ssb-kostra-kulturskole, udir-statistikkbanken, varde-mal"),
        "{stderr}"
    );
    let latin1 = fixture("mal-windows1252-pipe.csv");
    let (_, stderr) = varde_fails(
        &url,
        &[&import[..], &["--encoding", "utf-8", &latin1]].concat(),
    )
    .await;
    assert!(
        stderr.contains("is not valid UTF-8 (chosen by --encoding)"),
        "{stderr}"
    );
    let with_option = varde(
        &url,
        &[
            &import[..],
            &["--encoding", "latin-1", "--separator", "|", &latin1],
        ]
        .concat(),
    )
    .await;
    assert!(with_option.contains("unchanged 8,"), "{with_option}");

    // A kommune that split (Ålesund 1507, in 2024) is asked for, and --split answers; Svalbard is
    // skipped with its reason.
    let klass = fixture("mal-kommunenummer.csv");
    let (stdout, _) = varde_fails(&url, &[&import[..], &[klass.as_str()]].concat()).await;
    assert!(
        stdout.contains(
            "mal-kommunenummer.csv line 4: 1507 Ålesund split into 1508 Ålesund and 1580 Haram \
             on 2024-01-01: choose with a split rule or --split 1507=1508"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "line 5: 2100 (Svalbard) is in no version of KLASS 131 and no owner has the code: \
             skipped"
        ),
        "{stdout}"
    );
    let (_, stderr) =
        varde_fails(&url, &[&import[..], &["--split", "1507", &klass]].concat()).await;
    assert!(stderr.contains("give OLD=NEW"), "{stderr}");
    // The demo seeds have no owner for today's Ålesund, so the chosen part is not found: the
    // choice was taken, and nothing is guessed instead.
    let (stdout, _) = varde_fails(
        &url,
        &[&import[..], &["--split", "1507=1508", &klass]].concat(),
    )
    .await;
    assert!(
        stdout.contains("line 4: no owner has or had the code 1508")
            && !stdout.contains("split into"),
        "{stdout}"
    );
}

/// An import killed in the middle of its file leaves nothing applied, and running it again
/// completes it. The file comes through a named pipe that holds back its second half until the
/// process is killed, so the kill falls mid-file whatever the machine's speed.
async fn an_import_killed_mid_file_applies_nothing_and_runs_again(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    varde(&url, &["seed"]).await;
    let file = std::fs::read(format!(
        "{}/tests/fixtures/import/mal-utf8-semikolon.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let pipes = tempfile::tempdir().unwrap();
    let fifo = pipes.path().join("import.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().await.unwrap();
    assert!(made.success());
    let mut child = Command::new(BINARY)
        .env("DATABASE_URL", &url)
        .args(["import", "--source", "varde-mal"])
        .arg(&fifo)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Opening the pipe for writing waits for the importer to open it for reading.
    let mut writer = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut writer, &file[..file.len() / 2])
        .await
        .unwrap();
    child.kill().await.unwrap();
    drop(writer);

    let written: Vec<(i64,)> = helpers::stored_rows(
        &url,
        "SELECT COUNT(*) FROM indicator_values WHERE school_year = 2026",
    )
    .await;
    assert_eq!(written, [(0,)], "nothing of the killed import is applied");
    let again = varde(
        &url,
        &[
            "import",
            "--source",
            "varde-mal",
            &format!(
                "{}/tests/fixtures/import/mal-utf8-semikolon.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
        ],
    )
    .await;
    assert!(again.contains("inserted 8,"), "{again}");
}

/// A local HTTP server standing in for SSB's and Udir's APIs: the recorded answers under
/// tests/fixtures/import, an HTTP error and an HTML page. Returns its address and the bodies
/// POSTed to it.
async fn recorded_api() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use axum::{
        Router,
        http::{StatusCode, header},
        routing::{get, post},
    };
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/tests/fixtures/import/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let ssb = fixture("ssb-kostra-kulturskole.json");
    let udir = fixture("udir-elevundersokelsen.json");
    let posted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = posted.clone();
    let router = Router::new()
        .route(
            "/api/v0/no/table/12345",
            post(move |body: String| async move {
                seen.lock().unwrap().push(body);
                (
                    [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                    ssb,
                )
            }),
        )
        .route(
            "/api/rest/v2/Eksport/152/data",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], udir) }),
        )
        .route(
            "/broken",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "maintenance until 06:00") }),
        )
        .route(
            "/page",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<!doctype html><html><body>Logg inn</body></html>",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, posted)
}

/// `import --source NAME URL`: SSB's API gets the query POSTed, Udir's a GET, both import in one
/// step; an HTTP error and an HTML page are refused with what they said, and nothing is written.
async fn an_import_from_a_url_fetches_and_imports_and_refuses_errors_and_non_json(
    backend: Backend,
) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    varde(&url, &["seed"]).await;
    let (api, posted) = recorded_api().await;
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("query.json");
    let asked = json!({
        "query": [{ "code": "KOKkommuneregion0000", "selection": { "filter": "all", "values": ["*"] } }],
        "response": { "format": "json-stat2" }
    });
    std::fs::write(&query, asked.to_string()).unwrap();

    let ssb = format!("http://{api}/api/v0/no/table/12345");
    let imported = varde(
        &url,
        &[
            "import",
            "--source",
            "ssb-kostra-kulturskole",
            "--query",
            query.to_str().unwrap(),
            ssb.as_str(),
        ],
    )
    .await;
    assert!(
        imported.contains("rejected 0: applied") && imported.starts_with(&ssb),
        "{imported}"
    );
    let posted: Vec<Value> = posted
        .lock()
        .unwrap()
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(posted, [asked], "the query is POSTed as it is");

    let udir = format!("http://{api}/api/rest/v2/Eksport/152/data");
    let output = run_varde(
        &url,
        &["import", "--source", "udir-statistikkbanken", udir.as_str()],
    )
    .await;
    let imported = String::from_utf8(output.stdout).unwrap();
    assert!(imported.contains("rejected 0: applied"), "{imported}");
    // Standard error is no terminal here: no progress bar, nothing but the log.
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("rows/s"), "{stderr}");

    let logged = || async {
        helpers::stored_rows::<(String,)>(&url, "SELECT file_name FROM imports ORDER BY id").await
    };
    assert_eq!(
        logged().await,
        [(ssb.clone(),), (udir.clone(),)],
        "each URL import is logged under its URL"
    );

    for (path, said) in [
        (
            "/broken",
            "HTTP 503 Service Unavailable: maintenance until 06:00",
        ),
        (
            "/page",
            "is not JSON (text/html): <!doctype html><html><body>Logg inn</body></html>",
        ),
    ] {
        let (_, stderr) = varde_fails(
            &url,
            &[
                "import",
                "--source",
                "udir-statistikkbanken",
                format!("http://{api}{path}").as_str(),
            ],
        )
        .await;
        assert!(stderr.contains(said), "{stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
    }
    let (_, stderr) = varde_fails(
        &url,
        &[
            "import",
            "--source",
            "udir-statistikkbanken",
            "http://127.0.0.1:9/nothing",
        ],
    )
    .await;
    assert!(stderr.contains("the request failed"), "{stderr}");
    assert_eq!(
        logged().await.len(),
        2,
        "nothing more was imported or logged"
    );
}
