//! Automatic persisted queries, Apollo's protocol (APQ): a request carries
//! `extensions.persistedQuery = {version: 1, sha256Hash}`. With its document, the document is
//! checked against the hash and registered; without one, the document registered under the hash
//! is used, or the request is answered `PERSISTED_QUERY_NOT_FOUND` (message
//! `PersistedQueryNotFound`, which Apollo Client answers by sending the document once). Dashboards
//! can then send a query by hash alone, over GET as well, so that HTTP caches can serve them.
//!
//! Registered documents are kept in the database (`persisted_queries`), so that every process
//! behind a load balancer knows them; an anonymous caller can register, so only documents that
//! parse are kept, and at most [`MAX_PERSISTED_QUERIES`].

use async_graphql::{Request, Value};
use sha2::{Digest, Sha256};

use super::{ErrorCode, GraphqlService};
use crate::store::StoreError;

/// Documents registered at most; beyond, a new document is run but not kept.
pub const MAX_PERSISTED_QUERIES: i64 = 10_000;

/// Why a request's persisted query could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistedQueryError {
    /// The hash alone was sent and nothing is registered under it.
    #[error("PersistedQueryNotFound")]
    NotFound,
    /// `extensions.persistedQuery` is not `{version: 1, sha256Hash: "<64 hex digits>"}`.
    #[error(
        "extensions.persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}"
    )]
    Malformed,
    /// The document sent is not the one the hash names.
    #[error("provided sha does not match query")]
    HashMismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PersistedQueryError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound => ErrorCode::PersistedQueryNotFound,
            Self::Malformed | Self::HashMismatch => ErrorCode::BadRequest,
            Self::Store(error) if error.is_unavailable() => ErrorCode::ServiceUnavailable,
            Self::Store(_) => ErrorCode::Internal,
        }
    }
}

/// The lower-case hex SHA-256 of `extensions.persistedQuery`, if the request has one.
fn requested_hash(request: &Request) -> Result<Option<String>, PersistedQueryError> {
    let Some(persisted) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let Value::Object(fields) = persisted else {
        return Err(PersistedQueryError::Malformed);
    };
    let version_one =
        matches!(fields.get("version"), Some(Value::Number(n)) if n.as_i64() == Some(1));
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if version_one
                && hash.len() == 64
                && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) =>
        {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(PersistedQueryError::Malformed),
    }
}

impl GraphqlService {
    /// Resolves the request's persisted query, if it names one: fills in the registered document
    /// when only the hash was sent, or registers the document sent with its hash.
    pub async fn resolve_persisted_query(
        &self,
        request: &mut Request,
    ) -> Result<(), PersistedQueryError> {
        let Some(hash) = requested_hash(request)? else {
            return Ok(());
        };
        if request.query.is_empty() {
            request.query = self
                .store
                .persisted_query(&hash)
                .await?
                .ok_or(PersistedQueryError::NotFound)?;
            return Ok(());
        }
        if format!("{:x}", Sha256::digest(request.query.as_bytes())) != hash {
            return Err(PersistedQueryError::HashMismatch);
        }
        self.parse(request);
        if request.parsed_query().is_ok() {
            let now = chrono::Utc::now().timestamp();
            self.store
                .persist_query(&hash, &request.query, now, MAX_PERSISTED_QUERIES)
                .await?;
        }
        Ok(())
    }
}
