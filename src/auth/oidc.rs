//! Feide login over OpenID Connect: authorization code flow with PKCE (S256), `state` and
//! `nonce`, endpoints from the provider's discovery document, and full ID-token validation.
//!
//! openidconnect checks the signature (RS256 only here: never `none`, never HS*), `iss`, `aud`,
//! `exp` and `nonce`. Two checks it leaves out are added deliberately: `azp` must be our client id
//! when present, and a configurable clock leeway applies to `exp` and `iat`. An unknown `kid`
//! makes us fetch the JWKS again once (key rotation).

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, IdToken, IdTokenVerifier, IssuerUrl, JsonWebKeySet, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError,
    core::{
        CoreClient, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    },
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::AuthError;

/// Feide's claim for the Feide user id (eduPersonPrincipalName), released with scope
/// `userid-feide`.
const FEIDE_USER_ID_CLAIM: &str = "https://n.feide.no/claims/eduPersonPrincipalName";

/// The extra claim Varde reads from Feide's ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FeideClaims {
    #[serde(rename = "https://n.feide.no/claims/eduPersonPrincipalName")]
    feide_user_id: Option<String>,
}

impl AdditionalClaims for FeideClaims {}

type FeideIdToken = IdToken<
    FeideClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// How Varde is registered with the OpenID provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuer, e.g. `https://auth.dataporten.no` for Feide.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Exactly the redirect URI registered with the provider: `<public URL>/auth/callback`.
    pub redirect_uri: String,
    /// Scopes beside `openid`; `userid-feide` is needed for the Feide user id.
    pub scopes: Vec<String>,
    /// Clock skew tolerated on `exp` and `iat`.
    pub leeway: Duration,
}

/// What the provider told us at discovery, refreshed when it rotates its keys.
struct ProviderState {
    metadata: CoreProviderMetadata,
}

/// The start of a login: where to send the browser, and what to remember until it returns.
pub struct LoginStart {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A person as the provider vouches for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    pub sub: String,
    pub feide_user_id: String,
}

/// Client of one OpenID provider.
pub struct OidcClient {
    config: OidcConfig,
    http: reqwest::Client,
    provider: RwLock<Option<Arc<ProviderState>>>,
}

/// Refuses an issuer that is not https: its discovery document and keys decide who logs in.
/// Plain http is allowed only on loopback, for a provider run beside Varde in tests.
fn check_issuer(issuer: &str) -> Result<(), AuthError> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(provider_error)?;
    let url = url.url();
    let loopback = match url.host() {
        Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(AuthError::Provider(format!(
            "the OpenID issuer {issuer} must use https (plain http only on a loopback address)"
        )))
    }
}

fn provider_error(error: impl std::fmt::Display) -> AuthError {
    AuthError::Provider(error.to_string())
}

impl OidcClient {
    pub fn new(config: OidcConfig) -> Result<Self, AuthError> {
        check_issuer(&config.issuer)?;
        // No redirects: a provider (or a forged discovery document) must not steer our requests
        // elsewhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(provider_error)?;
        Ok(Self {
            config,
            http,
            provider: RwLock::new(None),
        })
    }

