//! Command line and configuration: flags with environment-variable fallbacks.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tokio::net::TcpListener;
use tracing_subscriber::{
    EnvFilter, Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _,
};

use crate::{
    app,
    auth::{Auth, AuthConfig, OidcConfig},
    domain::{Kommunenummer, OrgNumber, OwnerCode, Role, RoleKind},
    graphql, http, import, seed,
    store::Store,
};

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

    /// A streaming read replica of the PostgreSQL database, for query operations; mutations,
    /// logins, sessions and the audit log stay on `DATABASE_URL`.
    #[arg(long, env = "VARDE_READ_DATABASE_URL", global = true)]
    read_database_url: Option<String>,

    /// Seconds a request waits for a database connection before it fails with
    /// SERVICE_UNAVAILABLE: a database that is gone is reported in seconds.
    #[arg(
        long,
        env = "VARDE_DB_ACQUIRE_TIMEOUT",
        default_value_t = 3,
        global = true
    )]
    db_acquire_timeout: u64,

    /// Most database connections this process opens.
    #[arg(
        long,
        env = "VARDE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    max_connections: u32,

    /// How logs are written to standard error: `text` for a terminal, `json` (one object per
    /// line, with the span's fields such as `request_id`) for a log collector.
    #[arg(
        long,
        env = "VARDE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,

    /// An OpenTelemetry collector's OTLP/HTTP base URL (e.g. `http://localhost:4318`): traces
    /// of every request, GraphQL operation and database statement are sent to its `/v1/traces`.
    /// Unset, no tracer is installed and tracing costs nothing beyond the logs.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    otlp_endpoint: Option<String>,

    #[command(flatten)]
    serve: ServeArgs,

    #[command(flatten)]
    login: LoginArgs,

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
    /// Load a generated national-scale data set into an empty database (the benchmark's data,
    /// issue 15; see BENCHMARKS.md) and report the load rate.
    Generate {
        /// `national` (every kommune, millions of values) or `smoke` (a few thousand values).
        #[arg(long, default_value = "national")]
        scale: String,
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 15)]
        seed: u64,
    },
    /// Import a source's file (a Varde CSV template, an SSB JSON-stat dataset, a Statistikkbanken
    /// export or JSON answer from Udir), or fetch it from a URL (SSB's statistics API, Udir's data
    /// API), through the source's import rules: all or nothing, in one transaction. Prints the
    /// report; with any problem in the file nothing is applied and the command fails. On a
    /// terminal, a progress bar with rows per second is shown on standard error.
    Import {
        /// The import source, e.g. `varde-mal`, `ssb-kostra-kulturskole` or
        /// `udir-statistikkbanken`.
        #[arg(long)]
        source: String,
        /// Report what the import would do and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The file's text encoding (CSV): utf-8, utf-16le, utf-16be or windows-1252 (latin-1);
        /// detected when not given.
        #[arg(long)]
        encoding: Option<String>,
        /// The CSV separator: `;`, `,`, `tab` or `|`; detected from the header when not given.
        #[arg(long)]
        separator: Option<String>,
        /// Who imports, for the import log.
        #[arg(long, env = "USER", default_value = "cli")]
        by: String,
        /// Where figures under a kommunenummer that split belong, `OLD=NEW` (e.g.
        /// `--split 1507=1508`: Ålesund's figures from before 2024 go to today's Ålesund, not
        /// Haram); repeatable, and over the source's `split` rules.
        #[arg(long = "split", value_name = "OLD=NEW")]
        splits: Vec<String>,
        /// A URL source's query, a JSON file POSTed to the URL (SSB's statistics API takes a
        /// table's query so); without it a URL is fetched with GET (Udir's data API).
        #[arg(long)]
        query: Option<PathBuf>,
        /// The file to import, or an `http://` or `https://` URL to fetch it from.
        file: String,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Register an API client (BI dashboard, national aggregation) with one role; prints its
    /// client id and secret once.
    CreateClient {
        /// A name people recognise, e.g. "Kongsberg BI".
        #[arg(long)]
        name: String,
        #[command(flatten)]
        role: RoleArgs,
    },
    /// Create a long-lived personal API token acting as a Feide user; prints it once.
    CreateToken {
        /// Feide user id (eduPersonPrincipalName).
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "personal token")]
        label: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: u64,
    },
    /// Give a role to a Feide user id (e.g. the first national admin).
    Grant {
        /// Feide user id (eduPersonPrincipalName).
        #[arg(long)]
        user: String,
        #[command(flatten)]
        role: RoleArgs,
    },
}

