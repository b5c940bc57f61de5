//! Server configuration, read from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// An S3-compatible bucket for photos (`PARKWAY_MEDIA_S3_*`).
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `PARKWAY_MEDIA_S3_BUCKET`.
    pub bucket: String,
    /// `PARKWAY_MEDIA_S3_REGION` (default `us-east-1`).
    pub region: String,
    /// `PARKWAY_MEDIA_S3_ENDPOINT`: an S3-compatible server's address; unset means AWS.
    pub endpoint: Option<String>,
    /// `PARKWAY_MEDIA_S3_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `PARKWAY_MEDIA_S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Secret,
}

/// How hard SQLite works to keep commits on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// WAL with `synchronous=NORMAL`: a commit survives the process being killed; the last
    /// commits may be lost if the whole machine loses power.
    Normal,
    /// WAL with `synchronous=FULL`: every commit is fsynced before the answer.
    Full,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (`PARKWAY_BIND`, default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// `DATABASE_URL`, default `sqlite://parkway.db?mode=rwc`.
    pub database_url: String,
    /// SQLite durability (`PARKWAY_SQLITE_SYNC` = `normal` | `full`, default `full`).
    pub durability: Durability,
    /// Most database connections (`PARKWAY_DB_MAX_CONNECTIONS`; PostgreSQL: the pool, SQLite:
    /// the readers); default from the number of CPUs.
    pub db_max_connections: Option<u32>,
    /// PostgreSQL: booking writers of this instance (`PARKWAY_DB_BOOKING_WRITERS`); default
    /// from the number of CPUs.
    pub db_booking_writers: Option<u32>,
    /// PostgreSQL cancels a statement running longer (`PARKWAY_DB_STATEMENT_TIMEOUT_MS`,
    /// default 10000).
    pub db_statement_timeout: Duration,
    /// Signs session tokens (`PARKWAY_JWT_SECRET`).
    pub jwt_secret: Secret,
    /// How long a session token lasts.
    pub token_ttl: Duration,
    /// `PARKWAY_DEMO=1`: seed demo users and driveways.
    pub demo: bool,
    /// How long an unpaid booking holds its slot (`PARKWAY_HOLD_MINUTES`, default 15).
    pub hold: Duration,
    /// The built web UI to serve at `/` (`PARKWAY_UI_DIR`, default `ui/dist` when it exists).
    pub ui_dir: Option<PathBuf>,
    /// Where driveway photos are stored (`PARKWAY_MEDIA_DIR`, default `./media`), unless
    /// `media_s3` is set.
    pub media_dir: PathBuf,
    /// The bucket for photos instead of `media_dir`, when `PARKWAY_MEDIA_S3_BUCKET` is set.
    pub media_s3: Option<S3Settings>,
    /// Login and register attempts per client address per minute; 0 = unlimited.
    pub auth_rate_per_min: u32,
    /// Messages one user may send per minute (`PARKWAY_MESSAGE_RATE_PER_MIN`, default 30);
    /// 0 = unlimited.
    pub message_rate_per_min: u32,
    /// How often background jobs run (`PARKWAY_JOB_INTERVAL_SECS`, default 15).
    pub job_interval: Duration,
    /// How often the server pings WebSocket clients (a client that misses one is dropped).
    pub ws_ping_interval: Duration,
    /// `STRIPE_SECRET_KEY`; without it payments are simulated.
    pub stripe_secret_key: Option<Secret>,
    /// `STRIPE_WEBHOOK_SECRET`.
    pub stripe_webhook_secret: Option<Secret>,
    /// `STRIPE_API_BASE`, default `https://api.stripe.com`.
    pub stripe_api_base: String,
    /// `STRIPE_CONNECT_WEBHOOK_SECRET`: the signing secret of the Connect endpoint, whose
    /// events come from owners' accounts (onboarding, payouts).
    pub stripe_connect_webhook_secret: Option<Secret>,
    /// `STRIPE_CONNECT_API_BASE`, default `STRIPE_API_BASE`: where Connect calls (accounts,
    /// transfers) go. Only tests set it, to a Connect test double, since the charge emulator
    /// has no Connect.
    pub stripe_connect_api_base: String,
    /// Requests a second the settlement job makes to Stripe (`PARKWAY_STRIPE_MAX_RPS`, default
    /// 25, Stripe's test-mode limit), so paying owners never crowds out drivers' payments.
    pub stripe_max_rps: u32,
    /// `STRIPE_PUBLISHABLE_KEY` (`pk_…`): public, handed to the web UI with each payment intent
    /// so its Stripe card form works without a rebuild. Without it the UI cannot take cards.
    pub stripe_publishable_key: Option<String>,
    /// `STRIPE_JS_URL`, default `https://js.stripe.com/v3/`: where the UI loads Stripe.js from
    /// (tests point it at the emulator's mock).
    pub stripe_js_url: String,
    /// Unpaid pending bookings a driver may hold at once (`PARKWAY_MAX_UNPAID_HOLDS`, default 3;
    /// 0 = no limit, for load tests).
    pub max_unpaid_holds: u32,
    /// Requests served at once before the rest get `503` (`PARKWAY_MAX_INFLIGHT`, default 1024).
    pub max_inflight: usize,
    /// Photo uploads read at once (`PARKWAY_MAX_PHOTO_UPLOADS`, default 8): each holds up to
    /// 10 MB in memory while it arrives, so more wait for a `503` and a retry.
    pub max_photo_uploads: usize,
    /// The platform's fee on what a booking kept (`PARKWAY_PLATFORM_FEE_BPS`, basis points,
    /// default 1500 = 15 %, at most 10000).
    pub platform_fee: parkway_core::earnings::FeeRate,
    /// How long after a booking ends its money waits on the platform before it moves to the
    /// owner (`PARKWAY_SETTLEMENT_HOURS`, default 24).
    pub settlement: chrono::Duration,
    /// How long a request may take to send its headers and body, and to be answered.
    pub request_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`PARKWAY_TRUSTED_PROXIES`, CIDRs).
    pub trusted_proxies: Vec<crate::auth::client_ip::Cidr>,
    /// `PARKWAY_PUBLIC_URL`: where users reach the server; `https://…` turns on HSTS.
    pub public_url: Option<String>,
    /// The name receipts are issued under (`PARKWAY_PLATFORM_NAME`, default `Parkway`).
    pub platform_name: String,
    /// The platform's postal address on receipts (`PARKWAY_PLATFORM_ADDRESS`; none by default,
    /// and then receipts show none).
    pub platform_address: Option<String>,
    /// The tax included in prices, shown on receipts (`PARKWAY_TAX_RATE_BPS`, basis points, at
    /// most 10000; default 0 = no tax line).
    pub tax_rate: parkway_core::receipt::TaxRate,
    /// What receipts call that tax (`PARKWAY_TAX_LABEL`, default `Tax`; `VAT`, `GST`…).
    pub tax_label: String,
    /// The `Host` headers served (`PARKWAY_ALLOWED_HOSTS`, comma-separated `host:port`); empty
    /// serves any. The desktop app's embedded server names its loopback address, so a web page
    /// whose domain was pointed at 127.0.0.1 (DNS rebinding) cannot reach it.
    pub allowed_hosts: Vec<String>,
    /// The built-in places for place search (`PARKWAY_PLACES`, a file `cargo xtask places`
    /// writes; default `places/cities.tsv` when it exists). Without one, place search answers
    /// from the driveways and the external geocoder only.
    pub places_file: Option<PathBuf>,
    /// The external geocoder (`PARKWAY_GEOCODER_URL`, a Nominatim server), off by default.
    pub geocoder: Option<crate::places::geocoder::GeocoderSettings>,
    /// A PMTiles archive of streets to serve at `/tiles/map.pmtiles` (`PARKWAY_TILES`).
    pub tiles_file: Option<PathBuf>,
    /// Origins accepted as Web Push endpoints besides the browsers' push services
    /// (`PARKWAY_WEB_PUSH_ORIGINS`, comma-separated, such as `http://127.0.0.1:9000`): a
    /// self-hosted push service, or a test's.
    pub web_push_origins: Vec<String>,
    /// The push services: Web Push with `PARKWAY_VAPID_PRIVATE_KEY` and `PARKWAY_VAPID_SUBJECT`,
    /// Firebase with `PARKWAY_FCM_SERVICE_ACCOUNT` (a service account's JSON key file), APNs with
    /// `PARKWAY_APNS_KEY` (a `.p8` file) and its key id, team id and topic.
    pub push: crate::push::PushSettings,
}

