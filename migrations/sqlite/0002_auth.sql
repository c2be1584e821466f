-- Login, sessions, API clients and role assignments. Times are Unix seconds (BIGINT), compared
-- with a bound "now", so that both dialects compare them the same way.
-- Kept in step with ../postgres/0002_auth.sql.

-- People, identified by Feide: `sub` (a UUID from the ID token) and the Feide user id
-- (eduPersonPrincipalName). Never by e-mail: Feide does not verify it.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    feide_user_id TEXT NOT NULL UNIQUE,
    feide_sub     TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

-- Roles are assigned to Feide user ids, so that an admin can grant a role before the person
-- first logs in. Varde keeps them itself: Feide's groups know no barnehager or kulturskoler.
CREATE TABLE role_assignments (
    id            INTEGER PRIMARY KEY,
    feide_user_id TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('national_admin', 'national_reader', 'owner_admin',
                                                'owner_reader', 'unit_leader', 'unit_staff')),
    owner_id      INTEGER REFERENCES owners (id),
    unit_id       INTEGER REFERENCES units (id),
    granted_by    TEXT NOT NULL,
    granted_at    INTEGER NOT NULL,
    CHECK ((role IN ('owner_admin', 'owner_reader')) = (owner_id IS NOT NULL)),
    CHECK ((role IN ('unit_leader', 'unit_staff')) = (unit_id IS NOT NULL))
);
CREATE UNIQUE INDEX role_assignments_identity
    ON role_assignments (feide_user_id, role, COALESCE(owner_id, 0), COALESCE(unit_id, 0));

-- Browser sessions; the cookie holds a random id, the table only its SHA-256.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Logins under way: state, nonce and PKCE verifier between /auth/login and /auth/callback,
-- bound to the browser by a cookie (its SHA-256 is the key). Deleted when used.
CREATE TABLE login_attempts (
    id_hash       TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);

-- Services (BI dashboards, national aggregation) with one scoped role each. The secret is stored
-- only as an argon2 hash.
CREATE TABLE api_clients (
    id          INTEGER PRIMARY KEY,
    client_id   TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('national_admin', 'national_reader', 'owner_admin',
                                              'owner_reader', 'unit_leader', 'unit_staff')),
    owner_id    INTEGER REFERENCES owners (id),
    unit_id     INTEGER REFERENCES units (id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Bearer tokens: short-lived ones from the client-credentials grant (api_client_id) and
-- long-lived personal tokens (user_id). Only the SHA-256 of the token is stored.
CREATE TABLE access_tokens (
    token_hash    TEXT PRIMARY KEY,
    api_client_id INTEGER REFERENCES api_clients (id),
    user_id       INTEGER REFERENCES users (id),
    label         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    CHECK ((api_client_id IS NULL) <> (user_id IS NULL))
);
