//! `GET /export/{values|aggregates|colour-table}.{csv|jsonl}`: flat exports for BI tools, and
//! `GET /print/colour-table[.pdf]`: the printable fargetabell. The figures come from
//! [`crate::graphql::GraphqlService::export_page`], which runs the caller's GraphQL analysis
//! query; this module only authenticates, validates with the data sources' `lastUpdated`, and
//! streams.
//!
//! The caller is the request's own (`Authorization: Bearer`, or the session cookie), or the one a
//! signed link (`Query.exportUrl`) acts for. A values export is read and sent a page at a time:
//! the next page is asked for only when the last one has been handed to the connection, so the
//! server holds one page whatever the export's size.

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{
    AppState,
    auth_routes::Caller,
    caching::{self, Audience},
    print,
};
use crate::{
    auth::{self, Principal},
    graphql::{ErrorCode, ExportRefusal, ExportRequest, error_body},
};

/// An export refused, as an HTTP answer with its status and code.
impl IntoResponse for ExportRefusal {
    fn into_response(self) -> Response {
        let status = match self.code {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::ServiceUnavailable | ErrorCode::PdfUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, axum::Json(error_body(self.code, &self.message))).into_response()
    }
}

/// A request's caller, its export and the caching validators, or the answer that refuses it.
struct Asked {
    principal: Principal,
    request: ExportRequest,
    audience: Audience,
    etag: HeaderValue,
    last_modified: Option<DateTime<Utc>>,
}

/// Authenticates (a signed link, or the request's credentials), parses the parameters, and
/// computes the validators: the `ETag` digests what the answer depends on (the request, who asks
/// with which roles, and the newest `lastUpdated` of the data sources), so an export is the same
/// as long as no import has changed a source, and `Last-Modified` is that newest `lastUpdated`.
async fn asked(
    state: &AppState,
    request: Request,
    parse: impl FnOnce(&[(String, String)]) -> Result<ExportRequest, ExportRefusal>,
) -> Result<Asked, Response> {
    let (mut parts, _) = request.into_parts();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let principal = if auth::is_signed_link(&raw_query) {
        auth::verify_link(&state.store, parts.uri.path(), &raw_query)
            .await
            .map_err(IntoResponse::into_response)?
    } else {
        Caller::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?
            .0
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&raw_query).map_err(|_| {
        ExportRefusal {
            code: ErrorCode::BadRequest,
            message: "the query string is malformed".into(),
        }
        .into_response()
    })?;
    let request = parse(&pairs).map_err(IntoResponse::into_response)?;
    let sources = state.store.data_sources(None).await.map_err(|error| {
        ExportRefusal::from(crate::graphql::ApiError::from(error)).into_response()
    })?;
    let last_modified = sources
        .iter()
        .filter_map(|source| source.last_updated)
        .max();
    let mut digest = Sha256::new();
    digest.update(env!("CARGO_PKG_VERSION"));
    digest.update(parts.uri.path());
    digest.update([0]);
    digest.update(request.query());
    digest.update([0]);
    digest.update(format!("{:?}", principal));
    digest.update([0]);
    digest.update(
        last_modified
            .map(|time| time.timestamp_micros())
            .unwrap_or_default()
            .to_le_bytes(),
    );
    let audience = match principal.caller {
        auth::Caller::Anonymous => Audience::Public,
        _ => Audience::Private,
    };
    Ok(Asked {
        principal,
        request,
        audience,
        etag: caching::etag_of(&digest.finalize()),
        last_modified,
    })
}

