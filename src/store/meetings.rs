//! Prosesser (processes) of lærende møter (learning meetings), their meetings, participants,
//! images and minutes, and the addresses people want invitations mailed to.
//!
//! Who reads what is decided here, in SQL, by [`MeetingReader`]: national example processes are
//! open to everyone; a process's planners (owner admins for the owner's and its units' processes,
//! unit leaders for their unit's) read all of it; a participant (named by Feide user id, or
//! holding a staff or leader role of a unit invited whole) reads the meetings they are invited
//! to, and the process they belong to. Everything else is denied.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    AssertSqlSafe, Backend, NewInitiative, Page, Param, Sql, Store, StoreError, StoreResult,
    Written,
    initiatives::{initiative_created, insert_initiative},
    page::PagedQuery,
};
use crate::domain::{
    Grants, Meeting, MeetingContent, MeetingId, MeetingStatus, Minutes, OwnerId, Participant,
    Process, ProcessId, Role, SchoolYear, UnitId,
};

/// Whose meetings a caller may read, from its Feide user id and roles: a filter applied in SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MeetingReader {
    pub feide_user_id: Option<String>,
    /// Owners whose (and whose units') processes the caller plans: owner admins.
    pub planner_owners: Vec<OwnerId>,
    /// Units whose processes the caller plans: unit leaders.
    pub planner_units: Vec<UnitId>,
    /// Units whose staff the caller belongs to (unit staff and leaders).
    pub staff_units: Vec<UnitId>,
}

impl MeetingReader {
    pub fn new(feide_user_id: Option<String>, grants: &Grants) -> Self {
        let mut reader = Self {
            feide_user_id,
            ..Self::default()
        };
        for role in &grants.roles {
            match *role {
                Role::OwnerAdmin(owner) => reader.planner_owners.push(owner),
                Role::UnitLeader(unit) => {
                    reader.planner_units.push(unit);
                    reader.staff_units.push(unit);
                }
                Role::UnitStaff(unit) => reader.staff_units.push(unit),
                _ => {}
            }
        }
        for list in [&mut reader.planner_units, &mut reader.staff_units] {
            list.sort();
            list.dedup();
        }
        reader.planner_owners.sort();
        reader.planner_owners.dedup();
        reader
    }

    /// ` OR` conditions: the process `p` is the caller's to plan.
    fn plans(&self, sql: &mut Sql) {
        sql.push(" OR p.owner_id IN ")
            .bind_list(self.planner_owners.iter().map(|o| o.0))
            .push(" OR p.unit_id IN ")
            .bind_list(self.planner_units.iter().map(|u| u.0));
    }

    /// A condition: the meeting `meeting_column` invites the caller.
    fn invited(&self, sql: &mut Sql, meeting_column: &str) {
        sql.push(&format!(
            "{meeting_column} IN (SELECT meeting_id FROM meeting_participants WHERE unit_id IN "
        ))
        .bind_list(self.staff_units.iter().map(|u| u.0));
        if let Some(person) = &self.feide_user_id {
            sql.push(" OR feide_user_id = ").bind(person.as_str());
        }
        sql.push(")");
    }

    /// ` AND` condition: the meeting `m` of process `p` is readable.
    fn readable_meetings(&self, sql: &mut Sql) {
        sql.push(" AND (p.owner_id IS NULL");
        self.plans(sql);
        sql.push(" OR ");
        self.invited(sql, "m.id");
        sql.push(")");
    }

    /// ` AND` condition: the process `p` is readable.
    fn readable_processes(&self, sql: &mut Sql) {
        sql.push(" AND (p.owner_id IS NULL");
        self.plans(sql);
        sql.push(" OR p.id IN (SELECT process_id FROM meetings WHERE ");
        self.invited(sql, "id");
        sql.push("))");
    }
}

/// Which processes a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProcessFilter {
    pub owner: Option<OwnerId>,
    pub school_year: Option<SchoolYear>,
    /// Only the national examples (true), only owners' own (false), or both.
    pub examples: Option<bool>,
}

/// An uploaded image of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MeetingImage {
    pub meeting_id: i64,
    pub number: i64,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

const PROCESS_COLUMNS: &str = "p.id, p.owner_id, p.unit_id, p.school_year, p.title, \
    p.description, p.copied_from, p.created_by, p.created_at";

const MEETING_COLUMNS: &str = "m.id, m.process_id, m.uid, m.status, m.revision, m.ics_sequence, \
    m.content, m.snapshot, m.sent_at, m.sent_by, m.minutes, m.created_by, m.created_at";

