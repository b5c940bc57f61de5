//! Parkway's server as a library: everything `parkway-server` runs, so that tests and the
//! desktop app can start the very same server in-process.

/// Who is calling: passwords, tokens, rate limits.
pub mod auth;
/// The server's notion of "now".
pub mod clock;
/// The map's clusters: every live driveway's position in memory, grouped per view.
pub mod clusters;
/// Configuration from the environment.
pub mod config;
/// Demo users and driveways, and synthetic data for benchmarks.
pub mod demo;
/// The error type and its HTTP form.
pub mod error;
/// HTTP routes.
pub mod http;
/// Live notification fan-out.
pub mod hub;
/// Uploaded photos decoded within limits and encoded again, metadata dropped.
pub mod imaging;
/// Background jobs.
pub mod jobs;
/// Photo files under content-addressed names.
pub mod media;
/// Texts of notifications.
pub mod notices;
/// Payments: provider, webhooks, settlement.
pub mod payments;
/// Place search (built-in cities, driveways, an external geocoder) and time zones.
pub mod places;
/// Notifications pushed to phones and browsers through their push services.
pub mod push;
/// Per-key limits: login attempts per address, messages per sender.
pub mod ratelimit;
/// Receipts of paid bookings, as a page to print or a PDF.
pub mod receipts;
/// Accepting connections, with a header read timeout.
pub mod serve;
/// Shared request state.
pub mod state;
/// The database.
pub mod store;

pub use clock::Clock;
pub use config::Config;

use crate::auth::{PasswordHasher, TokenKeys};
use crate::ratelimit::{AuthRateLimit, MessageRateLimit};
use crate::state::AppState;
use crate::store::{Store, StoreOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    jobs: JoinHandle<()>,
    /// The tasks of a fan-out through the database, if any.
    fanout: Vec<JoinHandle<()>>,
}