/// An HTTP date (RFC 9110's IMF-fixdate).
fn http_date(time: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&time.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

impl Asked {
    /// The caching headers of the answer, and whether the client's copy is still good:
    /// `If-None-Match` decides when sent, otherwise `If-Modified-Since`.
    fn validate(&self, request_headers: &HeaderMap, headers: &mut HeaderMap) -> bool {
        caching::set_headers(headers, self.etag.clone(), self.audience);
        if let Some(time) = self.last_modified {
            headers.insert(header::LAST_MODIFIED, http_date(time));
        }
        if request_headers.contains_key(header::IF_NONE_MATCH) {
            return caching::etag_matches(request_headers, &self.etag);
        }
        let since = request_headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| DateTime::parse_from_rfc2822(value).ok());
        match (since, self.last_modified) {
            (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
            _ => false,
        }
    }

    fn not_modified(&self, request_headers: &HeaderMap) -> Option<Response> {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.validate(request_headers, response.headers_mut())
            .then_some(response)
    }
}

/// The pages after the first, read one at a time as the connection takes them.
struct Pages {
    state: AppState,
    principal: Principal,
    request: ExportRequest,
    next: Option<String>,
}

/// `GET /export/{file}`.
pub async fn export(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: Request,
) -> Response {
    let request_headers = request.headers().clone();
    let asked = match asked(&state, request, |pairs| {
        Ok(ExportRequest::parse_export(&file, pairs)?)
    })
    .await
    {
        Ok(asked) => asked,
        Err(refusal) => return refusal,
    };
    if let Some(not_modified) = asked.not_modified(&request_headers) {
        return not_modified;
    }
    // The first page before the answer starts, so that a refusal gets its status.
    let first = match state
        .graphql
        .export_page(&asked.principal, &asked.request, None)
        .await
    {
        Ok(page) => page,
        Err(refusal) => return refusal.into_response(),
    };
    let format = asked.request.format;
    let mut head = format.preamble();
    head.extend(format.encode(&first.rows));
    let pages = Pages {
        state: state.clone(),
        principal: asked.principal.clone(),
        request: asked.request.clone(),
        next: first.next,
    };
    let rest = futures_util::stream::unfold(pages, |mut pages| async move {
        let after = pages.next.take()?;
        match pages
            .state
            .graphql
            .export_page(&pages.principal, &pages.request, Some(&after))
            .await
        {
            Ok(page) => {
                pages.next = page.next;
                let bytes = Bytes::from(pages.request.format.encode(&page.rows));
                Some((Ok::<_, std::io::Error>(bytes), pages))
            }
            Err(refusal) => {
                // The status is sent; cutting the answer short tells the client it is incomplete.
                tracing::warn!(code = refusal.code.as_str(), message = %refusal.message, "an export failed after its first page");
                Some((Err(std::io::Error::other(refusal.message)), pages))
            }
        }
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(Bytes::from(head)) }),
        rest,
    );
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    asked.validate(&HeaderMap::new(), headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "attachment; filename=\"varde-{}\"",
        file.replace(['"', '\\', '/'], "")
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}

/// The printable fargetabell's rows for a request, or its refusal.
async fn colour_table(
    state: &AppState,
    request: Request,
) -> Result<(Asked, print::Table), Response> {
    let request_headers = request.headers().clone();
    let asked = asked(state, request, |pairs| {
        Ok(ExportRequest::parse_print(pairs)?)
    })
    .await?;
    if let Some(not_modified) = asked.not_modified(&request_headers) {
        return Err(not_modified);
    }
    let page = state
        .graphql
        .export_page(&asked.principal, &asked.request, None)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((asked, print::Table::from_rows(&page.rows)))
}

/// `GET /print/colour-table`: the fargetabell as an HTML page to print.
pub async fn print_page(State(state): State<AppState>, request: Request) -> Response {
    let (asked, table) = match colour_table(&state, request).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let mut response = print::page(&table).into_response();
    asked.validate(&HeaderMap::new(), response.headers_mut());
    response
}

/// `GET /print/colour-table.pdf`: the same page printed to PDF by headless Chromium on the
/// server; 503 `PDF_UNAVAILABLE` when the server has none.
pub async fn print_pdf(State(state): State<AppState>, request: Request) -> Response {
    let Some(chromium) = state.config.chromium.clone() else {
        return ExportRefusal {
            code: ErrorCode::PdfUnavailable,
            message: "this server has no headless Chromium to print with (VARDE_CHROMIUM); \
                      open /print/colour-table and print it from the browser"
                .into(),
        }
        .into_response();
    };
    let (asked, table) = match colour_table(&state, request).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let html = print::html(&table);
    let pdf = {
        // One print at a time per process: each starts a browser.
        let _permit = state.printing.acquire().await;
        print::to_pdf(&chromium, &html).await
    };
    match pdf {
        Ok(pdf) => {
            let mut response = pdf.into_response();
            let headers = response.headers_mut();
            asked.validate(&HeaderMap::new(), headers);
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"fargetabell.pdf\""),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "printing a colour table to PDF failed");
            ExportRefusal {
                code: ErrorCode::PdfUnavailable,
                message: "the PDF could not be printed on the server; open /print/colour-table \
                          and print it from the browser"
                    .into(),
            }
            .into_response()
        }
    }
}
