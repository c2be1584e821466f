-- Tiltak (initiatives), their progress evaluations (framdrift) and change history, issue 11.
-- Kept in step with ../postgres/0006_initiatives.sql: same tables, columns and constraints.

-- An initiative of a unit (unit_id set) or of an owner (unit_id NULL). owner_id is always set (a
-- unit's initiative carries its unit's owner), so that an owner's overview reads one column. The
-- texts, dates, links and targets are one JSON document (domain::InitiativeContent), replaced whole
-- by each edit; `snapshot` holds the linked indicator values as its creator saw them.
CREATE TABLE initiatives (
    id         INTEGER PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES owners (id),
    unit_id    INTEGER REFERENCES units (id),
    parent_id  INTEGER REFERENCES initiatives (id),
    status     TEXT NOT NULL CHECK (status IN ('planned', 'active', 'completed', 'cancelled')),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    content    TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX initiatives_of_owner ON initiatives (owner_id);
CREATE INDEX initiatives_of_unit ON initiatives (unit_id);
CREATE INDEX initiatives_of_parent ON initiatives (parent_id);

-- The school years an initiative runs in, for lists by year.
CREATE TABLE initiative_school_years (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id),
    school_year   INTEGER NOT NULL,
    PRIMARY KEY (initiative_id, school_year)
);

-- Framdrift: progress evaluations, never changed once written. `evaluated_on` is a date (TEXT, ISO 8601, in SQLite).
CREATE TABLE initiative_evaluations (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id),
    evaluated_on  TEXT NOT NULL,
    judgement     TEXT NOT NULL CHECK (judgement IN ('on_track', 'at_risk', 'off_track')),
    text          TEXT NOT NULL,
    evaluated_by  TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX initiative_evaluations_of ON initiative_evaluations (initiative_id);

-- Who changed what and when: one row per revision (1 is the creation); `fields` is a JSON list of
-- the names of what changed.
CREATE TABLE initiative_changes (
    id            INTEGER PRIMARY KEY,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id),
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    fields        TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    UNIQUE (initiative_id, revision)
);
