//! The audit log: who read which unit's restricted data and who sent which mutation, when, by
//! which operation and fields. It never holds the values themselves.

use super::{Page, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{OwnerId, RestrictedScope, UnitId};

/// One request as the audit log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who asked: a Feide user id, `client:<id>`, or `anonymous`.
    pub actor: String,
    /// The operation's name, or `anonymous`.
    pub operation: String,
    /// The operation's top-level fields, comma-separated.
    pub fields: String,
    /// Unix seconds.
    pub at: i64,
    /// When set, rows older than this (Unix seconds) are deleted with this write.
    pub keep_from: Option<i64>,
}

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub occurred_at: i64,
    pub actor: String,
    /// `read` or `mutation`.
    pub kind: String,
    pub operation: String,
    pub fields: String,
    pub owner_id: Option<i64>,
    pub unit_id: Option<i64>,
}

const AUDIT_COLUMNS: &str = "audit_log.id, audit_log.occurred_at, audit_log.actor, audit_log.kind, \
    audit_log.operation, audit_log.fields, audit_log.owner_id, audit_log.unit_id";

impl Store {
    /// Records that `event` read data of `units` and of `owners` themselves: one row for each
    /// whose restricted data `scope` may read (a unit in its scope or of an owner in it; an owner
    /// in it). Rows past retention are deleted in the same transaction.
    pub async fn record_reads(
        &self,
        event: &AuditEvent,
        units: &[UnitId],
        owners: &[OwnerId],
        scope: &RestrictedScope,
    ) -> StoreResult<()> {
        let mut statements = subject_rows(event, "read", units, owners, Some(scope));
        statements.extend(expired(event));
        self.execute_in_transaction(statements).await
    }

    /// Records that `event` is a mutation by a caller with roles in `units` and `owners` (a row
    /// for each, so that their owners' admins find it; one row without a subject for a caller
    /// with neither), and deletes the rows past retention.
    pub async fn record_mutation(
        &self,
        event: &AuditEvent,
        units: &[UnitId],
        owners: &[OwnerId],
    ) -> StoreResult<()> {
        let mut statements = subject_rows(event, "mutation", units, owners, None);
        if statements.is_empty() {
            let mut sql = audit_insert(event, "mutation");
            sql.push(", NULL, NULL");
            statements.push(sql);
        }
        statements.extend(expired(event));
        self.execute_in_transaction(statements).await
    }

    /// One page of the audit log, newest last: of `owner`'s units and the owner itself, or
    /// every row.
    pub async fn audit_log_page(
        &self,
        owner: Option<OwnerId>,
        page: &Page,
    ) -> StoreResult<Vec<AuditRecord>> {
        let mut conditions = Sql::new("");
        if let Some(owner) = owner {
            conditions.push(" AND audit_log.owner_id = ").bind(owner.0);
        }
        let query = PagedQuery {
            columns: AUDIT_COLUMNS,
            from: "audit_log",
            conditions,
            id: "audit_log.id",
            parent: None,
        };
        self.fetch_all(query.build(page)).await
    }
}

/// The statements that insert a row of `kind` for each of `units` (with its owner) and each of
/// `owners`, only those `scope` may read restricted data of when given.
fn subject_rows(
    event: &AuditEvent,
    kind: &str,
    units: &[UnitId],
    owners: &[OwnerId],
    scope: Option<&RestrictedScope>,
) -> Vec<Sql> {
    let mut statements = Vec::new();
    if !units.is_empty() {
        let mut sql = audit_insert(event, kind);
        sql.push(", u.owner_id, u.id FROM units u WHERE u.id IN ")
            .bind_list(units.iter().map(|unit| unit.0));
        if let Some(scope) = scope {
            sql.push(" AND (u.id IN ")
                .bind_list(scope.units.iter().map(|unit| unit.0))
                .push(" OR u.owner_id IN ")
                .bind_list(scope.owners.iter().map(|owner| owner.0))
                .push(")");
        }
        statements.push(sql);
    }
    if !owners.is_empty() {
        let mut sql = audit_insert(event, kind);
        sql.push(", o.id, NULL FROM owners o WHERE o.id IN ")
            .bind_list(owners.iter().map(|owner| owner.0));
        if let Some(scope) = scope {
            sql.push(" AND o.id IN ")
                .bind_list(scope.owners.iter().map(|owner| owner.0));
        }
        statements.push(sql);
    }
    statements
}

/// `INSERT ... SELECT` of `event`'s columns, to be followed by the subject's two columns.
fn audit_insert(event: &AuditEvent, kind: &str) -> Sql {
    let mut sql = Sql::new(
        "INSERT INTO audit_log (occurred_at, actor, kind, operation, fields, owner_id, unit_id) \
         SELECT ",
    );
    sql.bind(event.at)
        .push(", ")
        .bind(event.actor.as_str())
        .push(", ")
        .bind(kind)
        .push(", ")
        .bind(event.operation.as_str())
        .push(", ")
        .bind(event.fields.as_str());
    sql
}

/// Deletes the rows older than `event.keep_from`, when it is set.
fn expired(event: &AuditEvent) -> Option<Sql> {
    let keep_from = event.keep_from?;
    let mut sql = Sql::new("DELETE FROM audit_log WHERE occurred_at < ");
    sql.bind(keep_from);
    Some(sql)
}
