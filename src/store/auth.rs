//! Users, role assignments, sessions, login attempts, API clients and bearer tokens.
//! Secrets never reach this module in the clear: callers pass hashes.

use super::{Sql, Store, StoreResult};
use crate::domain::{DomainError, OwnerId, Role, RoleKind, UnitId};

/// Database id of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

/// A person who has logged in (or been granted roles) with a Feide user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub feide_user_id: String,
}

/// A role given to a Feide user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub id: i64,
    pub feide_user_id: String,
    pub role: Role,
    pub granted_by: String,
    pub granted_at: i64,
}

/// A login under way, between /auth/login and /auth/callback.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginAttempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

/// A registered service client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub id: i64,
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    pub role: Role,
}

/// Whom a bearer token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHolder {
    Client(ApiClient),
    User(User),
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: i64,
    feide_user_id: String,
    role: String,
    owner_id: Option<i64>,
    unit_id: Option<i64>,
    granted_by: String,
    granted_at: i64,
}

fn role_from(kind: &str, owner: Option<i64>, unit: Option<i64>) -> Result<Role, DomainError> {
    Role::new(RoleKind::parse(kind)?, owner.map(OwnerId), unit.map(UnitId))
}

impl TryFrom<RoleRow> for RoleAssignment {
    type Error = DomainError;

    fn try_from(row: RoleRow) -> Result<Self, DomainError> {
        Ok(RoleAssignment {
            id: row.id,
            role: role_from(&row.role, row.owner_id, row.unit_id)?,
            feide_user_id: row.feide_user_id,
            granted_by: row.granted_by,
            granted_at: row.granted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: i64,
    client_id: String,
    secret_hash: String,
    name: String,
    role: String,
    owner_id: Option<i64>,
    unit_id: Option<i64>,
}

/// A credential's holder, one row per role assignment of a person (one row without a role when
/// they hold none): the client's columns when an API client holds it, else the person's.
#[derive(sqlx::FromRow)]
struct HolderRow {
    id: Option<i64>,
    client_id: Option<String>,
    secret_hash: Option<String>,
    name: Option<String>,
    role: Option<String>,
    owner_id: Option<i64>,
    unit_id: Option<i64>,
    user_id: Option<i64>,
    feide_user_id: Option<String>,
    user_role: Option<String>,
    role_owner_id: Option<i64>,
    role_unit_id: Option<i64>,
}

impl HolderRow {
    fn client(&self) -> Option<ClientRow> {
        Some(ClientRow {
            id: self.id?,
            client_id: self.client_id.clone()?,
            secret_hash: self.secret_hash.clone()?,
            name: self.name.clone()?,
            role: self.role.clone()?,
            owner_id: self.owner_id,
            unit_id: self.unit_id,
        })
    }
}

impl TryFrom<ClientRow> for ApiClient {
    type Error = DomainError;

    fn try_from(row: ClientRow) -> Result<Self, DomainError> {
        Ok(ApiClient {
            id: row.id,
            role: role_from(&row.role, row.owner_id, row.unit_id)?,
            client_id: row.client_id,
            secret_hash: row.secret_hash,
            name: row.name,
        })
    }
}

const CLIENT_COLUMNS: &str =
    "c.id, c.client_id, c.secret_hash, c.name, c.role, c.owner_id, c.unit_id";

/// Binds a role's kind and scope as three values: role, owner id, unit id.
fn bind_role(sql: &mut Sql, role: Role) {
    sql.bind(role.kind().as_str())
        .push(", ")
        .bind(role.owner().map(|owner| owner.0))
        .push(", ")
        .bind(role.unit().map(|unit| unit.0));
}

/// The credential a request came with, by its hash (never the secret itself): what a long-lived
/// answer (a subscription's stream) checks again, since the session may end or the token expire
/// while it runs.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session cookie's id, hashed.
    Session(String),
    /// A bearer token (a person's or an API client's), hashed.
    Bearer(String),
}

impl std::fmt::Debug for Credential {
    /// Leaves the hash out: it is as good as the secret for looking a session up.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Session(_) => "Credential::Session(..)",
            Self::Bearer(_) => "Credential::Bearer(..)",
        })
    }
}

