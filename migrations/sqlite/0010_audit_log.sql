-- The audit log (issue 14): who read which unit's restricted data, and who sent which mutation,
-- when, by which operation and fields; never the values themselves. Rows past the configured
-- retention are deleted as new ones are written.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('read', 'mutation')),
    operation   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    owner_id    INTEGER REFERENCES owners (id),
    unit_id     INTEGER REFERENCES units (id)
);
CREATE INDEX audit_log_owner ON audit_log (owner_id, id);
CREATE INDEX audit_log_time ON audit_log (occurred_at);
