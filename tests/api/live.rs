//! Live voting (issue 13, point 4): the `assessmentVotes` subscription over GraphQL over
//! server-sent events (the graphql-sse protocol, distinct connections mode). A subscriber sees
//! the spread now, then each vote cast through the mutation arrive; refusals are JSON answers with
//! a code, never a stream; on PostgreSQL the notices survive a dropped listening connection; a
//! stream whose caller loses access (a role revoked, a session logged out) ends with an error event
//! with a code.

use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{Backend, TestApp, error_codes};

crate::on_both_databases!(
    a_subscriber_sees_the_spread_now_and_each_vote_as_it_arrives,
    a_subscriber_sees_only_the_names_voters_show_and_its_own_vote,
    refused_subscriptions_get_an_error_with_a_code_and_no_stream,
    a_subscription_sent_without_an_event_stream_is_refused_with_a_code,
    graphql_sse_s_own_client_follows_the_votes_and_is_refused_without_a_login,
    a_stream_ends_with_forbidden_when_the_watchers_role_is_revoked,
    a_stream_ends_unauthenticated_when_its_session_logs_out,
);

mod postgres_only {
    #[tokio::test]
    async fn a_subscriber_hears_votes_after_the_listening_connection_drops() {
        super::a_subscriber_hears_votes_after_the_listening_connection_drops().await
    }
}

const DRAMMEN_ARTS_SCHOOL: &str = "903208074";
const KONGSBERG_ARTS_SCHOOL: &str = "879819334";
/// Staff of Drammen kulturskole: votes on their phone.
pub const STAFF: &str = "laerer.kulturskole@drammen.kommune.no";
/// Reads Drammen's assessments: the screen that follows the votes.
pub const WATCHER: &str = "analytiker@drammen.kommune.no";
const KONGSBERG_LEADER: &str = "leder.kulturskole@kongsberg.kommune.no";
const NATIONAL_READER: &str = "analytiker@kulturskoleradet.no";

/// The spread of criterion 2.2 of `kulturskole` in 2025-26 for a unit, as it changes.
pub const WATCH: &str = "subscription($unit: String!) {
    assessmentVotes(assessment: {unit: {orgNumber: $unit}, framework: {code: \"kulturskole\"},
        criterion: \"2.2\", schoolYear: 2025}) {
        counts { level count } shown { voter level } mine } }";

pub const VOTE: &str = "mutation($unit: String!, $level: Int!, $show: Boolean!) {
    voteOnCriterion(input: {assessment: {unit: {orgNumber: $unit}, framework: {code: \"kulturskole\"},
        criterion: \"2.2\", schoolYear: 2025}, level: $level, showName: $show}) { revision } }";

/// The counts of a spread, Nivå 1 first.
pub fn counts(event: &Value) -> Vec<i64> {
    event["data"]["assessmentVotes"]["counts"]
        .as_array()
        .unwrap_or_else(|| panic!("a spread: {event:#}"))
        .iter()
        .map(|count| count["count"].as_i64().unwrap())
        .collect()
}

/// The events of one GraphQL-over-SSE answer, read as they arrive.
pub struct Events {
    response: Response,
    buffer: String,
}

impl Events {
    /// The next event's name and data (JSON, or null for `complete`); `None` at the end.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_owned();
                    } else if let Some(text) = line.strip_prefix("data:") {
                        data.push_str(text.strip_prefix(' ').unwrap_or(text));
                    }
                }
                // A comment (keep-alive) carries no event.
                if event.is_empty() {
                    continue;
                }
                let data = if data.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&data).expect("event data is JSON")
                };
                return Some((event, data));
            }
            let chunk = self.response.chunk().await.expect("the stream reads")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The data of the next event, which must be `next`.
    pub async fn next_result(&mut self) -> Value {
        let (event, data) = self.next().await.expect("another event");
        assert_eq!(event, "next", "{data:#}");
        data
    }
}

