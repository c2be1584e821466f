//! GraphQL over HTTP (<https://graphql.github.io/graphql-over-http/draft/>), owned here because
//! async-graphql-axum's handler does not follow it: content negotiation on `Accept`, 405 for
//! mutations over GET, 415 for bodies that are not JSON, batches only when configured, and no
//! `data` entry when a request fails before execution.

use async_graphql::{Variables, parser::types::OperationType};
use axum::{
    body::Bytes,
    extract::{Query, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    AppState,
    auth_routes::Caller,
    caching::{self, Audience},
};
use crate::auth::Principal;
use crate::graphql::{ErrorCode, GraphqlService, Outcome, PersistedQueryError, error_body};

/// The `application/graphql-response+json` media type of the specification.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The response media type chosen from the client's `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphqlResponseJson,
    /// `application/json`: the legacy type; every well-formed request answers 200.
    Json,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }
}

/// Picks the response media type: the supported type with the highest `q`, the first listed on
/// a tie; wildcards and a missing header mean `application/json`, as the specification advises
/// until its watershed. `None` when nothing acceptable is supported (406).
pub fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.filter(|value| !value.trim().is_empty()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut quality = 1.0_f32;
        let mut charset_ok = true;
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => quality = value.trim().parse().unwrap_or(0.0),
                "charset" => {
                    let charset = value.trim().trim_matches('"').to_ascii_lowercase();
                    charset_ok = charset == "utf-8" || charset == "utf8";
                }
                _ => {}
            }
        }
        let media_type = match essence.as_str() {
            GRAPHQL_RESPONSE_JSON => MediaType::GraphqlResponseJson,
            APPLICATION_JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if quality <= 0.0 || !charset_ok {
            continue;
        }
        if best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, media_type));
        }
    }
    best.map(|(_, media_type)| media_type)
}

/// The parameters of one GraphQL request, from a JSON body or a URL query string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
}

