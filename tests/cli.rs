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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let me = async |server: &Server, cookie: &str| -> Value {
        let request = client.post(&server.endpoint).header("cookie", cookie);
        helpers::send_query(request, "{ me { feideUserId } }").await["data"]["me"].clone()
    };

    let login = client
        .get(first.url("/auth/dev-login"))
        .query(&[("user", "rektor@kongsberg.kommune.no")])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
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