/// Sends `query` with `Accept: text/event-stream` to `base` as the holder of `bearer`.
pub async fn subscribe_at(
    client: &reqwest::Client,
    base: &str,
    bearer: Option<&str>,
    query: &str,
    variables: Value,
) -> Response {
    let mut request = client
        .post(format!("{base}/graphql"))
        .header(header::ACCEPT, "text/event-stream")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// A stream of events, checked to be one.
pub fn events(response: Response) -> Events {
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{response:?}"
    );
    Events {
        response,
        buffer: String::new(),
    }
}

async fn subscribe(app: &TestApp, user: Option<&str>, query: &str, variables: Value) -> Response {
    let token = match user {
        Some(user) => Some(app.token_for(user).await),
        None => None,
    };
    subscribe_at(
        &app.client,
        &app.url(""),
        token.as_deref(),
        query,
        variables,
    )
    .await
}

/// Drammen kulturskole's spread followed by its owner's reader, past the first event (the spread as
/// seeded).
async fn watching_drammen(app: &TestApp) -> Events {
    let mut spread = events(
        subscribe(
            app,
            Some(WATCHER),
            WATCH,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL }),
        )
        .await,
    );
    assert_eq!(
        counts(&spread.next_result().await),
        [0, 1, 1, 0],
        "as seeded"
    );
    spread
}

async fn vote(app: &TestApp, user: &str, level: i64, show: bool) {
    let token = app.token_for(user).await;
    let body = app
        .query_as(
            Some(&token),
            VOTE,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL, "level": level, "show": show }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

async fn a_subscriber_sees_the_spread_now_and_each_vote_as_it_arrives(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut spread = watching_drammen(&app).await;

    vote(&app, STAFF, 4, false).await;
    assert_eq!(
        counts(&spread.next_result().await),
        [0, 1, 0, 1],
        "the staff member's seeded 3 moves to 4"
    );

    vote(&app, STAFF, 1, false).await;
    assert_eq!(counts(&spread.next_result().await), [1, 1, 0, 0]);
}

async fn a_subscriber_sees_only_the_names_voters_show_and_its_own_vote(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut watcher = events(
        subscribe(
            &app,
            Some(WATCHER),
            WATCH,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL }),
        )
        .await,
    );
    let mut voter = events(
        subscribe(
            &app,
            Some(STAFF),
            WATCH,
            json!({ "unit": DRAMMEN_ARTS_SCHOOL }),
        )
        .await,
    );
    let seeded = json!([{ "voter": "mona.strand@drammen.kommune.no", "level": 2 }]);
    let watched_now = watcher.next_result().await;
    let own_now = voter.next_result().await;
    assert_eq!(watched_now["data"]["assessmentVotes"]["shown"], seeded);
    assert_eq!(watched_now["data"]["assessmentVotes"]["mine"], Value::Null);
    assert_eq!(own_now["data"]["assessmentVotes"]["shown"], seeded);
    assert_eq!(own_now["data"]["assessmentVotes"]["mine"], 3, "as seeded");

    vote(&app, STAFF, 4, false).await;

    let watched = watcher.next_result().await;
    assert_eq!(
        watched["data"]["assessmentVotes"],
        json!({ "counts": [{ "level": 1, "count": 0 }, { "level": 2, "count": 1 },
                           { "level": 3, "count": 0 }, { "level": 4, "count": 1 }],
                "shown": seeded, "mine": null }),
        "a vote not shown counts, without its name"
    );
    let own = voter.next_result().await;
    assert_eq!(own["data"]["assessmentVotes"]["mine"], 4);
    assert_eq!(own["data"]["assessmentVotes"]["shown"], seeded);

    vote(&app, STAFF, 4, true).await;
    let shown = watcher.next_result().await;
    assert_eq!(
        shown["data"]["assessmentVotes"]["shown"],
        json!([{ "voter": STAFF, "level": 4 },
               { "voter": "mona.strand@drammen.kommune.no", "level": 2 }]),
        "shown once its voter shows it, the counts as they were"
    );
    assert_eq!(counts(&shown), [0, 1, 0, 1]);
}

