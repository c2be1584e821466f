-- Import jobs (issue 17): an upload over HTTP runs as a job in the background; its state and
-- counts live here, so that any process answers about any job.
-- Kept in step with ../postgres/0015_import_jobs.sql: same tables, columns and constraints.

-- One upload: queued until this process's import slot is free, running while it is read and
-- applied (counts written as it goes), then done (applied, or a dry run) or failed (rows
-- rejected, or the file could not be read). `heartbeat_at` is renewed by the process holding a
-- queued or running job; one that stops being renewed is shown failed (its process died).
CREATE TABLE import_jobs (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    dry_run      BOOLEAN NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    bytes_total  INTEGER CHECK (bytes_total >= 0),
    bytes_read   INTEGER NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
    records_read INTEGER NOT NULL DEFAULT 0 CHECK (records_read >= 0),
    rejected     INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    inserted     INTEGER NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    updated      INTEGER NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged    INTEGER NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    duplicates   INTEGER NOT NULL DEFAULT 0 CHECK (duplicates >= 0),
    skipped      INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    checksum     TEXT,
    -- The report's problems when done: a JSON array of {"location", "reason"}, the first 1000.
    problems     TEXT,
    -- Why the file could not be read at all.
    error        TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    heartbeat_at TEXT NOT NULL
);
