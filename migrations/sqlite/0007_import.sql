-- Import from the source formats (issue 17): import rules (importregler) as data, a log of every
-- import, the history of replaced values, and when each data source last changed.
-- Kept in step with ../postgres/0007_import.sql: same tables, columns and constraints.

-- A source Varde imports from: its file format and how its codes are read. Subject codes are
-- recognised by form (9 digits an organisasjonsnummer, 4 a kommunenummer, 2 a fylkesnummer) where
-- the source gives that level, and `nation_code` names the nation.
CREATE TABLE import_sources (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    format           TEXT NOT NULL CHECK (format IN ('varde_csv', 'json_stat', 'udir')),
    description      TEXT NOT NULL,
    school_year_rule TEXT NOT NULL CHECK (school_year_rule IN ('school_year', 'autumn_year', 'spring_year', 'udir_tid')),
    org_numbers      BOOLEAN NOT NULL,
    kommunenummer    BOOLEAN NOT NULL,
    fylkesnummer     BOOLEAN NOT NULL,
    nation_code      TEXT
);

-- Which source code means which indicator, and which source group label which group.
CREATE TABLE import_rules (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES import_sources (id),
    kind        TEXT NOT NULL CHECK (kind IN ('indicator', 'group')),
    source_code TEXT NOT NULL,
    target      TEXT NOT NULL,
    UNIQUE (source_id, kind, source_code)
);

-- Every import run that was not a dry run: applied, or refused with its rejected rows.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES import_sources (id),
    file_name   TEXT NOT NULL,
    checksum    TEXT NOT NULL CHECK (length(checksum) = 64),
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    applied     BOOLEAN NOT NULL,
    inserted    INTEGER NOT NULL CHECK (inserted >= 0),
    updated     INTEGER NOT NULL CHECK (updated >= 0),
    unchanged   INTEGER NOT NULL CHECK (unchanged >= 0),
    rejected    INTEGER NOT NULL CHECK (rejected >= 0)
);
CREATE INDEX imports_source ON imports (source_id, id);

-- A value as it was before an import replaced it (a corrected file): kept, never changed.
CREATE TABLE indicator_value_history (
    id          INTEGER PRIMARY KEY,
    value_id    INTEGER NOT NULL REFERENCES indicator_values (id),
    value       REAL,
    respondents INTEGER,
    suppressed  BOOLEAN NOT NULL,
    replaced_by INTEGER NOT NULL REFERENCES imports (id)
);
CREATE INDEX indicator_value_history_value ON indicator_value_history (value_id, id);

-- When an import last changed a value of the source (none for the seeded demo data).
ALTER TABLE data_sources ADD COLUMN last_updated TEXT;
