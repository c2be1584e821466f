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
);

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

/// Runs the binary on `url` with `args` and returns its stdout; the command must succeed.
async fn varde(url: &str, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .await
        .unwrap();
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