    /// The discovery document, fetched once and kept; `refresh` fetches it again.
    async fn provider(&self, refresh: bool) -> Result<Arc<ProviderState>, AuthError> {
        if !refresh && let Some(state) = self.provider.read().await.as_ref() {
            return Ok(state.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(provider_error)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| AuthError::Provider(format!("discovery failed: {error}")))?;
        let state = Arc::new(ProviderState { metadata });
        *self.provider.write().await = Some(state.clone());
        Ok(state)
    }

    fn client(&self, state: &ProviderState) -> Result<ConfiguredClient, AuthError> {
        let redirect =
            RedirectUrl::new(self.config.redirect_uri.clone()).map_err(provider_error)?;
        Ok(CoreClient::from_provider_metadata(
            state.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Builds the authorization URL with fresh `state`, `nonce` and PKCE challenge.
    pub async fn start(&self) -> Result<LoginStart, AuthError> {
        let state = self.provider(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(&state)?;
        let mut request = client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(LoginStart {
            authorize_url: url.to_string(),
            state: csrf.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and validates the ID token against the remembered nonce.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<VerifiedLogin, AuthError> {
        let state = self.provider(false).await?;
        let response = self
            .client(&state)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(provider_error)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| {
                // The provider's own text stays in the log: it is not ours to show.
                tracing::warn!(%error, "the code exchange failed");
                AuthError::LoginFailed("the provider did not accept the login code".into())
            })?;
        let _ = response.access_token(); // Feide's access token is never used nor passed on.
        let raw = response
            .extra_fields()
            .id_token()
            .ok_or_else(|| AuthError::LoginFailed("the provider sent no ID token".into()))?
            .to_string();
        let id_token: FeideIdToken = raw
            .parse()
            .map_err(|error| AuthError::LoginFailed(format!("malformed ID token: {error}")))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match self.verify(&id_token, &state, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys since discovery: fetch them once more.
                let state = self.provider(true).await?;
                self.verify(&id_token, &state, &nonce)
            }
            other => other,
        }
        .map_err(|error| AuthError::LoginFailed(format!("the ID token was rejected: {error}")))?;
        if let Some(azp) = claims.authorized_party()
            && azp.as_str() != self.config.client_id
        {
            return Err(AuthError::LoginFailed(format!(
                "the ID token was rejected: authorized party {:?} is not this client",
                azp.as_str()
            )));
        }
        let feide_user_id = claims
            .additional_claims()
            .feide_user_id
            .clone()
            .ok_or_else(|| {
                AuthError::LoginFailed(format!(
                    "the ID token has no {FEIDE_USER_ID_CLAIM}: request the userid-feide scope"
                ))
            })?;
        Ok(VerifiedLogin {
            sub: claims.subject().to_string(),
            feide_user_id,
        })
    }

    fn verify<'t>(
        &self,
        id_token: &'t FeideIdToken,
        state: &ProviderState,
        nonce: &Nonce,
    ) -> Result<
        &'t openidconnect::IdTokenClaims<FeideClaims, CoreGenderClaim>,
        ClaimsVerificationError,
    > {
        let leeway = chrono::Duration::from_std(self.config.leeway).unwrap_or_default();
        // Tokens come straight from the token endpoint: one issued long ago is suspect.
        let max_age = chrono::Duration::minutes(10) + leeway;
        let jwks: JsonWebKeySet<CoreJsonWebKey> = state.metadata.jwks().clone();
        let verifier = IdTokenVerifier::new_public_client(
            ClientId::new(self.config.client_id.clone()),
            state.metadata.issuer().clone(),
            jwks,
        )
        .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
        .set_time_fn(move || Utc::now() - leeway)
        .set_issue_time_verifier_fn(move |issued| {
            let now = Utc::now();
            if issued > now + leeway {
                Err(format!("issued in the future ({issued})"))
            } else if issued < now - max_age {
                Err(format!("issued too long ago ({issued})"))
            } else {
                Ok(())
            }
        });
        id_token.claims(&verifier, nonce)
    }
}

type ConfiguredClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, response::Redirect, routing::get};

    /// The client Varde talks to the provider with answers a redirect as it is, so a provider
    /// or a forged discovery document cannot steer it to an internal address.
    #[tokio::test]
    async fn the_provider_client_follows_no_redirects() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/moved", get(|| async { Redirect::temporary("/internal") }))
            .route("/internal", get(|| async { "reached" }));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = OidcClient::new(OidcConfig {
            issuer: format!("http://{address}"),
            client_id: "varde".into(),
            client_secret: "secret".into(),
            redirect_uri: "http://127.0.0.1/auth/callback".into(),
            scopes: Vec::new(),
            leeway: Duration::from_secs(0),
        })
        .unwrap();
        let response = client
            .http
            .get(format!("http://{address}/moved"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::TEMPORARY_REDIRECT);
        let internal = client
            .http
            .get(format!("http://{address}/internal"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            internal.text().await.unwrap(),
            "reached",
            "the server answers"
        );
    }

    #[test]
    fn an_issuer_must_be_https_unless_on_loopback() {
        for allowed in [
            "https://auth.dataporten.no",
            "http://127.0.0.1:9000",
            "http://[::1]:9000",
            "http://localhost:9000",
        ] {
            assert!(check_issuer(allowed).is_ok(), "{allowed}");
        }
        for refused in [
            "http://auth.dataporten.no",
            "http://10.0.0.5",
            "ftp://auth.example",
        ] {
            assert!(check_issuer(refused).is_err(), "{refused}");
        }
    }
}