#[derive(sqlx::FromRow)]
struct ProcessRow {
    id: i64,
    owner_id: Option<i64>,
    unit_id: Option<i64>,
    school_year: Option<i64>,
    title: String,
    description: String,
    copied_from: Option<i64>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<ProcessRow> for Process {
    type Error = StoreError;

    fn try_from(row: ProcessRow) -> StoreResult<Self> {
        Ok(Process {
            id: ProcessId(row.id),
            owner: row.owner_id.map(OwnerId),
            unit: row.unit_id.map(UnitId),
            school_year: row.school_year.map(SchoolYear::try_from).transpose()?,
            title: row.title,
            description: row.description,
            copied_from: row.copied_from.map(ProcessId),
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: i64,
    process_id: i64,
    uid: String,
    status: String,
    revision: i64,
    ics_sequence: i64,
    content: String,
    snapshot: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    sent_by: Option<String>,
    minutes: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<MeetingRow> for Meeting {
    type Error = StoreError;

    fn try_from(row: MeetingRow) -> StoreResult<Self> {
        Ok(Meeting {
            id: MeetingId(row.id),
            process: ProcessId(row.process_id),
            uid: row.uid,
            status: MeetingStatus::parse(&row.status)?,
            revision: row.revision,
            sequence: row.ics_sequence,
            content: serde_json::from_str(&row.content)?,
            snapshot: row
                .snapshot
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?,
            sent_at: row.sent_at,
            sent_by: row.sent_by,
            minutes: row
                .minutes
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// A fresh iCalendar UID: random, so that it says nothing and is never reused.
fn new_uid() -> String {
    format!("{}@varde", crate::auth::random_token())
}

/// The statements that replace `meeting`'s participant rows with those of `content`.
fn participant_statements(meeting: i64, content: &MeetingContent) -> Vec<Sql> {
    let mut delete = Sql::new("DELETE FROM meeting_participants WHERE meeting_id = ");
    delete.bind(meeting);
    let mut statements = vec![delete];
    if !content.participants.is_empty() {
        let mut insert =
            Sql::new("INSERT INTO meeting_participants (meeting_id, feide_user_id, unit_id) ");
        insert.bind_rows(content.participants.iter().map(|p| match p {
            Participant::Person(id) => vec![
                Param::Int(meeting),
                Param::OptionalText(Some(id.clone())),
                Param::OptionalInt(None),
            ],
            Participant::StaffOf(unit) => vec![
                Param::Int(meeting),
                Param::OptionalText(None),
                Param::OptionalInt(Some(*unit)),
            ],
        }));
        statements.push(insert);
    }
    statements
}

/// The `INSERT` of a new planned meeting of `process`.
fn insert_meeting(process: i64, content: &str, by: &str, now: DateTime<Utc>) -> Sql {
    let mut sql = Sql::new(
        "INSERT INTO meetings (process_id, uid, status, revision, ics_sequence, content, \
         created_by, created_at) VALUES (",
    );
    sql.bind(process)
        .push(", ")
        .bind(new_uid())
        .push(", 'planned', 1, 0, ")
        .bind(content)
        .push(", ")
        .bind(by)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    sql
}

impl Store {
    /// One process by id, whoever may read it (the caller checks).
    pub async fn process(&self, id: ProcessId) -> StoreResult<Option<Process>> {
        let mut sql = Sql::new(&format!(
            "SELECT {PROCESS_COLUMNS} FROM meeting_processes p WHERE p.id = "
        ));
        sql.bind(id.0);
        self.fetch_optional::<ProcessRow>(sql)
            .await?
            .map(Process::try_from)
            .transpose()
    }

    /// One page of the processes `reader` may read.
    pub async fn processes(
        &self,
        reader: &MeetingReader,
        filter: &ProcessFilter,
        page: &Page,
    ) -> StoreResult<Vec<Process>> {
        let mut conditions = Sql::default();
        reader.readable_processes(&mut conditions);
        if let Some(owner) = filter.owner {
            conditions.push(" AND p.owner_id = ").bind(owner.0);
        }
        if let Some(year) = filter.school_year {
            conditions
                .push(" AND p.school_year = ")
                .bind(i64::from(year.start_year()));
        }
        match filter.examples {
            Some(true) => {
                conditions.push(" AND p.owner_id IS NULL");
            }
            Some(false) => {
                conditions.push(" AND p.owner_id IS NOT NULL");
            }
            None => {}
        }
        let query = PagedQuery {
            columns: PROCESS_COLUMNS,
            from: "meeting_processes p",
            conditions,
            id: "p.id",
            parent: None,
        };
        self.fetch_all::<ProcessRow>(query.build(page))
            .await?
            .into_iter()
            .map(Process::try_from)
            .collect()
    }

    /// One page of the meetings `reader` may read of each process, in one statement.
    pub async fn meetings_of_processes(
        &self,
        parents: &[ProcessId],
        reader: &MeetingReader,
        page: &Page,
    ) -> StoreResult<HashMap<ProcessId, Vec<Meeting>>> {
        let mut conditions = Sql::new(" AND m.process_id IN ");
        conditions.bind_list(parents.iter().map(|p| p.0));
        reader.readable_meetings(&mut conditions);
        let query = PagedQuery {
            columns: MEETING_COLUMNS,
            from: "meetings m JOIN meeting_processes p ON p.id = m.process_id",
            conditions,
            id: "m.id",
            parent: Some("m.process_id"),
        };
        self.fetch_children::<MeetingRow>(query.build(page))
            .await?
            .into_iter()
            .map(|(parent, rows)| {
                let meetings = rows
                    .into_iter()
                    .map(Meeting::try_from)
                    .collect::<StoreResult<_>>()?;
                Ok((ProcessId(parent), meetings))
            })
            .collect()
    }

    /// One meeting by id, whoever may read it (the caller checks).
    pub async fn meeting(&self, id: MeetingId) -> StoreResult<Option<Meeting>> {
        let mut sql = Sql::new(&format!(
            "SELECT {MEETING_COLUMNS} FROM meetings m WHERE m.id = "
        ));
        sql.bind(id.0);
        self.fetch_optional::<MeetingRow>(sql)
            .await?
            .map(Meeting::try_from)
            .transpose()
    }

    /// Creates a process of `owner` (or its `unit`) for `school_year` (all three none: a
    /// national example); answers its id.
    pub async fn create_process(
        &self,
        (owner, unit, school_year): (Option<OwnerId>, Option<UnitId>, Option<SchoolYear>),
        title: &str,
        description: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ProcessId> {
        let mut sql = Sql::new(
            "INSERT INTO meeting_processes (owner_id, unit_id, school_year, title, description, \
             created_by, created_at) VALUES (",
        );
        sql.bind(owner.map(|o| o.0))
            .push(", ")
            .bind(unit.map(|u| u.0))
            .push(", ")
            .bind(school_year.map(|y| i64::from(y.start_year())))
            .push(", ")
            .bind(title)
            .push(", ")
            .bind(description)
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now)
            .push(") RETURNING id");
        Ok(ProcessId(self.insert_then(sql, |_| Vec::new()).await?))
    }

    /// Copies example process `from` into a new process of `owner` (or its `unit`) for
    /// `school_year`: every meeting with its agenda and images, as new planned meetings with new
    /// UIDs, without times or participants. One transaction. Answers the new process's id.
    pub async fn copy_process(
        &self,
        from: &Process,
        meetings: &[Meeting],
        (owner, unit, school_year): (OwnerId, Option<UnitId>, SchoolYear),
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ProcessId> {
        let mut process = Sql::new(
            "INSERT INTO meeting_processes (owner_id, unit_id, school_year, title, description, \
             copied_from, created_by, created_at) VALUES (",
        );
        process
            .bind(owner.0)
            .push(", ")
            .bind(unit.map(|u| u.0))
            .push(", ")
            .bind(i64::from(school_year.start_year()))
            .push(", ")
            .bind(from.title.as_str())
            .push(", ")
            .bind(from.description.as_str())
            .push(", ")
            .bind(from.id.0)
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now)
            .push(") RETURNING id");
        let mut contents = Vec::with_capacity(meetings.len());
        for meeting in meetings {
            let content = MeetingContent {
                starts_at: None,
                ends_at: None,
                participants: Vec::new(),
                ..meeting.content.clone()
            };
            contents.push((meeting.id.0, serde_json::to_string(&content)?));
        }
        let id = with_pool!(self, pool => {
            let mut transaction = pool.begin().await?;
            let Sql { text, params } = process;
            let (id,): (i64,) = bind_params!(sqlx::query_as(AssertSqlSafe(text)), params)
                .fetch_one(&mut *transaction)
                .await?;
            for (old, content) in &contents {
                let Sql { text, params } = insert_meeting(id, content, by, now);
                let (meeting,): (i64,) = bind_params!(sqlx::query_as(AssertSqlSafe(text)), params)
                    .fetch_one(&mut *transaction)
                    .await?;
                let mut images = Sql::new(
                    "INSERT INTO meeting_images (meeting_id, number, content_type, bytes, \
                     uploaded_by, uploaded_at) SELECT ",
                );
                images
                    .bind(meeting)
                    .push(", number, content_type, bytes, uploaded_by, uploaded_at \
                           FROM meeting_images WHERE meeting_id = ")
                    .bind(*old);
                let Sql { text, params } = images;
                bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
            id
        });
        Ok(ProcessId(id))
    }

    /// Adds a planned meeting to `process`, with its participants; answers its id.
    pub async fn create_meeting(
        &self,
        process: ProcessId,
        content: &MeetingContent,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<MeetingId> {
        let json = serde_json::to_string(content)?;
        let insert = insert_meeting(process.0, &json, by, now);
        let id = self
            .insert_then(insert, |id| participant_statements(id, content))
            .await?;
        Ok(MeetingId(id))
    }

    /// Replaces a meeting's content as its next revision, unless it is no longer at `expected`
    /// or is cancelled.
    pub async fn edit_meeting(
        &self,
        id: MeetingId,
        expected: i64,
        content: &MeetingContent,
    ) -> StoreResult<Written> {
        let mut update = Sql::new("UPDATE meetings SET content = ");
        update
            .bind(serde_json::to_string(content)?)
            .push(", revision = revision + 1 WHERE status <> 'cancelled' AND id = ")
            .bind(id.0)
            .push(" AND revision = ")
            .bind(expected);
        let mut statements = vec![update];
        statements.extend(participant_statements(id.0, content));
        self.execute_guarded(statements, 0).await
    }

    /// Records that the invitation of revision `expected` went out now with this frozen
    /// snapshot: the first sending has SEQUENCE 0, each later one the next.
    pub async fn mark_sent(
        &self,
        id: MeetingId,
        expected: i64,
        snapshot: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut update = Sql::new(
            "UPDATE meetings SET status = 'sent', ics_sequence = CASE WHEN sent_at IS NULL THEN 0 \
             ELSE ics_sequence + 1 END, snapshot = ",
        );
        update
            .bind(snapshot)
            .push(", sent_at = ")
            .bind(now)
            .push(", sent_by = ")
            .bind(by)
            .push(" WHERE status <> 'cancelled' AND id = ")
            .bind(id.0)
            .push(" AND revision = ")
            .bind(expected);
        self.execute_guarded(vec![update], 0).await
    }

    /// Cancels a meeting: its next SEQUENCE withdraws the calendar entry.
    pub async fn cancel_meeting(&self, id: MeetingId, expected: i64) -> StoreResult<Written> {
        let mut update = Sql::new(
            "UPDATE meetings SET status = 'cancelled', ics_sequence = ics_sequence + 1, \
             revision = revision + 1 WHERE status <> 'cancelled' AND id = ",
        );
        update.bind(id.0).push(" AND revision = ").bind(expected);
        self.execute_guarded(vec![update], 0).await
    }

    /// Records a meeting's minutes (replacing earlier ones) as its next revision, with the
    /// initiatives its decisions create: `created` pairs a decision's index with its new
    /// initiative (each with its school years and first history row, like
    /// [`Store::create_initiative`]), linked from the decision. One transaction: when the meeting
    /// is no longer at `expected`, nothing is written, no initiative either.
    pub async fn record_minutes(
        &self,
        id: MeetingId,
        expected: i64,
        minutes: &Minutes,
        created: &[(usize, NewInitiative)],
        now: DateTime<Utc>,
    ) -> StoreResult<Written> {
        let mut minutes = minutes.clone();
        let mut creations = Vec::with_capacity(created.len());
        for (index, new) in created {
            creations.push((
                *index,
                insert_initiative(new, now)?,
                initiative_created(new, now)?,
            ));
        }
        let written = with_pool!(self, pool => {
            let mut transaction = pool.begin().await?;
            for (index, insert, then) in creations {
                let Sql { text, params } = insert;
                let (initiative,): (i64,) =
                    bind_params!(sqlx::query_as(AssertSqlSafe(text)), params)
                        .fetch_one(&mut *transaction)
                        .await?;
                for Sql { text, params } in then(initiative) {
                    bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                        .execute(&mut *transaction)
                        .await?;
                }
                if let Some(decision) = minutes.decisions.get_mut(index) {
                    decision.initiative = Some(initiative);
                }
            }
            let mut update = Sql::new("UPDATE meetings SET minutes = ");
            update
                .bind(serde_json::to_string(&minutes)?)
                .push(", revision = revision + 1 WHERE id = ")
                .bind(id.0)
                .push(" AND revision = ")
                .bind(expected);
            let Sql { text, params } = update;
            let done = bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                .execute(&mut *transaction)
                .await?;
            if done.rows_affected() == 0 {
                transaction.rollback().await?;
                Written::Stale
            } else {
                transaction.commit().await?;
                Written::Done
            }
        });
        Ok(written)
    }

    /// Stores an image of a meeting under the next free number; answers the number.
    pub async fn add_meeting_image(
        &self,
        meeting: MeetingId,
        content_type: &str,
        bytes: Vec<u8>,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut sql = Sql::new(
            "INSERT INTO meeting_images (meeting_id, number, content_type, bytes, uploaded_by, \
             uploaded_at) SELECT ",
        );
        sql.bind(meeting.0)
            .push(", COALESCE(MAX(number), 0) + 1, ")
            .bind(content_type)
            .push(", ")
            .bind(bytes)
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now)
            .push(" FROM meeting_images WHERE meeting_id = ")
            .bind(meeting.0)
            .push(" RETURNING number");
        self.insert_then(sql, |_| Vec::new()).await
    }

    /// The images of the meetings, by meeting id, in number order.
    pub async fn images_of_meetings(
        &self,
        meetings: &[MeetingId],
    ) -> StoreResult<HashMap<MeetingId, Vec<MeetingImage>>> {
        let mut sql = Sql::new(
            "SELECT meeting_id, number, content_type, bytes FROM meeting_images \
             WHERE meeting_id IN ",
        );
        sql.bind_list(meetings.iter().map(|m| m.0))
            .push(" ORDER BY meeting_id, number");
        let mut found: HashMap<MeetingId, Vec<MeetingImage>> = HashMap::new();
        for image in self.fetch_all::<MeetingImage>(sql).await? {
            found
                .entry(MeetingId(image.meeting_id))
                .or_default()
                .push(image);
        }
        Ok(found)
    }

    /// Which of these Feide user ids Varde knows: a user who has logged in, or one who holds a
    /// role.
    pub async fn known_people(&self, people: &[String]) -> StoreResult<Vec<String>> {
        let mut sql = Sql::new("SELECT feide_user_id FROM users WHERE feide_user_id IN ");
        sql.bind_list(people.iter().map(String::as_str))
            .push(" UNION SELECT feide_user_id FROM role_assignments WHERE feide_user_id IN ")
            .bind_list(people.iter().map(String::as_str));
        let rows: Vec<(String,)> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The staff (unit staff and leaders) of each unit, by Feide user id, each once per unit.
    pub async fn staff_of_units(
        &self,
        units: &[UnitId],
    ) -> StoreResult<HashMap<UnitId, Vec<String>>> {
        let mut sql = Sql::new(
            "SELECT DISTINCT unit_id, feide_user_id FROM role_assignments \
             WHERE role IN ('unit_staff', 'unit_leader') AND unit_id IN ",
        );
        sql.bind_list(units.iter().map(|u| u.0))
            .push(" ORDER BY unit_id, feide_user_id");
        let rows: Vec<(i64, String)> = self.fetch_all(sql).await?;
        let mut staff: HashMap<UnitId, Vec<String>> = HashMap::new();
        for (unit, person) in rows {
            staff.entry(UnitId(unit)).or_default().push(person);
        }
        Ok(staff)
    }

    /// The invitation addresses of those of these people who gave one.
    pub async fn invitation_addresses(
        &self,
        people: &[String],
    ) -> StoreResult<HashMap<String, String>> {
        let mut sql = Sql::new(
            "SELECT feide_user_id, email FROM invitation_addresses WHERE feide_user_id IN ",
        );
        sql.bind_list(people.iter().map(String::as_str));
        let rows: Vec<(String, String)> = self.fetch_all(sql).await?;
        Ok(rows.into_iter().collect())
    }

    /// Sets (or replaces) where `person` wants invitations mailed.
    pub async fn set_invitation_address(
        &self,
        person: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut delete = Sql::new("DELETE FROM invitation_addresses WHERE feide_user_id = ");
        delete.bind(person);
        let mut insert =
            Sql::new("INSERT INTO invitation_addresses (feide_user_id, email, set_at) VALUES (");
        insert
            .bind(person)
            .push(", ")
            .bind(email)
            .push(", ")
            .bind(now)
            .push(")");
        self.execute_in_transaction(vec![delete, insert]).await
    }
}
