//! Command line and configuration: flags with environment-variable fallbacks.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::{graphql, http, seed, store::Store};

/// Varde: a GraphQL API for quality development in Norwegian education.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Database: `sqlite:PATH` (embedded, created on first start) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:varde.db",
        global = true
    )]
    database_url: String,

    /// Most database connections this process opens.
    #[arg(
        long,
        env = "VARDE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    max_connections: u32,

    #[command(flatten)]
    serve: ServeArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default): migrates, and seeds an empty database with the demo data.
    /// Takes the serve options (--addr, --body-limit, ...) given before or after it.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Load seed data into an empty database (the built-in demo data unless --dir is given).
    Seed {
        /// A directory laid out like seeds/ in the repository.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "VARDE_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    addr: SocketAddr,

    /// Largest request body, in bytes.
    #[arg(long, env = "VARDE_BODY_LIMIT", default_value_t = 256 * 1024, global = true)]
    body_limit: usize,

    /// Seconds a request may take before it is answered 408.
    #[arg(
        long,
        env = "VARDE_REQUEST_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    request_timeout: u64,

    /// Most operations in one batched (JSON array) request; 0 turns batching off.
    #[arg(long, env = "VARDE_MAX_BATCH", default_value_t = 0, global = true)]
    max_batch: usize,

    /// Do not load the demo data into an empty database.
    #[arg(long, env = "VARDE_NO_SEED", global = true)]
    no_seed: bool,
}

/// Runs the command line; the binary's `main` calls only this.
pub async fn run(cli: Cli) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    let store = Store::connect(&cli.database_url, cli.max_connections)
        .await
        .with_context(|| format!("connecting to {}", redact(&cli.database_url)))?;
    let result = match command {
        Command::Serve => serve(&store, cli.serve).await,
        Command::Migrate => store.migrate().await.context("migrating"),
        Command::Seed { dir } => seed_store(&store, dir).await,
        Command::Schema => unreachable!("handled before connecting"),
    };
    store.close().await;
    result
}

/// Hides the password of a database URL in messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn seed_store(store: &Store, dir: Option<PathBuf>) -> Result<()> {
    store.migrate().await.context("migrating")?;
    anyhow::ensure!(
        store.is_empty().await?,
        "the database already holds data; seed only an empty database"
    );
    let data = match dir {
        Some(dir) => seed::from_dir(&dir)?,
        None => seed::demo()?,
    };
    store.load_seed(&data).await.context("loading seeds")?;
    tracing::info!(values = data.values.len(), "seeded");
    Ok(())
}

async fn serve(store: &Store, args: ServeArgs) -> Result<()> {
    store.migrate().await.context("migrating")?;
    if !args.no_seed && store.is_empty().await? {
        tracing::info!("empty database: loading the demo seeds");
        store
            .load_seed(&seed::demo()?)
            .await
            .context("loading demo seeds")?;
    }
    let config = http::HttpConfig {
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.request_timeout),
        max_batch_size: args.max_batch,
    };
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(
        "serving GraphQL at http://{}/graphql ({})",
        listener.local_addr()?,
        store.dialect()
    );
    http::serve(
        listener,
        http::router(store.clone(), config),
        shutdown_signal(),
    )
    .await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so that open requests can finish.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact("postgres://varde:secret@db:5432/varde"),
            "postgres://varde:***@db:5432/varde"
        );
        assert_eq!(
            redact("postgres://varde@db/varde"),
            "postgres://varde@db/varde"
        );
        assert_eq!(redact("sqlite:varde.db"), "sqlite:varde.db");
    }
}