/// The shortest signing secret accepted: HS256 wants at least as many bytes as its hash.
pub const MIN_SECRET_BYTES: usize = 32;
/// How long an access token lasts; clients refresh before it ends.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// Requests served at once unless `PARKWAY_MAX_INFLIGHT` says otherwise.
pub const DEFAULT_MAX_INFLIGHT: usize = 1024;
/// Default of `PARKWAY_MAX_PHOTO_UPLOADS`.
pub const DEFAULT_MAX_PHOTO_UPLOADS: usize = 8;
/// A request that has not sent its headers and body, or not been answered, by then is dropped.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Stripe requests a second for the settlement job unless `PARKWAY_STRIPE_MAX_RPS` says otherwise.
pub const DEFAULT_STRIPE_MAX_RPS: u32 = 25;

/// The name on receipts unless `PARKWAY_PLATFORM_NAME` says otherwise.
pub const DEFAULT_PLATFORM_NAME: &str = "Parkway";
/// What receipts call the tax included in prices unless `PARKWAY_TAX_LABEL` says otherwise.
pub const DEFAULT_TAX_LABEL: &str = "Tax";

/// Where Stripe.js lives unless `STRIPE_JS_URL` says otherwise.
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

/// What [`Config::from_env_or`] falls back to.
struct Defaults {
    bind: SocketAddr,
    database_url: String,
    jwt_secret: Option<Secret>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://parkway.db?mode=rwc".to_owned(),
            jwt_secret: None,
        }
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    name: &'static str,
    problem: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The photo bucket, when `PARKWAY_MEDIA_S3_BUCKET` is set: its keys are then required.
