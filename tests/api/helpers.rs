//! Test harness: the real router on a real database (a SQLite file, or a fresh database in the
//! throwaway PostgreSQL cluster that tests/run.sh starts), spoken to over real HTTP.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use reqwest::{Client, Response, header};
use serde_json::{Value, json};
use sqlx::{
    Connection, Executor, FromRow, PgConnection, SqliteConnection, postgres::PgRow,
    sqlite::SqliteRow,
};
use tokio::{net::TcpListener, sync::oneshot};
use varde::{
    app,
    auth::{Auth, AuthConfig},
    http,
    store::Store,
};

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test function once per database, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )+
        }
    };
}

/// Server logs go to the test output when `TEST_LOG` is set (`TEST_LOG=1`, or a filter such as
/// `TEST_LOG=varde=debug,sqlx=debug`); otherwise tests run silent.
fn show_logs_when_asked() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let filter = if filter == "1" {
            "info".to_owned()
        } else {
            filter
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// A fresh, empty database for one test. SQLite files live in a temporary directory kept alive
/// by the returned guard.
#[allow(dead_code)] // used by tests/cli.rs, which includes this file as its own module
pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    create_database(backend, None).await
}

/// A database holding the demo seeds for one test: a copy of the template that tests/run.sh
/// seeds once per run (`VARDE_TEST_SQLITE_TEMPLATE`, `VARDE_TEST_POSTGRES_TEMPLATE`), since
/// seeding costs a debug build about as much as a whole test. Without a template it is a fresh
/// database, which the service seeds when it starts.
pub async fn seeded_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    let variable = match backend {
        Backend::Sqlite => "VARDE_TEST_SQLITE_TEMPLATE",
        Backend::Postgres => "VARDE_TEST_POSTGRES_TEMPLATE",
    };
    let template = std::env::var(variable).ok().filter(|t| !t.is_empty());
    create_database(backend, template.as_deref()).await
}

/// A new database for one test, empty or a copy of `template` (a SQLite file, or the name of a
/// PostgreSQL database in the same cluster).
async fn create_database(
    backend: Backend,
    template: Option<&str>,
) -> (String, Option<tempfile::TempDir>) {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let file = dir.path().join("varde.db");
            if let Some(template) = template {
                // The write-ahead log too: it may hold pages not yet checkpointed into the file.
                for suffix in ["", "-wal"] {
                    let from = format!("{template}{suffix}");
                    if suffix.is_empty() || std::path::Path::new(&from).exists() {
                        std::fs::copy(&from, format!("{}{suffix}", file.display()))
                            .expect("copy the seeded SQLite template");
                    }
                }
            }
            (format!("sqlite:{}", file.display()), Some(dir))
        }
        Backend::Postgres => {
            let server = std::env::var("VARDE_TEST_POSTGRES_URL").expect(
                "VARDE_TEST_POSTGRES_URL is not set: run the suite with `bash tests/run.sh`, \
                 which starts a throwaway PostgreSQL cluster",
            );
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!(
                "varde_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                nanos
            );
            let mut admin = PgConnection::connect(&server)
                .await
                .expect("PostgreSQL answers");
            let create = match template {
                Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
                None => format!("CREATE DATABASE {name}"),
            };
            admin
                .execute(sqlx::AssertSqlSafe(create))
                .await
                .expect("create test database");
            let base = server.rsplit_once('/').expect("URL with a database").0;
            (format!("{base}/{name}"), None)
        }
    }
}

