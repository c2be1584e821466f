-- Signing keys (issue 12): the secret behind signed, short-lived download URLs (exports and
-- printable colour tables). In the database, not in one process's memory, so that a URL signed by
-- one Varde process is accepted by every other behind the same load balancer. One row, made by
-- whichever process needs it first.
CREATE TABLE signing_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
