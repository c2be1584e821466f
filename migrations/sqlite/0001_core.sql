-- Core read model: owners (skoleeiere), units (enheter), school years (skoleår), data sources
-- (datakilder), indicators (indikatorer), indicator values (indikatorverdier) and selections (utvalg).
-- Kept in step with ../postgres/0001_core.sql: same tables, columns and constraints.

CREATE TABLE counties (
    county_number TEXT PRIMARY KEY CHECK (length(county_number) = 2),
    name          TEXT NOT NULL,
    valid_from    INTEGER,
    valid_to      INTEGER
);

CREATE TABLE owners (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('municipality', 'county_municipality', 'private', 'state')),
    name          TEXT NOT NULL,
    org_number    TEXT UNIQUE CHECK (length(org_number) = 9),
    county_number TEXT REFERENCES counties (county_number)
);

-- Kommunenummer / fylkesnummer history: municipalities merge and renumber (2020, 2024).
CREATE TABLE owner_codes (
    id         INTEGER PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES owners (id),
    code       TEXT NOT NULL CHECK (length(code) IN (2, 4)),
    valid_from INTEGER,
    valid_to   INTEGER,
    UNIQUE (code, valid_from)
);
CREATE INDEX owner_codes_owner ON owner_codes (owner_id);

CREATE TABLE school_years (
    year INTEGER PRIMARY KEY
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    org_number  TEXT NOT NULL UNIQUE CHECK (length(org_number) = 9),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('school', 'kindergarten', 'arts_school')),
    stage       TEXT CHECK (stage IN ('primary', 'lower_secondary', 'combined', 'upper_secondary')),
    owner_id    INTEGER NOT NULL REFERENCES owners (id),
    active_from INTEGER,
    active_to   INTEGER
);
CREATE INDEX units_owner ON units (owner_id, id);

CREATE TABLE data_sources (
    id                    INTEGER PRIMARY KEY,
    code                  TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    publisher             TEXT NOT NULL,
    description           TEXT NOT NULL,
    sensitivity           TEXT NOT NULL CHECK (sensitivity IN ('public', 'restricted')),
    suppression_threshold INTEGER NOT NULL CHECK (suppression_threshold >= 0)
);

CREATE TABLE indicators (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    source_id       INTEGER NOT NULL REFERENCES data_sources (id),
    category        TEXT NOT NULL CHECK (category IN ('forutsetning', 'prosess', 'resultat')),
    unit_of_measure TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better', 'neutral')),
    decimals        INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 6),
    min_value       REAL,
    max_value       REAL,
    colour_mode     TEXT NOT NULL CHECK (colour_mode IN ('absolute', 'relative_national', 'relative_owner', 'none')),
    colour_green    REAL,
    colour_red      REAL,
    colour_margin   REAL
);
CREATE INDEX indicators_source ON indicators (source_id);

CREATE TABLE indicator_unit_kinds (
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    unit_kind    TEXT NOT NULL CHECK (unit_kind IN ('school', 'kindergarten', 'arts_school')),
    PRIMARY KEY (indicator_id, unit_kind)
);

-- One row per indicator, subject, school year and group. The subject is a unit, an owner, a county
-- or the nation; exactly the matching reference column is set.
CREATE TABLE indicator_values (
    id            INTEGER PRIMARY KEY,
    indicator_id  INTEGER NOT NULL REFERENCES indicators (id),
    subject_level TEXT NOT NULL CHECK (subject_level IN ('unit', 'owner', 'county', 'nation')),
    unit_id       INTEGER REFERENCES units (id),
    owner_id      INTEGER REFERENCES owners (id),
    county_number TEXT REFERENCES counties (county_number),
    school_year   INTEGER NOT NULL REFERENCES school_years (year),
    group_code    TEXT NOT NULL,
    value         REAL,
    respondents   INTEGER CHECK (respondents >= 0),
    suppressed    BOOLEAN NOT NULL,
    CHECK ((subject_level = 'unit') = (unit_id IS NOT NULL)),
    CHECK ((subject_level = 'owner') = (owner_id IS NOT NULL)),
    CHECK ((subject_level = 'county') = (county_number IS NOT NULL)),
    CHECK (NOT (suppressed AND value IS NOT NULL))
);
CREATE UNIQUE INDEX indicator_values_identity ON indicator_values (
    indicator_id, subject_level, COALESCE(unit_id, 0), COALESCE(owner_id, 0),
    COALESCE(county_number, ''), school_year, group_code
);
CREATE INDEX indicator_values_unit ON indicator_values (unit_id, id) WHERE unit_id IS NOT NULL;
CREATE INDEX indicator_values_owner ON indicator_values (owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX indicator_values_level ON indicator_values (subject_level, indicator_id, school_year);

CREATE TABLE selections (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    school_year  INTEGER NOT NULL REFERENCES school_years (year),
    scope        TEXT NOT NULL CHECK (scope IN ('owner', 'national', 'network')),
    owner_id     INTEGER REFERENCES owners (id),
    last_updated TEXT NOT NULL,
    CHECK ((scope = 'owner') = (owner_id IS NOT NULL)),
    UNIQUE (name, school_year)
);
CREATE INDEX selections_owner ON selections (owner_id);

CREATE TABLE selection_members (
    selection_id INTEGER NOT NULL REFERENCES selections (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    PRIMARY KEY (selection_id, unit_id)
);
CREATE INDEX selection_members_unit ON selection_members (unit_id);