/// A role and its scope on the command line.
#[derive(Debug, Args)]
struct RoleArgs {
    /// national_admin, national_reader, owner_admin, owner_reader, unit_leader or unit_staff.
    #[arg(long)]
    role: String,
    /// Kommunenummer or fylkesnummer of the owner, for owner roles.
    #[arg(long)]
    owner_code: Option<String>,
    /// Organisasjonsnummer of the unit, for unit roles.
    #[arg(long)]
    unit_org_number: Option<String>,
}

impl RoleArgs {
    async fn resolve(&self, store: &Store) -> Result<Role> {
        let owner = match &self.owner_code {
            Some(code) => Some(
                store
                    .owner_by_code(&OwnerCode::parse(code)?, None)
                    .await?
                    .with_context(|| format!("no owner has code {code}"))?
                    .id,
            ),
            None => None,
        };
        let unit = match &self.unit_org_number {
            Some(org) => Some(
                store
                    .unit_by_org_number(&OrgNumber::parse(org)?)
                    .await?
                    .with_context(|| format!("no unit has organisasjonsnummer {org}"))?
                    .id,
            ),
            None => None,
        };
        Ok(Role::new(RoleKind::parse(&self.role)?, owner, unit)?)
    }
}

/// Login: Feide (OpenID Connect), sessions and the demo login.
#[derive(Debug, Args)]
struct LoginArgs {
    /// OpenID provider issuer; Feide's is https://auth.dataporten.no. Login is off without it.
    #[arg(long, env = "VARDE_OIDC_ISSUER", global = true)]
    oidc_issuer: Option<String>,

    /// Client id registered with the provider.
    #[arg(long, env = "VARDE_OIDC_CLIENT_ID", global = true)]
    oidc_client_id: Option<String>,

    /// Client secret registered with the provider.
    #[arg(
        long,
        env = "VARDE_OIDC_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    oidc_client_secret: Option<String>,

    /// Scopes to request beside openid (space separated).
    #[arg(
        long,
        env = "VARDE_OIDC_SCOPES",
        default_value = "userid-feide",
        global = true
    )]
    oidc_scopes: String,

    /// Seconds of clock skew tolerated on ID tokens.
    #[arg(long, env = "VARDE_OIDC_LEEWAY", default_value_t = 60, global = true)]
    oidc_leeway: u64,

    /// Public base URL of this server; the redirect URI is <public URL>/auth/callback.
    #[arg(long, env = "VARDE_PUBLIC_URL", global = true)]
    public_url: Option<String>,

    /// Hours a login session lasts.
    #[arg(long, env = "VARDE_SESSION_HOURS", default_value_t = 8, global = true)]
    session_hours: u64,

    /// Cookies without Secure, for plain-http local use only.
    #[arg(long, env = "VARDE_INSECURE_COOKIES", global = true)]
    insecure_cookies: bool,

    /// Enable the demo login /auth/dev-login?user=... (refused on non-loopback addresses).
    #[arg(long, env = "VARDE_DEV_LOGIN", global = true)]
    dev_login: bool,
}

impl LoginArgs {
    fn config(&self, addr: SocketAddr) -> Result<AuthConfig> {
        let oidc = match (
            &self.oidc_issuer,
            &self.oidc_client_id,
            &self.oidc_client_secret,
        ) {
            (Some(issuer), Some(client_id), Some(client_secret)) => {
                let public_url = self
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{addr}"));
                Some(OidcConfig {
                    issuer: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                    redirect_uri: format!("{}/auth/callback", public_url.trim_end_matches('/')),
                    scopes: self
                        .oidc_scopes
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                    leeway: Duration::from_secs(self.oidc_leeway),
                })
            }
            (None, None, None) => None,
            _ => anyhow::bail!(
                "set all of VARDE_OIDC_ISSUER, VARDE_OIDC_CLIENT_ID and VARDE_OIDC_CLIENT_SECRET, or none"
            ),
        };
        anyhow::ensure!(
            !self.dev_login || addr.ip().is_loopback(),
            "the demo login (--dev-login) is refused on the non-loopback address {addr}"
        );
        Ok(AuthConfig {
            oidc,
            session_ttl: Duration::from_secs(self.session_hours * 3600),
            insecure_cookies: self.insecure_cookies,
            dev_login: self.dev_login,
            ..AuthConfig::default()
        })
    }
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

