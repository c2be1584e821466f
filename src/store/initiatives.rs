//! Tiltak (initiatives) with their progress evaluations (framdrift) and change history.
//!
//! Lists of initiatives are read only through [`super::ScopedReader`]: a unit's initiatives by
//! the unit's and its owner's roles, an owner's own also by the roles of its units; national
//! roles read none. Edits and status changes are guarded like assessments: the `UPDATE` names the
//! revision the caller read, and when it matches no row nothing is written (see
//! [`Store::execute_guarded`]). Every revision writes one history row in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Page, Param, Sql, Store, StoreError, StoreResult, Written, page::PagedQuery};
use crate::domain::{
    Evaluation, EvaluationId, Initiative, InitiativeChange, InitiativeContent, InitiativeId,
    InitiativeStatus, Judgement, OwnerId, Reading, RestrictedScope, SchoolYear, UnitId,
};

/// `parent_id` is renamed: paged lists name the id of the list's parent so (see [`PagedQuery`]).
const INITIATIVE_COLUMNS: &str = "i.id, i.owner_id, i.unit_id, i.parent_id AS parent_initiative, \
    i.status, i.revision, i.content, i.snapshot, i.created_by, i.created_at";

const EVALUATION_COLUMNS: &str = "e.id, e.initiative_id, e.evaluated_on, e.judgement, e.text, \
    e.evaluated_by, e.recorded_at";

const CHANGE_COLUMNS: &str = "c.initiative_id, c.revision, c.fields, c.changed_by, c.changed_at";

