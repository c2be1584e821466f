//! Errors as callers see them: every `extensions.code` Varde answers with ([`ErrorCode`]), the one
//! function that builds an error body outside GraphQL execution ([`error_body`]), and the error
//! type of resolvers ([`ApiError`]), mapped to its code in [`super::GraphqlService::execute`].
//!
//! Which to use where: resolvers return [`ApiError`]; the HTTP layer and the auth routes answer
//! refusals with [`error_body`] and a code; nothing else writes an error body by hand.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::{domain::DomainError, store::StoreError};

/// Every `extensions.code` of Varde's answers. The README lists them (a test keeps it so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The HTTP request itself is malformed (bad JSON, no query, a bad media type).
    BadRequest,
    /// The document does not parse or validate, or its variables do not fit the operation.
    GraphqlValidationFailed,
    /// An argument is malformed or out of range.
    BadUserInput,
    /// Something asked for by identifier does not exist.
    NotFound,
    /// The operation needs a logged-in caller, or the credentials given do not check out.
    Unauthenticated,
    /// The caller's roles do not allow the operation.
    Forbidden,
    /// A write edits a version that is no longer the current one (someone else wrote first);
    /// nothing was written.
    Conflict,
    /// A login through the OpenID provider could not be completed.
    LoginFailed,
    /// The OpenID provider could not be reached or answered wrongly.
    ProviderFailed,
    /// The query's cost (the most fields its answer can hold) is above the limit.
    QueryTooCostly,
    /// The query nests selections deeper than the limit.
    QueryTooDeep,
    /// The request uses more aliases than the limit.
    TooManyAliases,
    /// A selection set holds more fields than the limit.
    TooManyFields,
    /// The request uses more directives than the limit.
    TooManyDirectives,
    /// A directive appears twice at one location (GraphQL spec 5.7.3).
    DuplicateDirective,
    /// The answer would be larger than the limit.
    ResponseTooLarge,
    /// The request took longer than the request timeout.
    RequestTimeout,
    /// The caller sent more requests than its rate allows (429 with `Retry-After`).
    RateLimited,
    /// The server holds as many connections as it may; health checks are still answered.
    TooManyConnections,
    /// The database cannot be reached now; the request may be retried.
    ServiceUnavailable,
    /// A request sent a persisted query's hash alone, and no document is registered under it:
    /// send the document with its hash once (Apollo's automatic persisted queries).
    PersistedQueryNotFound,
    /// A signed download link (an export or a printable colour table) was altered, is missing
    /// its signature or names a caller that no longer exists.
    DownloadLinkInvalid,
    /// A signed download link is past its expiry: ask `exportUrl` for a new one.
    DownloadLinkExpired,
    /// This server cannot make PDFs (no headless Chromium configured or it failed); the HTML page
    /// prints the same table from a browser.
    PdfUnavailable,
    /// An uploaded import file is larger than the import limit (HTTP 413).
    PayloadTooLarge,
    /// A fault on the server side; the details are in the server log only.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and the test that checks it.
    pub const ALL: [Self; 26] = [
        Self::BadRequest,
        Self::GraphqlValidationFailed,
        Self::BadUserInput,
        Self::NotFound,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::Conflict,
        Self::LoginFailed,
        Self::ProviderFailed,
        Self::QueryTooCostly,
        Self::QueryTooDeep,
        Self::TooManyAliases,
        Self::TooManyFields,
        Self::TooManyDirectives,
        Self::DuplicateDirective,
        Self::ResponseTooLarge,
        Self::RequestTimeout,
        Self::RateLimited,
        Self::TooManyConnections,
        Self::ServiceUnavailable,
        Self::PersistedQueryNotFound,
        Self::DownloadLinkInvalid,
        Self::DownloadLinkExpired,
        Self::PdfUnavailable,
        Self::PayloadTooLarge,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Conflict => "CONFLICT",
            Self::LoginFailed => "LOGIN_FAILED",
            Self::ProviderFailed => "PROVIDER_FAILED",
            Self::QueryTooCostly => "QUERY_TOO_COSTLY",
            Self::QueryTooDeep => "QUERY_TOO_DEEP",
            Self::TooManyAliases => "TOO_MANY_ALIASES",
            Self::TooManyFields => "TOO_MANY_FIELDS",
            Self::TooManyDirectives => "TOO_MANY_DIRECTIVES",
            Self::DuplicateDirective => "DUPLICATE_DIRECTIVE",
            Self::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::RateLimited => "RATE_LIMITED",
            Self::TooManyConnections => "TOO_MANY_CONNECTIONS",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::DownloadLinkInvalid => "DOWNLOAD_LINK_INVALID",
            Self::DownloadLinkExpired => "DOWNLOAD_LINK_EXPIRED",
            Self::PdfUnavailable => "PDF_UNAVAILABLE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::Internal => "INTERNAL",
        }
    }
}

/// The message every internal error shows: the details stay in the server log.
pub const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";

/// The message of errors while the database cannot be reached.
pub const UNAVAILABLE_MESSAGE: &str = "the database cannot be reached now; try again shortly";

/// A GraphQL-shaped error body (`{"errors": [{"message", "extensions": {"code"}}]}`) for answers
/// made outside GraphQL execution: HTTP refusals and the auth routes.
pub fn error_body(code: ErrorCode, message: &str) -> Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
}

/// What went wrong while resolving a field. Each variant has one [`ErrorCode`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The operation needs a logged-in caller.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's roles do not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// An argument was malformed or out of range.
    #[error("{0}")]
    BadUserInput(String),
    /// Something asked for by identifier does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A write edits a stale version; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// A fault on the server side; logged once by the executor, never shown in detail. The `Arc`
    /// is shared by every field that waited on the same failed batch. A database that cannot be
    /// reached is told apart (`SERVICE_UNAVAILABLE`): the caller may retry.
    #[error("{}", if .0.is_unavailable() { UNAVAILABLE_MESSAGE } else { INTERNAL_MESSAGE })]
    Internal(Arc<StoreError>),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::BadUserInput(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Internal(cause) if cause.is_unavailable() => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Self::BadUserInput(error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Internal(Arc::new(error))
    }
}

impl From<Arc<StoreError>> for ApiError {
    fn from(error: Arc<StoreError>) -> Self {
        Self::Internal(error)
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        for code in ErrorCode::ALL {
            assert!(
                readme.contains(&format!("`{}`", code.as_str())),
                "README.md does not list {}",
                code.as_str()
            );
        }
    }

    #[test]
    fn an_unreachable_database_is_service_unavailable() {
        let error = ApiError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(error.code(), ErrorCode::ServiceUnavailable);
        assert_eq!(error.to_string(), UNAVAILABLE_MESSAGE);
        let error = ApiError::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert_eq!(error.code(), ErrorCode::Internal);
    }
}