    /// Largest file `POST /import` takes, in bytes (streamed to a temporary file, never held in
    /// memory).
    #[arg(
        long,
        env = "VARDE_IMPORT_BODY_LIMIT",
        default_value_t = 2 * 1024 * 1024 * 1024,
        global = true
    )]
    import_body_limit: u64,

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

    /// Highest cost of a query: the most fields its answer can hold (page sizes multiply).
    #[arg(long, env = "VARDE_MAX_COST", default_value_t = 250_000, global = true)]
    max_cost: u64,

    /// Deepest nesting of selections in a query.
    #[arg(long, env = "VARDE_MAX_DEPTH", default_value_t = 16, global = true)]
    max_depth: usize,

    /// Most aliased fields in a request.
    #[arg(long, env = "VARDE_MAX_ALIASES", default_value_t = 100, global = true)]
    max_aliases: usize,

    /// Most fields in one selection set, fragments included.
    #[arg(long, env = "VARDE_MAX_FIELDS", default_value_t = 100, global = true)]
    max_fields: usize,

    /// Most directives in a request.
    #[arg(
        long,
        env = "VARDE_MAX_DIRECTIVES",
        default_value_t = 50,
        global = true
    )]
    max_directives: usize,

    /// Largest answer, in bytes.
    #[arg(long, env = "VARDE_MAX_RESPONSE_BYTES", default_value_t = 16 * 1024 * 1024, global = true)]
    max_response_bytes: usize,

    /// Turn off introspection (`__schema`, `__type`).
    #[arg(long, env = "VARDE_NO_INTROSPECTION", global = true)]
    no_introspection: bool,

    /// Seconds a client may take to send a request's headers, or stay idle between requests.
    #[arg(
        long,
        env = "VARDE_HEADER_READ_TIMEOUT",
        default_value_t = 10,
        global = true
    )]
    header_read_timeout: u64,

    /// Seconds one write of an answer may stall before the connection is closed.
    #[arg(long, env = "VARDE_WRITE_TIMEOUT", default_value_t = 10, global = true)]
    write_timeout: u64,

    /// Most connections served at once.
    #[arg(
        long,
        env = "VARDE_MAX_CLIENT_CONNECTIONS",
        default_value_t = 1024,
        global = true
    )]
    max_client_connections: usize,

    /// Requests per second per client (bearer token, else address); 0 turns rate limiting off.
    #[arg(long, env = "VARDE_RATE_LIMIT", default_value_t = 100, global = true)]
    rate_limit: u32,

    /// Requests a client may send at once before its rate applies.
    #[arg(long, env = "VARDE_RATE_BURST", default_value_t = 500, global = true)]
    rate_burst: u32,

    /// Seconds a graceful shutdown waits for requests in flight.
    #[arg(
        long,
        env = "VARDE_SHUTDOWN_DEADLINE",
        default_value_t = 10,
        global = true
    )]
    shutdown_deadline: u64,

    /// Milliseconds /readyz waits for the database.
    #[arg(
        long,
        env = "VARDE_READY_TIMEOUT_MS",
        default_value_t = 1000,
        global = true
    )]
    ready_timeout_ms: u64,

    /// Days the audit log keeps a record (older ones are deleted as new ones are written).
    #[arg(
        long,
        env = "VARDE_AUDIT_RETENTION_DAYS",
        default_value_t = 365,
        value_parser = clap::value_parser!(u64).range(1..=36_500),
        global = true
    )]
    audit_retention_days: u64,
    /// Headless Chromium that prints colour tables to PDF (/print/colour-table.pdf); `/usr/bin/chromium`
    /// when installed. `none` turns PDFs off (they answer 503 PDF_UNAVAILABLE).
    #[arg(long, env = "VARDE_CHROMIUM", global = true)]
    chromium: Option<String>,
    /// SMTP relay (`host:port`, spoken to without TLS: the organisation's own relay) that meeting
    /// invitations are mailed through; without it invitations are only downloaded.
    #[arg(long, env = "VARDE_SMTP_RELAY", global = true)]
    smtp_relay: Option<String>,

    /// Sender address of meeting invitations.
    #[arg(
        long,
        env = "VARDE_MAIL_FROM",
        default_value = "varde@localhost",
        global = true
    )]
    mail_from: String,

    /// Do not load the demo data into an empty database.
    #[arg(long, env = "VARDE_NO_SEED", global = true)]
    no_seed: bool,
}

