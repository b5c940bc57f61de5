//! `cargo xtask test`: every test, the way CI runs it.

use crate::Workspace;
use crate::cmd::{cargo, run_within};
use anyhow::bail;
use std::time::Duration;

/// Runs the unit, property, API and cross-part tests of the whole workspace on SQLite, then the
/// API suite again on PostgreSQL (a throwaway server the tests start themselves), then the HTTP
/// contract fuzzed from its OpenAPI document, then the web UI end to end in headless Chromium,
/// the desktop app under Xvfb, and the Android check.
pub fn run_all(ws: &Workspace) -> anyhow::Result<()> {
    let localstripe = ws.root.join(".venv/bin/localstripe");
    if !localstripe.exists() && std::env::var_os("PARKWAY_LOCALSTRIPE").is_none() {
        bail!(
            "the payment tests need the localstripe emulator, which is not installed: run `bash scripts/setup.sh` first"
        );
    }
    if !ws.root.join(".venv/bin/moto_server").exists() && std::env::var_os("PARKWAY_MOTO").is_none() {
        bail!("the photo tests need moto's S3 server, which is not installed: run `bash scripts/setup.sh` first");
    }
    if !ws.root.join(".venv/bin/schemathesis").exists() {
        bail!("the contract fuzzer needs schemathesis, which is not installed: run `bash scripts/setup.sh` first");
    }
    if !std::path::Path::new("/usr/lib/postgresql").is_dir() && std::env::var_os("PARKWAY_PG_BIN").is_none() {
        bail!(
            "the PostgreSQL tests need Debian's postgresql package, which is not installed: run `bash scripts/setup.sh` first"
        );
    }
    let mut times = StageTimes::default();
    // The tests of several instances always use PostgreSQL; they run once, in the second pass.
    // Each stage has a limit far above its usual time (it includes compiling), so a test that
    // hangs fails the run with its stage named instead of holding it until CI gives up.
    times.run("cargo tests (SQLite)", || {
        let args = ["test", "--workspace", "--", "--skip", "multi_instance::"];
        run_within(&ws.root, &cargo(), &args, &[], Duration::from_secs(60 * 60))
    })?;
    times.run("API suite on PostgreSQL", || {
        // `--workspace`, as above: with `-p` Cargo would resolve the dependencies' features for
        // the backend alone and build a dozen of them again.
        let args = ["test", "--workspace", "--test", "api"];
        run_within(&ws.root, &cargo(), &args, &[("PARKWAY_TEST_DB", "postgres")], Duration::from_secs(30 * 60))
    })?;
    // Every route with generated valid and invalid requests: no 5xx, no answer over a second, no
    // disagreement with the OpenAPI document.
    times.run("contract fuzz", || crate::fuzz::run(ws))?;
    // The web UI in headless Chromium, the desktop app under Xvfb, and the app's code for Android.
    // A browser test that times out on a busy machine gets one more try; a real failure fails
    // twice and stops the run.
    times.run("web UI in Chromium", || {
        if let Err(first) = crate::e2e::run_web(ws) {
            eprintln!("the browser tests failed ({first:#}); running them once more");
            crate::e2e::run_web(ws)?;
        }
        Ok(())
    })?;
    times.run("desktop app", || crate::desktop::smoke(ws))?;
    times.run("Android check", || crate::desktop::check_android(ws))?;
    times.print();
    println!(
        "all tests passed: SQLite and PostgreSQL, the contract fuzz, the web UI in Chromium, the desktop app, the Android check"
    );
    Ok(())
}

/// How long each stage took, printed at the end so a slow stage is seen at once.
#[derive(Default)]
struct StageTimes(Vec<(&'static str, std::time::Duration)>);

impl StageTimes {
    /// Runs one stage, timing it; a failed stage still has its time printed.
    fn run(&mut self, name: &'static str, stage: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let result = stage();
        self.0.push((name, started.elapsed()));
        if result.is_err() {
            self.print();
        }
        result
    }

    fn print(&self) {
        println!("\nstage times:");
        for (name, took) in &self.0 {
            println!("  {name:<26} {:>6.1} min", took.as_secs_f64() / 60.0);
        }
        let total: std::time::Duration = self.0.iter().map(|(_, t)| *t).sum();
        println!("  {:<26} {:>6.1} min", "total", total.as_secs_f64() / 60.0);
    }
}
