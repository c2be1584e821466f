//! `POST /import?source=NAME[&dryRun=true][&fileName=...][&encoding=...][&separator=...]`: an
//! upload of one file, the request body as it is (no multipart), imported as a job in the
//! background; answered 202 with the job's id and a GraphQL URL that reads it.
//!
//! - **A raw body, not multipart:** the file streams straight to a temporary file (deleted when
//!   the job ends, and by the system if the process dies), no part parser, and
//!   `curl --data-binary @file` or any HTTP client sends it. Its name comes in `fileName`.
//! - **Bearer tokens only:** a session cookie is not accepted here. Browsers never send an
//!   `Authorization` header by themselves, and a page of another site that sets one triggers a
//!   CORS preflight Varde does not grant, so another site cannot make a logged-in admin's browser
//!   upload a file (cross-site request forgery).
//! - **National admins only** (default deny): anyone else is refused before the body is read.
//! - **Its own limits:** the body may be as large as `import_body_limit` (413 beyond), and may
//!   pause at most the request timeout between chunks (408), instead of the API's small body
//!   limit and whole-request timeout.

use std::{
    fs::File,
    io::{self, Seek, SeekFrom, Write},
};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::{AppState, auth_routes::Caller};
use crate::{
    graphql::{ErrorCode, INTERNAL_MESSAGE, error_body},
    import::{self, ImportError, ImportRequest, ReadOptions},
    store::{AuditEvent, NewImportJob},
};

/// The upload's parameters, in the query string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UploadParams {
    source: String,
    #[serde(default)]
    dry_run: bool,
    file_name: Option<String>,
    encoding: Option<String>,
    separator: Option<String>,
}

/// A refusal with its status and code.
fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, axum::Json(error_body(code, message))).into_response()
}

fn internal(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "an import upload failed on the server side");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        INTERNAL_MESSAGE,
    )
}

/// The GraphQL query a client polls for a job, as a GET URL.
fn job_url(id: i64) -> String {
    let query = format!(
        "{{ importJob(id: \"{id}\") {{ state source fileName dryRun recordsRead rejected \
         inserted updated unchanged problems {{ location reason }} error }} }}"
    );
    format!(
        "/graphql?{}",
        serde_urlencoded::to_string([("query", query)]).unwrap_or_default()
    )
}

/// `POST /import`.
pub async fn upload(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    if !parts.headers.contains_key(header::AUTHORIZATION) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "an upload takes a national admin's bearer token (`Authorization: Bearer ...`); a \
             session cookie is not accepted here, so that no other site can upload through a \
             logged-in browser",
        );
    }
    let principal = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(principal, _)) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    if !principal.grants.may_import() {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only national admins import",
        );
    }
    let params: UploadParams =
        match serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()) {
            Ok(params) => params,
            Err(error) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    &format!(
                        "the parameters: {error}; give source, and optionally dryRun, fileName, \
                         encoding and separator"
                    ),
                );
            }
        };
    let options = match ReadOptions::parse(params.encoding.as_deref(), params.separator.as_deref())
    {
        Ok(options) => options,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &error.to_string(),
            );
        }
    };
    match state.store.import_source(&params.source).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            let known = match state.store.import_source_names().await {
                Ok(known) => known,
                Err(error) => return internal(&error),
            };
            let error = ImportError::UnknownSource {
                name: params.source.clone(),
                known: known.join(", "),
            };
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &error.to_string(),
            );
        }
        Err(error) => return internal(&error),
    }
    let limit = state.config.import_body_limit;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return too_large(limit);
    }
    let (file, size) = match receive(&state, body, limit).await {
        Ok(received) => received,
        Err(refusal) => return refusal,
    };
    let file_name = params
        .file_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "upload".to_owned());
    let imported_by = principal.audit_name();
    let job = NewImportJob {
        source: params.source.clone(),
        file_name: file_name.clone(),
        dry_run: params.dry_run,
        bytes_total: Some(size),
        created_by: imported_by.clone(),
    };
    // Recorded in the audit log as a mutation, before it runs, as GraphQL mutations are; a
    // record that cannot be written refuses the upload.
    let audit = AuditEvent {
        actor: imported_by.clone(),
        operation: "import".to_owned(),
        fields: format!(
            "source={}{}",
            params.source,
            if params.dry_run { ",dryRun" } else { "" }
        ),
        at: chrono::Utc::now().timestamp(),
        keep_from: None,
    };
    if let Err(error) = state.store.record_mutation(&audit, &[], &[]).await {
        return internal(&error);
    }
    let id = match state.store.create_import_job(&job).await {
        Ok(id) => id,
        Err(error) => return internal(&error),
    };
    let request = ImportRequest {
        source: params.source,
        file_name,
        imported_by,
        options,
        dry_run: params.dry_run,
        // Over HTTP the source's `split` rules decide (national admins set them with
        // `setImportRule`), as a file's own choice has no place in the upload.
        splits: Vec::new(),
    };
    tokio::spawn(import::run_job(
        state.store.clone(),
        id,
        request,
        file,
        state.import_slots.clone(),
    ));
    let url = job_url(id);
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "id": id.to_string(), "state": "QUEUED", "url": url })),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn too_large(limit: u64) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        &format!("the file is larger than the import limit of {limit} bytes"),
    )
}

/// Streams the body to a temporary file (written on a blocking thread) and returns it, rewound,
/// with its size; or the answer that refuses it.
async fn receive(
    state: &AppState,
    body: axum::body::Body,
    limit: u64,
) -> Result<(File, u64), Response> {
    let (chunks, mut received) = tokio::sync::mpsc::channel::<Bytes>(8);
    let writer = tokio::task::spawn_blocking(move || -> io::Result<File> {
        let mut file = tempfile::tempfile()?;
        while let Some(chunk) = received.blocking_recv() {
            file.write_all(&chunk)?;
        }
        file.flush()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    });
    let idle = state.config.request_timeout;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    let refusal = loop {
        let chunk = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => {
                break Some(refuse(
                    StatusCode::REQUEST_TIMEOUT,
                    ErrorCode::RequestTimeout,
                    &format!(
                        "the upload paused longer than {} s and was stopped",
                        idle.as_secs_f32()
                    ),
                ));
            }
            Ok(None) => break None,
            Ok(Some(Err(error))) => {
                break Some(refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    &format!("the upload broke off: {error}"),
                ));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        size += chunk.len() as u64;
        if size > limit {
            break Some(too_large(limit));
        }
        if chunks.send(chunk).await.is_err() {
            // The writer stopped: its error is reported below.
            break None;
        }
    };
    drop(chunks);
    let written = writer.await;
    if let Some(refusal) = refusal {
        return Err(refusal);
    }
    match written {
        Ok(Ok(file)) => Ok((file, size)),
        Ok(Err(error)) => {
            tracing::error!(%error, "storing an upload in a temporary file failed");
            Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                "the server could not store the upload; try again later",
            ))
        }
        Err(error) => Err(internal(&error)),
    }
}
