//! `cargo xtask test`: every test, the way CI runs it.

use crate::Workspace;
use crate::cmd::{cargo, run};
use anyhow::bail;

/// Runs the unit, property, API and cross-part tests of the whole workspace.
pub fn run_all(ws: &Workspace) -> anyhow::Result<()> {
    let localstripe = ws.root.join(".venv/bin/localstripe");
    if !localstripe.exists() && std::env::var_os("PARKWAY_LOCALSTRIPE").is_none() {
        bail!(
            "the payment tests need the localstripe emulator, which is not installed: run `bash scripts/setup.sh` first"
        );
    }
    run(&ws.root, &cargo(), &["test", "--workspace", "--exclude", "xtask"], &[])?;
    println!("all tests passed");
    Ok(())
}
