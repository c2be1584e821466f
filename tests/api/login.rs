//! Feide login against a real, independently written OpenID provider (oidc-provider on Node,
//! see tests/oidc-provider): the browser flow, and each way an ID token or callback can be wrong;
//! and the sessions a login starts (cookies, rotation, expiry, CSRF).

use std::{process::Stdio, time::Duration};

use reqwest::{Client, StatusCode, header, redirect::Policy};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
};
use varde::{
    auth::{AuthConfig, OidcConfig},
    http::HttpConfig,
};

use crate::helpers::{Backend, TestApp, send_query};

crate::on_both_databases!(
    the_browser_flow_ends_in_a_working_session_and_logout_ends_it,
    tampered_or_foreign_id_tokens_are_rejected,
    a_rotated_signing_key_is_fetched_and_accepted,
    a_callback_cannot_be_replayed_or_forged,
    return_to_is_a_local_path_only,
    sessions_are_host_cookies_rotated_at_login,
    expired_sessions_and_tokens_are_refused,
    cookie_sessions_cannot_send_cross_site_mutations,
);

const CLIENT_ID: &str = "varde-test";
const CLIENT_SECRET: &str = "varde-test-secret";

/// The test provider, killed when dropped.
struct Provider {
    issuer: String,
    _process: Child,
}

impl Provider {
    async fn start(redirect_uri: &str) -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oidc-provider/provider.mjs"
        );
        let mut process = Command::new("node")
            .arg(script)
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URIS", redirect_uri)
            .env("EXIT_ON_STDIN_EOF", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (tests/run.sh installs the provider's packages)");
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider starts")
            .unwrap()
            .and_then(|line| line.strip_prefix("READY ").map(str::to_owned))
            .expect("READY line");
        Self {
            issuer,
            _process: process,
        }
    }

    async fn control(&self, path: &str, body: Value) {
        let response = Client::new()
            .post(format!("{}/__test/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
    }
}

/// Varde with login configured against a fresh provider, and a browser-like client that keeps
/// cookies but follows no redirects by itself.
struct LoginSetup {
    app: TestApp,
    provider: Provider,
    browser: Client,
}

impl LoginSetup {
    async fn new(backend: Backend) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let redirect_uri = format!("http://{}/auth/callback", listener.local_addr().unwrap());
        let provider = Provider::start(&redirect_uri).await;
        let auth = AuthConfig {
            oidc: Some(OidcConfig {
                issuer: provider.issuer.clone(),
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                redirect_uri,
                scopes: vec!["userid-feide".into()],
                leeway: Duration::from_secs(30),
            }),
            insecure_cookies: true,
            ..AuthConfig::default()
        };
        let app = TestApp::spawn_on(listener, backend, HttpConfig::default(), auth).await;
        let browser = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            provider,
            browser,
        }
    }

    /// Follows redirects from `url` until one points at Varde's callback; returns that URL.
    async fn to_callback(&self, url: String) -> String {
        let mut url = url;
        for _ in 0..10 {
            if url.contains("/auth/callback") {
                return url;
            }
            let response = self.browser.get(&url).send().await.unwrap();
            assert!(
                response.status().is_redirection(),
                "{url}: {}",
                response.status()
            );
            let location = response.headers()[header::LOCATION].to_str().unwrap();
            url = if location.starts_with("http") {
                location.to_owned()
            } else {
                format!(
                    "{}{location}",
                    url.split('/').take(3).collect::<Vec<_>>().join("/")
                )
            };
        }
        panic!("no callback after 10 redirects");
    }

    /// Logs in as `eppn` up to Varde's callback, and returns the callback's response.
    async fn login(&self, eppn: &str, return_to: &str) -> reqwest::Response {
        self.provider
            .control(
                "next-login",
                json!({ "sub": "0b5f6f8e-3c1e-4c7a-9d2e-6a1f9b3c2d10", "eppn": eppn }),
            )
            .await;
        let start = self
            .browser
            .get(self.app.url("/auth/login"))
            .query(&[("return_to", return_to)])
            .send()
            .await
            .unwrap();
        assert!(start.status().is_redirection());
        let authorize = start.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="));
        let callback = self.to_callback(authorize).await;
        self.browser.get(callback).send().await.unwrap()
    }

    async fn me(&self) -> Value {
        let request = self.browser.post(self.app.url("/graphql"));
        send_query(
            request,
            "{ me { feideUserId roles { role owner { name } } } }",
        )
        .await["data"]["me"]
            .clone()
    }
}

