//! Attacks an anonymous client can make (issue 9 and the OWASP GraphQL cheat sheet), each sent
//! while a second client keeps querying: every attack gets a 4xx or a GraphQL error with a code
//! naming the limit, never a 5xx, a crash or a hang, and the second client keeps being served.
//! Loopback only; every loop is bounded.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use varde::{graphql::QueryLimits, http::HttpConfig};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    query_attacks_are_refused_while_another_client_is_served,
    slow_and_surplus_connections_leave_health_checks_answered,
    clients_beyond_their_rate_get_429_with_retry_after,
    graceful_shutdown_ends_whatever_a_client_does,
    readiness_tells_a_database_outage,
    a_request_beyond_its_time_is_stopped_with_408,
    a_client_that_stops_reading_loses_its_connection,
);

/// Tight limits, so that each attack passes a limit with a small request.
fn tight() -> HttpConfig {
    HttpConfig {
        body_limit: 64 * 1024,
        max_batch_size: 2,
        query: QueryLimits {
            max_cost: 5_000,
            max_depth: 12,
            max_aliases: 20,
            max_fields_per_selection: 30,
            max_directives: 10,
            max_response_bytes: 4 * 1024,
            introspection: true,
        },
        rate_per_second: 0,
        ..HttpConfig::default()
    }
}

/// The largest resident set this test process may reach: the server runs in it, and without the
/// limits the first attack alone took gigabytes.
const MEMORY_BOUND_BYTES: u64 = 1024 * 1024 * 1024;

/// This process's peak resident set, from /proc/self/status (Linux).
fn peak_memory_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kilobytes: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|value| value.parse().ok())
        .expect("a number of kB");
    kilobytes * 1024
}

