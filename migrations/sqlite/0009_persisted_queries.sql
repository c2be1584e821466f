-- Automatic persisted queries (issue 14): documents registered by their SHA-256 hash (lower-case
-- hex), so that a client sends the hash alone, over GET as well. In the database, not in one
-- process's memory, so that every Varde process behind a load balancer knows every hash.
CREATE TABLE persisted_queries (
    sha256     TEXT PRIMARY KEY,
    query      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