fn s3_settings() -> Result<Option<S3Settings>, ConfigError> {
    let Some(bucket) = var("PARKWAY_MEDIA_S3_BUCKET") else { return Ok(None) };
    let required = |name: &'static str| {
        var(name).ok_or(ConfigError { name, problem: "is required when PARKWAY_MEDIA_S3_BUCKET is set".into() })
    };
    Ok(Some(S3Settings {
        bucket,
        region: var("PARKWAY_MEDIA_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        endpoint: var("PARKWAY_MEDIA_S3_ENDPOINT"),
        access_key_id: required("PARKWAY_MEDIA_S3_ACCESS_KEY_ID")?,
        secret_access_key: Secret::new(required("PARKWAY_MEDIA_S3_SECRET_ACCESS_KEY")?),
    }))
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError { name, problem: format!("cannot use {v:?}") }),
    }
}

impl Config {
    /// Reads the configuration from environment variables (see the README's configuration table).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_or(Defaults::default())
    }

    /// The configuration of a server embedded in the desktop app: the same environment
    /// variables, but its own database, signing secret and a free loopback port by default.
    pub fn embedded(database_url: String, jwt_secret: Secret) -> Result<Config, ConfigError> {
        Config::from_env_or(Defaults {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url,
            jwt_secret: Some(jwt_secret),
        })
    }

    fn from_env_or(defaults: Defaults) -> Result<Config, ConfigError> {
        let demo = matches!(var("PARKWAY_DEMO").as_deref(), Some("1" | "true" | "yes"));
        let jwt_secret = match var("PARKWAY_JWT_SECRET") {
            Some(s) if s.len() >= MIN_SECRET_BYTES => Secret::new(s),
            Some(_) => {
                return Err(ConfigError {
                    name: "PARKWAY_JWT_SECRET",
                    problem: format!("must be at least {MIN_SECRET_BYTES} bytes (a random 32-byte hex string is 64)"),
                });
            }
            None => match defaults.jwt_secret.clone() {
                Some(secret) => secret,
                // A demo gets a fresh random secret: its sessions end when it stops, which is fine.
                None if demo => Secret::new(random_secret()),
                None => {
                    return Err(ConfigError {
                        name: "PARKWAY_JWT_SECRET",
                        problem: "is required (or set PARKWAY_DEMO=1 for a demo)".into(),
                    });
                }
            },
        };
        let durability = match var("PARKWAY_SQLITE_SYNC").as_deref() {
            None | Some("full") => Durability::Full,
            Some("normal") => Durability::Normal,
            Some(other) => {
                return Err(ConfigError {
                    name: "PARKWAY_SQLITE_SYNC",
                    problem: format!("{other:?} is not normal or full"),
                });
            }
        };
        let ui_dir = match var("PARKWAY_UI_DIR") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => Some(PathBuf::from("ui/dist")).filter(|p| p.join("index.html").exists()),
        };
        let hold_minutes: u64 = parse("PARKWAY_HOLD_MINUTES", 15)?;
        if hold_minutes == 0 {
            return Err(ConfigError { name: "PARKWAY_HOLD_MINUTES", problem: "must be at least 1".into() });
        }
        let stripe_publishable_key = var("STRIPE_PUBLISHABLE_KEY");
        // This key is sent to every browser: refuse anything that is not a publishable key, so a
        // secret key pasted into the wrong variable never leaves the server.
        if stripe_publishable_key.as_deref().is_some_and(|k| !k.starts_with("pk_")) {
            return Err(ConfigError {
                name: "STRIPE_PUBLISHABLE_KEY",
                problem: "must be a publishable key (pk_…); it is sent to browsers".into(),
            });
        }
        Ok(Config {
            bind: parse("PARKWAY_BIND", defaults.bind)?,
            database_url: var("DATABASE_URL").unwrap_or(defaults.database_url),
            durability,
            jwt_secret,
            token_ttl: ACCESS_TOKEN_TTL,
            demo,
            hold: Duration::from_secs(hold_minutes * 60),
            ui_dir,
            media_dir: PathBuf::from(var("PARKWAY_MEDIA_DIR").unwrap_or_else(|| "media".to_owned())),
            media_s3: s3_settings()?,
            auth_rate_per_min: parse("PARKWAY_AUTH_RATE_PER_MIN", 30)?,
            message_rate_per_min: parse("PARKWAY_MESSAGE_RATE_PER_MIN", 30)?,
            job_interval: Duration::from_secs(parse("PARKWAY_JOB_INTERVAL_SECS", 15u64)?.max(1)),
            db_max_connections: match var("PARKWAY_DB_MAX_CONNECTIONS") {
                None => None,
                Some(_) => Some(parse("PARKWAY_DB_MAX_CONNECTIONS", 0u32)?.max(1)),
            },
            db_booking_writers: match var("PARKWAY_DB_BOOKING_WRITERS") {
                None => None,
                Some(_) => Some(parse("PARKWAY_DB_BOOKING_WRITERS", 0u32)?.max(1)),
            },
            db_statement_timeout: Duration::from_millis(parse("PARKWAY_DB_STATEMENT_TIMEOUT_MS", 10_000u64)?.max(1)),
            ws_ping_interval: Duration::from_secs(30),
            stripe_secret_key: var("STRIPE_SECRET_KEY").map(Secret::new),
            stripe_webhook_secret: var("STRIPE_WEBHOOK_SECRET").map(Secret::new),
            stripe_connect_webhook_secret: var("STRIPE_CONNECT_WEBHOOK_SECRET").map(Secret::new),
            stripe_connect_api_base: var("STRIPE_CONNECT_API_BASE")
                .or_else(|| var("STRIPE_API_BASE"))
                .unwrap_or_else(|| "https://api.stripe.com".to_owned()),
            stripe_api_base: var("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".to_owned()),
            stripe_max_rps: parse("PARKWAY_STRIPE_MAX_RPS", DEFAULT_STRIPE_MAX_RPS)?.max(1),
            stripe_publishable_key,
            stripe_js_url: var("STRIPE_JS_URL").unwrap_or_else(|| STRIPE_JS_URL.to_owned()),
            max_unpaid_holds: parse("PARKWAY_MAX_UNPAID_HOLDS", parkway_core::trust::DEFAULT_MAX_UNPAID_HOLDS)?,
            max_inflight: parse("PARKWAY_MAX_INFLIGHT", DEFAULT_MAX_INFLIGHT)?.max(1),
            max_photo_uploads: parse("PARKWAY_MAX_PHOTO_UPLOADS", DEFAULT_MAX_PHOTO_UPLOADS)?.max(1),
            platform_fee: parkway_core::earnings::FeeRate::new(parse(
                "PARKWAY_PLATFORM_FEE_BPS",
                parkway_core::earnings::DEFAULT_PLATFORM_FEE_BPS,
            )?)
            .map_err(|e| ConfigError { name: "PARKWAY_PLATFORM_FEE_BPS", problem: e.to_string() })?,
            settlement: chrono::Duration::hours(i64::from(
                parse("PARKWAY_SETTLEMENT_HOURS", parkway_core::earnings::DEFAULT_SETTLEMENT_HOURS)?.min(24 * 365),
            )),
            request_timeout: REQUEST_TIMEOUT,
            trusted_proxies: match var("PARKWAY_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => crate::auth::client_ip::Cidr::parse_list(&list)
                    .map_err(|problem| ConfigError { name: "PARKWAY_TRUSTED_PROXIES", problem })?,
            },
            public_url: var("PARKWAY_PUBLIC_URL"),
            platform_name: var("PARKWAY_PLATFORM_NAME").unwrap_or_else(|| DEFAULT_PLATFORM_NAME.to_owned()),
            platform_address: var("PARKWAY_PLATFORM_ADDRESS"),
            tax_rate: parkway_core::receipt::TaxRate::new(parse("PARKWAY_TAX_RATE_BPS", 0)?)
                .map_err(|e| ConfigError { name: "PARKWAY_TAX_RATE_BPS", problem: e.to_string() })?,
            tax_label: var("PARKWAY_TAX_LABEL").unwrap_or_else(|| DEFAULT_TAX_LABEL.to_owned()),
            allowed_hosts: var("PARKWAY_ALLOWED_HOSTS")
                .map(|v| v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
                .unwrap_or_default(),
            places_file: match var("PARKWAY_PLACES") {
                Some(file) => Some(PathBuf::from(file)),
                None => Some(PathBuf::from("places/cities.tsv")).filter(|p| p.exists()),
            },
            geocoder: geocoder_settings()?,
            tiles_file: var("PARKWAY_TILES").map(PathBuf::from),
            web_push_origins: var("PARKWAY_WEB_PUSH_ORIGINS")
                .map(|v| {
                    v.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect()
                })
                .unwrap_or_default(),
            push: push_settings()?,
        })
    }

    /// A configuration for tests and embedding: loopback on a free port, the given database,
    /// a random signing secret, no demo data, no rate limit.
    pub fn for_database(database_url: impl Into<String>) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            durability: Durability::Normal,
            jwt_secret: Secret::new(random_secret()),
            token_ttl: Duration::from_secs(24 * 3600),
            demo: false,
            hold: Duration::from_secs(15 * 60),
            ui_dir: None,
            // Its own directory: two servers in one process (tests) must not share files.
            media_dir: std::env::temp_dir().join(format!("parkway-media-{}", uuid::Uuid::new_v4().simple())),
            media_s3: None,
            auth_rate_per_min: 0,
            message_rate_per_min: 30,
            job_interval: Duration::from_secs(3600),
            db_max_connections: None,
            db_booking_writers: None,
            db_statement_timeout: Duration::from_secs(10),
            ws_ping_interval: Duration::from_secs(30),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com".to_owned(),
            stripe_connect_webhook_secret: None,
            stripe_connect_api_base: "https://api.stripe.com".to_owned(),
            stripe_max_rps: DEFAULT_STRIPE_MAX_RPS,
            stripe_publishable_key: None,
            stripe_js_url: STRIPE_JS_URL.to_owned(),
            max_unpaid_holds: parkway_core::trust::DEFAULT_MAX_UNPAID_HOLDS,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            max_photo_uploads: DEFAULT_MAX_PHOTO_UPLOADS,
            platform_fee: parkway_core::earnings::FeeRate::default(),
            settlement: chrono::Duration::hours(i64::from(parkway_core::earnings::DEFAULT_SETTLEMENT_HOURS)),
            request_timeout: REQUEST_TIMEOUT,
            trusted_proxies: Vec::new(),
            public_url: None,
            platform_name: DEFAULT_PLATFORM_NAME.to_owned(),
            platform_address: None,
            tax_rate: parkway_core::receipt::TaxRate::NONE,
            tax_label: DEFAULT_TAX_LABEL.to_owned(),
            allowed_hosts: Vec::new(),
            places_file: None,
            geocoder: None,
            tiles_file: None,
            web_push_origins: Vec::new(),
            push: crate::push::PushSettings::default(),
        }
    }
}