#[derive(sqlx::FromRow)]
struct InitiativeRow {
    id: i64,
    owner_id: i64,
    unit_id: Option<i64>,
    parent_initiative: Option<i64>,
    status: String,
    revision: i64,
    content: String,
    snapshot: String,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<InitiativeRow> for Initiative {
    type Error = StoreError;

    fn try_from(row: InitiativeRow) -> StoreResult<Self> {
        Ok(Initiative {
            id: InitiativeId(row.id),
            owner: OwnerId(row.owner_id),
            unit: row.unit_id.map(UnitId),
            parent: row.parent_initiative.map(InitiativeId),
            status: InitiativeStatus::parse(&row.status)?,
            revision: row.revision,
            content: serde_json::from_str(&row.content)?,
            snapshot: serde_json::from_str(&row.snapshot)?,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

fn initiatives_from(rows: Vec<InitiativeRow>) -> StoreResult<Vec<Initiative>> {
    rows.into_iter().map(Initiative::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct EvaluationRow {
    id: i64,
    initiative_id: i64,
    evaluated_on: NaiveDate,
    judgement: String,
    text: String,
    evaluated_by: String,
    recorded_at: DateTime<Utc>,
}

fn evaluations_from(rows: Vec<EvaluationRow>) -> StoreResult<Vec<Evaluation>> {
    rows.into_iter()
        .map(|row| {
            Ok(Evaluation {
                id: EvaluationId(row.id),
                initiative_id: InitiativeId(row.initiative_id),
                date: row.evaluated_on,
                judgement: Judgement::parse(&row.judgement)?,
                text: row.text,
                evaluated_by: row.evaluated_by,
                recorded_at: row.recorded_at,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    initiative_id: i64,
    revision: i64,
    fields: String,
    changed_by: String,
    changed_at: DateTime<Utc>,
}

/// Which initiatives a list shows. `of_units` applies to an owner's lists: its units'
/// initiatives (the owner's overview) instead of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InitiativeFilter {
    pub school_year: Option<SchoolYear>,
    pub status: Option<InitiativeStatus>,
    pub of_units: bool,
}

impl InitiativeFilter {
    /// ` AND` conditions on the initiative `i`, the year and status only.
    fn conditions(&self, sql: &mut Sql) {
        if let Some(year) = self.school_year {
            sql.push(
                " AND i.id IN (SELECT initiative_id FROM initiative_school_years WHERE school_year = ",
            )
            .bind(i64::from(year.start_year()))
            .push(")");
        }
        if let Some(status) = self.status {
            sql.push(" AND i.status = ").bind(status.as_str());
        }
    }
}

/// The filter of an initiative's history: none. A type of its own keeps the history's loader
/// apart from the evaluations'.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct WholeHistory;

/// A new initiative, checked: what its creator wrote, with the readings they saw.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInitiative {
    pub owner: OwnerId,
    pub unit: Option<UnitId>,
    pub parent: Option<InitiativeId>,
    pub content: InitiativeContent,
    pub snapshot: Vec<Reading>,
    pub created_by: String,
}

/// Restricts initiatives `i` to those `scope` may read: its units' and their owners' own, and
/// every one of its owners'. Default deny: national roles and anonymous callers read none.
fn readable_initiatives(sql: &mut Sql, scope: &RestrictedScope) {
    sql.push(" AND (1 = 0");
    if !scope.units.is_empty() {
        let units: Vec<i64> = scope.units.iter().map(|unit| unit.0).collect();
        sql.push(" OR i.unit_id IN ")
            .bind_list(units.iter().copied())
            .push(
                " OR (i.unit_id IS NULL AND i.owner_id IN (SELECT owner_id FROM units WHERE id IN ",
            )
            .bind_list(units)
            .push("))");
    }
    if !scope.owners.is_empty() {
        sql.push(" OR i.owner_id IN ")
            .bind_list(scope.owners.iter().map(|owner| owner.0));
    }
    sql.push(")");
}

/// The statements that record `initiative`'s school years (after removing the old ones).
fn school_year_statements(initiative: i64, years: &[i32]) -> Vec<Sql> {
    let mut delete = Sql::new("DELETE FROM initiative_school_years WHERE initiative_id = ");
    delete.bind(initiative);
    let mut statements = vec![delete];
    if !years.is_empty() {
        let mut insert =
            Sql::new("INSERT INTO initiative_school_years (initiative_id, school_year) ");
        insert.bind_rows(
            years
                .iter()
                .map(|year| vec![Param::Int(initiative), Param::Int(i64::from(*year))]),
        );
        statements.push(insert);
    }
    statements
}

/// The history row of `initiative`'s current revision: `fields` (a JSON list) changed.
fn change_statement(initiative: i64, fields: &str, changed_by: &str, now: DateTime<Utc>) -> Sql {
    let mut sql = Sql::new(
        "INSERT INTO initiative_changes (initiative_id, revision, fields, changed_by, changed_at) \
         SELECT id, revision, ",
    );
    sql.bind(fields)
        .push(", ")
        .bind(changed_by)
        .push(", ")
        .bind(now)
        .push(" FROM initiatives WHERE id = ")
        .bind(initiative);
    sql
}

/// The `INSERT ... RETURNING id` of a new initiative, planned, at revision 1.
pub(super) fn insert_initiative(new: &NewInitiative, now: DateTime<Utc>) -> StoreResult<Sql> {
    let mut insert = Sql::new(
        "INSERT INTO initiatives (owner_id, unit_id, parent_id, status, revision, content, \
         snapshot, created_by, created_at) VALUES (",
    );
    insert
        .bind(new.owner.0)
        .push(", ")
        .bind(new.unit.map(|unit| unit.0))
        .push(", ")
        .bind(new.parent.map(|parent| parent.0))
        .push(", ")
        .bind(InitiativeStatus::Planned.as_str())
        .push(", 1, ")
        .bind(serde_json::to_string(&new.content)?)
        .push(", ")
        .bind(serde_json::to_string(&new.snapshot)?)
        .push(", ")
        .bind(new.created_by.as_str())
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    Ok(insert)
}

/// What follows the `INSERT` of `new` once its id is known, in the same transaction: its school
/// years and its first history row.
pub(super) fn initiative_created(
    new: &NewInitiative,
    now: DateTime<Utc>,
) -> StoreResult<impl FnOnce(i64) -> Vec<Sql> + '_> {
    let fields = serde_json::to_string(&["created"])?;
    Ok(move |id| {
        let mut statements = school_year_statements(id, &new.content.school_years);
        statements.push(change_statement(id, &fields, &new.created_by, now));
        statements
    })
}

impl Store {
    /// One page of readable initiatives for each parent, in one statement: `parent` is the column
    /// the list is of, `only` a constant condition on top of the filter.
    async fn initiatives_under(
        &self,
        scope: &RestrictedScope,
        parent: &'static str,
        only: &str,
        parents: impl IntoIterator<Item = i64>,
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<i64, Vec<Initiative>>> {
        let mut conditions = Sql::new(only);
        conditions
            .push(&format!(" AND {parent} IN "))
            .bind_list(parents);
        readable_initiatives(&mut conditions, scope);
        filter.conditions(&mut conditions);
        let query = PagedQuery {
            columns: INITIATIVE_COLUMNS,
            from: "initiatives i",
            conditions,
            id: "i.id",
            parent: Some(parent),
        };
        self.fetch_children::<InitiativeRow>(query.build(page))
            .await?
            .into_iter()
            .map(|(parent, rows)| Ok((parent, initiatives_from(rows)?)))
            .collect()
    }

    /// One page of each unit's readable initiatives.
    pub(super) async fn initiatives_of_units(
        &self,
        scope: &RestrictedScope,
        units: &[UnitId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<UnitId, Vec<Initiative>>> {
        let found = self
            .initiatives_under(
                scope,
                "i.unit_id",
                "",
                units.iter().map(|u| u.0),
                filter,
                page,
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|(id, list)| (UnitId(id), list))
            .collect())
    }

    /// One page of each owner's readable initiatives: its own, or with `filter.of_units` its
    /// units'.
    pub(super) async fn initiatives_of_owners(
        &self,
        scope: &RestrictedScope,
        owners: &[OwnerId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<OwnerId, Vec<Initiative>>> {
        let only = if filter.of_units {
            " AND i.unit_id IS NOT NULL"
        } else {
            " AND i.unit_id IS NULL"
        };
        let found = self
            .initiatives_under(
                scope,
                "i.owner_id",
                only,
                owners.iter().map(|o| o.0),
                filter,
                page,
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|(id, list)| (OwnerId(id), list))
            .collect())
    }

    /// One page of each owner initiative's readable child initiatives (at its units).
    pub(super) async fn children_of_initiatives(
        &self,
        scope: &RestrictedScope,
        parents: &[InitiativeId],
        filter: &InitiativeFilter,
        page: &Page,
    ) -> StoreResult<HashMap<InitiativeId, Vec<Initiative>>> {
        let found = self
            .initiatives_under(
                scope,
                "i.parent_id",
                "",
                parents.iter().map(|p| p.0),
                filter,
                page,
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|(id, list)| (InitiativeId(id), list))
            .collect())
    }

    /// The initiatives with these ids that `scope` may read.
    pub(super) async fn readable_initiatives_by_ids(
        &self,
        scope: &RestrictedScope,
        ids: &[InitiativeId],
    ) -> StoreResult<Vec<Initiative>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(INITIATIVE_COLUMNS)
            .push(" FROM initiatives i WHERE i.id IN ")
            .bind_list(ids.iter().map(|id| id.0));
        readable_initiatives(&mut sql, scope);
        initiatives_from(self.fetch_all(sql).await?)
    }

    /// The initiative with this id, whoever may read it: for writes, which check their own rule
    /// (`Grants::may_plan_initiative`) on it.
    pub async fn initiative(&self, id: InitiativeId) -> StoreResult<Option<Initiative>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(INITIATIVE_COLUMNS)
            .push(" FROM initiatives i WHERE i.id = ")
            .bind(id.0);
        Ok(initiatives_from(self.fetch_all(sql).await?)?.pop())
    }

    /// One page of each initiative's evaluations, oldest first.
    pub async fn evaluations_of_initiatives(
        &self,
        initiatives: &[InitiativeId],
        _filter: &(),
        page: &Page,
    ) -> StoreResult<HashMap<InitiativeId, Vec<Evaluation>>> {
        let mut conditions = Sql::new(" AND e.initiative_id IN ");
        conditions.bind_list(initiatives.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: EVALUATION_COLUMNS,
            from: "initiative_evaluations e",
            conditions,
            id: "e.id",
            parent: Some("e.initiative_id"),
        };
        self.fetch_children::<EvaluationRow>(query.build(page))
            .await?
            .into_iter()
            .map(|(parent, rows)| Ok((InitiativeId(parent), evaluations_from(rows)?)))
            .collect()
    }

    /// The latest evaluation (by date, then by when it was recorded) of each initiative that has
    /// one, in one statement.
    pub async fn latest_evaluations(
        &self,
        initiatives: &[InitiativeId],
    ) -> StoreResult<HashMap<InitiativeId, Evaluation>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(EVALUATION_COLUMNS)
            .push(
                " FROM initiative_evaluations e WHERE e.id = (SELECT l.id FROM \
                 initiative_evaluations l WHERE l.initiative_id = e.initiative_id \
                 ORDER BY l.evaluated_on DESC, l.id DESC LIMIT 1) AND e.initiative_id IN ",
            )
            .bind_list(initiatives.iter().map(|id| id.0));
        Ok(evaluations_from(self.fetch_all(sql).await?)?
            .into_iter()
            .map(|evaluation| (evaluation.initiative_id, evaluation))
            .collect())
    }

    /// One page of each initiative's history, oldest revision first.
    pub async fn changes_of_initiatives(
        &self,
        initiatives: &[InitiativeId],
        _filter: &WholeHistory,
        page: &Page,
    ) -> StoreResult<HashMap<InitiativeId, Vec<InitiativeChange>>> {
        let mut conditions = Sql::new(" AND c.initiative_id IN ");
        conditions.bind_list(initiatives.iter().map(|id| id.0));
        let query = PagedQuery {
            columns: CHANGE_COLUMNS,
            from: "initiative_changes c",
            conditions,
            // Revisions are numbered per initiative: the cursor is the revision number.
            id: "c.revision",
            parent: Some("c.initiative_id"),
        };
        self.fetch_children::<ChangeRow>(query.build(page))
            .await?
            .into_iter()
            .map(|(parent, rows)| {
                let changes = rows
                    .into_iter()
                    .map(|row| {
                        Ok(InitiativeChange {
                            initiative_id: InitiativeId(row.initiative_id),
                            revision: row.revision,
                            fields: serde_json::from_str(&row.fields)?,
                            changed_by: row.changed_by,
                            changed_at: row.changed_at,
                        })
                    })
                    .collect::<StoreResult<_>>()?;
                Ok((InitiativeId(parent), changes))
            })
            .collect()
    }

    /// Creates an initiative, planned, at revision 1, with its first history row; answers its id.
    pub async fn create_initiative(
        &self,
        new: &NewInitiative,
        now: DateTime<Utc>,
    ) -> StoreResult<InitiativeId> {
        let insert = insert_initiative(new, now)?;
        let then = initiative_created(new, now)?;
        Ok(InitiativeId(self.insert_then(insert, then).await?))
    }

    /// Replaces an initiative's content as its next revision, recording `fields` as what changed;
    /// `Stale` (nothing written) when it is no longer at `expected_revision`.
    pub async fn edit_initiative(
        &self,
        initiative: InitiativeId,
        expected_revision: i64,
        content: &InitiativeContent,
        fields: &[&str],
        changed_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut update = Sql::new("UPDATE initiatives SET revision = revision + 1, content = ");
        update
            .bind(serde_json::to_string(content)?)
            .push(" WHERE id = ")
            .bind(initiative.0)
            .push(" AND revision = ")
            .bind(expected_revision);
        let mut statements = vec![update];
        statements.extend(school_year_statements(initiative.0, &content.school_years));
        let fields = serde_json::to_string(fields)?;
        statements.push(change_statement(initiative.0, &fields, changed_by, now));
        self.execute_guarded(statements, 0).await
    }

    /// Moves an initiative from `from` to `to` as its next revision; `Stale` (nothing written)
    /// when it is no longer at `expected_revision` in status `from`.
    pub async fn change_initiative_status(
        &self,
        initiative: InitiativeId,
        expected_revision: i64,
        from: InitiativeStatus,
        to: InitiativeStatus,
        changed_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut update = Sql::new("UPDATE initiatives SET revision = revision + 1, status = ");
        update
            .bind(to.as_str())
            .push(" WHERE id = ")
            .bind(initiative.0)
            .push(" AND revision = ")
            .bind(expected_revision)
            .push(" AND status = ")
            .bind(from.as_str());
        let fields = serde_json::to_string(&["status"])?;
        let change = change_statement(initiative.0, &fields, changed_by, now);
        self.execute_guarded(vec![update, change], 0).await
    }

    /// Records a progress evaluation of an initiative.
    pub async fn add_evaluation(
        &self,
        initiative: InitiativeId,
        date: NaiveDate,
        judgement: Judgement,
        text: &str,
        evaluated_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO initiative_evaluations (initiative_id, evaluated_on, judgement, text, \
             evaluated_by, recorded_at) VALUES (",
        );
        sql.bind(initiative.0)
            .push(", ")
            .bind(date)
            .push(", ")
            .bind(judgement.as_str())
            .push(", ")
            .bind(text)
            .push(", ")
            .bind(evaluated_by)
            .push(", ")
            .bind(now)
            .push(")");
        self.execute_in_transaction(vec![sql]).await
    }
}
