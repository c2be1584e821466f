-- Import from the source formats (issue 17): SSB's change table of classification 131
-- (kommuner, KLASS) as data, and the import rule kinds that choose where a figure goes when the
-- table alone cannot say: `split` (an old kommunenummer that split names the part a figure belongs
-- to) and `name` (a school named only by name names its organisasjonsnummer).
-- Kept in step with ../postgres/0014_kommune_changes.sql: same tables, columns and constraints.

-- One change of KLASS 131, in the shape of KLASS's `changes` API: on `change_occurred` the
-- kommune `old_code` became, or became part of, `new_code`. A merger is several rows to one new
-- code, a split several rows from one old code. Dates are TEXT (ISO 8601) in SQLite.
CREATE TABLE kommune_changes (
    id              INTEGER PRIMARY KEY,
    old_code        TEXT NOT NULL CHECK (length(old_code) = 4),
    old_name        TEXT NOT NULL,
    new_code        TEXT NOT NULL CHECK (length(new_code) = 4),
    new_name        TEXT NOT NULL,
    change_occurred TEXT NOT NULL,
    UNIQUE (old_code, new_code, change_occurred)
);
CREATE INDEX kommune_changes_old ON kommune_changes (old_code);

-- SQLite cannot change a CHECK constraint in place: the rules table is rebuilt with the new kinds.
CREATE TABLE import_rules_new (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES import_sources (id),
    kind        TEXT NOT NULL CHECK (kind IN ('indicator', 'group', 'split', 'name')),
    source_code TEXT NOT NULL,
    target      TEXT NOT NULL,
    UNIQUE (source_id, kind, source_code)
);
INSERT INTO import_rules_new (id, source_id, kind, source_code, target)
    SELECT id, source_id, kind, source_code, target FROM import_rules;
DROP TABLE import_rules;
ALTER TABLE import_rules_new RENAME TO import_rules;