async fn the_browser_flow_ends_in_a_working_session_and_logout_ends_it(backend: Backend) {
    let setup = LoginSetup::new(backend).await;
    let callback = setup
        .login("radgiver@kongsberg.kommune.no", "/graphql")
        .await;
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    assert_eq!(callback.headers()[header::LOCATION], "/graphql");
    let cookies: Vec<&str> = callback
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("varde_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let me = setup.me().await;
    assert_eq!(me["feideUserId"], "radgiver@kongsberg.kommune.no");
    assert_eq!(me["roles"][0]["role"], "OWNER_ADMIN");
    assert_eq!(me["roles"][0]["owner"]["name"], "Kongsberg kommune");

    let logout = setup
        .browser
        .post(setup.app.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(setup.me().await, Value::Null, "the session is revoked");
}

async fn expect_rejected(setup: &LoginSetup, mode: &str) {
    setup
        .provider
        .control("tamper", json!({ "mode": mode }))
        .await;
    let callback = setup
        .login("radgiver@kongsberg.kommune.no", "/graphql")
        .await;
    assert_eq!(
        callback.status(),
        StatusCode::BAD_REQUEST,
        "{mode} was accepted"
    );
    let body: Value = callback.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "LOGIN_FAILED",
        "{mode}: {body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("rejected"),
        "{mode}: {body}"
    );
    assert_eq!(setup.me().await, Value::Null, "{mode} left no session");
}

async fn tampered_or_foreign_id_tokens_are_rejected(backend: Backend) {
    let setup = LoginSetup::new(backend).await;
    for mode in [
        "bad_signature",
        "wrong_aud",
        "wrong_iss",
        "expired",
        "wrong_nonce",
        // A genuine token of the previous login: its nonce is not this login's.
        "replayed",
        "alg_none",
        "hs256",
        "unknown_key",
        "azp_other",
    ] {
        expect_rejected(&setup, mode).await;
    }
}

async fn a_rotated_signing_key_is_fetched_and_accepted(backend: Backend) {
    let setup = LoginSetup::new(backend).await;
    // Discovery happens at the first login; the rotated key is published only after it.
    let first = setup
        .login("analytiker@drammen.kommune.no", "/graphql")
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    setup
        .provider
        .control("tamper", json!({ "mode": "rotated_key" }))
        .await;
    let rotated = setup
        .login("analytiker@drammen.kommune.no", "/graphql")
        .await;
    assert_eq!(
        rotated.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        rotated.text().await
    );
    assert_eq!(
        setup.me().await["feideUserId"],
        "analytiker@drammen.kommune.no"
    );
}

async fn a_callback_cannot_be_replayed_or_forged(backend: Backend) {
    let setup = LoginSetup::new(backend).await;
    setup
        .provider
        .control("next-login", json!({ "sub": "6f1c2f4e-0000-4000-8000-000000000001", "eppn": "rektor@kongsberg.kommune.no" }))
        .await;
    let start = setup
        .browser
        .get(setup.app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    let authorize = start.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let callback = setup.to_callback(authorize).await;

    // A forged state is refused, and it uses up the attempt.
    let forged = callback.replace("state=", "state=x");
    let refused = setup.browser.get(&forged).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let replay = setup.browser.get(&callback).send().await.unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::BAD_REQUEST,
        "the attempt is single use"
    );

    // A real callback works once; replaying it (same code, same state) is refused.
    setup
        .provider
        .control("next-login", json!({ "sub": "6f1c2f4e-0000-4000-8000-000000000001", "eppn": "rektor@kongsberg.kommune.no" }))
        .await;
    let start = setup
        .browser
        .get(setup.app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    let authorize = start.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let real_callback = setup.to_callback(authorize).await;
    let first = setup.browser.get(&real_callback).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        setup.me().await["feideUserId"],
        "rektor@kongsberg.kommune.no"
    );
    let replayed = setup.browser.get(&real_callback).send().await.unwrap();
    assert_eq!(
        replayed.status(),
        StatusCode::BAD_REQUEST,
        "the code and state are single use"
    );

    // A callback without the browser's login cookie is refused.
    let stranger = Client::builder().redirect(Policy::none()).build().unwrap();
    let no_cookie = stranger.get(&callback).send().await.unwrap();
    assert_eq!(no_cookie.status(), StatusCode::BAD_REQUEST);
}

async fn return_to_is_a_local_path_only(backend: Backend) {
    let setup = LoginSetup::new(backend).await;
    let callback = setup
        .login("rektor@kongsberg.kommune.no", "https://evil.example/steal")
        .await;
    assert_eq!(callback.headers()[header::LOCATION], "/graphql");
    let callback = setup
        .login(
            "rektor@kongsberg.kommune.no",
            "/graphql?query=%7Bme%7Bfeide%7D%7D",
        )
        .await;
    assert_eq!(
        callback.headers()[header::LOCATION],
        "/graphql?query=%7Bme%7Bfeide%7D%7D"
    );
}

/// Varde with the demo login (which starts sessions as the Feide callback does), on loopback.
async fn session_app(backend: Backend, config: AuthConfig) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = AuthConfig {
        dev_login: true,
        ..config
    };
    TestApp::spawn_on(listener, backend, HttpConfig::default(), config).await
}