/// A running Varde on a seeded database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub store: Store,
    /// The test database, for tests that read it around Varde.
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Starts the router on a fresh database with the demo seeds and the default configuration.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, http::HttpConfig::default()).await
    }

    pub async fn spawn_with(backend: Backend, config: http::HttpConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::spawn_on(listener, backend, config, AuthConfig::default()).await
    }

    /// Starts the router on a listener bound beforehand (so that its address can be registered
    /// with an OpenID provider first), with the given login configuration.
    pub async fn spawn_on(
        listener: TcpListener,
        backend: Backend,
        config: http::HttpConfig,
        auth: AuthConfig,
    ) -> Self {
        show_logs_when_asked();
        let (url, dir) = seeded_database(backend).await;
        let store = Store::connect(&url, 5).await.expect("connect");
        let database_url = url.clone();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let settings = app::Settings {
            http: config,
            auth,
            seed_demo: true,
        };
        let server = tokio::spawn(app::run(listener, store.clone(), settings, async {
            let _ = stopped.await;
        }));
        // The service answers only once it has migrated and seeded the database.
        let client = Client::new();
        let ready = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .expect("the service starts");
        assert!(ready.status().is_success(), "the service starts: {ready:?}");
        Self {
            addr,
            client,
            store,
            database_url,
            shutdown: Some(shutdown),
            server: Some(server),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a GraphQL request as JSON and returns the raw response.
    pub async fn post_graphql(&self, body: &Value) -> Response {
        self.post_graphql_as(body, None).await
    }

    /// POSTs a GraphQL request with an optional bearer token.
    pub async fn post_graphql_as(&self, body: &Value, bearer: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header(header::ACCEPT, "application/graphql-response+json")
            .json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Runs a query as the holder of `bearer` (anonymous with `None`) and returns the body.
    pub async fn query_as(&self, bearer: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self
            .post_graphql_as(&json!({ "query": query, "variables": variables }), bearer)
            .await;
        response.json().await.expect("JSON body")
    }

    /// A personal bearer token for a Feide user id (roles as seeded).
    pub async fn token_for(&self, feide_user_id: &str) -> String {
        let auth = Auth::new(self.store.clone(), AuthConfig::default()).unwrap();
        auth.create_personal_token(feide_user_id, "test", std::time::Duration::from_secs(3600))
            .await
            .expect("token")
    }

    /// Runs a query that must succeed, and returns its `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let body = self.query_response(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Runs a query and returns the whole response body (data and errors).
    pub async fn query_response(&self, query: &str, variables: Value) -> Value {
        let response = self
            .post_graphql(&json!({ "query": query, "variables": variables }))
            .await;
        response.json().await.expect("JSON body")
    }
}

impl TestApp {
    /// Starts a graceful shutdown and waits until the server has stopped.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server
                .await
                .expect("the server task ends without panicking"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Runs `query` as the seeded `user` (anonymous with `None`) and returns the whole body.
pub async fn as_user(app: &TestApp, user: Option<&str>, query: &str, variables: Value) -> Value {
    let token = match user {
        Some(user) => Some(app.token_for(user).await),
        None => None,
    };
    app.query_as(token.as_deref(), query, variables).await
}

/// Sends `request` with `query` as its GraphQL JSON body and returns the response body: for
/// requests that need their own client, cookies or headers.
pub async fn send_query(request: reqwest::RequestBuilder, query: &str) -> Value {
    request
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON body")
}

/// The error codes of a response, in order.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a seed file as records of strings, for expectations computed from the seeds themselves.
pub fn seed_rows(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(file);
    let mut reader = csv::Reader::from_path(&path).expect("seed file");
    reader
        .deserialize()
        .map(|row| row.expect("seed row"))
        .collect()
}

/// One seeded egenvurdering as it stands (its last revision): organisasjonsnummer, owner key, level.
pub type SeededAssessment = (String, String, i64);

/// The seeded assessments by (framework code, criterion number, school year), each unit at its
/// last revision, in seed order.
pub fn seeded_assessments()
-> std::collections::BTreeMap<(String, String, i64), Vec<SeededAssessment>> {
    let owner_of: std::collections::HashMap<String, String> = seed_rows("units.csv")
        .into_iter()
        .map(|row| (row["org_number"].clone(), row["owner_key"].clone()))
        .collect();
    let mut assessed: std::collections::BTreeMap<_, Vec<SeededAssessment>> = Default::default();
    for row in seed_rows("quality/assessments.csv") {
        let key = (
            row["framework"].clone(),
            row["criterion"].clone(),
            row["school_year"].parse().unwrap(),
        );
        let unit = row["unit_org_number"].clone();
        let units = assessed.entry(key).or_default();
        units.retain(|(org, _, _)| *org != unit);
        let owner = owner_of[&unit].clone();
        units.push((unit, owner, row["level"].parse().unwrap()));
    }
    assessed
}

/// One example of the README: a GraphQL document and the exact answer the README shows for it.
#[derive(Debug, Clone)]
pub struct ReadmeExample {
    /// The document as the README prints it (a `# as USER` first line included).
    pub query: String,
    /// The seeded Feide user id the example runs as (its first line `# as USER`); anonymous
    /// without one.
    pub as_user: Option<String>,
    /// The answer shown in the next fenced block, a `json` block.
    pub expected: Value,
}

/// The README's examples, in order: every `graphql` block, and every shell block that sends a
/// query with curl (`--data-urlencode 'query=...'`, its query being the quoted text). Each must be
/// followed (after some prose) by a `json` block holding its exact answer; one that is not is
/// an error, not a skipped example.
pub fn readme_examples() -> Vec<ReadmeExample> {
    let readme = include_str!("../../README.md");
    let mut blocks: Vec<(&str, String)> = Vec::new();
    let mut open: Option<(&str, String)> = None;
    for line in readme.lines() {
        match (open.take(), line.trim_start().strip_prefix("```")) {
            (None, Some(language)) => open = Some((language.trim(), String::new())),
            (None, None) => {}
            (Some(block), Some(_)) => blocks.push(block),
            (Some((language, mut text)), None) => {
                text.push_str(line);
                text.push('\n');
                open = Some((language, text));
            }
        }
    }
    assert!(open.is_none(), "README: a fenced block is never closed");

    let mut examples = Vec::new();
    for (position, (language, text)) in blocks.iter().enumerate() {
        let query = match *language {
            "graphql" => text.clone(),
            _ => match text.split_once("--data-urlencode 'query=") {
                Some((_, rest)) => rest
                    .split_once('\'')
                    .expect("README: the curl example's query ends with a quote")
                    .0
                    .to_owned(),
                None => continue,
            },
        };
        let answer = match blocks.get(position + 1) {
            Some(("json", answer)) => answer,
            _ => panic!("README: this example is not followed by a ```json answer:\n{text}"),
        };
        let expected = serde_json::from_str(answer)
            .unwrap_or_else(|error| panic!("README: the answer is not JSON ({error}):\n{answer}"));
        let as_user = query
            .lines()
            .next()
            .and_then(|first| first.trim().strip_prefix("# as "))
            .map(|user| user.trim().to_owned());
        examples.push(ReadmeExample {
            query,
            as_user,
            expected,
        });
    }
    examples
}

/// A README example sent as a JSON body by curl (a heredoc), found by its first line `marker`
/// (`# as USER (what it shows)`): the request body, and the answer in the next `json` block.
pub fn readme_heredoc_example(marker: &str) -> (Value, Value) {
    let readme = include_str!("../../README.md");
    let (_, example) = readme
        .split_once(marker)
        .unwrap_or_else(|| panic!("README shows the example {marker:?}"));
    let body = example
        .split_once("<<'EOF'\n")
        .and_then(|(_, rest)| rest.split_once("\nEOF"))
        .expect("the example's body is a heredoc")
        .0;
    let answer = example
        .split_once("```json\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the example is followed by its answer")
        .0;
    (
        serde_json::from_str(body).expect("the body is JSON"),
        serde_json::from_str(answer).expect("the answer is JSON"),
    )
}

/// Rows of `query` read straight from a test app's database (either dialect), for tests that
/// check what is stored rather than what the API says.
pub async fn stored_rows<T>(database_url: &str, query: &'static str) -> Vec<T>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    if database_url.starts_with("sqlite:") {
        let mut connection = SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_as(query)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    } else {
        let mut connection = PgConnection::connect(database_url).await.unwrap();
        sqlx::query_as(query)
            .fetch_all(&mut connection)
            .await
            .unwrap()
    }
}
