//! Storage: one interface over an embedded SQLite file or a PostgreSQL server, chosen once at
//! start-up from the database URL. Every SQL statement of Varde lives in this module; it takes
//! and returns domain types.
//!
//! Concrete pools rather than sqlx's `Any` driver: `Any` carries only basic types. The statement
//! text is shared (see [`Sql`]); only the migrations differ per dialect.

mod audit;
mod auth;
mod catalogue;
mod initiatives;
mod live;
mod owners;
mod page;
mod persisted;
mod quality;
mod scoped;
mod seed;
mod selections;
mod signing;
mod sql;
mod units;
mod values;

use std::{str::FromStr, time::Duration};

use tracing::Instrument;

use sqlx::{
    AssertSqlSafe, ColumnIndex, Connection, Decode, FromRow, PgPool, Row, SqliteConnection,
    SqlitePool, Type,
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow},
};

pub use audit::{AuditEvent, AuditRecord};
pub use auth::{ApiClient, Credential, LoginAttempt, RoleAssignment, TokenHolder, User, UserId};
pub use catalogue::IndicatorFilter;
pub use import_jobs::{JobCounts, JobEnd, NewImportJob};
pub use import_staging::{Conflict, FilePlace, ImportStaging, Repeats};
pub use imports::{ImportCounts, ImportRun, ImportTargets, ImportTotals, ImportValue, ValueKey};
pub use initiatives::{InitiativeFilter, NewInitiative, WholeHistory};
pub use live::{CHANNEL as VOTE_CHANNEL, LISTENER_APPLICATION_NAME, VoteChange};
pub use meetings::{MeetingImage, MeetingReader, ProcessFilter};
pub use owners::OwnerFilter;
pub use page::Page;
pub use quality::{AssessmentFilter, AssessmentKey, AssessmentWrite, FrameworkFilter, Written};
pub use scoped::ScopedReader;
pub use seed::{
    SeedAssessment, SeedAssessmentKey, SeedCounty, SeedData, SeedDataSource, SeedEvaluation,
    SeedFramework, SeedImportSource, SeedIndicator, SeedInitiative, SeedOwner, SeedOwnerCode,
    SeedProcess, SeedRoleAssignment, SeedSelection, SeedSubject, SeedUnit, SeedValue, SeedVote,
};
pub use selections::SelectionFilter;
pub use sql::{Param, Sql};
pub use units::UnitFilter;
pub use values::{AnalysisFilter, ValueFilter};

use crate::domain::DomainError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row breaks a domain rule: the database was changed outside Varde.
    #[error("stored data is invalid: {0}")]
    InvalidStoredData(#[from] DomainError),
    /// A stored JSON document (a framework's texts, an initiative's content) is not what it must
    /// be: changed outside Varde.
    #[error("a stored document is invalid: {0}")]
    InvalidStoredDocument(#[from] serde_json::Error),
    /// A stored reference points at nothing: the database was changed outside Varde.
    #[error("stored reference to {0} points at nothing")]
    BrokenReference(String),
}

impl StoreError {
    /// The database cannot be reached now (no connection within the acquire timeout, a broken
    /// connection): a passing outage rather than a fault of Varde.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_),
            ) => true,
            // PostgreSQL refusing or dropping connections: connection exceptions (08),
            // shutdown or termination (57P), too many connections (53300), and a database that
            // does not accept connections now (55000).
            Self::Database(sqlx::Error::Database(error)) => error.code().is_some_and(|code| {
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "53300"
                    || code == "55000"
            }),
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long a query waits for a database connection unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The database Varde reads and writes.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// A read replica for query operations (see [`Store::for_reads`]).
    replica: Option<Backend>,
    /// Notices of changed votes to this process's subscribers.
    votes: live::VoteChanges,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool, so that one piece of code is compiled
/// for each dialect.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// Binds every parameter of `$sql` to the query `$query`.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Int(value) => query.bind(value),
                Param::OptionalInt(value) => query.bind(value),
                Param::Float(value) => query.bind(value),
                Param::Text(value) => query.bind(value),
                Param::OptionalText(value) => query.bind(value),
                Param::Bool(value) => query.bind(value),
                Param::Time(value) => query.bind(value),
                Param::Date(value) => query.bind(value),
                Param::Bytes(value) => query.bind(value),
            };
        }
        query
    }};
}

/// A connection from `$pool`, its wait recorded in `varde_db_pool_wait_seconds` (a pool too
/// small for the load shows there before requests time out).
macro_rules! acquire {
    ($pool:expr) => {{
        let waiting = std::time::Instant::now();
        let connection = $pool.acquire().await?;
        metrics::histogram!("varde_db_pool_wait_seconds").record(waiting.elapsed().as_secs_f64());
        connection
    }};
}

