//! GraphiQL, served from the binary: React's and GraphiQL's production builds are vendored in
//! `graphiql/` at pinned versions (its README says which and how to refresh them) and embedded
//! here, so the page works without internet access and loads nothing from anywhere else, which
//! its Content-Security-Policy enforces.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use sha2::{Digest, Sha256};

/// Sent with the page and its assets: everything from this server, nothing inline, nothing from
/// elsewhere. `data:` images and fonts are GraphiQL's stylesheet's own: it embeds its fonts
/// (Roboto, Fira Code) and a few icons as `data:` URLs. `style_src` is `'self'`, and on the page
/// also the nonce that lets GraphiQL's dialogs add their one `<style>` element (see boot.js).
fn content_security_policy(style_src: &str) -> HeaderValue {
    HeaderValue::try_from(format!(
        "default-src 'none'; script-src 'self'; style-src {style_src}; connect-src 'self'; \
         img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    ))
    .expect("a CSP is a valid header value")
}

enum Kind {
    Style,
    Script,
    /// The script that starts GraphiQL; its tag carries the page's style nonce for it to read.
    Boot,
    Licence,
}

struct Asset {
    name: &'static str,
    kind: Kind,
    body: &'static [u8],
}

/// In page order: scripts run in this order.
const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.css",
        kind: Kind::Style,
        body: include_bytes!("graphiql/graphiql.min.css"),
    },
    Asset {
        name: "page.css",
        kind: Kind::Style,
        body: include_bytes!("graphiql/page.css"),
    },
    Asset {
        name: "react.production.min.js",
        kind: Kind::Script,
        body: include_bytes!("graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        kind: Kind::Script,
        body: include_bytes!("graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        kind: Kind::Script,
        body: include_bytes!("graphiql/graphiql.min.js"),
    },
    Asset {
        name: "boot.js",
        kind: Kind::Boot,
        body: include_bytes!("graphiql/boot.js"),
    },
    Asset {
        name: "LICENSES.txt",
        kind: Kind::Licence,
        body: include_bytes!("graphiql/LICENSES.txt"),
    },
];

/// An asset with its URL, `/graphiql/<digest>/<name>`: a new build of any file gets a new URL,
/// so browsers may keep each for good.
struct Served {
    asset: &'static Asset,
    path: String,
    integrity: String,
}

/// Computed on first use, so processes that never show GraphiQL never hash the assets.
static SERVED: LazyLock<Vec<Served>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            Served {
                asset,
                path: format!(
                    "/graphiql/{}/{}",
                    URL_SAFE_NO_PAD.encode(&digest[..9]),
                    asset.name
                ),
                integrity: format!("sha256-{}", STANDARD.encode(digest)),
            }
        })
        .collect()
});

/// The page, with `{nonce}` where each response puts its own.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let head: String = SERVED
        .iter()
        .map(|Served { asset, path, integrity }| match asset.kind {
            Kind::Style => {
                format!("<link rel=\"stylesheet\" href=\"{path}\" integrity=\"{integrity}\">\n")
            }
            Kind::Script => {
                format!("<script src=\"{path}\" integrity=\"{integrity}\" defer></script>\n")
            }
            Kind::Boot => format!(
                "<script src=\"{path}\" integrity=\"{integrity}\" nonce=\"{{nonce}}\" defer></script>\n"
            ),
            Kind::Licence => format!("<link rel=\"license\" href=\"{path}\">\n"),
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Varde GraphQL</title>\n<link rel=\"icon\" href=\"data:,\">\n{head}</head>\n\
         <body>\n<div id=\"graphiql\">Loading…</div>\n</body>\n</html>\n"
    )
});

fn respond(
    body: impl IntoResponse,
    content_type: &'static str,
    cache: &'static str,
    style_src: &str,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(style_src),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

/// GraphiQL's page with a fresh style nonce, for browsers asking `/graphql` for HTML. Revalidated
/// on every visit (it names the assets of the running build), and varying with `Accept` since
/// JSON answers share its URL.
pub fn page() -> Response {
    let nonce = crate::auth::random_token();
    let mut response = respond(
        PAGE.replace("{nonce}", &nonce),
        "text/html; charset=utf-8",
        "no-cache",
        &format!("'self' 'nonce-{nonce}'"),
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// `GET /graphiql/{digest}/{name}`: an embedded asset, for a year; 404 under any other digest.
pub async fn asset(Path((digest, name)): Path<(String, String)>) -> Response {
    let path = format!("/graphiql/{digest}/{name}");
    match SERVED.iter().find(|served| served.path == path) {
        Some(Served { asset, .. }) => respond(
            asset.body,
            match asset.kind {
                Kind::Style => "text/css; charset=utf-8",
                Kind::Script | Kind::Boot => "text/javascript; charset=utf-8",
                Kind::Licence => "text/plain; charset=utf-8",
            },
            "public, max-age=31536000, immutable",
            "'self'",
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