/// The same parameters in a GET query string, where variables and extensions are JSON text.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryStringParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// A request refused before GraphQL sees it.
struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: ErrorCode::BadRequest,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<PersistedQueryError> for Refusal {
    /// An unknown hash is answered 200, as Apollo's servers do, so that every client reads the
    /// body and sends the document; a malformed or mismatched one is a bad request.
    fn from(error: PersistedQueryError) -> Self {
        let status = match error.code() {
            ErrorCode::PersistedQueryNotFound => StatusCode::OK,
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self {
            code: error.code(),
            ..Self::new(status, error.to_string())
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = error_body(self.code, &self.message);
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}

fn not_acceptable() -> Refusal {
    let mut refusal = Refusal::new(
        StatusCode::NOT_ACCEPTABLE,
        "this endpoint answers application/graphql-response+json or application/json",
    );
    refusal.headers.push((
        header::ACCEPT,
        HeaderValue::from_static("application/graphql-response+json, application/json"),
    ));
    refusal
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Browsers asking for HTML without a query get GraphiQL.
fn wants_graphiql(headers: &HeaderMap, params: &QueryStringParams) -> bool {
    params.query.is_none()
        && header_text(headers, header::ACCEPT).is_some_and(|accept| accept.contains("text/html"))
}

/// `GET /graphql`: GraphiQL for browsers, otherwise a query in the URL.
pub async fn get(
    State(state): State<AppState>,
    Caller(principal, _): Caller,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
) -> Response {
    let params = match Query::<QueryStringParams>::try_from_uri(
        &format!("/?{}", raw_query.unwrap_or_default())
            .parse()
            .unwrap_or_default(),
    ) {
        Ok(Query(params)) => params,
        Err(error) => return Refusal::bad_request(error.body_text()).into_response(),
    };
    if wants_graphiql(&headers, &params) {
        return super::graphiql::page();
    }
    let Some(media_type) = negotiate(header_text(&headers, header::ACCEPT)) else {
        return not_acceptable().into_response();
    };
    let json_field =
        |name: &str, text: Option<String>| -> Result<Option<Map<String, Value>>, Refusal> {
            text.map(|text| {
                serde_json::from_str::<Option<Map<String, Value>>>(&text)
                    .map_err(|_| Refusal::bad_request(format!("{name} must be a JSON object")))
            })
            .transpose()
            .map(Option::flatten)
        };
    let params = match (
        json_field("variables", params.variables),
        json_field("extensions", params.extensions),
    ) {
        (Ok(variables), Ok(extensions)) => RequestParams {
            query: params.query,
            operation_name: params.operation_name,
            variables,
            extensions,
        },
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.into_response(),
    };
    let audience = match principal.caller {
        crate::auth::Caller::Anonymous => Audience::Public,
        _ => Audience::Private,
    };
    let answer = execute_one(&state, principal, Method::GET, media_type, params).await;
    caching::conditional(answer, audience, &headers).await
}

/// `POST /graphql`: a JSON body with `query`, `variables`, `operationName`, `extensions`.
pub async fn post(
    State(state): State<AppState>,
    Caller(principal, credential): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = header_text(&headers, header::ACCEPT);
    let event_stream = wants_event_stream(accept);
    let Some(media_type) = negotiate(accept).or(event_stream.then_some(MediaType::Json)) else {
        return not_acceptable().into_response();
    };
    let is_json = header_text(&headers, header::CONTENT_TYPE).is_some_and(|content_type| {
        let mut parts = content_type.split(';').map(str::trim);
        let essence_ok = parts
            .next()
            .is_some_and(|essence| essence.eq_ignore_ascii_case(APPLICATION_JSON));
        let charset_ok = parts.all(|parameter| match parameter.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                let charset = value.trim().trim_matches('"');
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        });
        essence_ok && charset_ok
    });
    if !is_json {
        return Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        )
        .into_response();
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(error) => {
            return Refusal::bad_request(format!("the body is not valid JSON: {error}"))
                .into_response();
        }
    };
    match body {
        Value::Array(_) if event_stream => {
            Refusal::bad_request("an event stream carries one operation, not a batch")
                .into_response()
        }
        Value::Array(batch) => execute_batch(&state, principal, media_type, batch).await,
        single => match serde_json::from_value::<RequestParams>(single) {
            Ok(params) if event_stream => {
                events::stream(&state, principal, credential, params).await
            }
            Ok(params) => execute_one(&state, principal, Method::POST, media_type, params).await,
            Err(error) => {
                Refusal::bad_request(format!("invalid request parameters: {error}")).into_response()
            }
        },
    }
}

async fn execute_batch(
    state: &AppState,
    principal: Principal,
    media_type: MediaType,
    batch: Vec<Value>,
) -> Response {
    let limit = state.config.max_batch_size;
    if limit == 0 {
        return Refusal::bad_request("batched requests are disabled on this server")
            .into_response();
    }
    if batch.is_empty() || batch.len() > limit {
        return Refusal::bad_request(format!("a batch holds 1 to {limit} requests"))
            .into_response();
    }
    let mut answers = Vec::with_capacity(batch.len());
    for item in batch {
        let params = match serde_json::from_value::<RequestParams>(item) {
            Ok(params) => params,
            Err(error) => {
                return Refusal::bad_request(format!("invalid request parameters: {error}"))
                    .into_response();
            }
        };
        match prepare(&state.graphql, Method::POST, params, false).await {
            Ok(request) => answers.push(body_of(
                state.graphql.execute(request, principal.clone()).await,
            )),
            Err(refusal) => return refusal.into_response(),
        }
    }
    json_answer(state, StatusCode::OK, media_type, &answers)
}

/// Checks the parameters and the operation kind, and builds the GraphQL request.
async fn prepare(
    graphql: &GraphqlService,
    method: Method,
    params: RequestParams,
    event_stream: bool,
) -> Result<async_graphql::Request, Refusal> {
    // A persisted query's hash may stand for the document (see `graphql::persisted`).
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        request = request.variables(Variables::from_json(Value::Object(variables)));
    }
    if let Some(extensions) = params.extensions {
        for (name, value) in extensions {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(name, value);
            }
        }
    }
    graphql.resolve_persisted_query(&mut request).await?;
    if request.query.is_empty() {
        return Err(Refusal::bad_request("the request has no query"));
    }
    graphql.parse(&mut request);
    let operation_name = request.operation_name.clone();
    // A document that does not parse is left for execution to report as a request error.
    let operation_type = request.parsed_query().ok().and_then(|document| {
        document
            .operations
            .iter()
            .find(|(name, _)| match (&operation_name, name) {
                (Some(wanted), Some(name)) => wanted == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            })
            .map(|(_, operation)| operation.node.ty)
    });
    if method == Method::GET && operation_type.is_some_and(|ty| ty != OperationType::Query) {
        let mut refusal = Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries may be sent with GET; send mutations with POST",
        );
        refusal
            .headers
            .push((header::ALLOW, HeaderValue::from_static("POST")));
        return Err(refusal);
    }
    if operation_type == Some(OperationType::Subscription) && !event_stream {
        return Err(Refusal::bad_request(
            "a subscription answers a stream of events: send it with POST and \
             Accept: text/event-stream (GraphQL over server-sent events)",
        ));
    }
    Ok(request)
}

