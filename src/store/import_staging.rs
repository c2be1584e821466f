//! An import under way (issue 17, large files): one transaction from the file's first row to
//! its last, so that memory stays flat in the file's size.
//!
//! The importer hands over each resolved value with where it was read ([`ImportStaging::stage`]);
//! they are written in batches of [`STAGED_ROWS_PER_STATEMENT`] rows into a TEMP table,
//! `import_staging`, inside the transaction. Repeats of a value (word for word, or with other
//! content) are found in SQL ([`ImportStaging::repeats`]). Applying ([`ImportStaging::apply`])
//! walks the staged values one family at a time (an indicator in a school year: the unit
//! complementary suppression weighs together, see `imports::plan`), so what is held in memory is
//! one family's values, never the file's. A dry run, a problem or a killed process rolls the
//! transaction back, and the TEMP table with it; an applied import drops the table before it
//! commits.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{
    Backend, Param, Sql, Store, StoreResult, StoredRow,
    imports::{ImportCounts, ImportRun, ImportValue, as_import, plan, record},
    values::{VALUE_COLUMNS, VALUE_FROM, ValueRow},
};
use crate::domain::{IndicatorId, IndicatorValue, Subject};

/// Staged rows per multi-row INSERT: 13 parameters a row stays under both databases' limits.
const STAGED_ROWS_PER_STATEMENT: usize = 1000;

/// The staging table, in each dialect's types; the same columns as `indicator_values` plus the
/// row's position in the file, its identity and content as text (compared without NULL
/// handling, which the dialects spell differently), and where it was read.
const CREATE_SQLITE: &str = "CREATE TEMP TABLE import_staging (
    ordinal INTEGER NOT NULL PRIMARY KEY, value_key TEXT NOT NULL, content TEXT NOT NULL,
    place_kind TEXT NOT NULL, place_number INTEGER NOT NULL, place_labels TEXT NOT NULL,
    indicator_id INTEGER NOT NULL, subject_level TEXT NOT NULL, unit_id INTEGER,
    owner_id INTEGER, county_number TEXT, school_year INTEGER NOT NULL, group_code TEXT NOT NULL,
    value REAL, respondents INTEGER, suppressed BOOLEAN NOT NULL)";
const CREATE_POSTGRES: &str = "CREATE TEMP TABLE import_staging (
    ordinal BIGINT NOT NULL PRIMARY KEY, value_key TEXT NOT NULL, content TEXT NOT NULL,
    place_kind TEXT NOT NULL, place_number BIGINT NOT NULL, place_labels TEXT NOT NULL,
    indicator_id BIGINT NOT NULL, subject_level TEXT NOT NULL, unit_id BIGINT,
    owner_id BIGINT, county_number TEXT, school_year BIGINT NOT NULL, group_code TEXT NOT NULL,
    value DOUBLE PRECISION, respondents BIGINT, suppressed BOOLEAN NOT NULL)";

/// A later row (`later`) that gives a value whose first row (`first`) came before it.
const REPEATS: &str = " FROM import_staging later JOIN import_staging first \
    ON first.value_key = later.value_key AND first.ordinal < later.ordinal \
    WHERE NOT EXISTS (SELECT 1 FROM import_staging earlier \
    WHERE earlier.value_key = first.value_key AND earlier.ordinal < first.ordinal)";

/// Where in its file a staged value was read, as the importer names it: a kind (a line, a
/// record, a cell), its number, and labels (a JSON-stat cell's categories; else empty).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilePlace {
    pub kind: String,
    pub number: i64,
    pub labels: String,
}

/// A value given again with other content: where, and where it was first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub place: FilePlace,
    pub first: FilePlace,
}

/// What the staged rows repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repeats {
    /// Rows that give a value again word for word (counted once).
    pub duplicates: u64,
    /// Rows that give a value again with other content: how many, and the first few of them.
    pub conflicts: u64,
    pub listed: Vec<Conflict>,
}

#[derive(sqlx::FromRow)]
struct ConflictRow {
    kind: String,
    number: i64,
    labels: String,
    first_kind: String,
    first_number: i64,
    first_labels: String,
}