/// The span of one database statement, for traces (`db.statement` as OpenTelemetry names it).
fn statement_span(sql: &Sql) -> tracing::Span {
    tracing::info_span!("db", db.statement = %sql.text)
}

// After the macros above, which it uses to read and write inside one transaction.
mod import_jobs;
mod import_staging;
mod imports;
mod meetings;

/// A row type readable from both dialects.
pub trait StoredRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> StoredRow for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A row of a paged child list, carrying the id of the parent it belongs to.
struct Parented<T> {
    parent_id: i64,
    row: T,
}

impl<'r, R, T> FromRow<'r, R> for Parented<T>
where
    R: Row,
    T: FromRow<'r, R>,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            parent_id: row.try_get("parent_id")?,
            row: T::from_row(row)?,
        })
    }
}

impl Store {
    /// Opens a pool for `url` with the default acquire timeout.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        Self::connect_with(url, max_connections, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// Opens a pool for `url`: `sqlite:PATH` (the file is created when missing) or
    /// `postgres://...`. A query waits at most `acquire_timeout` for a connection, so that an
    /// unreachable database fails requests fast.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> StoreResult<Self> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No JIT: Varde's statements are short, and PostgreSQL's cost estimate for one that
            // reads tens of thousands of rows passes `jit_above_cost`, so compiling it (0.7 s in
            // the benchmark) cost far more than it ever saved.
            let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Backend::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(acquire_timeout);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Backend::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        Ok(Self {
            backend,
            replica: None,
            votes: live::VoteChanges::default(),
        })
    }

    /// This store, with query operations reading from `replica`: a streaming replica of this
    /// database (PostgreSQL), which takes national read load off the primary. Writes, and
    /// everything that must read its own writes (mutations, logins, sessions, the audit log,
    /// persisted queries), stay on the primary.
    pub fn with_replica(self, replica: Store) -> StoreResult<Self> {
        if replica.dialect() != self.dialect() {
            return Err(StoreError::UnsupportedUrl(format!(
                "a {} read replica for a {} database",
                replica.dialect(),
                self.dialect()
            )));
        }
        Ok(Self {
            replica: Some(replica.backend),
            ..self
        })
    }

    /// The store a query operation reads through: the read replica when one is configured,
    /// else this one.
    pub fn for_reads(&self) -> Store {
        Self {
            backend: self.replica.clone().unwrap_or_else(|| self.backend.clone()),
            replica: None,
            votes: self.votes.clone(),
        }
    }

    /// Which database this store talks to, for logs and readiness answers.
    pub fn dialect(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The pool's connections: (open, idle), for the metrics page.
    pub fn pool_state(&self) -> (u32, u32) {
        with_pool!(self, pool => (pool.size(), u32::try_from(pool.num_idle()).unwrap_or(u32::MAX)))
    }

    /// Brings the schema up to date with the migrations embedded in the binary.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Answers whether the database can be reached (for /readyz) with a real query through the
    /// pool. On SQLite it runs again on a fresh connection, which reads the file as it is on
    /// disk: pooled connections answer from their page cache even after the file is damaged.
    pub async fn ping(&self) -> StoreResult<()> {
        // COUNT(*) is BIGINT on PostgreSQL and INTEGER on SQLite: an i64 on both.
        const PROBE: &str = "SELECT COUNT(*) FROM school_years";
        match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_as::<_, (i64,)>(PROBE).fetch_one(pool).await?;
                let options = (*pool.connect_options())
                    .clone()
                    .create_if_missing(false)
                    .read_only(true);
                let mut connection = SqliteConnection::connect_with(&options).await?;
                sqlx::query_as::<_, (i64,)>(PROBE)
                    .fetch_one(&mut connection)
                    .await?;
                connection.close().await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query_as::<_, (i64,)>(PROBE).fetch_one(pool).await?;
            }
        }
        Ok(())
    }

    /// Starts carrying notices of changed votes between the processes on the database: on
    /// PostgreSQL a listening connection of this process (see `store::live`); on SQLite, one process,
    /// nothing to start. Answers once notices of later votes are sure to arrive.
    pub async fn listen_for_votes(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(pool) => self.votes.listen(pool).await,
        }
    }

    /// A new subscriber to notices of changed votes: it hears every notice from now on.
    pub fn vote_changes(&self) -> tokio::sync::broadcast::Receiver<VoteChange> {
        self.votes.subscribe()
    }

    pub async fn close(&self) {
        self.votes.stop();
        with_pool!(self, pool => pool.close().await)
    }

    async fn fetch_all<T: StoredRow>(&self, sql: Sql) -> StoreResult<Vec<T>> {
        let span = statement_span(&sql);
        let Sql { text, params } = sql;
        Ok(with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            bind_params!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), params)
                .fetch_all(&mut *connection)
                .instrument(span)
                .await?
        }))
    }

    async fn fetch_one<T: StoredRow>(&self, sql: Sql) -> StoreResult<T> {
        let span = statement_span(&sql);
        let Sql { text, params } = sql;
        Ok(with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            bind_params!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), params)
                .fetch_one(&mut *connection)
                .instrument(span)
                .await?
        }))
    }

    async fn fetch_optional<T: StoredRow>(&self, sql: Sql) -> StoreResult<Option<T>> {
        let span = statement_span(&sql);
        let Sql { text, params } = sql;
        Ok(with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            bind_params!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), params)
                .fetch_optional(&mut *connection)
                .instrument(span)
                .await?
        }))
    }

    /// Fetches a paged child list for many parents at once, grouped by parent id.
    async fn fetch_children<T: StoredRow>(
        &self,
        sql: Sql,
    ) -> StoreResult<std::collections::HashMap<i64, Vec<T>>> {
        let rows: Vec<Parented<T>> = self.fetch_all(sql).await?;
        Ok(page::group_by_parent(
            rows.into_iter()
                .map(|row| (row.parent_id, row.row))
                .collect(),
        ))
    }

    /// Runs the statements in one transaction, unless statement `guard` (an `UPDATE` or
    /// `INSERT` that names the version its caller edited) changes no row: then nothing takes
    /// effect and the answer is [`Written::Stale`].
    async fn execute_guarded(&self, statements: Vec<Sql>, guard: usize) -> StoreResult<Written> {
        with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            let mut transaction = connection.begin().await?;
            for (index, sql) in statements.into_iter().enumerate() {
                let span = statement_span(&sql);
                let Sql { text, params } = sql;
                let done = bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .instrument(span)
                    .await?;
                if index == guard && done.rows_affected() == 0 {
                    transaction.rollback().await?;
                    return Ok(Written::Stale);
                }
            }
            transaction.commit().await?;
        });
        Ok(Written::Done)
    }

    /// Runs `insert` (an `INSERT ... RETURNING id`) and then the statements `then` makes of the
    /// new id, in one transaction: all of them take effect or none. Answers the id.
    async fn insert_then(
        &self,
        insert: Sql,
        then: impl FnOnce(i64) -> Vec<Sql>,
    ) -> StoreResult<i64> {
        let span = statement_span(&insert);
        let Sql { text, params } = insert;
        let id = with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            let mut transaction = connection.begin().await?;
            let (id,): (i64,) = bind_params!(sqlx::query_as(AssertSqlSafe(text)), params)
                .fetch_one(&mut *transaction)
                .instrument(span)
                .await?;
            for sql in then(id) {
                let span = statement_span(&sql);
                let Sql { text, params } = sql;
                bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .instrument(span)
                    .await?;
            }
            transaction.commit().await?;
            id
        });
        Ok(id)
    }

    /// Runs `statements`, then `fetch` (a `SELECT` of one id), then the statement `then` makes
    /// of that id, if any, in one transaction: all of them take effect or none. Answers the id.
    async fn execute_then_fetch(
        &self,
        statements: Vec<Sql>,
        fetch: Sql,
        then: impl FnOnce(i64) -> Option<Sql>,
    ) -> StoreResult<i64> {
        let id = with_pool!(self, pool => {
            let mut transaction = pool.begin().await?;
            for Sql { text, params } in statements {
                bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .await?;
            }
            let Sql { text, params } = fetch;
            let (id,): (i64,) = bind_params!(sqlx::query_as(AssertSqlSafe(text)), params)
                .fetch_one(&mut *transaction)
                .await?;
            if let Some(Sql { text, params }) = then(id) {
                bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
            id
        });
        Ok(id)
    }

    /// Runs the statements in one transaction: all of them take effect or none.
    async fn execute_in_transaction(&self, statements: Vec<Sql>) -> StoreResult<()> {
        with_pool!(self, pool => {
            let mut connection = acquire!(pool);
            let mut transaction = connection.begin().await?;
            for sql in statements {
                let span = statement_span(&sql);
                let Sql { text, params } = sql;
                bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                    .execute(&mut *transaction)
                    .instrument(span)
                    .await?;
            }
            transaction.commit().await?;
        });
        Ok(())
    }
}
