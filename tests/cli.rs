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
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

const BINARY: &str = env!("CARGO_BIN_EXE_varde");

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

/// `varde serve` on an empty database migrates and seeds it, and serves; its logs are JSON lines
/// (`VARDE_LOG_FORMAT=json`) that carry the request id the answer returned.
async fn serve_seeds_an_empty_database(backend: Backend) {
    let (url, _dir) = helpers::fresh_database(backend).await;
    let mut child = Command::new(BINARY)
        .env("DATABASE_URL", &url)
        .env("VARDE_ADDR", "127.0.0.1:0")
        .env("VARDE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_log = async || -> Value {
        let line = lines.next_line().await.unwrap().expect("varde is running");
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("{error}: {line}"))
    };
    let endpoint = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let log = next_log().await;
            let message = log["message"].as_str().unwrap_or_default();
            if let Some(rest) = message.split("serving GraphQL at ").nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
    })
    .await
    .expect("varde starts within two minutes");
    let response = reqwest::Client::new()
        .post(&endpoint)
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
            let log = next_log().await;
            if log["span"]["request_id"] == request_id.as_str() {
                return log;
            }
        }
    })
    .await
    .expect("a log line of the request names its id");
    assert_eq!(logged["span"]["uri"], "/graphql", "{logged}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn serve_seeds_an_empty_sqlite_database() {
    serve_seeds_an_empty_database(Backend::Sqlite).await;
}

#[tokio::test]
async fn serve_seeds_an_empty_postgres_database() {
    serve_seeds_an_empty_database(Backend::Postgres).await;
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

#[tokio::test]
async fn migrate_seed_grant_and_create_token_on_sqlite() {
    migrate_seed_grant_and_create_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrate_seed_grant_and_create_token_on_postgres() {
    migrate_seed_grant_and_create_token(Backend::Postgres).await;
}
