//! The one error type of the GraphQL layer. Resolvers return it; async-graphql keeps it as the
//! error's source, and [`super::GraphqlService::execute`] maps it to `extensions.code` in one place.

use std::sync::Arc;

use crate::{domain::DomainError, store::StoreError};

/// What went wrong while resolving a field. Each variant has one `extensions.code`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The operation needs a logged-in caller (code `UNAUTHENTICATED`).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's roles do not allow the operation (code `FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// An argument was malformed or out of range (code `BAD_USER_INPUT`).
    #[error("{0}")]
    BadUserInput(String),
    /// Something asked for by identifier does not exist (code `NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// A fault on the server side; logged, never shown in detail (code `INTERNAL`).
    #[error("internal error; the server log has the details")]
    Internal(Arc<StoreError>),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Internal(_) => "INTERNAL",
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
        Self::from(Arc::new(error))
    }
}

impl From<Arc<StoreError>> for ApiError {
    fn from(error: Arc<StoreError>) -> Self {
        tracing::error!(%error, "storage failed while resolving a GraphQL field");
        Self::Internal(error)
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;
