//! The audit log (issue 14): what the executor records around every request, and the query that
//! reads it back. A mutation is recorded before it runs, and a read of restricted unit data after
//! it ran and before its answer leaves; a record that cannot be written fails the request, so no
//! restricted read and no mutation goes unrecorded.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use async_graphql::{
    Context, Enum, Object, Pos, ServerError,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection},
};
use chrono::{DateTime, Utc};

use super::{
    error::{ApiError, ApiResult},
    inputs::OwnerRef,
    objects::{Owner, Unit, load_reference, logged_in, store},
    paging::{self, Connection},
};
use crate::{
    auth::Principal,
    domain::{OwnerId, UnitId},
    store::{self, AuditEvent, AuditRecord, ScopedReader, Store},
};

/// The audit record of one request, before it is known whose data it read.
pub struct Audit {
    event: AuditEvent,
    operation: OperationType,
    retention: Arc<Retention>,
}

/// How long audit records are kept, and when this process next deletes the older ones: with
/// the first record it writes, then with the first after every [`Retention::PURGE_EVERY`]
/// seconds, rather than with every record.
#[derive(Debug)]
pub struct Retention {
    keep: i64,
    next_purge: AtomicI64,
}

impl Retention {
    const PURGE_EVERY: i64 = 600;

    pub fn new(keep: Duration) -> Self {
        Self {
            keep: i64::try_from(keep.as_secs()).unwrap_or(i64::MAX),
            next_purge: AtomicI64::new(0),
        }
    }

    /// The time before which records are to be deleted with a record written at `now`, when a
    /// purge is due and no other request of this process has taken it.
    fn purge_due(&self, now: i64) -> Option<i64> {
        let due = self.next_purge.load(Ordering::Relaxed);
        (now >= due
            && self
                .next_purge
                .compare_exchange(
                    due,
                    now + Self::PURGE_EVERY,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok())
        .then(|| now.saturating_sub(self.keep))
    }
}

impl Audit {
    /// The record of running `operation_name` of `document` for `principal`; `None` when the
    /// document names no operation to run (execution reports that).
    pub fn of(
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        principal: &Principal,
        retention: &Arc<Retention>,
    ) -> Option<Self> {
        let (name, operation) = match (&document.operations, operation_name) {
            (DocumentOperations::Single(operation), _) => (None, operation),
            (DocumentOperations::Multiple(operations), Some(name)) => {
                (Some(name), operations.get(name)?)
            }
            (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
                let (name, operation) = operations.iter().next()?;
                (Some(name.as_str()), operation)
            }
            (DocumentOperations::Multiple(_), None) => return None,
        };
        let operation = &operation.node;
        let fields: Vec<&str> = operation
            .selection_set
            .node
            .items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => field.node.name.node.as_str(),
                Selection::FragmentSpread(spread) => spread.node.fragment_name.node.as_str(),
                Selection::InlineFragment(_) => "...",
            })
            .collect();
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let at = i64::try_from(at).unwrap_or(i64::MAX);
        Some(Self {
            event: AuditEvent {
                actor: principal.audit_name(),
                operation: name.unwrap_or("anonymous").to_owned(),
                fields: fields.join(","),
                at,
                keep_from: None,
            },
            operation: operation.ty,
            retention: Arc::clone(retention),
        })
    }

    /// The event to write, deleting expired records with it when a purge is due.
    fn to_write(&self) -> AuditEvent {
        AuditEvent {
            keep_from: self.retention.purge_due(self.event.at),
            ..self.event.clone()
        }
    }

    /// Whether the operation is a query (neither a mutation nor a subscription).
    pub fn is_query(&self) -> bool {
        self.operation == OperationType::Query
    }

    /// Records a mutation before it runs; reads are recorded by [`Audit::after`].
    /// The mutation is filed under the units and owners the caller holds roles in.
    pub async fn before(&self, store: &Store, reader: &ScopedReader) -> Result<(), ServerError> {
        if self.operation != OperationType::Mutation {
            return Ok(());
        }
        let scope = reader.scope();
        store
            .record_mutation(&self.to_write(), &scope.units, &scope.owners)
            .await
            .map_err(audit_failed)
    }

    /// Records the restricted data `reader` returned while the request ran.
    pub async fn after(&self, store: &Store, reader: &ScopedReader) -> Result<(), ServerError> {
        let read = reader.take_read();
        if read.units.is_empty() && read.owners.is_empty() {
            return Ok(());
        }
        let units: Vec<UnitId> = read.units.into_iter().collect();
        let owners: Vec<OwnerId> = read.owners.into_iter().collect();
        store
            .record_reads(&self.to_write(), &units, &owners, reader.scope())
            .await
            .map_err(audit_failed)
    }
}

/// The request's error when its audit record could not be written: the store's fault, with its
/// code (`SERVICE_UNAVAILABLE` when the database is away, else `INTERNAL`).
fn audit_failed(error: store::StoreError) -> ServerError {
    tracing::error!(%error, "the audit record could not be written; the request fails");
    async_graphql::Error::new_with_source(ApiError::from(error)).into_server_error(Pos::default())
}

/// The audit log's query.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Revisjonsloggen (the audit log), oldest first: who read which unit's or owner's restricted
    /// data and who sent which mutation, when. Never the values. An owner's admins read their own
    /// owner's rows (`owner` required); national admins read every row, or one owner's.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        owner: Option<OwnerRef>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ApiResult<Connection<AuditEntry>> {
        let caller = logged_in(ctx, "read the audit log")?;
        let owner = match &owner {
            Some(owner) => Some(owner.resolve(ctx, None).await?.id),
            None => None,
        };
        if !caller.grants.may_read_audit_log(owner) {
            return Err(ApiError::Forbidden(
                "the audit log is read by national admins, and by an owner's admins for their own owner"
                    .into(),
            ));
        }
        let page = paging::page(after, before, first, last)?;
        let records = store(ctx).audit_log_page(owner, &page).await?;
        Ok(paging::connection(
            records,
            &page,
            |record| record.id,
            AuditEntry,
        ))
    }
}

/// What an audit record says the request did.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// Read restricted data of the record's unit or owner.
    Read,
    /// Sent a mutation (recorded before it ran, whether or not it then succeeded).
    Mutation,
}

pub struct AuditEntry(AuditRecord);

/// Én hendelse i revisjonsloggen (one audit record).
#[Object]
impl AuditEntry {
    /// When.
    async fn occurred_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0.occurred_at, 0).unwrap_or_default()
    }

    /// Who: a Feide user id, `client:<id>` for a BI client, or `anonymous`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// A read of restricted data, or a mutation.
    async fn kind(&self) -> AuditKind {
        if self.0.kind == "mutation" {
            AuditKind::Mutation
        } else {
            AuditKind::Read
        }
    }

    /// The operation's name, or `anonymous`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The operation's top-level fields (a fragment spread by its name).
    async fn fields(&self) -> Vec<&str> {
        self.0.fields.split(',').filter(|f| !f.is_empty()).collect()
    }

    /// The owner whose data was read (a unit's owner, for a unit), or, for a mutation, an owner
    /// (or a unit's owner) the caller holds a role in; null for a caller with none.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Owner>> {
        match self.0.owner_id {
            Some(id) => Ok(Some(Owner(load_reference(ctx, OwnerId(id)).await?))),
            None => Ok(None),
        }
    }

    /// The unit whose data was read, or, for a mutation, a unit the caller holds a role in.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Option<Unit>> {
        match self.0.unit_id {
            Some(id) => Ok(Some(Unit(load_reference(ctx, UnitId(id)).await?))),
            None => Ok(None),
        }
    }
}
