//! Login, logout, the token endpoint and the request's principal: the HTTP side of [`crate::auth`].

use axum::{
    Form,
    extract::{FromRequestParts, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::{
    auth::{AuthError, Credential, Principal},
    graphql::{ErrorCode, INTERNAL_MESSAGE, error_body},
};

/// What the browser is told when the identity provider fails.
const PROVIDER_MESSAGE: &str =
    "the identity provider could not be reached or answered wrongly; try again later";

/// Cookie names: the `__Host-` prefix (Secure, no Domain, Path=/) unless cookies are configured
/// insecure for plain-http local use, where browsers would refuse the prefix.
fn cookie_name(state: &AppState, base: &str) -> String {
    if state.auth.config().insecure_cookies {
        format!("varde_{base}")
    } else {
        format!("__Host-varde_{base}")
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure unless configured otherwise.
fn set_cookie(
    state: &AppState,
    name: String,
    value: String,
    max_age: cookie::time::Duration,
) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .http_only(true)
        .secure(!state.auth.config().insecure_cookies)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn clear_cookie(state: &AppState, name: String) -> HeaderValue {
    set_cookie(state, name, String::new(), cookie::time::Duration::ZERO)
}

fn session_max_age(state: &AppState) -> cookie::time::Duration {
    cookie::time::Duration::seconds(
        i64::try_from(state.auth.config().session_ttl.as_secs()).unwrap_or(i64::MAX),
    )
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AuthError::InvalidToken | AuthError::InvalidClient => {
                (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
            }
            AuthError::LoginFailed(_) => (StatusCode::BAD_REQUEST, ErrorCode::LoginFailed),
            AuthError::NotConfigured => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            AuthError::Provider(_) => (StatusCode::BAD_GATEWAY, ErrorCode::ProviderFailed),
            AuthError::LinkInvalid(_) => (StatusCode::FORBIDDEN, ErrorCode::DownloadLinkInvalid),
            AuthError::LinkExpired => (StatusCode::FORBIDDEN, ErrorCode::DownloadLinkExpired),
            AuthError::Store(_) | AuthError::Hashing(_) => {
                tracing::error!(error = %self, "authentication failed on the server side");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
        };
        let message = match code {
            ErrorCode::Internal => INTERNAL_MESSAGE.to_owned(),
            // The provider's own words go to the log, never to the browser.
            ErrorCode::ProviderFailed => {
                tracing::warn!(error = %self, "the identity provider failed");
                PROVIDER_MESSAGE.to_owned()
            }
            _ => self.to_string(),
        };
        let mut response = (status, axum::Json(error_body(code, &message))).into_response();
        if matches!(self, AuthError::InvalidToken) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// The caller of a request: `Authorization: Bearer` or the session cookie; anonymous without
/// either. A bearer token that does not check out is refused (401), never taken as anonymous.
/// With the principal comes the credential it was found by, for a stream that checks it again.
pub struct Caller(pub Principal, pub Option<Credential>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.strip_prefix("Bearer ").ok_or(AuthError::InvalidToken))
            .transpose()?;
        let session = cookie_value(&parts.headers, &cookie_name(state, "session"));
        let credential = match (&bearer, &session) {
            (Some(_), _) => "bearer",
            (None, Some(_)) => "session",
            (None, None) => "anonymous",
        };
        let principal = state.auth.principal(bearer, session.as_deref()).await;
        // Token and session use, for the metrics page (logins and token grants are counted by
        // their routes).
        let outcome = if principal.is_ok() {
            "accepted"
        } else {
            "refused"
        };
        metrics::counter!("varde_callers_total", "credential" => credential, "outcome" => outcome)
            .increment(1);
        Ok(Self(
            principal?,
            crate::auth::credential(bearer, session.as_deref()),
        ))
    }
}

#[derive(Deserialize)]
pub struct LoginParams {
    return_to: Option<String>,
}

/// `GET /auth/login`: sends the browser to Feide.
pub async fn login(
    State(state): State<AppState>,
    Query(params): Query<LoginParams>,
) -> Result<Response, AuthError> {
    let begun = state.auth.begin_login(params.return_to.as_deref()).await?;
    let mut response = Redirect::to(&begun.authorize_url).into_response();
    let cookie = set_cookie(
        &state,
        cookie_name(&state, "login"),
        begun.attempt_cookie,
        cookie::time::Duration::minutes(10),
    );
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback`: completes the login and sets a fresh session cookie.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Result<Response, AuthError> {
    let login_cookie = cookie_name(&state, "login");
    let attempt = cookie_value(&headers, &login_cookie);
    let (code, login_state) = match (params.code, params.state, params.error) {
        (_, _, Some(error)) => {
            tracing::warn!(%error, "the provider refused a login");
            return Err(AuthError::LoginFailed(
                "the identity provider did not complete the login".into(),
            ));
        }
        (Some(code), Some(login_state), None) => (code, login_state),
        _ => {
            return Err(AuthError::LoginFailed(
                "the callback lacks code or state".into(),
            ));
        }
    };
    let session = state
        .auth
        .finish_login(attempt.as_deref(), &code, &login_state)
        .await?;
    let mut response =
        start_session(&state, &headers, session.session_id, &session.return_to).await?;
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(&state, login_cookie));
    Ok(response)
}

/// Redirects to `return_to` with the cookie of a new session. A session cookie from before the
/// login is revoked, never reused (session fixation).
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    session_id: String,
    return_to: &str,
) -> Result<Response, AuthError> {
    let name = cookie_name(state, "session");
    if let Some(old) = cookie_value(headers, &name) {
        state.auth.logout(&old).await?;
    }
    let mut response = Redirect::to(return_to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, name, session_id, session_max_age(state)),
    );
    Ok(response)
}

/// `POST /auth/logout`: revokes the session and clears its cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AuthError> {
    let name = cookie_name(&state, "session");
    if let Some(session) = cookie_value(&headers, &name) {
        state.auth.logout(&session).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(&state, name));
    Ok(response)
}

#[derive(Deserialize)]
pub struct DevLoginParams {
    user: String,
    return_to: Option<String>,
}

/// `GET /auth/dev-login?user=...`: the demo login, only when enabled (and then only on a
/// loopback address, checked at start-up).
pub async fn dev_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<DevLoginParams>,
) -> Result<Response, AuthError> {
    let session = state.auth.dev_login(params.user.trim()).await?;
    let return_to = crate::auth::safe_return_to(params.return_to.as_deref());
    start_session(&state, &headers, session, &return_to).await
}

/// The form of a token request (RFC 6749 section 4.4).
#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"varde\""),
        );
    }
    response
}

/// Client credentials from HTTP Basic (preferred by RFC 6749) or the form.
fn client_credentials(headers: &HeaderMap, form: &TokenRequest) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |text: &str| form_urlencoded_decode(text);
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)))
}

/// Basic credentials are form-urlencoded before base64 (RFC 6749 section 2.3.1).
fn form_urlencoded_decode(text: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={text}"))
        .ok()?
        .pop()
        .map(|(_, value)| value)
}

/// `POST /auth/token`: the OAuth2 client-credentials grant for API clients.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenRequest>,
) -> Response {
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let Some((client_id, secret)) = client_credentials(&headers, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    match state.auth.issue_client_token(&client_id, &secret).await {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
            });
            let mut response = axum::Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(AuthError::InvalidClient) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ),
        Err(error) => error.into_response(),
    }
}