/// The push services the environment configures; each is off without its variables.
fn push_settings() -> Result<crate::push::PushSettings, ConfigError> {
    let vapid = match (var("PARKWAY_VAPID_PRIVATE_KEY"), var("PARKWAY_VAPID_SUBJECT")) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ConfigError {
                name: "PARKWAY_VAPID_SUBJECT",
                problem: "Web Push needs a contact for push services (mailto: or https:)".into(),
            });
        }
        (Some(key), Some(subject)) => Some(
            crate::push::webpush::Vapid::new(&key, &subject)
                .map_err(|e| ConfigError { name: "PARKWAY_VAPID_PRIVATE_KEY", problem: e.to_string() })?,
        ),
    };
    let fcm = match var("PARKWAY_FCM_SERVICE_ACCOUNT") {
        None => None,
        Some(path) => {
            let problem = |problem: String| ConfigError { name: "PARKWAY_FCM_SERVICE_ACCOUNT", problem };
            let json = std::fs::read_to_string(&path).map_err(|e| problem(format!("cannot read {path}: {e}")))?;
            let base = var("PARKWAY_FCM_API_BASE").unwrap_or_else(|| "https://fcm.googleapis.com".to_owned());
            Some(crate::push::fcm::Fcm::new(&json, &base).map_err(|e| problem(e.to_string()))?)
        }
    };
    let apns = match var("PARKWAY_APNS_KEY") {
        None => None,
        Some(path) => {
            let problem = |name, problem: String| ConfigError { name, problem };
            let key_pem = std::fs::read_to_string(&path)
                .map_err(|e| problem("PARKWAY_APNS_KEY", format!("cannot read {path}: {e}")))?;
            let needed =
                |name: &'static str| var(name).ok_or_else(|| problem(name, "needed with PARKWAY_APNS_KEY".into()));
            let (key_id, team_id, topic) =
                (needed("PARKWAY_APNS_KEY_ID")?, needed("PARKWAY_APNS_TEAM_ID")?, needed("PARKWAY_APNS_TOPIC")?);
            let api_base = var("PARKWAY_APNS_API_BASE").unwrap_or_else(|| "https://api.push.apple.com".to_owned());
            let settings = crate::push::apns::ApnsSettings {
                key_pem: &key_pem,
                key_id: &key_id,
                team_id: &team_id,
                topic: &topic,
                api_base: &api_base,
            };
            Some(crate::push::apns::Apns::new(&settings).map_err(|e| problem("PARKWAY_APNS_KEY", e.to_string()))?)
        }
    };
    let claim = chrono::Duration::seconds(i64::from(parse::<u32>("PARKWAY_PUSH_CLAIM_SECS", 120)?.max(1)));
    Ok(crate::push::PushSettings { vapid, fcm, apns, claim })
}

/// The external geocoder, when `PARKWAY_GEOCODER_URL` is set.
fn geocoder_settings() -> Result<Option<crate::places::geocoder::GeocoderSettings>, ConfigError> {
    let Some(url) = var("PARKWAY_GEOCODER_URL") else { return Ok(None) };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError {
            name: "PARKWAY_GEOCODER_URL",
            problem: "must start with http:// or https://".into(),
        });
    }
    let timeout_ms: u64 = parse("PARKWAY_GEOCODER_TIMEOUT_MS", 3000)?;
    Ok(Some(crate::places::geocoder::GeocoderSettings {
        url,
        // The public Nominatim server's policy: at most one request a second.
        max_rps: parse("PARKWAY_GEOCODER_MAX_RPS", 1)?,
        email: var("PARKWAY_GEOCODER_EMAIL"),
        timeout: Duration::from_millis(timeout_ms.max(1)),
    }))
}

fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}