/// A response body: `data` only when execution started. Serialized straight from the executor's
/// values, in the query's key order.
#[derive(Serialize)]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<async_graphql::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<async_graphql::ServerError>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: BTreeMap<String, async_graphql::Value>,
}

fn body_of(outcome: Outcome) -> Body {
    let response = outcome.response;
    Body {
        data: (!outcome.is_request_error).then_some(response.data),
        errors: response.errors,
        extensions: response.extensions,
    }
}

/// A buffer that refuses to grow beyond the response-size limit.
struct Limited {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("the answer is too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `body` as JSON, or `None` when it would pass `limit` bytes: it is written into a buffer that
/// stops at the limit, so no answer takes more memory than that.
fn serialized(body: &impl Serialize, limit: usize) -> Option<Vec<u8>> {
    let mut buffer = Limited {
        bytes: Vec::new(),
        limit,
    };
    serde_json::to_writer(&mut buffer, body).ok()?;
    Some(buffer.bytes)
}

/// The `RESPONSE_TOO_LARGE` answer in place of one beyond `limit` bytes.
fn too_large(limit: usize) -> Vec<u8> {
    let mut refusal = error_body(
        ErrorCode::ResponseTooLarge,
        &format!("the answer is larger than the limit of {limit} bytes; ask for fewer items"),
    );
    refusal["data"] = Value::Null;
    refusal["errors"][0]["extensions"]["limit"] = limit.into();
    refusal.to_string().into_bytes()
}

/// The JSON answer with `status`, or `RESPONSE_TOO_LARGE` (200) when it would pass the limit.
fn json_answer(
    state: &AppState,
    status: StatusCode,
    media_type: MediaType,
    body: &impl Serialize,
) -> Response {
    let limit = state.graphql.limits().max_response_bytes;
    let (status, bytes) = match serialized(body, limit) {
        Some(bytes) => (status, bytes),
        None => (StatusCode::OK, too_large(limit)),
    };
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media_type.content_type());
    response
}

async fn execute_one(
    state: &AppState,
    principal: Principal,
    method: Method,
    media_type: MediaType,
    params: RequestParams,
) -> Response {
    let request = match prepare(&state.graphql, method, params, false).await {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = state.graphql.execute(request, principal).await;
    let status = if outcome.is_request_error && media_type == MediaType::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_answer(state, status, media_type, &body_of(outcome))
}

/// Whether `Accept` asks for `text/event-stream` (with a `q` above 0): GraphQL over server-sent
/// events.
fn wants_event_stream(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| {
        accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let essence_ok = parts
                .next()
                .is_some_and(|essence| essence.eq_ignore_ascii_case("text/event-stream"));
            let refused = parts.any(|parameter| {
                parameter.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("q")
                        && value.trim().parse::<f32>().map_or(true, |q| q <= 0.0)
                })
            });
            essence_ok && !refused
        })
    })
}

/// GraphQL over server-sent events, the graphql-sse protocol's "distinct connections mode"
/// (<https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md>): a `POST` with `Accept:
/// text/event-stream` answers a stream of `next` events, each an execution result, then one
/// `complete` event. Everything before the stream (authentication, rate limits, the connection
/// limit, the body limit, parsing, the query limits) is what every other request passes; a request
/// refused before its stream starts gets a JSON answer with the error and its code, never a stream.
mod events {
    use std::{convert::Infallible, time::Duration};

    use axum::{
        http::{HeaderValue, StatusCode, header},
        response::{
            IntoResponse, Response,
            sse::{Event, KeepAlive, Sse},
        },
    };
    use futures_util::{StreamExt, stream};

    use super::{
        AppState, MediaType, Method, RequestParams, body_of, json_answer, prepare, serialized,
        too_large,
    };
    use crate::{
        auth::{Credential, Principal},
        graphql::{ErrorCode, Outcome},
    };

