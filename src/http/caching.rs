//! HTTP caching of GraphQL answers to GET: an `ETag` for every answer and `304 Not Modified` for
//! a conditional GET that still matches, so that a dashboard's scheduled refresh that finds
//! nothing new costs no transfer. `Cache-Control` says who may keep an answer: shared caches
//! may keep an anonymous caller's (public data; revalidated every time, since any import may
//! change it), only the caller's own client an answer that depends on its credentials.
//!
//! The `ETag` is a hash of the answer itself, not of the data sources' `lastUpdated`: not every
//! change shows in a source's `lastUpdated` (a framework edited, an assessment written), and a
//! hash of the answer can never call a changed answer unchanged. Exports (`super::export`) are
//! the exception: they hold only indicator figures, which change by imports alone, and those set
//! the sources' `lastUpdated`; so their validators come from it and a refresh that finds nothing
//! new is answered before the export runs.

use axum::{
    body::{Body, to_bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// Whether an answer may be kept by shared caches or only by the caller's own client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// An anonymous caller's answer: the same for everyone who asks the same.
    Public,
    /// An answer to a caller with credentials.
    Private,
}

impl Audience {
    fn cache_control(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Public => "public, max-age=0, must-revalidate",
            Self::Private => "private, no-cache",
        })
    }
}

/// Gives a GET answer its caching headers, or turns it into `304 Not Modified` when
/// `If-None-Match` (in `request_headers`) names its `ETag`. Only `200` answers are cached.
pub async fn conditional(
    response: Response,
    audience: Audience,
    request_headers: &HeaderMap,
) -> Response {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The answer is already in memory (bounded by the answer size limit).
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // 128 bits of the answer's SHA-256, in hex: a strong validator.
    let etag = etag_of(&Sha256::digest(&bytes));
    let matches = etag_matches(request_headers, &etag);
    set_headers(&mut parts.headers, etag, audience);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether `If-None-Match` (in `request_headers`) names `etag` (or is `*`).
pub fn etag_matches(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

/// Sets an answer's `ETag`, `Cache-Control` by audience, and `Vary` on what the answer depends
/// on.
pub fn set_headers(headers: &mut HeaderMap, etag: HeaderValue, audience: Audience) {
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, audience.cache_control());
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization, Cookie"),
    );
}

/// A strong `ETag` from a SHA-256 digest: its first 128 bits in hex, quoted.
pub fn etag_of(digest: &[u8]) -> HeaderValue {
    let hex: String = digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex digits and quotes make a header value")
}