/// The refusal as status, media type and codes; the body must not be a stream.
async fn refusal(response: Response) -> (StatusCode, Vec<String>) {
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.expect("JSON");
    (status, error_codes(&body))
}

async fn refused_subscriptions_get_an_error_with_a_code_and_no_stream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let drammen = json!({ "unit": DRAMMEN_ARTS_SCHOOL });

    assert_eq!(
        refusal(subscribe(&app, None, WATCH, drammen.clone()).await).await,
        (StatusCode::UNAUTHORIZED, vec!["UNAUTHENTICATED".to_owned()]),
        "anonymous"
    );
    for user in [NATIONAL_READER, KONGSBERG_LEADER] {
        assert_eq!(
            refusal(subscribe(&app, Some(user), WATCH, drammen.clone()).await).await,
            (StatusCode::FORBIDDEN, vec!["FORBIDDEN".to_owned()]),
            "{user} may not read Drammen's assessments"
        );
    }
    let bad_criterion = WATCH.replace("\"2.2\"", "\"9.9\"");
    assert_eq!(
        refusal(subscribe(&app, Some(WATCHER), &bad_criterion, drammen.clone()).await).await,
        (StatusCode::BAD_REQUEST, vec!["BAD_USER_INPUT".to_owned()]),
        "a criterion the framework lacks"
    );
    assert_eq!(
        refusal(subscribe(&app, Some(WATCHER), WATCH, json!({ "unit": "123456785" })).await)
            .await
            .1,
        ["NOT_FOUND"],
        "a unit that does not exist"
    );
    assert_eq!(
        refusal(
            subscribe(
                &app,
                Some(KONGSBERG_LEADER),
                "subscription { assessmentVotes(assessment: {}) { mine } }",
                json!({})
            )
            .await
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            vec!["GRAPHQL_VALIDATION_FAILED".to_owned()]
        ),
        "a document that does not validate"
    );
    let aliases: String = (0..101).map(|n| format!("a{n}: mine ")).collect();
    let many = format!(
        "subscription {{ assessmentVotes(assessment: {{unit: {{orgNumber: \"{KONGSBERG_ARTS_SCHOOL}\"}},
         framework: {{code: \"kulturskole\"}}, criterion: \"2.2\", schoolYear: 2025}}) {{ {aliases} }} }}"
    );
    let (status, codes) =
        refusal(subscribe(&app, Some(KONGSBERG_LEADER), &many, json!({})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        codes.contains(&"TOO_MANY_ALIASES".to_owned()),
        "the query limits hold for subscriptions: {codes:?}"
    );
}

async fn a_subscription_sent_without_an_event_stream_is_refused_with_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token_for(WATCHER).await;

    let body = app
        .query_as(Some(&token), WATCH, json!({ "unit": DRAMMEN_ARTS_SCHOOL }))
        .await;

    assert_eq!(error_codes(&body), ["BAD_REQUEST"], "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("text/event-stream")
    );
}

async fn a_subscriber_hears_votes_after_the_listening_connection_drops() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let mut spread = watching_drammen(&app).await;

    let terminated: Vec<(bool,)> = crate::helpers::stored_rows(
        &app.database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'varde-vote-listener' AND datname = current_database()",
    )
    .await;
    assert_eq!(terminated, [(true,)], "one listening connection, ended");
    vote(&app, STAFF, 4, false).await;

    assert_eq!(
        counts(&spread.next_result().await),
        [0, 1, 0, 1],
        "heard through the listener's new connection, or read again when it came back"
    );
}

