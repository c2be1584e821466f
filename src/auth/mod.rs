//! Authentication: Feide login (OpenID Connect), server-side sessions, API clients with the
//! OAuth2 client-credentials grant, personal bearer tokens, and the roles they carry.
//!
//! Every request becomes a [`Principal`]; anonymous callers get one with no roles, so what is
//! not granted is denied. Sessions, login attempts and tokens live in the database, so several
//! Varde processes behind a load balancer share them.

mod oidc;
mod secrets;

use std::time::Duration;

use chrono::Utc;

pub use oidc::{OidcClient, OidcConfig, VerifiedLogin};
pub use secrets::random_token;

pub use crate::store::Credential;

use crate::{
    domain::{Grants, Role},
    store::{ApiClient, LoginAttempt, Store, StoreError, TokenHolder, User},
};

/// Why authentication failed. The HTTP layer maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A bearer token that is unknown, expired or revoked (401).
    #[error("the bearer token is invalid or expired")]
    InvalidToken,
    /// Client credentials that do not match a client (401, OAuth `invalid_client`).
    #[error("unknown client or wrong secret")]
    InvalidClient,
    /// A login that cannot complete: wrong state, replayed callback, rejected ID token (400).
    #[error("login failed: {0}")]
    LoginFailed(String),
    /// Feide login is not configured on this server (404).
    #[error("login with Feide is not configured on this server")]
    NotConfigured,
    /// The OpenID provider could not be reached or answered nonsense (502).
    #[error("the identity provider failed: {0}")]
    Provider(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("hashing failed: {0}")]
    Hashing(String),
    /// A signed download link that was altered, lacks its signature or names a caller that no
    /// longer exists (403).
    #[error("the download link is invalid: {0}")]
    LinkInvalid(&'static str),
    /// A signed download link past its expiry (403).
    #[error("the download link expired; ask `exportUrl` for a new one")]
    LinkExpired,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// A person, by session cookie or personal token.
    User(User),
    /// A service, by a client-credentials token.
    Client {
        client_id: String,
        name: String,
    },
}

/// A caller with the roles it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub caller: Caller,
    pub grants: Grants,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self {
            caller: Caller::Anonymous,
            grants: Grants::default(),
        }
    }

    /// The name recorded when this caller grants a role.
    pub fn audit_name(&self) -> String {
        match &self.caller {
            Caller::Anonymous => "anonymous".into(),
            Caller::User(user) => user.feide_user_id.clone(),
            Caller::Client { client_id, .. } => format!("client:{client_id}"),
        }
    }
}

/// The credential of a request that presents a bearer token (preferred, as [`Auth::principal`]
/// does) or a session cookie, by its hash; `None` for neither.
pub fn credential(bearer: Option<&str>, session: Option<&str>) -> Option<Credential> {
    match (bearer, session) {
        (Some(token), _) => Some(Credential::Bearer(secrets::token_hash(token))),
        (None, Some(session)) => Some(Credential::Session(secrets::token_hash(session))),
        (None, None) => None,
    }
}

/// Lifetimes and switches of authentication.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub oidc: Option<OidcConfig>,
    pub session_ttl: Duration,
    pub client_token_ttl: Duration,
    /// Cookies without `Secure` (and without the `__Host-` prefix), for plain-http local use.
    pub insecure_cookies: bool,
    /// The demo login without Feide (`/auth/dev-login`); refused on non-loopback addresses.
    pub dev_login: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            oidc: None,
            session_ttl: Duration::from_secs(8 * 3600),
            client_token_ttl: Duration::from_secs(3600),
            insecure_cookies: false,
            dev_login: false,
        }
    }
}

/// How long a login may take between /auth/login and /auth/callback.
const LOGIN_ATTEMPT_TTL: i64 = 600;

