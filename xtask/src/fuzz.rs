//! `cargo xtask fuzz`, and a stage of `cargo xtask test`: the whole HTTP contract fuzzed from its
//! OpenAPI document.
//!
//! Starts the debug `parkway-server` on a free loopback port with a fresh SQLite file and demo
//! data, signs up a driver-and-owner account, and points schemathesis (installed into `.venv` by
//! `scripts/setup.sh`) at `GET /api/openapi.json`. It generates requests from the document, valid
//! and invalid, with a fixed seed, and fails the stage on any `5xx` answer, any answer slower than
//! one second, and any disagreement between the server and the document that its checks find:
//! an undocumented status, content type, header or body shape, a request the document forbids
//! that the server accepts, a required header whose absence goes unnoticed, a method the route
//! does not have that is not `405`, an ignored token, a deleted resource still there.
//!
//! One check runs only where it can hold: "a request the document allows is accepted" is off for
//! the operations whose rules tie values together or to the present (start before end, within
//! two years of now, a window that opens before it closes, lat/lng or bbox, a signed webhook),
//! which JSON Schema cannot state and random values almost never meet.
//!
//! Every request and answer is recorded in `target/fuzz/*.har`, and the run ends with its
//! numbers: requests, answers by status, and the slowest answer.

use crate::Workspace;
use crate::cmd::{cargo, run as run_cmd};
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Test cases per operation and phase: about two minutes on two cores.
const MAX_EXAMPLES: u32 = 150;
/// The seed, so a failure in CI replays the same way on a developer's machine.
const SEED: u64 = 20_261_129;
/// The slowest answer the contract allows.
const MAX_RESPONSE_SECONDS: &str = "1";
/// How long the debug server may take to create its demo data and listen.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Operations with rules across values or relative to now: valid-looking random input is refused
/// there by design, so "a request the document allows is accepted" is not checked for them.
const CROSS_FIELD_OPERATIONS: &[&str] = &[
    "searchDriveways",
    // bbox's edges in order and a zoom-wide box within 4,096 cells, or a 400.
    "clusterDriveways",
    // near: a latitude within ±90 and a longitude within ±180, which its pattern cannot say.
    "searchPlaces",
    "getDrivewayAvailability",
    "getDrivewayQuote",
    "getEarnings",
    "createDriveway",
    "updateDriveway",
    "createBooking",
    "updateBooking",
    "extendBooking",
    "createPaymentIntentDirect",
    "stripeWebhook",
    "connectWebhook",
    "addVehicle",
    "updateVehicle",
    // A token or a subscription as the platform needs, and an endpoint at a push service.
    "registerDevice",
    "connectWebSocket",
    // Any bytes fit the schema's binary; only an image is a photo.
    "uploadDrivewayPhoto",
    // A valid order names exactly the gallery's photos.
    "orderDrivewayPhotos",
];

/// Builds the server, runs the fuzzer against it, and fails on any finding.
pub fn run(ws: &Workspace) -> anyhow::Result<()> {
    let schemathesis = ws.root.join(".venv/bin/schemathesis");
    if !schemathesis.exists() {
        bail!("the contract fuzzer needs schemathesis, which is not installed: run `bash scripts/setup.sh` first");
    }
    run_cmd(&ws.root, &cargo(), &["build", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
    let binary = ws.target.join("debug").join(format!("parkway-server{}", std::env::consts::EXE_SUFFIX));
    // xtask's main runs on tokio's multi-threaded runtime; this stage drives a child server.
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fuzz(ws, &binary, &schemathesis)))
}