    /// How often an idle stream sends a comment, so that proxies and load balancers that close
    /// quiet connections keep it open.
    const KEEP_ALIVE: Duration = Duration::from_secs(12);

    /// Streams the answers of one operation to the holder of `credential` (which a
    /// subscription checks again before each later answer: see `graphql::live`).
    pub(super) async fn stream(
        state: &AppState,
        principal: Principal,
        credential: Option<Credential>,
        params: RequestParams,
    ) -> Response {
        let mut request = match prepare(&state.graphql, Method::POST, params, true).await {
            Ok(request) => request,
            Err(refusal) => return refusal.into_response(),
        };
        if let Some(credential) = credential {
            request = request.data(credential);
        }
        let mut outcomes = state.graphql.execute_stream(request, principal);
        // The first answer comes once the operation's field has started its stream (or failed).
        let Some(first) = outcomes.next().await else {
            return json_answer(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                MediaType::Json,
                &crate::graphql::error_body(ErrorCode::Internal, crate::graphql::INTERNAL_MESSAGE),
            );
        };
        if let Some(status) = refused(&first) {
            return json_answer(state, status, MediaType::Json, &body_of(first));
        }
        let limit = state.graphql.limits().max_response_bytes;
        let events = stream::once(async move { first })
            .chain(outcomes)
            .map(move |outcome| {
                let data = serialized(&body_of(outcome), limit).unwrap_or_else(|| too_large(limit));
                Ok::<_, Infallible>(
                    Event::default()
                        .event("next")
                        .data(String::from_utf8_lossy(&data)),
                )
            })
            .chain(stream::once(async {
                Ok(Event::default().event("complete").data(""))
            }));
        let mut response = Sse::new(events)
            .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
            .into_response();
        // Nginx and its kin would otherwise hold the events back in a buffer.
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        response
    }

    /// The status of an answer that ends the request before any stream: a request error (the
    /// document, its variables, a limit), or a field that failed before its stream started
    /// (not logged in, not allowed, bad input). `None` for a stream's first event.
    fn refused(outcome: &Outcome) -> Option<StatusCode> {
        let response = &outcome.response;
        let failed = outcome.is_request_error
            || (response.data == async_graphql::Value::Null && !response.errors.is_empty());
        if !failed {
            return None;
        }
        let code = response
            .errors
            .iter()
            .filter_map(|error| error.extensions.as_ref()?.get("code"))
            .find_map(|code| match code {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            });
        let is = |expected: ErrorCode| code == Some(expected.as_str());
        Some(match () {
            () if is(ErrorCode::Unauthenticated) => StatusCode::UNAUTHORIZED,
            () if is(ErrorCode::Forbidden) => StatusCode::FORBIDDEN,
            () if is(ErrorCode::NotFound) => StatusCode::NOT_FOUND,
            () if is(ErrorCode::ServiceUnavailable) => StatusCode::SERVICE_UNAVAILABLE,
            () if is(ErrorCode::Internal) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_stream_is_asked_for_by_its_media_type() {
        assert!(wants_event_stream(Some("text/event-stream")));
        assert!(wants_event_stream(Some(
            "application/json;q=0.5, text/event-stream"
        )));
        assert!(!wants_event_stream(Some("text/event-stream;q=0")));
        assert!(!wants_event_stream(Some("*/*")));
        assert!(!wants_event_stream(None));
    }

    #[test]
    fn a_missing_or_wildcard_accept_gets_application_json() {
        assert_eq!(negotiate(None), Some(MediaType::Json));
        assert_eq!(negotiate(Some("*/*")), Some(MediaType::Json));
        assert_eq!(negotiate(Some("application/*")), Some(MediaType::Json));
    }

    #[test]
    fn the_graphql_response_type_wins_when_preferred() {
        let both = "application/graphql-response+json, application/json;q=0.9";
        assert_eq!(negotiate(Some(both)), Some(MediaType::GraphqlResponseJson));
        let json_first = "application/json, application/graphql-response+json";
        assert_eq!(negotiate(Some(json_first)), Some(MediaType::Json));
        let weighted = "application/json;q=0.5, application/graphql-response+json";
        assert_eq!(
            negotiate(Some(weighted)),
            Some(MediaType::GraphqlResponseJson)
        );
    }

    #[test]
    fn unsupported_types_and_charsets_are_not_acceptable() {
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json; charset=latin1")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