/// graphql-sse's own client (tests/clients/sse.mjs, distinct connections mode) as the screen
/// that follows the votes: it gets the spread, then the vote; without a login it is refused with
/// 401 and the code, and gives up (no stream, no retry).
async fn graphql_sse_s_own_client_follows_the_votes_and_is_refused_without_a_login(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/sse.mjs");
    let variables = json!({ "unit": DRAMMEN_ARTS_SCHOOL }).to_string();
    let token = app.token_for(WATCHER).await;
    let mut client = tokio::process::Command::new("node")
        .args([script, &app.url("/graphql"), &token, WATCH, &variables])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    let mut next_line = async || -> Value {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("sse.mjs prints a line");
        serde_json::from_str(&line).unwrap()
    };

    let now = next_line().await;
    vote(&app, STAFF, 4, false).await;
    let changed = next_line().await;
    client.kill().await.unwrap();
    let anonymous = tokio::process::Command::new("node")
        .args([script, &app.url("/graphql"), "-", WATCH, &variables])
        .output()
        .await
        .expect("node runs");
    let refused: Value = serde_json::from_slice(&anonymous.stdout).unwrap_or_else(|_| {
        panic!(
            "sse.mjs printed no line: {}",
            String::from_utf8_lossy(&anonymous.stderr)
        )
    });

    assert_eq!(counts(&now["next"]), [0, 1, 1, 0], "{now}");
    assert_eq!(counts(&changed["next"]), [0, 1, 0, 1], "{changed}");
    assert_eq!(refused["refused"]["status"], 401, "{refused}");
    assert_eq!(
        error_codes(&refused["refused"]["body"]),
        ["UNAUTHENTICATED"]
    );
}

/// The error event that ends a stream, then its end: the codes of the error.
async fn ending(events: &mut Events) -> Vec<String> {
    let ended = events.next_result().await;
    assert_eq!(
        ended["data"],
        Value::Null,
        "no spread once access ended: {ended:#}"
    );
    let codes = error_codes(&ended);
    assert_eq!(
        events.next().await,
        Some(("complete".to_owned(), Value::Null)),
        "the stream completes after the error"
    );
    assert_eq!(events.next().await, None, "and ends");
    codes
}

async fn a_stream_ends_with_forbidden_when_the_watchers_role_is_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut spread = watching_drammen(&app).await;

    // Drammen's owner reader loses the role while the stream runs; then a vote arrives.
    let roles = app.store.roles_of(WATCHER).await.unwrap();
    assert!(!roles.is_empty(), "{WATCHER} holds a role as seeded");
    for role in roles {
        assert!(app.store.revoke_role(WATCHER, role).await.unwrap());
    }
    vote(&app, STAFF, 4, false).await;

    assert_eq!(ending(&mut spread).await, ["FORBIDDEN"]);
}

async fn a_stream_ends_unauthenticated_when_its_session_logs_out(backend: Backend) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let auth = varde::auth::AuthConfig {
        dev_login: true,
        ..varde::auth::AuthConfig::default()
    };
    let app = TestApp::spawn_on(listener, backend, varde::http::HttpConfig::default(), auth).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = no_redirects
        .get(app.url("/auth/dev-login"))
        .query(&[("user", WATCHER)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header(header::ACCEPT, "text/event-stream")
        .header(header::COOKIE, &cookie)
        .json(&json!({ "query": WATCH, "variables": { "unit": DRAMMEN_ARTS_SCHOOL } }))
        .send()
        .await
        .unwrap();
    let mut spread = events(response);
    assert_eq!(
        counts(&spread.next_result().await),
        [0, 1, 1, 0],
        "as seeded"
    );
    vote(&app, STAFF, 4, false).await;
    assert_eq!(
        counts(&spread.next_result().await),
        [0, 1, 0, 1],
        "followed while the session lasts"
    );

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    vote(&app, STAFF, 1, false).await;

    assert_eq!(ending(&mut spread).await, ["UNAUTHENTICATED"]);
}