async fn fuzz(ws: &Workspace, binary: &Path, schemathesis: &Path) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("parkway-fuzz-").tempdir().context("creating a scratch directory")?;
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let mut server = Command::new(binary)
        .env("PARKWAY_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", scratch.path().join("fuzz.db").display()))
        .env("PARKWAY_DEMO", "1")
        .env("PARKWAY_MEDIA_DIR", scratch.path().join("media"))
        .env("PARKWAY_AUTH_RATE_PER_MIN", "0")
        .env("PARKWAY_MAX_UNPAID_HOLDS", "0")
        .env("PARKWAY_JWT_SECRET", &secret)
        .env("RUST_LOG", "warn")
        .env_remove("PARKWAY_UI_DIR")
        .env_remove("PARKWAY_ALLOWED_HOSTS")
        .env_remove("PARKWAY_PUBLIC_URL")
        .env_remove("PARKWAY_TRUSTED_PROXIES")
        .env_remove("STRIPE_SECRET_KEY")
        .env_remove("STRIPE_WEBHOOK_SECRET")
        .current_dir(scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = server.stdout.take().context("the server's stdout is not captured")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = crate::bench::listening_address(&mut lines, START_TIMEOUT).await?;
    // The server logs to stdout too; keep draining it so a full pipe never blocks it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = format!("http://{addr}");
    println!("==> fuzzing the contract of the server on {base}");

    // The fuzzer acts as one account, with a static token good for 15 minutes, for every
    // operation but the two that end sessions; those act as an account of their own in a second,
    // short run, so nothing the fuzzer sends can sign it out. (A wrong current password locks only
    // signing in, which the fuzzer never needs.)
    let password = format!("fuzz-{}", uuid::Uuid::new_v4().simple());
    let main = register(&base, "fuzz@parkway.test", &password, &["driver", "owner"]).await?;
    let sign_out = register(&base, "fuzz-sign-out@parkway.test", &password, &["driver"]).await?;
    let out = ws.target.join("fuzz");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let schema = format!("{base}/api/openapi.json");
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut summary = Summary::default();
    // No link leads to the two sign-out operations, so their run has no stateful phase.
    let every_phase = "examples,coverage,fuzzing,stateful";
    for (name, token, filter, phases) in [
        ("requests", &main, "--exclude-operation-id", every_phase),
        ("sign-out", &sign_out, "--include-operation-id", "examples,coverage,fuzzing"),
    ] {
        let config = scratch.path().join(format!("{name}.toml"));
        std::fs::write(&config, config_file(token)).context("writing the fuzzer's configuration")?;
        let har = out.join(format!("{name}.har"));
        let examples = MAX_EXAMPLES.to_string();
        let seed = SEED.to_string();
        let args = [
            "--config-file",
            path_str(&config)?,
            "--no-color",
            "run",
            &schema,
            filter,
            "logout",
            filter,
            "endSession",
            "--phases",
            phases,
            "--max-response-time",
            MAX_RESPONSE_SECONDS,
            "--max-examples",
            &examples,
            "--seed",
            &seed,
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
            "--report",
            "har",
            "--report-har-path",
            path_str(&har)?,
        ];
        println!("==> schemathesis {}", args.join(" "));
        let status = Command::new(schemathesis)
            .args(args)
            .current_dir(scratch.path())
            .stdin(Stdio::null())
            .status()
            .await
            .context("running schemathesis")?;
        if !status.success() {
            failed.push(har.display().to_string());
        }
        match summarise(&har) {
            Ok(s) => summary.add(s),
            Err(e) => eprintln!("    (no request log to summarise: {e:#})"),
        }
    }
    let _ = server.start_kill();
    let _ = server.wait().await;
    println!(
        "    contract fuzz: {} requests in {:.0} s; answers {}; slowest {:.0} ms ({})",
        summary.requests,
        started.elapsed().as_secs_f64(),
        summary.statuses.iter().map(|(code, n)| format!("{code}×{n}")).collect::<Vec<_>>().join(" "),
        summary.slowest_ms,
        summary.slowest
    );
    if !failed.is_empty() {
        bail!("the contract fuzzer found problems (see above; the requests are in {})", failed.join(" and "));
    }
    Ok(())
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| format!("{} is not valid UTF-8", path.display()))
}

/// Signs up an account and returns its access token.
async fn register(base: &str, email: &str, password: &str, roles: &[&str]) -> anyhow::Result<String> {
    let body = serde_json::json!({"email": email, "password": password, "name": "Fuzzer", "roles": roles});
    let response = reqwest::Client::new()
        .post(format!("{base}/api/auth/register"))
        .json(&body)
        .send()
        .await
        .with_context(|| format!("signing up {email}"))?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.with_context(|| format!("reading the sign-up of {email}"))?;
    match answer["token"].as_str() {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        _ => bail!("signing up {email} answered {status}: {answer}"),
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The fuzzer's configuration: its token, and where the acceptance of valid-looking input is
/// not checked. Every other check runs everywhere.
fn config_file(token: &str) -> String {
    let operations = CROSS_FIELD_OPERATIONS.iter().map(|op| toml_string(op)).collect::<Vec<_>>().join(", ");
    format!(
        "[auth.openapi.bearerAuth]\n\
         bearer = {token}\n\
         \n\
         [[operations]]\n\
         include-operation-id = [{operations}]\n\
         checks = {{ positive_data_acceptance = {{ enabled = false }} }}\n",
        token = toml_string(token),
    )
}

/// What the request logs say.
#[derive(Default)]
struct Summary {
    requests: usize,
    statuses: BTreeMap<u64, usize>,
    slowest_ms: f64,
    slowest: String,
}

impl Summary {
    fn add(&mut self, other: Summary) {
        self.requests += other.requests;
        for (code, n) in other.statuses {
            *self.statuses.entry(code).or_default() += n;
        }
        if other.slowest_ms > self.slowest_ms {
            self.slowest_ms = other.slowest_ms;
            self.slowest = other.slowest;
        }
    }
}

fn summarise(har: &Path) -> anyhow::Result<Summary> {
    let text = std::fs::read_to_string(har).with_context(|| format!("reading {}", har.display()))?;
    let log: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", har.display()))?;
    let entries = log["log"]["entries"].as_array().context("no log.entries")?;
    let mut summary =
        Summary { requests: entries.len(), statuses: BTreeMap::new(), slowest_ms: 0.0, slowest: "-".into() };
    for entry in entries {
        *summary.statuses.entry(entry["response"]["status"].as_u64().unwrap_or(0)).or_default() += 1;
        let ms = entry["time"].as_f64().unwrap_or(0.0);
        if ms > summary.slowest_ms {
            summary.slowest_ms = ms;
            let url = entry["request"]["url"].as_str().unwrap_or("?");
            let path = url.find("/api/").or_else(|| url.find("/healthz")).or_else(|| url.find("/readyz"));
            let path: String =
                path.map_or(url, |i| &url[i..]).split('?').next().unwrap_or("").chars().take(80).collect();
            summary.slowest = format!("{} {path}", entry["request"]["method"].as_str().unwrap_or("?"));
        }
    }
    Ok(summary)
}
