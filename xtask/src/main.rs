//! `cargo xtask <task>`: Parkway's project automation beyond plain cargo.
//!
//! Tasks:
//! - `run`: Parkway with demo data on http://127.0.0.1:8080.
//! - `test`: every test, as CI runs it.
//! - `bench [--quick] [--only booking|search]`: measures the release server over real HTTP on
//!   loopback and writes `target/bench/booking-server.json`.

/// Benchmarks of the booking server.
mod bench;
/// Running programs with progress.
mod cmd;
/// `cargo xtask run`.
mod run;
/// `cargo xtask test`.
mod test;

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
      (SQLite, localstripe), and the cross-part tests. Run scripts/setup.sh once first.
  bench [--quick] [--only booking|search]
      Builds the release server and measures it over HTTP on loopback: booking creation
      throughput, search latency at 100k and 1M driveways, and peak memory. Writes the report
      to target/bench/booking-server.json.
      --quick   a short smoke run (3 s load runs, 100k driveways only, fewer searches)
      --only    run only the booking or only the search part";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("run") => run::run_server(&Workspace::locate()?),
        Some("test") => test::run_all(&Workspace::locate()?),
        Some("bench") => {
            let options = bench::Options::parse(args)?;
            bench::run(&Workspace::locate()?, &options).await
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