/// The format of the log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Runs the command line; the binary's `main` calls only this.
pub async fn run(cli: Cli) -> Result<()> {
    let tracer = cli.otlp_endpoint.as_deref().map(otlp_tracer).transpose()?;
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match cli.log_format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with(logs)
        .with(
            tracer.as_ref().map(|provider| {
                tracing_opentelemetry::layer().with_tracer(provider.tracer("varde"))
            }),
        )
        .init();
    let result = run_command(cli).await;
    if let Some(provider) = tracer {
        // Sends the spans still in the batch before the process ends.
        if let Err(error) = provider.shutdown() {
            eprintln!("varde: sending the last traces failed: {error}");
        }
    }
    result
}

/// A tracer provider that sends spans in batches to the OTLP/HTTP collector at `endpoint`.
fn otlp_tracer(endpoint: &str) -> Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .context("setting up the OTLP exporter")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("varde").build())
        .build())
}

/// Runs one command, with logging set up.
async fn run_command(cli: Cli) -> Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    let store = Store::connect_with(
        &cli.database_url,
        cli.max_connections,
        Duration::from_secs(cli.db_acquire_timeout),
    )
    .await
    .with_context(|| format!("connecting to {}", redact(&cli.database_url)))?;
    let store = match &cli.read_database_url {
        Some(url) => {
            let replica = Store::connect_with(
                url,
                cli.max_connections,
                Duration::from_secs(cli.db_acquire_timeout),
            )
            .await
            .with_context(|| format!("connecting to the read replica {}", redact(url)))?;
            store.with_replica(replica)?
        }
        None => store,
    };
    let result = match command {
        Command::Serve => serve(&store, cli.serve, &cli.login).await,
        Command::CreateClient { name, role } => {
            create_client(&store, &name, &role, &cli.login).await
        }
        Command::CreateToken { user, label, days } => {
            let auth = Auth::new(store.clone(), cli.login.config(cli.serve.addr)?)?;
            let token = auth
                .create_personal_token(&user, &label, Duration::from_secs(days * 86_400))
                .await?;
            println!("{token}");
            Ok(())
        }
        Command::Grant { user, role } => {
            let role = role.resolve(&store).await?;
            store
                .grant_role(&user, role, "cli", chrono::Utc::now().timestamp())
                .await?;
            println!("granted {} to {user}", role.kind().as_str());
            Ok(())
        }
        Command::Migrate => store.migrate().await.context("migrating"),
        Command::Seed { dir } => seed_store(&store, dir).await,
        Command::Generate { scale, seed } => generate_store(&store, &scale, seed).await,
        Command::Import {
            source,
            dry_run,
            encoding,
            separator,
            by,
            splits,
            query,
            file,
        } => {
            let splits = splits
                .iter()
                .map(|choice| split_choice(choice))
                .collect::<Result<_>>()?;
            let request = import::ImportRequest {
                source,
                file_name: file.clone(),
                imported_by: by,
                options: import::ReadOptions::parse(encoding.as_deref(), separator.as_deref())?,
                dry_run,
                splits,
            };
            import_file(&store, &request, &file, query.as_deref()).await
        }
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

/// A split choice as given on the command line: `1507=1508`.
fn split_choice(choice: &str) -> Result<(Kommunenummer, Kommunenummer)> {
    let (old, new) = choice.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("--split {choice:?}: give OLD=NEW kommunenummer, e.g. --split 1507=1508")
    })?;
    Ok((Kommunenummer::parse(old)?, Kommunenummer::parse(new)?))
}

/// Imports `location` (a file, or a URL fetched first, POSTing `query` when given) and prints the
/// report; fails when rows were rejected.
async fn import_file(
    store: &Store,
    request: &import::ImportRequest,
    location: &str,
    query: Option<&std::path::Path>,
) -> Result<()> {
    store.migrate().await.context("migrating")?;
    let (input, size) = if import::is_url(location) {
        let query = query.map(import::read_query).transpose()?;
        let fetched = import::fetch(location, query.as_ref()).await?;
        (fetched.file, Some(fetched.bytes))
    } else {
        anyhow::ensure!(
            query.is_none(),
            "--query is for a URL source; {location} is a file"
        );
        let file = std::fs::File::open(location).with_context(|| format!("opening {location}"))?;
        let size = file.metadata().ok().map(|metadata| metadata.len());
        (file, size)
    };
    let bar = progress_bar(size);
    let started = std::time::Instant::now();
    let report =
        import::import_with_progress(store, request, std::io::BufReader::new(input), |progress| {
            if let Some(bar) = &bar {
                bar.set_position(progress.bytes);
                let seconds = started.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!(
                    "{} rows, {:.0} rows/s",
                    progress.records,
                    progress.records as f64 / seconds
                ));
            }
        })
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.with_context(|| format!("importing {location}"))?;
    println!("{report}");
    anyhow::ensure!(
        report.rejected == 0,
        "{} rejected rows: nothing was applied",
        report.rejected
    );
    Ok(())
}

