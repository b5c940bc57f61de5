//! `cargo xtask e2e`: the web UI end to end in headless Chromium against the real server.
//!
//! Builds the UI and the (debug) server, installs the test's npm packages from their lock file
//! (playwright-core drives Debian's Chromium; no browser is downloaded), and runs
//! `tests/e2e/web.spec.mjs` with node's test runner. Screenshots land in
//! `target/e2e-screenshots/`.

use crate::Workspace;
use crate::cmd::{cargo, run, run_within};
use crate::ui;
use anyhow::bail;
use std::path::PathBuf;

/// Builds everything the browser tests need and runs them.
pub fn run_web(ws: &Workspace) -> anyhow::Result<()> {
    run_web_with(ws, false)
}

/// Runs the browser tests and, with `bench`, the first-markers benchmark (10,000 driveways;
/// figures in `target/bench/ui.json`).
pub fn run_web_with(ws: &Workspace, bench: bool) -> anyhow::Result<()> {
    let chromium =
        std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        bail!("{} is missing: run `bash scripts/setup.sh` (it installs Debian's chromium)", chromium.display());
    }
    ui::build(ws)?;
    run(&ws.root, &cargo(), &["build", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
    let e2e = ws.root.join("tests/e2e");
    ui::npm_ci(&e2e)?;
    let server = ws.target.join("debug/parkway-server");
    let dist = ui::dist(ws);
    let (server, dist) = (server.to_string_lossy(), dist.to_string_lossy());
    // The Stripe test runs the local Stripe emulator that scripts/setup.sh installs.
    let localstripe = std::env::var("PARKWAY_LOCALSTRIPE")
        .unwrap_or_else(|_| ws.root.join(".venv/bin/localstripe").to_string_lossy().into_owned());
    // --test-force-exit: a handle left open by a test (a socket, a child) must not keep the
    // run waiting once every test has answered.
    run_within(
        &e2e,
        "node",
        &["--test", "--test-concurrency=1", "--test-force-exit", "web.spec.mjs", "installable.spec.mjs"],
        &[
            ("PARKWAY_SERVER_BIN", &server),
            ("PARKWAY_UI_DIR", &dist),
            ("CHROMIUM", &chromium.to_string_lossy()),
            ("PARKWAY_LOCALSTRIPE", &localstripe),
        ],
        std::time::Duration::from_secs(20 * 60),
    )?;
    println!("screenshots in {}", ws.target.join("e2e-screenshots").display());
    if bench {
        // Timed against the optimised server, as people would run it (the tests use the debug
        // build, which answers searches of 10,000 driveways several times slower).
        run(&ws.root, &cargo(), &["build", "--release", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
        let release = ws.target.join("release/parkway-server");
        run(
            &e2e,
            "node",
            &["first-markers.bench.mjs"],
            &[
                ("PARKWAY_SERVER_BIN", &release.to_string_lossy()),
                ("PARKWAY_UI_DIR", &dist),
                ("CHROMIUM", &chromium.to_string_lossy()),
            ],
        )?;
    }
    Ok(())
}
