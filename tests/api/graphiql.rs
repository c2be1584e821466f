//! GraphiQL: served from the binary under a strict Content-Security-Policy, checked over HTTP, and
//! used in a real browser (Debian's headless Chromium, cut off from everything but the server).

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::{StatusCode, header, redirect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    the_root_redirects_to_graphiql,
    graphiql_and_its_assets_come_from_the_binary_under_a_strict_csp,
    graphiql_runs_a_query_in_chromium_without_internet,
);

const CHROMIUM: &str = "/usr/bin/chromium";

/// The policy of the page and its assets, with the page's style nonce or without.
fn policy(style_src: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src {style_src}; connect-src 'self'; \
         img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

/// The values of every `name="..."` attribute in `html`.
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    html.split(&format!(" {name}=\""))
        .skip(1)
        .map(|rest| rest.split_once('"').expect("closed attribute").0)
        .collect()
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

async fn the_root_redirects_to_graphiql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(header_of(&response, header::LOCATION), "/graphql");
}

async fn graphiql_and_its_assets_come_from_the_binary_under_a_strict_csp(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let load_page = || {
        app.client
            .get(app.url("/graphql"))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .send()
    };
    let page = load_page().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        header_of(&page, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header_of(&page, header::CACHE_CONTROL), "no-cache");
    assert_eq!(header_of(&page, header::VARY), "accept");
    let csp = header_of(&page, header::CONTENT_SECURITY_POLICY);
    let html = page.text().await.unwrap();

    // One nonce, fresh for every page, in the policy and on the boot script's tag.
    let nonces = attributes(&html, "nonce");
    assert_eq!(nonces.len(), 1, "{html}");
    assert_eq!(csp, policy(&format!("'self' 'nonce-{}'", nonces[0])));
    let again = load_page().await.unwrap().text().await.unwrap();
    assert_ne!(attributes(&again, "nonce"), nonces);

    // Nothing inline, nothing from elsewhere.
    assert_eq!(
        html.matches("<script").count(),
        attributes(&html, "src").len(),
        "every script has a src: {html}"
    );
    for forbidden in ["<style", " style=", "http:", "https:", "//"] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }

    let mut names = Vec::new();
    for url in attributes(&html, "src")
        .into_iter()
        .chain(attributes(&html, "href"))
        .filter(|url| *url != "data:,")
    {
        let response = app.client.get(app.url(url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let name = url.rsplit('/').next().unwrap();
        let content_type = match name.rsplit('.').next().unwrap() {
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "txt" => "text/plain; charset=utf-8",
            other => panic!("unexpected asset type {other}: {url}"),
        };
        assert_eq!(header_of(&response, header::CONTENT_TYPE), content_type);
        assert_eq!(
            header_of(&response, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            header_of(&response, header::CONTENT_SECURITY_POLICY),
            policy("'self'")
        );
        assert_eq!(
            header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff"
        );
        let body = response.bytes().await.unwrap();
        let vendored = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/http/graphiql")
                .join(name),
        )
        .unwrap();
        assert!(body == vendored, "{url} serves src/http/graphiql/{name}");
        let integrity = format!("sha256-{}", STANDARD.encode(Sha256::digest(&body)));
        if name != "LICENSES.txt" {
            assert!(
                html.contains(&format!("{url}\" integrity=\"{integrity}\"")),
                "{url} carries its digest for subresource integrity"
            );
        }
        // Any other digest is not this build's asset.
        let stale = url.replacen("/graphiql/", "/graphiql/x", 1);
        let response = app.client.get(app.url(&stale)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{stale}");
        names.push(name);
    }
    assert_eq!(
        names,
        [
            "react.production.min.js",
            "react-dom.production.min.js",
            "graphiql.min.js",
            "boot.js",
            "graphiql.min.css",
            "page.css",
            "LICENSES.txt"
        ]
    );
}

/// The browser opens `/`, runs a query in GraphiQL and reads the answer in the result pane, with
/// every request beyond the server refused and reported, as is any CSP violation.
async fn graphiql_runs_a_query_in_chromium_without_internet(backend: Backend) {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `bash .ci/run` as root, or `apt-get install chromium`"
    );
    let app = TestApp::spawn(backend).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/graphiql.mjs");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(app.url("/"))
        .arg(r#"{ owner(by: {code: "3205"}) { name } }"#)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs (tests/run.sh installs playwright-core)");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "the browser script printed no report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(report["error"], Value::Null, "{report:#}");
    assert_eq!(report["url"], app.url("/graphql"), "{report:#}");
    let shown: Value = serde_json::from_str(report["result"].as_str().unwrap())
        .unwrap_or_else(|_| panic!("the result pane shows a JSON answer: {report:#}"));
    assert_eq!(
        shown,
        json!({ "data": { "owner": { "name": "Lillestrøm kommune" } } })
    );
    assert_eq!(
        report["rootTypes"],
        "query: Query\nmutation: Mutation\nsubscription: Subscription"
    );
    assert_eq!(report["dialog"], "Settings");
    for list in [
        "outsideRequests",
        "failedRequests",
        "cspViolations",
        "pageErrors",
    ] {
        assert_eq!(report[list], json!([]), "{list}: {report:#}");
    }
    assert_eq!(report["inlineScriptRefused"], true, "{report:#}");
}
