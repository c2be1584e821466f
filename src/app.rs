//! Varde as one running service: what `varde serve` does once its configuration is parsed, and
//! what the integration tests start, so that they test the service as it runs in production.

use std::future::Future;

use anyhow::{Context, Result};
use tokio::net::TcpListener;

use crate::{
    auth::{Auth, AuthConfig},
    http::{self, HttpConfig},
    seed,
    store::Store,
};

/// How to run the service.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub http: HttpConfig,
    pub auth: AuthConfig,
    /// Load the demo data into an empty database.
    pub seed_demo: bool,
}

/// Migrates the database, seeds an empty one with the demo data when asked, and serves the API on
/// `listener` until `shutdown` completes. The listener is bound before: connections wait in its
/// backlog until the database is ready, so the first answer already sees the migrated data.
pub async fn run(
    listener: TcpListener,
    store: Store,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let auth = Auth::new(store.clone(), settings.auth)?;
    store.migrate().await.context("migrating")?;
    if settings.seed_demo && store.is_empty().await? {
        tracing::info!("empty database: loading the demo seeds");
        store
            .load_seed(&seed::demo()?)
            .await
            .context("loading demo seeds")?;
    }
    store
        .listen_for_votes()
        .await
        .context("listening for vote notices")?;
    tracing::info!(
        "serving GraphQL at http://{}/graphql ({})",
        listener.local_addr()?,
        store.dialect()
    );
    if auth.config().dev_login {
        tracing::warn!("demo login enabled: /auth/dev-login?user=<Feide user id>");
    }
    let app = http::app(store, settings.http, auth);
    http::serve(listener, app, shutdown).await?;
    Ok(())
}