/// A client that queries until told to stop, counting answers that are not a clean 200.
struct Bystander {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Bystander {
    fn start(app: &TestApp) -> Self {
        let (stop, served, failed) = (Arc::default(), Arc::default(), Arc::default());
        let url = app.url("/graphql");
        let task = tokio::spawn({
            let (stop, served, failed): (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>) =
                (Arc::clone(&stop), Arc::clone(&served), Arc::clone(&failed));
            async move {
                let client = reqwest::Client::new();
                // Bounded: at most this many requests, however long the attacks take.
                for _ in 0..10_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let answer = client
                        .post(&url)
                        .json(&json!({ "query": "{ schoolYears { year } }" }))
                        .send()
                        .await;
                    let ok = match answer {
                        Ok(response) if response.status() == StatusCode::OK => response
                            .json::<Value>()
                            .await
                            .is_ok_and(|body| body["data"]["schoolYears"].is_array()),
                        _ => false,
                    };
                    let counter = if ok { &served } else { &failed };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
        Self {
            stop,
            served,
            failed,
            task,
        }
    }

    /// Stops the client and answers how many of its requests were served and how many failed.
    async fn finish(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the bystander ends");
        (
            self.served.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

fn aliases(count: usize, field: &str) -> String {
    let fields: Vec<String> = (0..count).map(|i| format!("a{i}: {field}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

/// The attacks, each with the codes its refusal may carry.
fn attacks() -> Vec<(&'static str, Value, &'static [&'static str])> {
    let amplification = aliases(
        10,
        "owners(first: 500) { edges { node { units(first: 500) { edges { node { \
         values(first: 500) { edges { node { value n } } } } } } } } }",
    );
    let nested = format!(
        "{{ {}name{} }}",
        "owners { edges { node { units { edges { node { owner { ".repeat(3),
        " } } } } } } }".repeat(3)
    );
    let very_deep = format!("{}{}", "{ schoolYears ".repeat(3_000), "}".repeat(3_000));
    let circular = "{ owners { ...A } } fragment A on OwnerConnection { edges { cursor } ...B } \
                    fragment B on OwnerConnection { ...A }";
    let repeated = format!("{{ {} }}", "schoolYears { year } ".repeat(2_000));
    let repeated_directive = format!(
        "{{ schoolYears {} {{ year }} }}",
        "@include(if: true) ".repeat(200)
    );
    let many_directives = aliases(15, "schoolYears @skip(if: false) { year }");
    let introspection = aliases(
        3,
        "__schema { types { name fields { name args { name type { name ofType { name } } } \
         type { name ofType { name ofType { name } } } } } }",
    );
    let indicators: Vec<String> = (0..2_000).map(|i| format!("indicator_{i}")).collect();
    vec![
        (
            "page-size amplification",
            json!({ "query": amplification }),
            &["QUERY_TOO_COSTLY"],
        ),
        (
            "deep nesting",
            json!({ "query": nested }),
            &["QUERY_TOO_DEEP"],
        ),
        (
            "nesting beyond the parser",
            json!({ "query": very_deep }),
            // The parser's message quotes the document: it may pass the size limit itself.
            &["GRAPHQL_VALIDATION_FAILED", "RESPONSE_TOO_LARGE"],
        ),
        (
            "circular fragments",
            json!({ "query": circular }),
            &["GRAPHQL_VALIDATION_FAILED"],
        ),
        (
            "batching",
            json!([{ "query": "{ schoolYears { year } }" }, { "query": "{ schoolYears { year } }" },
                   { "query": "{ schoolYears { year } }" }]),
            &["BAD_REQUEST"],
        ),
        (
            "huge variables",
            json!({
                "query": "query($codes: [String!]!) { aggregate(indicators: $codes, schoolYear: 2024, nation: true) { value } }",
                "variables": { "codes": indicators },
            }),
            &["QUERY_TOO_COSTLY"],
        ),
        (
            "field duplication",
            json!({ "query": repeated }),
            &["TOO_MANY_FIELDS"],
        ),
        (
            "alias overloading",
            json!({ "query": aliases(500, "__typename") }),
            &["TOO_MANY_ALIASES"],
        ),
        (
            "a directive repeated at one location",
            json!({ "query": repeated_directive }),
            &["DUPLICATE_DIRECTIVE"],
        ),
        (
            "many directives",
            json!({ "query": many_directives }),
            &["TOO_MANY_DIRECTIVES"],
        ),
        (
            "introspection abuse",
            json!({ "query": introspection }),
            &["QUERY_TOO_COSTLY"],
        ),
        (
            "an answer beyond the size limit",
            json!({ "query": "{ indicators(first: 100) { edges { node { code name description } } } }" }),
            &["RESPONSE_TOO_LARGE"],
        ),
    ]
}

async fn query_attacks_are_refused_while_another_client_is_served(backend: Backend) {
    let app = TestApp::spawn_with(backend, tight()).await;
    let bystander = Bystander::start(&app);
    for (name, body, codes) in attacks() {
        let response = app.post_graphql(&body).await;
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{name}: answered {status} (a server error)"
        );
        let body: Value = response.json().await.expect("a JSON body");
        assert!(
            error_codes(&body)
                .iter()
                .any(|code| codes.contains(&code.as_str())),
            "{name}: expected one of {codes:?}, got {body}"
        );
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{name}: no data may come with the refusal"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{name}: the refusal says why");
    }
    // The limit and the computed cost come with a costly query's refusal.
    let body = app
        .query_response(
            &aliases(
                2,
                "owners(first: 500) { edges { node { units(first: 500) { edges { cursor } } } } }",
            ),
            json!({}),
        )
        .await;
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "QUERY_TOO_COSTLY");
    assert_eq!(extensions["cost"], 2 * (1 + 500 * (1 + 1 + 1 + 500 * 2)));
    assert_eq!(extensions["limit"], 5_000);

    let (served, failed) = bystander.finish().await;
    assert!(served > 0, "the second client was served");
    assert_eq!(failed, 0, "every request of the second client succeeded");
    let peak = peak_memory_bytes();
    assert!(
        peak < MEMORY_BOUND_BYTES,
        "peak memory {peak} bytes passed the bound of {MEMORY_BOUND_BYTES}"
    );
}

/// Sends `request` on a fresh connection and reads until the server closes it; `None` when it
/// stays open for a minute (a hang).
async fn exchange(app: &TestApp, request: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

async fn slow_and_surplus_connections_leave_health_checks_answered(backend: Backend) {
    let config = HttpConfig {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(2),
        ..tight()
    };
    let app = TestApp::spawn_with(backend, config).await;

    // A connection that sends part of its headers and then nothing is closed by the server.
    let partial = exchange(&app, b"GET /healthz HTTP/1.1\r\nHost: varde\r\n").await;
    assert!(partial.is_some(), "a slow connection is closed, not kept");

    // Every connection slot held by a client that sends nothing...
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(app.addr).await.expect("connect"));
    }
    // ...leaves health checks answered and refuses the rest clearly.
    let health = exchange(&app, b"GET /healthz HTTP/1.1\r\nHost: varde\r\n\r\n")
        .await
        .expect("an answer");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let query = exchange(
        &app,
        b"GET /graphql?query=%7BschoolYears%7Byear%7D%7D HTTP/1.1\r\nHost: varde\r\n\r\n",
    )
    .await
    .expect("an answer");
    assert!(query.starts_with("HTTP/1.1 503"), "{query}");
    assert!(query.contains("TOO_MANY_CONNECTIONS"), "{query}");
    assert!(
        query.to_ascii_lowercase().contains("retry-after"),
        "{query}"
    );
    drop(held);
}

async fn clients_beyond_their_rate_get_429_with_retry_after(backend: Backend) {
    let config = HttpConfig {
        rate_per_second: 1,
        rate_burst: 3,
        ..tight()
    };
    let app = TestApp::spawn_with(backend, config).await;
    let query = json!({ "query": "{ schoolYears { year } }" });
    for _ in 0..3 {
        assert_eq!(app.post_graphql(&query).await.status(), StatusCode::OK);
    }
    // One more a second is allowed after the burst: sending faster meets a refusal.
    let mut refused = None;
    for _ in 0..50 {
        let response = app.post_graphql(&query).await;
        if response.status() != StatusCode::OK {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a request beyond the rate is refused");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    // Health checks are not limited; another client (by its token) has its own rate.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let token = app.token_for("radgiver@kongsberg.kommune.no").await;
    let other = app.post_graphql_as(&query, Some(&token)).await;
    assert_eq!(other.status(), StatusCode::OK);
    // Inventing a token for every request buys no new rate: the address has its ceiling.
    let mut statuses = Vec::new();
    for attempt in 0..500 {
        let invented = format!("invented-{attempt}");
        let status = app.post_graphql_as(&query, Some(&invented)).await.status();
        statuses.push(status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|status| *status == StatusCode::UNAUTHORIZED)
    );
}

async fn graceful_shutdown_ends_whatever_a_client_does(backend: Backend) {
    let config = HttpConfig {
        header_read_timeout: Duration::from_secs(600),
        shutdown_deadline: Duration::from_millis(500),
        ..tight()
    };
    let app = TestApp::spawn_with(backend, config).await;
    // A client that sent half a request and stalls.
    let mut stalled = TcpStream::connect(app.addr).await.expect("connect");
    stalled
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: varde\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(60), app.stop()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the server stopped despite the stalled client"
    );
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(60), stalled.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the stalled connection was closed");
}

async fn readiness_tells_a_database_outage(backend: Backend) {
    let app = TestApp::spawn_with(backend, tight()).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    match backend {
        Backend::Sqlite => {
            // The database file is destroyed under the server.
            let path = app.database_url.trim_start_matches("sqlite:").to_owned();
            for file in [path.clone(), format!("{path}-wal")] {
                if std::path::Path::new(&file).exists() {
                    std::fs::write(&file, b"").expect("truncate");
                }
            }
            let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        Backend::Postgres => {
            let (base, name) = app.database_url.rsplit_once('/').unwrap();
            let admin_url = format!("{base}/postgres");
            let admin = |statement: String| {
                let admin_url = admin_url.clone();
                async move {
                    use sqlx::{Connection, Executor};
                    let mut connection = sqlx::PgConnection::connect(&admin_url).await.unwrap();
                    connection
                        .execute(sqlx::AssertSqlSafe(statement))
                        .await
                        .unwrap();
                }
            };
            admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
            admin(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .await;
            let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
            let body = app
                .query_response("{ owners { edges { cursor } } }", json!({}))
                .await;
            assert_eq!(error_codes(&body), ["SERVICE_UNAVAILABLE"], "{body}");
            // The database returns: so does Varde, by itself.
            admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
            let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), StatusCode::OK);
            app.query("{ owners { edges { cursor } } }", json!({}))
                .await;
        }
    }
}

/// The request timeout bounds the whole request: with a timeout no database round trip fits in,
/// a query is answered 408 with its code, and the server goes on serving health checks.
async fn a_request_beyond_its_time_is_stopped_with_408(backend: Backend) {
    let config = HttpConfig {
        request_timeout: Duration::from_nanos(1),
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(backend, config).await;

    let response = app
        .post_graphql(&json!({ "query": "{ owners(first: 500) { edges { node { name units { edges { node { name } } } } } } }" }))
        .await;

    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), ["REQUEST_TIMEOUT"]);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// A client that asks for a large answer and stops reading does not hold its connection: once a
/// write has stalled beyond the write timeout, the server closes it, and the client gets less than
/// the answer's declared length.
async fn a_client_that_stops_reading_loses_its_connection(backend: Backend) {
    let config = HttpConfig {
        write_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(120),
        query: QueryLimits {
            max_cost: u64::MAX,
            max_aliases: 100,
            max_response_bytes: 256 * 1024 * 1024,
            ..QueryLimits::default()
        },
        rate_per_second: 0,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(backend, config).await;
    // Every value of every unit, 9 times over: megabytes more than socket buffers hold (4 MiB at
    // most for the server's send buffer on Linux, 8 KiB for this receive buffer).
    let fields: String = (0..9)
        .map(|alias| {
            format!(
                "a{alias}: units(first: 500) {{ edges {{ node {{ name orgNumber \
                 values(first: 500) {{ edges {{ node {{ value n suppressed schoolYear {{ label }} }} }} }} }} }} }} "
            )
        })
        .collect();
    let target = format!(
        "/graphql?{}",
        serde_urlencoded::to_string([("query", format!("{{ {fields} }}"))]).unwrap()
    );
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(app.addr).await.unwrap();
    stream
        .write_all(
            format!("GET {target} HTTP/1.1\r\nHost: varde\r\nAccept: application/json\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();

    // Read the head only, then stop reading well past the write timeout.
    let mut head = vec![0; 1024];
    let read = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..read]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .expect("a Content-Length")
        .trim()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut rest)).await;

    assert!(
        declared > 5 * 1024 * 1024,
        "the answer is larger than socket buffers: {declared}"
    );
    assert!(
        read + rest.len() < declared,
        "the stalled connection was closed: {} of {declared} bytes arrived",
        read + rest.len()
    );
}
