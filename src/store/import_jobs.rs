//! Import jobs (issue 17): uploads over HTTP run in the background, and their state and counts
//! are kept here so that every process answers about every job.

use chrono::{DateTime, Utc};

use super::{Page, Param, Sql, Store, StoreResult, page::PagedQuery};
use crate::domain::{ImportJob, JobProblem, JobState};

/// A job to create: what was uploaded, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImportJob {
    pub source: String,
    pub file_name: String,
    pub dry_run: bool,
    pub bytes_total: Option<u64>,
    pub created_by: String,
}

/// A job's counts: while it runs (bytes, records and rejections), and when it ends (the rest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub bytes_read: u64,
    pub records_read: u64,
    pub rejected: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub skipped: u64,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub state: JobState,
    pub counts: JobCounts,
    pub checksum: Option<String>,
    pub problems: Vec<JobProblem>,
    pub error: Option<String>,
}

const JOB_COLUMNS: &str = "id, source, file_name, dry_run, state, bytes_total, bytes_read, \
    records_read, rejected, inserted, updated, unchanged, duplicates, skipped, checksum, problems, \
    error, created_by, created_at, started_at, finished_at, heartbeat_at";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    source: String,
    file_name: String,
    dry_run: bool,
    state: String,
    bytes_total: Option<i64>,
    bytes_read: i64,
    records_read: i64,
    rejected: i64,
    inserted: i64,
    updated: i64,
    unchanged: i64,
    duplicates: i64,
    skipped: i64,
    checksum: Option<String>,
    problems: Option<String>,
    error: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    heartbeat_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for ImportJob {
    type Error = super::StoreError;

    fn try_from(row: JobRow) -> Result<Self, Self::Error> {
        let problems = match row.problems {
            Some(text) => serde_json::from_str(&text)?,
            None => Vec::new(),
        };
        Ok(ImportJob {
            id: row.id,
            source: row.source,
            file_name: row.file_name,
            dry_run: row.dry_run,
            state: JobState::parse(&row.state)?,
            bytes_total: row.bytes_total,
            bytes_read: row.bytes_read,
            records_read: row.records_read,
            rejected: row.rejected,
            inserted: row.inserted,
            updated: row.updated,
            unchanged: row.unchanged,
            duplicates: row.duplicates,
            skipped: row.skipped,
            checksum: row.checksum,
            problems,
            error: row.error,
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            heartbeat_at: row.heartbeat_at,
        }
        .as_seen_at(Utc::now()))
    }
}

/// Appends `, column = count` for each count.
fn set_counts(sql: &mut Sql, counts: &[(&str, u64)]) {
    for (column, value) in counts {
        sql.push(", ")
            .push(column)
            .push(" = ")
            .bind(Param::Int(i64::try_from(*value).unwrap_or(i64::MAX)));
    }
}

impl JobCounts {
    /// The counts a running job knows, by column.
    fn running(&self) -> [(&'static str, u64); 3] {
        [
            ("bytes_read", self.bytes_read),
            ("records_read", self.records_read),
            ("rejected", self.rejected),
        ]
    }

    /// Every count, by column.
    fn all(&self) -> Vec<(&'static str, u64)> {
        let mut all = self.running().to_vec();
        all.extend([
            ("inserted", self.inserted),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("duplicates", self.duplicates),
            ("skipped", self.skipped),
        ]);
        all
    }
}

impl Store {
    /// Records a new job, queued, and returns its id.
    pub async fn create_import_job(&self, job: &NewImportJob) -> StoreResult<i64> {
        let now = Utc::now();
        let mut sql = Sql::new(
            "INSERT INTO import_jobs (source, file_name, dry_run, state, bytes_total, created_by, \
             created_at, heartbeat_at) ",
        );
        sql.bind_rows([vec![
            Param::from(job.source.as_str()),
            Param::from(job.file_name.as_str()),
            Param::Bool(job.dry_run),
            Param::from(JobState::Queued.as_str()),
            Param::OptionalInt(
                job.bytes_total
                    .map(|bytes| i64::try_from(bytes).unwrap_or(0)),
            ),
            Param::from(job.created_by.as_str()),
            Param::Time(now),
            Param::Time(now),
        ]])
        .push(" RETURNING id");
        let (id,): (i64,) = self.fetch_one(sql).await?;
        Ok(id)
    }

    /// Marks a queued job running.
    pub async fn start_import_job(&self, id: i64) -> StoreResult<()> {
        let now = Utc::now();
        let mut sql = Sql::new("UPDATE import_jobs SET state = ");
        sql.bind(JobState::Running.as_str())
            .push(", started_at = ")
            .bind(now)
            .push(", heartbeat_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        self.execute_in_transaction(vec![sql]).await
    }

    /// Renews the heartbeat of a job this process holds, with its counts so far when given.
    pub async fn beat_import_job(&self, id: i64, progress: Option<JobCounts>) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE import_jobs SET heartbeat_at = ");
        sql.bind(Utc::now());
        if let Some(progress) = progress {
            set_counts(&mut sql, &progress.running());
        }
        sql.push(" WHERE state IN ('queued', 'running') AND id = ")
            .bind(id);
        self.execute_in_transaction(vec![sql]).await
    }

    /// Records how a job ended.
    pub async fn finish_import_job(&self, id: i64, end: &JobEnd) -> StoreResult<()> {
        let now = Utc::now();
        let problems = if end.problems.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&end.problems)?)
        };
        let mut sql = Sql::new("UPDATE import_jobs SET state = ");
        sql.bind(end.state.as_str());
        set_counts(&mut sql, &end.counts.all());
        sql.push(", checksum = ")
            .bind(end.checksum.as_deref())
            .push(", problems = ")
            .bind(Param::OptionalText(problems))
            .push(", error = ")
            .bind(end.error.as_deref())
            .push(", finished_at = ")
            .bind(now)
            .push(", heartbeat_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        self.execute_in_transaction(vec![sql]).await
    }

    /// One job, as it stands now (see [`ImportJob::as_seen_at`]).
    pub async fn import_job(&self, id: i64) -> StoreResult<Option<ImportJob>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(JOB_COLUMNS)
            .push(" FROM import_jobs WHERE id = ")
            .bind(id);
        self.fetch_optional::<JobRow>(sql)
            .await?
            .map(ImportJob::try_from)
            .transpose()
    }

    /// One page of the jobs, oldest first.
    pub async fn import_jobs_page(&self, page: &Page) -> StoreResult<Vec<ImportJob>> {
        let query = PagedQuery {
            columns: JOB_COLUMNS,
            from: "import_jobs",
            conditions: Sql::default(),
            id: "id",
            parent: None,
        };
        self.fetch_all::<JobRow>(query.build(page))
            .await?
            .into_iter()
            .map(ImportJob::try_from)
            .collect()
    }
}