impl Store {
    /// Records a login: finds the user by Feide user id (roles may have been granted before the
    /// first login), links the `sub`, and notes the time.
    pub async fn user_logged_in(
        &self,
        sub: &str,
        feide_user_id: &str,
        now: i64,
    ) -> StoreResult<User> {
        let mut sql = Sql::new(
            "INSERT INTO users (feide_user_id, feide_sub, created_at, last_login_at) VALUES (",
        );
        sql.bind(feide_user_id)
            .push(", ")
            .bind(sub)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now);
        sql.push(
            ") ON CONFLICT (feide_user_id) DO UPDATE SET feide_sub = excluded.feide_sub, \
             last_login_at = excluded.last_login_at RETURNING id",
        );
        let (id,): (i64,) = self.fetch_one(sql).await?;
        Ok(User {
            id: UserId(id),
            feide_user_id: feide_user_id.to_owned(),
        })
    }

    /// A user by Feide user id, created when missing (for personal tokens and the demo login).
    pub async fn user_by_feide_id(&self, feide_user_id: &str, now: i64) -> StoreResult<User> {
        let mut sql = Sql::new("INSERT INTO users (feide_user_id, created_at) VALUES (");
        sql.bind(feide_user_id).push(", ").bind(now);
        sql.push(") ON CONFLICT (feide_user_id) DO UPDATE SET feide_user_id = excluded.feide_user_id RETURNING id");
        let (id,): (i64,) = self.fetch_one(sql).await?;
        Ok(User {
            id: UserId(id),
            feide_user_id: feide_user_id.to_owned(),
        })
    }

    /// The roles assigned to a Feide user id.
    pub async fn roles_of(&self, feide_user_id: &str) -> StoreResult<Vec<Role>> {
        Ok(self
            .role_assignments(Some(feide_user_id))
            .await?
            .into_iter()
            .map(|assignment| assignment.role)
            .collect())
    }

    /// Role assignments, of one Feide user id or all, oldest first.
    pub async fn role_assignments(
        &self,
        feide_user_id: Option<&str>,
    ) -> StoreResult<Vec<RoleAssignment>> {
        let mut sql = Sql::new(
            "SELECT id, feide_user_id, role, owner_id, unit_id, granted_by, granted_at \
             FROM role_assignments",
        );
        if let Some(user) = feide_user_id {
            sql.push(" WHERE feide_user_id = ").bind(user);
        }
        sql.push(" ORDER BY id");
        let rows: Vec<RoleRow> = self.fetch_all(sql).await?;
        Ok(rows
            .into_iter()
            .map(RoleAssignment::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Gives `role` to a Feide user id; giving it again changes nothing.
    pub async fn grant_role(
        &self,
        feide_user_id: &str,
        role: Role,
        granted_by: &str,
        now: i64,
    ) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO role_assignments (feide_user_id, role, owner_id, unit_id, granted_by, granted_at) VALUES (",
        );
        sql.bind(feide_user_id).push(", ");
        bind_role(&mut sql, role);
        sql.push(", ")
            .bind(granted_by)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT DO NOTHING");
        self.execute_in_transaction(vec![sql]).await
    }

    /// Takes `role` away; answers whether it was there.
    pub async fn revoke_role(&self, feide_user_id: &str, role: Role) -> StoreResult<bool> {
        let mut sql = Sql::new("DELETE FROM role_assignments WHERE feide_user_id = ");
        sql.bind(feide_user_id)
            .push(" AND role = ")
            .bind(role.kind().as_str());
        sql.push(" AND COALESCE(owner_id, 0) = ")
            .bind(role.owner().map_or(0, |owner| owner.0));
        sql.push(" AND COALESCE(unit_id, 0) = ")
            .bind(role.unit().map_or(0, |unit| unit.0));
        sql.push(" RETURNING id");
        Ok(self.fetch_optional::<(i64,)>(sql).await?.is_some())
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let mut sql =
            Sql::new("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ");
        sql.bind_list(
            [id_hash.into(), user.0.into(), now.into(), expires_at.into()] as [super::Param; 4],
        );
        self.execute_in_transaction(vec![sql]).await
    }

    /// Ends a session (logout), and any session past its expiry.
    pub async fn delete_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        let mut this = Sql::new("DELETE FROM sessions WHERE id_hash = ");
        this.bind(id_hash);
        let mut expired = Sql::new("DELETE FROM sessions WHERE expires_at <= ");
        expired.bind(now);
        self.execute_in_transaction(vec![this, expired]).await
    }

    pub async fn create_login_attempt(
        &self,
        id_hash: &str,
        attempt: &LoginAttempt,
        expires_at: i64,
    ) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO login_attempts (id_hash, state, nonce, pkce_verifier, return_to, expires_at) VALUES ",
        );
        sql.bind_list([
            id_hash.into(),
            attempt.state.as_str().into(),
            attempt.nonce.as_str().into(),
            attempt.pkce_verifier.as_str().into(),
            attempt.return_to.as_str().into(),
            expires_at.into(),
        ] as [super::Param; 6]);
        self.execute_in_transaction(vec![sql]).await
    }

    /// Takes an unexpired login attempt out of the table: each can be used once.
    pub async fn take_login_attempt(
        &self,
        id_hash: &str,
        now: i64,
    ) -> StoreResult<Option<LoginAttempt>> {
        let mut sql = Sql::new("DELETE FROM login_attempts WHERE id_hash = ");
        sql.bind(id_hash)
            .push(" RETURNING state, nonce, pkce_verifier, return_to, expires_at");
        let attempt: Option<(String, String, String, String, i64)> =
            self.fetch_optional(sql).await?;
        Ok(attempt.filter(|(.., expires_at)| *expires_at > now).map(
            |(state, nonce, pkce_verifier, return_to, _)| LoginAttempt {
                state,
                nonce,
                pkce_verifier,
                return_to,
            },
        ))
    }

    pub async fn create_api_client(
        &self,
        client_id: &str,
        secret_hash: &str,
        name: &str,
        role: Role,
        now: i64,
    ) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO api_clients (client_id, secret_hash, name, role, owner_id, unit_id, created_at) VALUES (",
        );
        sql.bind(client_id)
            .push(", ")
            .bind(secret_hash)
            .push(", ")
            .bind(name)
            .push(", ");
        bind_role(&mut sql, role);
        sql.push(", ").bind(now).push(")");
        self.execute_in_transaction(vec![sql]).await
    }

    /// An API client that has not been revoked.
    pub async fn api_client(&self, client_id: &str) -> StoreResult<Option<ApiClient>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(CLIENT_COLUMNS)
            .push(" FROM api_clients c WHERE c.revoked_at IS NULL AND c.client_id = ")
            .bind(client_id);
        let row: Option<ClientRow> = self.fetch_optional(sql).await?;
        Ok(row.map(ApiClient::try_from).transpose()?)
    }

    /// Stores a bearer token's hash for a client or a user.
    pub async fn create_access_token(
        &self,
        token_hash: &str,
        holder: &TokenHolder,
        label: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let (client, user) = match holder {
            TokenHolder::Client(client) => (Some(client.id), None),
            TokenHolder::User(user) => (None, Some(user.id.0)),
        };
        let mut sql = Sql::new(
            "INSERT INTO access_tokens (token_hash, api_client_id, user_id, label, created_at, expires_at) VALUES ",
        );
        sql.bind_list([
            token_hash.into(),
            client.into(),
            user.into(),
            label.into(),
            now.into(),
            expires_at.into(),
        ] as [super::Param; 6]);
        self.execute_in_transaction(vec![sql]).await
    }

    /// The roles the holder of `credential` has now (a person's assignments, an API client's own
    /// role); `None` when the credential no longer speaks for anyone (the session ended or
    /// expired, the token expired, its API client was revoked).
    pub async fn roles_of_credential(
        &self,
        credential: &Credential,
        now: i64,
    ) -> StoreResult<Option<Vec<Role>>> {
        Ok(self
            .credential_holder(credential, now)
            .await?
            .map(|(holder, roles)| match holder {
                TokenHolder::Client(client) => vec![client.role],
                TokenHolder::User(_) => roles,
            }))
    }

    /// Whom `credential` speaks for now, with a person's role assignments (none for an API
    /// client, whose role is its own), in one statement: every authenticated request starts
    /// here. `None` when it speaks for no one (the session ended or expired, the token expired,
    /// its API client was revoked).
    pub async fn credential_holder(
        &self,
        credential: &Credential,
        now: i64,
    ) -> StoreResult<Option<(TokenHolder, Vec<Role>)>> {
        let (table, client_join, column, hash) = match credential {
            // A session is always a person's.
            Credential::Session(hash) => ("sessions", "ON 1 = 0", "id_hash", hash),
            Credential::Bearer(hash) => (
                "access_tokens",
                "ON c.id = t.api_client_id AND c.revoked_at IS NULL",
                "token_hash",
                hash,
            ),
        };
        let mut sql = Sql::new("SELECT ");
        sql.push(CLIENT_COLUMNS)
            .push(
                ", u.id AS user_id, u.feide_user_id, r.role AS user_role, \
                 r.owner_id AS role_owner_id, r.unit_id AS role_unit_id FROM ",
            )
            .push(table)
            .push(" t LEFT JOIN api_clients c ")
            .push(client_join)
            .push(
                " LEFT JOIN users u ON u.id = t.user_id \
                 LEFT JOIN role_assignments r ON r.feide_user_id = u.feide_user_id WHERE t.",
            )
            .push(column)
            .push(" = ")
            .bind(hash.as_str())
            .push(" AND t.expires_at > ")
            .bind(now)
            .push(" ORDER BY r.id");
        let rows: Vec<HolderRow> = self.fetch_all(sql).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        if let Some(client) = first.client() {
            return Ok(Some((
                TokenHolder::Client(ApiClient::try_from(client)?),
                Vec::new(),
            )));
        }
        let (Some(id), Some(feide_user_id)) = (first.user_id, first.feide_user_id.clone()) else {
            return Ok(None);
        };
        let roles = rows
            .iter()
            .filter_map(|row| {
                let role = row.user_role.as_deref()?;
                Some(role_from(role, row.role_owner_id, row.role_unit_id))
            })
            .collect::<Result<_, _>>()?;
        let user = User {
            id: UserId(id),
            feide_user_id,
        };
        Ok(Some((TokenHolder::User(user), roles)))
    }
}