impl Server {
    /// Opens the database, applies migrations, seeds demo data when asked, binds the address
    /// and starts serving and running background jobs.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        Server::start_with_clock(config, Clock::system()).await
    }

    /// Like [`Server::start`] with a clock the caller can move (tests).
    pub async fn start_with_clock(config: Config, clock: Clock) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        Server::start_on(listener, config, clock).await
    }

    /// Starts on a socket already bound (`config.bind` is not used). Connections that arrive
    /// while the database is being opened wait in the socket's queue, so a caller that bound
    /// first (the desktop app) can hand out the address before the server is ready.
    pub async fn start_on(listener: tokio::net::TcpListener, config: Config, clock: Clock) -> anyhow::Result<Server> {
        let options = StoreOptions {
            durability: config.durability,
            max_connections: config.db_max_connections,
            booking_writers: config.db_booking_writers,
            statement_timeout: config.db_statement_timeout,
        };
        let store = Store::open(&config.database_url, &options).await?;
        let hasher = PasswordHasher::new()?;
        if config.demo {
            demo::seed(&store, &hasher, clock.now()).await?;
        }
        let (payments, connect) = match &config.stripe_secret_key {
            Some(key) => (
                payments::Provider::Stripe(payments::stripe::StripeClient::new(&config.stripe_api_base, key.expose())?),
                payments::connect::Connect::stripe(
                    payments::stripe::StripeClient::new(&config.stripe_connect_api_base, key.expose())?,
                    config.stripe_max_rps,
                ),
            ),
            None => {
                tracing::warn!("no STRIPE_SECRET_KEY: payments are simulated and no money moves");
                (payments::Provider::Simulated, payments::connect::Connect::Simulated)
            }
        };
        let (stop, stopped) = watch::channel(false);
        // On PostgreSQL several instances may serve one database: notifications fan out through
        // it, and the auth rate limit is counted in it.
        let (hub, fanout, auth_limit, message_limit) = match store.postgres() {
            Some(postgres) => {
                let registry = Arc::new(hub::Registry::default());
                let started =
                    hub::postgres::start(store.clone(), postgres.pool().clone(), registry.clone(), stopped.clone());
                (
                    hub::Hub::with_fanout(registry, started.fanout),
                    vec![started.sender, started.listener],
                    AuthRateLimit::shared(postgres.clone(), config.auth_rate_per_min, ""),
                    MessageRateLimit::shared(postgres, config.message_rate_per_min, "message:"),
                )
            }
            None => (
                hub::Hub::default(),
                Vec::new(),
                AuthRateLimit::new(config.auth_rate_per_min),
                MessageRateLimit::new(config.message_rate_per_min),
            ),
        };
        let media = match &config.media_s3 {
            Some(bucket) => media::Media::s3(bucket)?,
            None => media::Media::local(&config.media_dir)?,
        };
        if let Some(tiles) = &config.tiles_file {
            http::tiles::check(tiles)?;
        }
        let places = places_for(&config).await?;
        let clusters = clusters::Clusters::default();
        // Loading a large country takes seconds: begun now, so the first wide view seldom waits.
        tokio::spawn({
            let (clusters, store, now) = (clusters.clone(), store.clone(), clock.now());
            async move {
                if let Err(e) = clusters.catch_up(&store, now).await {
                    tracing::warn!(error = %e, "the map index did not load; the first wide view will try again");
                }
            }
        });
        let state = AppState {
            clusters,
            places,
            payments,
            connect,
            store,
            tokens: TokenKeys::new(&config.jwt_secret, config.token_ttl),
            hasher,
            auth_limit,
            message_limit,
            clock,
            hub,
            media,
            image_work: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map(std::num::NonZeroUsize::get).unwrap_or(2),
            )),
            upload_slots: Arc::new(tokio::sync::Semaphore::new(config.max_photo_uploads)),
            push: push::Push::new(config.push.clone())?,
            push_wake: Arc::new(tokio::sync::Notify::new()),
            config: Arc::new(config),
        };
        let addr = listener.local_addr()?;
        let app = http::app(state.clone());
        let task = tokio::spawn(serve::serve(listener, app, state.config.request_timeout, stopped.clone()));
        let jobs = tokio::spawn(jobs::run(state.clone(), stopped));
        Ok(Server { addr, state, stop, task, jobs, fanout })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (tests use its clock and store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs the background jobs once, now (tests).
    pub async fn run_jobs_now(&self) {
        jobs::run_once(&self.state).await;
    }

    /// Stops accepting connections, lets in-flight requests finish, stops the jobs and closes
    /// the database cleanly.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await??;
        let _ = self.jobs.await;
        // Closing waits for every borrowed connection; a task still holding one (a WebSocket's
        // catch-up, say) is not waited on for long.
        if tokio::time::timeout(std::time::Duration::from_secs(5), self.state.store.close()).await.is_err() {
            tracing::warn!("database connections still in use at shutdown were dropped");
        }
        for task in self.fanout {
            task.abort();
        }
        Ok(())
    }
}

/// Place search as configured: the built-in places file read on a blocking thread (about a
/// second for the world's 170,000 cities and towns), and the external geocoder.
async fn places_for(config: &Config) -> anyhow::Result<places::Places> {
    let gazetteer = match config.places_file.clone() {
        Some(file) => {
            let loaded = tokio::task::spawn_blocking(move || places::gazetteer::Gazetteer::load(&file)).await??;
            tracing::info!(places = loaded.len(), "built-in places loaded");
            loaded
        }
        None => {
            tracing::warn!(
                "no built-in places (PARKWAY_PLACES; `cargo xtask places` writes them): place search has only the driveways and the geocoder"
            );
            places::gazetteer::Gazetteer::default()
        }
    };
    let geocoder = match &config.geocoder {
        Some(settings) => {
            let agent = format!(
                "{}/{} ({})",
                config.platform_name,
                env!("CARGO_PKG_VERSION"),
                config.public_url.as_deref().unwrap_or("self-hosted")
            );
            // A header value: printable ASCII only, whatever the platform is called.
            let agent: String = agent.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').collect();
            Some(places::geocoder::Geocoder::new(settings.clone(), &agent)?)
        }
        None => None,
    };
    Ok(places::Places::new(gazetteer, geocoder))
}
