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
    /// A login through the OpenID provider could not be completed.
    LoginFailed,
    /// The OpenID provider could not be reached or answered wrongly.
    ProviderFailed,
    /// A fault on the server side; the details are in the server log only.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and the test that checks it.
    pub const ALL: [Self; 9] = [
        Self::BadRequest,
        Self::GraphqlValidationFailed,
        Self::BadUserInput,
        Self::NotFound,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::LoginFailed,
        Self::ProviderFailed,
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
            Self::LoginFailed => "LOGIN_FAILED",
            Self::ProviderFailed => "PROVIDER_FAILED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// The message every internal error shows: the details stay in the server log.
pub const INTERNAL_MESSAGE: &str = "internal error; the server log has the details";

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
    /// A fault on the server side; logged once by the executor, never shown in detail. The `Arc`
    /// is shared by every field that waited on the same failed batch.
    #[error("{}", INTERNAL_MESSAGE)]
    Internal(Arc<StoreError>),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::BadUserInput(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
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