fn now() -> i64 {
    Utc::now().timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// A login begun: the provider URL to send the browser to, and the value of the cookie that binds
/// the attempt to this browser.
pub struct BegunLogin {
    pub authorize_url: String,
    pub attempt_cookie: String,
}

/// A session created at login.
pub struct NewSession {
    pub session_id: String,
    pub return_to: String,
}

/// An access token issued to a client.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// The authentication service.
pub struct Auth {
    store: Store,
    config: AuthConfig,
    oidc: Option<OidcClient>,
}

/// Only a local absolute path is a safe place to return to after login (no open redirect).
pub fn safe_return_to(requested: Option<&str>) -> String {
    match requested {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/graphql".to_owned(),
    }
}

impl Auth {
    pub fn new(store: Store, config: AuthConfig) -> Result<Self, AuthError> {
        let oidc = config.oidc.clone().map(OidcClient::new).transpose()?;
        Ok(Self {
            store,
            config,
            oidc,
        })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Resolves the credentials of a request. A bearer token must be valid; a session cookie that
    /// is unknown or expired is simply no session.
    pub async fn principal(
        &self,
        bearer: Option<&str>,
        session: Option<&str>,
    ) -> Result<Principal, AuthError> {
        let credential = match (bearer, session) {
            (Some(token), _) => Credential::Bearer(secrets::token_hash(token)),
            (None, Some(session)) => Credential::Session(secrets::token_hash(session)),
            (None, None) => return Ok(Principal::anonymous()),
        };
        match self.store.credential_holder(&credential, now()).await? {
            Some((TokenHolder::Client(client), _)) => Ok(client_principal(client)),
            Some((TokenHolder::User(user), roles)) => Ok(Principal {
                caller: Caller::User(user),
                grants: Grants { roles },
            }),
            None if bearer.is_some() => Err(AuthError::InvalidToken),
            None => Ok(Principal::anonymous()),
        }
    }

    fn oidc(&self) -> Result<&OidcClient, AuthError> {
        self.oidc.as_ref().ok_or(AuthError::NotConfigured)
    }

    /// Starts a Feide login, remembering state, nonce and PKCE verifier server-side.
    pub async fn begin_login(&self, return_to: Option<&str>) -> Result<BegunLogin, AuthError> {
        let start = self.oidc()?.start().await?;
        let attempt_cookie = secrets::random_token();
        let attempt = LoginAttempt {
            state: start.state,
            nonce: start.nonce,
            pkce_verifier: start.pkce_verifier,
            return_to: safe_return_to(return_to),
        };
        self.store
            .create_login_attempt(
                &secrets::token_hash(&attempt_cookie),
                &attempt,
                now() + LOGIN_ATTEMPT_TTL,
            )
            .await?;
        Ok(BegunLogin {
            authorize_url: start.authorize_url,
            attempt_cookie,
        })
    }

    /// Completes a login: the attempt (bound to this browser by its cookie) is used up whatever
    /// happens next, so a callback can never be replayed.
    pub async fn finish_login(
        &self,
        attempt_cookie: Option<&str>,
        code: &str,
        state: &str,
    ) -> Result<NewSession, AuthError> {
        let oidc = self.oidc()?;
        let cookie = attempt_cookie.ok_or_else(|| {
            AuthError::LoginFailed("no login is under way in this browser".into())
        })?;
        let attempt = self
            .store
            .take_login_attempt(&secrets::token_hash(cookie), now())
            .await?
            .ok_or_else(|| {
                AuthError::LoginFailed("the login expired or was already used".into())
            })?;
        if attempt.state != state {
            return Err(AuthError::LoginFailed(
                "state does not match this login".into(),
            ));
        }
        let login = oidc
            .finish(code, &attempt.nonce, &attempt.pkce_verifier)
            .await?;
        let user = self
            .store
            .user_logged_in(&login.sub, &login.feide_user_id, now())
            .await?;
        let session_id = self.create_session(&user).await?;
        Ok(NewSession {
            session_id,
            return_to: attempt.return_to,
        })
    }

    /// The demo login: a session for a Feide user id without asking Feide. Only when enabled.
    pub async fn dev_login(&self, feide_user_id: &str) -> Result<String, AuthError> {
        if !self.config.dev_login {
            return Err(AuthError::NotConfigured);
        }
        let user = self.store.user_by_feide_id(feide_user_id, now()).await?;
        self.create_session(&user).await
    }

    async fn create_session(&self, user: &User) -> Result<String, AuthError> {
        let session_id = secrets::random_token();
        let now = now();
        self.store
            .create_session(
                &secrets::token_hash(&session_id),
                user.id,
                now,
                now + seconds(self.config.session_ttl),
            )
            .await?;
        Ok(session_id)
    }

    /// Ends a session (logout).
    pub async fn logout(&self, session: &str) -> Result<(), AuthError> {
        Ok(self
            .store
            .delete_session(&secrets::token_hash(session), now())
            .await?)
    }

    /// The OAuth2 client-credentials grant: a short-lived bearer token for a client.
    pub async fn issue_client_token(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<IssuedToken, AuthError> {
        let client = self.store.api_client(client_id).await?;
        let secret = secret.to_owned();
        // Verify even for unknown clients, so that timing does not tell which client ids exist.
        let hash = client
            .as_ref()
            .map(|c| c.secret_hash.clone())
            .unwrap_or_default();
        let matches = tokio::task::spawn_blocking(move || secrets::verify_secret(&secret, &hash))
            .await
            .unwrap_or(false);
        let client = client.filter(|_| matches).ok_or(AuthError::InvalidClient)?;
        let access_token = secrets::random_token();
        let now = now();
        let expires_in = seconds(self.config.client_token_ttl);
        let label = format!("client-credentials for {}", client.client_id);
        self.store
            .create_access_token(
                &secrets::token_hash(&access_token),
                &TokenHolder::Client(client),
                &label,
                now,
                now + expires_in,
            )
            .await?;
        Ok(IssuedToken {
            access_token,
            expires_in,
        })
    }

    /// Registers an API client with one role; returns its id and secret (shown once).
    pub async fn create_api_client(
        &self,
        name: &str,
        role: Role,
    ) -> Result<(String, String), AuthError> {
        let client_id = format!("varde-{}", &secrets::random_token()[..12]);
        let secret = secrets::random_token();
        let to_hash = secret.clone();
        let hash = tokio::task::spawn_blocking(move || secrets::hash_secret(&to_hash))
            .await
            .map_err(|error| AuthError::Hashing(error.to_string()))?
            .map_err(|error| AuthError::Hashing(error.to_string()))?;
        self.store
            .create_api_client(&client_id, &hash, name, role, now())
            .await?;
        Ok((client_id, secret))
    }

    /// A long-lived personal token that acts as the user with the user's roles.
    pub async fn create_personal_token(
        &self,
        feide_user_id: &str,
        label: &str,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let user = self.store.user_by_feide_id(feide_user_id, now()).await?;
        let token = secrets::random_token();
        let now = now();
        self.store
            .create_access_token(
                &secrets::token_hash(&token),
                &TokenHolder::User(user),
                label,
                now,
                now + seconds(ttl),
            )
            .await?;
        Ok(token)
    }
}

/// How long a signed download link (`exportUrl`) stays valid, in seconds: long enough for a
/// browser or a BI tool to follow it, short enough that a link copied into a log or a chat soon
/// opens nothing.
pub const DOWNLOAD_LINK_TTL: i64 = 300;

/// The name of the signing key in the database.
const LINK_KEY: &str = "download-links";

/// The key download links are signed with: made by the first process that needs it and stored,
/// so that every process behind a load balancer accepts every other's links.
async fn link_key(store: &Store) -> Result<Vec<u8>, AuthError> {
    Ok(store
        .signing_key(LINK_KEY, &secrets::random_token(), now())
        .await?
        .into_bytes())
}

/// Who a download link acts for: `anonymous`, `user:<Feide user id>` or `client:<client id>`.
fn link_holder(principal: &Principal) -> String {
    match &principal.caller {
        Caller::Anonymous => "anonymous".into(),
        Caller::User(user) => format!("user:{}", user.feide_user_id),
        Caller::Client { client_id, .. } => format!("client:{client_id}"),
    }
}

/// Signs `path?query` (the query already URL-encoded) for `principal`: the link with its holder,
/// expiry and signature appended (`&as=..&expires=..&sig=..`, the signature last), and its expiry
/// as a Unix time. Whoever follows the link acts as `principal` until it expires, with the roles
/// the principal holds then.
pub async fn sign_link(
    store: &Store,
    principal: &Principal,
    path: &str,
    query: &str,
) -> Result<(String, i64), AuthError> {
    sign_link_expiring(store, principal, path, query, now() + DOWNLOAD_LINK_TTL).await
}

/// [`sign_link`] with a chosen expiry (a Unix time); for tests and tools.
pub async fn sign_link_expiring(
    store: &Store,
    principal: &Principal,
    path: &str,
    query: &str,
    expires: i64,
) -> Result<(String, i64), AuthError> {
    let holder: String = serde_urlencoded::to_string([("as", link_holder(principal))])
        .unwrap_or_else(|_| "as=anonymous".into());
    let separator = if query.is_empty() { "" } else { "&" };
    let unsigned = format!("{path}?{query}{separator}{holder}&expires={expires}");
    let signature = secrets::sign(&link_key(store).await?, &unsigned);
    Ok((format!("{unsigned}&sig={signature}"), expires))
}

/// Whether a raw query string carries a link signature (`sig=`), so that it must be checked
/// rather than taken from the request's own credentials.
pub fn is_signed_link(raw_query: &str) -> bool {
    raw_query
        .split('&')
        .any(|pair| pair.starts_with("sig=") || pair == "sig")
}

/// Checks a signed link (`path` and its raw query string) and gives the principal it acts for,
/// with the roles that principal holds now.
pub async fn verify_link(
    store: &Store,
    path: &str,
    raw_query: &str,
) -> Result<Principal, AuthError> {
    let (unsigned_query, signature) =
        raw_query
            .rsplit_once("&sig=")
            .ok_or(AuthError::LinkInvalid(
                "`sig` must come last, after `expires`",
            ))?;
    let unsigned = format!("{path}?{unsigned_query}");
    if !secrets::verify(&link_key(store).await?, &unsigned, signature) {
        return Err(AuthError::LinkInvalid(
            "its signature does not match; a signed link must be used exactly as given",
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(unsigned_query)
        .map_err(|_| AuthError::LinkInvalid("its query string is malformed"))?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let expires: i64 = field("expires")
        .and_then(|expires| expires.parse().ok())
        .ok_or(AuthError::LinkInvalid("it has no `expires`"))?;
    if expires < now() {
        return Err(AuthError::LinkExpired);
    }
    let holder = field("as").ok_or(AuthError::LinkInvalid("it has no `as`"))?;
    match holder.split_once(':') {
        None if holder == "anonymous" => Ok(Principal::anonymous()),
        Some(("user", feide_user_id)) => {
            let user = store.user_by_feide_id(feide_user_id, now()).await?;
            let roles = store.roles_of(&user.feide_user_id).await?;
            Ok(Principal {
                caller: Caller::User(user),
                grants: Grants { roles },
            })
        }
        Some(("client", client_id)) => store
            .api_client(client_id)
            .await?
            .map(client_principal)
            .ok_or(AuthError::LinkInvalid("its API client was revoked")),
        _ => Err(AuthError::LinkInvalid("`as` names no caller")),
    }
}

fn client_principal(client: ApiClient) -> Principal {
    Principal {
        grants: Grants {
            roles: vec![client.role],
        },
        caller: Caller::Client {
            client_id: client.client_id,
            name: client.name,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_to(Some("/graphql?x=1")), "/graphql?x=1");
        for hostile in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), "/graphql", "{hostile:?}");
        }
        assert_eq!(safe_return_to(None), "/graphql");
    }
}
