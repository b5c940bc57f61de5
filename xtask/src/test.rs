//! `cargo xtask test`: every test, the way CI runs it.

use crate::Workspace;
use crate::cmd::{cargo, run};
use anyhow::bail;

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
    if !ws.root.join(".venv/bin/schemathesis").exists() {
        bail!("the contract fuzzer needs schemathesis, which is not installed: run `bash scripts/setup.sh` first");
    }
    if !std::path::Path::new("/usr/lib/postgresql").is_dir() && std::env::var_os("PARKWAY_PG_BIN").is_none() {
        bail!(
            "the PostgreSQL tests need Debian's postgresql package, which is not installed: run `bash scripts/setup.sh` first"
        );
    }
    // The tests of several instances always use PostgreSQL; they run once, in the second pass.
    run(&ws.root, &cargo(), &["test", "--workspace", "--exclude", "xtask", "--", "--skip", "multi_instance::"], &[])?;
    run(&ws.root, &cargo(), &["test", "-p", "parkway-backend", "--test", "api"], &[("PARKWAY_TEST_DB", "postgres")])?;
    // Every route with generated valid and invalid requests: no 5xx, no answer over a second, no
    // disagreement with the OpenAPI document.
    crate::fuzz::run(ws)?;
    // The web UI in headless Chromium, the desktop app under Xvfb, and the app's code for Android.
    // A browser test that times out on a busy machine gets one more try; a real failure fails
    // twice and stops the run.
    if let Err(first) = crate::e2e::run_web(ws) {
        eprintln!("the browser tests failed ({first:#}); running them once more");
        crate::e2e::run_web(ws)?;
    }
    crate::desktop::smoke(ws)?;
    crate::desktop::check_android(ws)?;
    println!(
        "all tests passed: SQLite and PostgreSQL, the contract fuzz, the web UI in Chromium, the desktop app, the Android check"
    );
    Ok(())
}