/// The transaction an import runs in, of either database.
enum Transaction {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$transaction` bound to the concrete transaction.
macro_rules! with_transaction {
    ($staging:expr, $transaction:ident => $body:expr) => {
        match &mut $staging.transaction {
            Transaction::Sqlite($transaction) => $body,
            Transaction::Postgres($transaction) => $body,
        }
    };
}

/// An import under way: its transaction and the rows not yet written to `import_staging`.
/// Dropped without [`ImportStaging::apply`], it rolls back and leaves nothing behind.
pub struct ImportStaging {
    transaction: Transaction,
    rows: Vec<Vec<Param>>,
    staged: i64,
}

impl Store {
    /// Begins an import: a transaction holding an empty staging table.
    pub async fn begin_import(&self) -> StoreResult<ImportStaging> {
        // SQLite: take the write lock at the start. A deferred transaction that read first could
        // not write once another connection had written meanwhile (an import job's heartbeat,
        // in WAL mode: SQLITE_BUSY_SNAPSHOT, not retried); this way the other writer waits.
        let begin = if matches!(self.backend, Backend::Sqlite(_)) {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        let transaction = with_pool!(self, pool => {
            let mut transaction = pool.begin_with(begin).await?;
            let create = if matches!(self.backend, Backend::Sqlite(_)) {
                CREATE_SQLITE
            } else {
                CREATE_POSTGRES
            };
            sqlx::query(create).execute(&mut *transaction).await?;
            transaction.into()
        });
        Ok(ImportStaging {
            transaction,
            rows: Vec::with_capacity(STAGED_ROWS_PER_STATEMENT),
            staged: 0,
        })
    }

    /// Applies `values` (each given once) in one transaction, as an import of a file holding
    /// just them; a dry run decides the same and writes nothing.
    pub async fn apply_import(
        &self,
        run: &ImportRun,
        values: Vec<ImportValue>,
        dry_run: bool,
    ) -> StoreResult<ImportCounts> {
        let mut staging = self.begin_import().await?;
        for (value, number) in values.into_iter().zip(1..) {
            let place = FilePlace {
                kind: "record".to_owned(),
                number,
                labels: String::new(),
            };
            staging.stage(&value, &place).await?;
        }
        staging.apply(run, dry_run).await
    }
}

impl From<sqlx::Transaction<'static, sqlx::Sqlite>> for Transaction {
    fn from(transaction: sqlx::Transaction<'static, sqlx::Sqlite>) -> Self {
        Self::Sqlite(transaction)
    }
}

impl From<sqlx::Transaction<'static, sqlx::Postgres>> for Transaction {
    fn from(transaction: sqlx::Transaction<'static, sqlx::Postgres>) -> Self {
        Self::Postgres(transaction)
    }
}

/// A value's identity as text: indicator, subject, school year, group.
fn value_key(value: &ImportValue) -> String {
    let subject = match &value.subject {
        Subject::Unit(unit) => format!("u{}", unit.0),
        Subject::Owner(owner) => format!("o{}", owner.0),
        Subject::County(number) => format!("c{}", number.as_str()),
        Subject::Nation => "n".to_owned(),
    };
    format!(
        "{}|{subject}|{}|{}",
        value.indicator.0,
        value.school_year.start_year(),
        value.group.code()
    )
}

/// What a value says, as text: equal exactly when the values are (the shortest representation
/// of a float that reads back to it).
fn content(value: &ImportValue) -> String {
    format!(
        "{:?}|{:?}|{}",
        value.value, value.respondents, value.suppressed
    )
}

impl ImportStaging {
    /// Stages one value read at `place`; rows are written a batch at a time.
    pub async fn stage(&mut self, value: &ImportValue, place: &FilePlace) -> StoreResult<()> {
        self.staged += 1;
        let mut row = vec![
            Param::Int(self.staged),
            Param::Text(value_key(value)),
            Param::Text(content(value)),
            Param::from(place.kind.as_str()),
            Param::Int(place.number),
            Param::from(place.labels.as_str()),
        ];
        row.extend(super::imports::value_params(value));
        self.rows.push(row);
        if self.rows.len() >= STAGED_ROWS_PER_STATEMENT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the rows not yet written.
    async fn flush(&mut self) -> StoreResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "INSERT INTO import_staging (ordinal, value_key, content, place_kind, place_number, \
             place_labels, indicator_id, subject_level, unit_id, owner_id, county_number, \
             school_year, group_code, value, respondents, suppressed) ",
        );
        sql.bind_rows(self.rows.drain(..));
        self.execute(sql).await
    }

    async fn execute(&mut self, sql: Sql) -> StoreResult<()> {
        let Sql { text, params } = sql;
        with_transaction!(self, transaction => {
            bind_params!(sqlx::query(AssertSqlSafe(text)), params)
                .execute(&mut **transaction)
                .await?;
        });
        Ok(())
    }

    async fn fetch_all<T: StoredRow>(&mut self, sql: Sql) -> StoreResult<Vec<T>> {
        let Sql { text, params } = sql;
        Ok(with_transaction!(self, transaction => {
            bind_params!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), params)
                .fetch_all(&mut **transaction)
                .await?
        }))
    }

    /// The staged rows that give a value again: counted, and the conflicting ones listed in
    /// file order up to `listed`. Call it once, after the last row is staged.
    pub async fn repeats(&mut self, listed: usize) -> StoreResult<Repeats> {
        self.flush().await?;
        self.execute(Sql::new(
            "CREATE INDEX import_staging_key ON import_staging (value_key, ordinal)",
        ))
        .await?;
        // A TEMP table is never analysed by itself; without statistics PostgreSQL plans the
        // joins below as if it were empty.
        self.execute(Sql::new("ANALYZE import_staging")).await?;
        let count = |condition: &str| {
            let mut sql = Sql::new("SELECT COUNT(*)");
            sql.push(REPEATS).push(condition);
            sql
        };
        let [(duplicates,)]: [(i64,); 1] = self
            .fetch_all(count(" AND later.content = first.content"))
            .await?
            .try_into()
            .unwrap_or([(0,)]);
        let [(conflicts,)]: [(i64,); 1] = self
            .fetch_all(count(" AND later.content <> first.content"))
            .await?
            .try_into()
            .unwrap_or([(0,)]);
        let mut sql = Sql::new(
            "SELECT later.place_kind AS kind, later.place_number AS number, \
             later.place_labels AS labels, first.place_kind AS first_kind, \
             first.place_number AS first_number, first.place_labels AS first_labels",
        );
        sql.push(REPEATS)
            .push(" AND later.content <> first.content ORDER BY later.ordinal LIMIT ")
            .bind(i64::try_from(listed).unwrap_or(i64::MAX));
        let rows: Vec<ConflictRow> = self.fetch_all(sql).await?;
        Ok(Repeats {
            duplicates: u64::try_from(duplicates).unwrap_or(0),
            conflicts: u64::try_from(conflicts).unwrap_or(0),
            listed: rows
                .into_iter()
                .map(|row| Conflict {
                    place: FilePlace {
                        kind: row.kind,
                        number: row.number,
                        labels: row.labels,
                    },
                    first: FilePlace {
                        kind: row.first_kind,
                        number: row.first_number,
                        labels: row.first_labels,
                    },
                })
                .collect(),
        })
    }

    /// Ends the import without applying anything.
    pub async fn abandon(self) -> StoreResult<()> {
        match self.transaction {
            Transaction::Sqlite(transaction) => transaction.rollback().await?,
            Transaction::Postgres(transaction) => transaction.rollback().await?,
        }
        Ok(())
    }

    /// Applies the staged values, the first of each repeated value (conflicts are to be found
    /// with [`ImportStaging::repeats`] before): new values inserted, changed ones updated with
    /// the stored value kept as history, complementary suppression decided again for the
    /// affected indicators and school years, the import recorded, and the data sources' and
    /// selections' `last_updated` set where a value changed. All of it takes effect or none. A
    /// dry run decides the same and writes nothing.
    pub async fn apply(mut self, run: &ImportRun, dry_run: bool) -> StoreResult<ImportCounts> {
        self.flush().await?;
        self.execute(Sql::new(
            "DELETE FROM import_staging WHERE EXISTS (SELECT 1 FROM import_staging earlier \
             WHERE earlier.value_key = import_staging.value_key \
             AND earlier.ordinal < import_staging.ordinal)",
        ))
        .await?;
        self.execute(Sql::new(
            "CREATE INDEX import_staging_family ON import_staging (indicator_id, school_year, ordinal)",
        ))
        .await?;
        let restricted: HashMap<IndicatorId, i64> = self
            .fetch_all::<(i64, i64)>(Sql::new(
                "SELECT i.id, s.suppression_threshold FROM indicators i JOIN data_sources s \
                 ON s.id = i.source_id WHERE s.sensitivity = 'restricted' \
                 AND i.id IN (SELECT indicator_id FROM import_staging)",
            ))
            .await?
            .into_iter()
            .map(|(id, threshold)| (IndicatorId(id), threshold))
            .collect();
        let families: Vec<(i64, i64)> = self
            .fetch_all(Sql::new(
                "SELECT DISTINCT indicator_id, school_year FROM import_staging \
                 ORDER BY indicator_id, school_year",
            ))
            .await?;
        let import_id = if dry_run {
            0
        } else {
            let (import_id,): (i64,) = self
                .fetch_all(record(run, true, ImportCounts::default(), 0))
                .await?
                .pop()
                .ok_or(sqlx::Error::RowNotFound)?;
            import_id
        };
        let mut counts = ImportCounts::default();
        for (indicator, year) in families {
            let mut stored = Sql::new("SELECT ");
            stored
                .push(VALUE_COLUMNS)
                .push(" FROM ")
                .push(VALUE_FROM)
                .push(" WHERE v.indicator_id = ")
                .bind(indicator)
                .push(" AND v.school_year = ")
                .bind(year)
                .push(" ORDER BY v.id");
            let stored: Vec<IndicatorValue> = self
                .fetch_all::<ValueRow>(stored)
                .await?
                .into_iter()
                .map(IndicatorValue::try_from)
                .collect::<Result<_, _>>()?;
            let mut incoming = Sql::new(
                "SELECT ordinal AS id, indicator_id, subject_level, unit_id, owner_id, \
                 county_number, school_year, group_code, value, respondents, suppressed, \
                 FALSE AS complementary, CAST(0 AS BIGINT) AS threshold \
                 FROM import_staging WHERE indicator_id = ",
            );
            incoming
                .bind(indicator)
                .push(" AND school_year = ")
                .bind(year)
                .push(" ORDER BY ordinal");
            let incoming: Vec<ImportValue> = self
                .fetch_all::<ValueRow>(incoming)
                .await?
                .into_iter()
                .map(|row| IndicatorValue::try_from(row).map(|value| as_import(&value)))
                .collect::<Result<_, _>>()?;
            let plan = plan(stored, incoming, &restricted);
            counts.inserted += plan.counts.inserted;
            counts.updated += plan.counts.updated;
            counts.unchanged += plan.counts.unchanged;
            if !dry_run && plan.changes_anything() {
                for sql in plan.statements(import_id, run.imported_at) {
                    self.execute(sql).await?;
                }
            }
        }
        if dry_run {
            self.abandon().await?;
            return Ok(counts);
        }
        let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        let mut sql = Sql::new("UPDATE imports SET inserted = ");
        sql.bind(count(counts.inserted))
            .push(", updated = ")
            .bind(count(counts.updated))
            .push(", unchanged = ")
            .bind(count(counts.unchanged))
            .push(" WHERE id = ")
            .bind(import_id);
        self.execute(sql).await?;
        self.execute(Sql::new("DROP TABLE import_staging")).await?;
        match self.transaction {
            Transaction::Sqlite(transaction) => transaction.commit().await?,
            Transaction::Postgres(transaction) => transaction.commit().await?,
        }
        Ok(counts)
    }
}