/// Logs in with the demo login, sending `cookie` if given; returns the new session cookie's
/// `Set-Cookie` header.
async fn dev_login(app: &TestApp, user: &str, cookie: Option<&str>) -> String {
    let mut request = Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(app.url("/auth/dev-login"))
        .query(&[("user", user)]);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `name=value` of a `Set-Cookie` header, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// `me` for a request carrying `cookie` (a Secure cookie, set by hand since this is plain http).
async fn me_with(app: &TestApp, cookie: &str) -> Value {
    let request = Client::new()
        .post(app.url("/graphql"))
        .header(header::COOKIE, cookie);
    send_query(request, "{ me { feideUserId } }").await["data"]["me"].clone()
}

async fn sessions_are_host_cookies_rotated_at_login(backend: Backend) {
    let app = session_app(backend, AuthConfig::default()).await;
    let first = dev_login(&app, "rektor@kongsberg.kommune.no", None).await;
    assert!(first.starts_with("__Host-varde_session="), "{first}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(first.contains(attribute), "{attribute} in {first}");
    }
    assert!(!first.contains("Domain"), "{first}");
    let first = cookie_pair(&first);
    assert_eq!(
        me_with(&app, &first).await["feideUserId"],
        "rektor@kongsberg.kommune.no"
    );

    // A login from a browser that holds a session gets a new one, and the old one ends.
    let second = cookie_pair(&dev_login(&app, "radgiver@kongsberg.kommune.no", Some(&first)).await);
    assert_ne!(first, second);
    assert_eq!(me_with(&app, &first).await, Value::Null);
    assert_eq!(
        me_with(&app, &second).await["feideUserId"],
        "radgiver@kongsberg.kommune.no"
    );
}

async fn expired_sessions_and_tokens_are_refused(backend: Backend) {
    let expired = AuthConfig {
        session_ttl: Duration::ZERO,
        ..AuthConfig::default()
    };
    let app = session_app(backend, expired).await;
    let session = cookie_pair(&dev_login(&app, "rektor@kongsberg.kommune.no", None).await);
    assert_eq!(me_with(&app, &session).await, Value::Null);

    let auth = varde::auth::Auth::new(app.store.clone(), AuthConfig::default()).unwrap();
    let token = auth
        .create_personal_token("rektor@kongsberg.kommune.no", "expired", Duration::ZERO)
        .await
        .unwrap();
    let response = app
        .post_graphql_as(&json!({ "query": "{ me { feideUserId } }" }), Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// A cross-site page can make a browser send its cookie with a form POST (urlencoded, multipart,
/// text/plain) or a GET, never with `Content-Type: application/json`: those are refused before
/// anything runs.
async fn cookie_sessions_cannot_send_cross_site_mutations(backend: Backend) {
    let app = session_app(backend, AuthConfig::default()).await;
    let admin = cookie_pair(&dev_login(&app, "radgiver@kongsberg.kommune.no", None).await);
    let mutation = "mutation { grantRole(input: { feideUserId: \"mallory@evil.example\", \
                    role: OWNER_READER, owner: { code: \"3303\" } }) { role } }";
    let client = Client::new();
    for content_type in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let response = client
            .post(app.url("/graphql"))
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, content_type)
            .body(json!({ "query": mutation }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let response = client
        .get(app.url("/graphql"))
        .header(header::COOKIE, &admin)
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);

    let granted = app.store.roles_of("mallory@evil.example").await.unwrap();
    assert!(granted.is_empty(), "nothing was granted: {granted:?}");

    // The same session may grant the role with a JSON POST: only the cross-site forms failed.
    let response = client
        .post(app.url("/graphql"))
        .header(header::COOKIE, &admin)
        .json(&json!({ "query": mutation }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let granted = app.store.roles_of("mallory@evil.example").await.unwrap();
    assert_eq!(granted.len(), 1);
}
