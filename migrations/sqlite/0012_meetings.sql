-- Prosessdesigner and lærende møter (learning meetings), issue 13. Numbered 0012: 0010 and 0011
-- belong to other branches; sqlx's migrator applies any version it has not recorded, so the gap is
-- filled when they land. Kept in step with ../postgres/0012_meetings.sql.

-- A process: a sequence of meetings for an owner (unit_id NULL) or one of its units in a school
-- year; owner_id NULL (and no school year) is a national example process that owners copy.
CREATE TABLE meeting_processes (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER REFERENCES owners (id),
    unit_id     INTEGER REFERENCES units (id),
    school_year INTEGER,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    copied_from INTEGER REFERENCES meeting_processes (id),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK ((owner_id IS NULL) = (school_year IS NULL)),
    CHECK (owner_id IS NOT NULL OR unit_id IS NULL)
);
CREATE INDEX meeting_processes_of_owner ON meeting_processes (owner_id);

-- A meeting of a process. `uid` is the iCalendar UID, kept for the meeting's life; `ics_sequence` the
-- SEQUENCE of the last invitation sent. `content` (title, time, place, participants, agenda) is
-- one JSON document (domain::MeetingContent) replaced whole by each edit; `snapshot` the agenda's
-- data frozen when the invitation was last sent; `minutes` the referat with its decisions.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES meeting_processes (id),
    uid         TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('planned', 'sent', 'cancelled')),
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    ics_sequence INTEGER NOT NULL CHECK (ics_sequence >= 0),
    content     TEXT NOT NULL,
    snapshot    TEXT,
    sent_at     TEXT,
    sent_by     TEXT,
    minutes     TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX meetings_of_process ON meetings (process_id);

-- Who is invited, for the access rule in SQL: a person by Feide user id, or all staff of a unit.
CREATE TABLE meeting_participants (
    meeting_id    INTEGER NOT NULL REFERENCES meetings (id),
    feide_user_id TEXT,
    unit_id       INTEGER REFERENCES units (id),
    CHECK ((feide_user_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX meeting_participants_of ON meeting_participants (meeting_id);
CREATE INDEX meeting_participants_person ON meeting_participants (feide_user_id);
CREATE INDEX meeting_participants_unit ON meeting_participants (unit_id);

-- Uploaded images, numbered within their meeting (agenda items name them by number, so that a
-- copied meeting keeps its numbers). The type was checked by the bytes' magic number.
CREATE TABLE meeting_images (
    meeting_id   INTEGER NOT NULL REFERENCES meetings (id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, number)
);

-- Where a person wants invitations mailed: set by the person, never used to identify anyone
-- (Feide does not verify e-mail addresses).
CREATE TABLE invitation_addresses (
    feide_user_id TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    set_at        TEXT NOT NULL
);