/// A progress bar on standard error, of the file's bytes with the rows read and rows per second;
/// none when standard error is not a terminal (a log or a test reads it).
fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_message("reading");
    Some(bar)
}

async fn generate_store(store: &Store, scale: &str, seed: u64) -> Result<()> {
    let scale = crate::generate::Scale::named(scale)
        .ok_or_else(|| anyhow::anyhow!("unknown scale {scale:?}: use national or smoke"))?;
    store.migrate().await.context("migrating")?;
    anyhow::ensure!(
        store.is_empty().await?,
        "the database already holds data; generate only into an empty database"
    );
    let started = std::time::Instant::now();
    let data = crate::generate::national(scale, seed)?;
    let generated = started.elapsed();
    let rows = data.row_count();
    let started = std::time::Instant::now();
    store
        .load_seed(&data)
        .await
        .context("loading the generated data")?;
    let loaded = started.elapsed().as_secs_f64();
    println!(
        "generated {} owners, {} units, {} indicators, {} values, {} assessments, {} initiatives \
         in {:.1} s; loaded {rows} rows into {} in {loaded:.1} s: {:.0} rows/s",
        data.owners.len(),
        data.units.len(),
        data.indicators.len(),
        data.values.len(),
        data.assessments.len(),
        data.initiatives.len(),
        generated.as_secs_f64(),
        store.dialect(),
        rows as f64 / loaded
    );
    Ok(())
}

async fn create_client(
    store: &Store,
    name: &str,
    role: &RoleArgs,
    login: &LoginArgs,
) -> Result<()> {
    store.migrate().await.context("migrating")?;
    let role = role.resolve(store).await?;
    let auth = Auth::new(
        store.clone(),
        login.config(SocketAddr::from(([127, 0, 0, 1], 0)))?,
    )?;
    let (client_id, secret) = auth.create_api_client(name, role).await?;
    println!("client_id={client_id}\nclient_secret={secret}");
    Ok(())
}

async fn serve(store: &Store, args: ServeArgs, login: &LoginArgs) -> Result<()> {
    let settings = app::Settings {
        http: http::HttpConfig {
            body_limit: args.body_limit,
            import_body_limit: args.import_body_limit,
            request_timeout: Duration::from_secs(args.request_timeout),
            max_batch_size: args.max_batch,
            query: graphql::QueryLimits {
                max_cost: args.max_cost,
                max_depth: args.max_depth,
                max_aliases: args.max_aliases,
                max_fields_per_selection: args.max_fields,
                max_directives: args.max_directives,
                max_response_bytes: args.max_response_bytes,
                introspection: !args.no_introspection,
            },
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            write_timeout: Duration::from_secs(args.write_timeout),
            max_connections: args.max_client_connections,
            rate_per_second: args.rate_limit,
            rate_burst: args.rate_burst,
            shutdown_deadline: Duration::from_secs(args.shutdown_deadline),
            ready_timeout: Duration::from_millis(args.ready_timeout_ms),
            audit_retention: Duration::from_secs(args.audit_retention_days * 24 * 60 * 60),
            chromium: match args.chromium.as_deref() {
                None => http::default_chromium(),
                Some("none" | "") => None,
                Some(path) => Some(path.into()),
            },
            mailer: args
                .smtp_relay
                .as_ref()
                .map(|relay| {
                    crate::mail::Mailer::new(&crate::mail::MailConfig {
                        relay: relay.clone(),
                        from: args.mail_from.clone(),
                    })
                })
                .transpose()
                .context("VARDE_SMTP_RELAY / VARDE_MAIL_FROM")?,
        },
        auth: login.config(args.addr)?,
        seed_demo: !args.no_seed,
    };
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    app::run(listener, store.clone(), settings, shutdown_signal()).await
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
