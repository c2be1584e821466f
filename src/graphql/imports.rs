//! The import log (issue 17): every `varde import` that was not a dry run, for national admins.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::{
    error::{ApiError, ApiResult},
    objects::{principal, store},
    paging::{self, Connection},
};
use crate::{auth::Caller, domain};

/// Queries of the import log.
#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// Importloggen (the import log): every import that was not a dry run, oldest first, applied
    /// or refused. National admins only.
    async fn imports(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<ImportRecord>> {
        let caller = principal(ctx);
        if caller.caller == Caller::Anonymous {
            return Err(ApiError::Unauthenticated(
                "log in as a national admin to read the import log".into(),
            ));
        }
        if !caller.grants.may_read_import_log() {
            return Err(ApiError::Forbidden(
                "only national admins read the import log".into(),
            ));
        }
        let page = paging::page(after, before, first, last)?;
        let imports = store(ctx).imports_page(&page).await?;
        Ok(paging::connection(imports, &page, |i| i.id, ImportRecord))
    }
}

pub struct ImportRecord(domain::ImportLogEntry);

/// Én import (one import): which file of which source, who imported it and when, and what it did.
#[Object]
impl ImportRecord {
    /// Importkilde (import source), e.g. `varde-mal`.
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// Filnavn (file name) as given to `varde import`.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// SHA-256 of the file, in lowercase hex: the same file has the same checksum.
    async fn checksum(&self) -> &str {
        &self.0.checksum
    }

    /// Importert av (who imported it).
    async fn imported_by(&self) -> &str {
        &self.0.imported_by
    }

    /// Importert (when).
    async fn imported_at(&self) -> DateTime<Utc> {
        self.0.imported_at
    }

    /// Whether the values were written; false when rows were rejected and nothing was applied.
    async fn applied(&self) -> bool {
        self.0.applied
    }

    /// Nye verdier (values inserted).
    async fn inserted(&self) -> i64 {
        self.0.inserted
    }

    /// Endrede verdier (values updated); the values they replaced are kept as history.
    async fn updated(&self) -> i64 {
        self.0.updated
    }

    /// Uendrede verdier (values given again as they were).
    async fn unchanged(&self) -> i64 {
        self.0.unchanged
    }

    /// Avviste rader (rows rejected); with any, nothing is applied.
    async fn rejected(&self) -> i64 {
        self.0.rejected
    }
}
