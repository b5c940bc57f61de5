//! `cargo xtask run`: Parkway with its embedded defaults — SQLite in `parkway.db`, demo data,
//! the web UI when it is built — on http://127.0.0.1:8080.

use crate::Workspace;
use crate::cmd::{cargo, run};
use anyhow::Context;
use std::process::Command;

/// Builds the release server and runs it in the foreground until Ctrl-C.
pub fn run_server(ws: &Workspace) -> anyhow::Result<()> {
    run(&ws.root, &cargo(), &["build", "--release", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
    let binary = ws.target.join("release/parkway-server");
    let mut server = Command::new(&binary);
    server.current_dir(&ws.root);
    if std::env::var_os("PARKWAY_DEMO").is_none() {
        server.env("PARKWAY_DEMO", "1");
    }
    println!("==> starting Parkway (Ctrl-C stops it)");
    let status = server.status().with_context(|| format!("could not start {}", binary.display()))?;
    if !status.success() {
        anyhow::bail!("the server stopped with {status}");
    }
    Ok(())
}
