-- Kvalitetsbeskrivelser (quality frameworks) and egenvurdering (self-assessment), issue 10.
-- Kept in step with ../postgres/0004_quality.sql: same tables, columns and constraints.

-- A framework, national (owner_id NULL) or one owner's; `version` is its latest version.
CREATE TABLE quality_frameworks (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    owner_id INTEGER REFERENCES owners (id),
    status   TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    version  INTEGER NOT NULL CHECK (version >= 1)
);

-- Every version of a framework's texts, kept: an assessment points at the exact text it was made
-- against. The texts are one JSON document (domain::FrameworkContent), compared and versioned whole.
CREATE TABLE quality_framework_versions (
    id           INTEGER PRIMARY KEY,
    framework_id INTEGER NOT NULL REFERENCES quality_frameworks (id),
    version      INTEGER NOT NULL,
    content      TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (framework_id, version)
);

-- A unit's assessment of one criterion in one school year: its current revision (0 while staff
-- have voted but nothing is agreed) and, for distributions, its current level.
CREATE TABLE assessments (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    framework_id INTEGER NOT NULL REFERENCES quality_frameworks (id),
    criterion    TEXT NOT NULL,
    school_year  INTEGER NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 0),
    level        INTEGER CHECK (level BETWEEN 1 AND 4),
    UNIQUE (unit_id, framework_id, criterion, school_year)
);
CREATE INDEX assessments_distribution ON assessments (framework_id, criterion, school_year);

-- Every revision of an assessment, never changed once written: the history.
CREATE TABLE assessment_revisions (
    id            INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments (id),
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    version_id    INTEGER NOT NULL REFERENCES quality_framework_versions (id),
    level         INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    strengths     TEXT NOT NULL,
    next_steps    TEXT NOT NULL,
    assessed_by   TEXT NOT NULL,
    assessed_at   TEXT NOT NULL,
    UNIQUE (assessment_id, revision)
);

-- Each staff member's own level for an assessment; `shown` when they chose to show it by name.
CREATE TABLE assessment_votes (
    id            INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments (id),
    voter         TEXT NOT NULL,
    level         INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    shown         BOOLEAN NOT NULL,
    voted_at      TEXT NOT NULL,
    UNIQUE (assessment_id, voter)
);
