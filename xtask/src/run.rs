//! `cargo xtask run`: Parkway with its embedded defaults — SQLite in `parkway.db`, demo data,
//! the web UI — on http://127.0.0.1:8080, and the desktop app beside it when there is a display.

use crate::Workspace;
use crate::cmd::{cargo, run};
use anyhow::Context;
use std::process::{Command, Stdio};

/// Builds what is missing, runs the server in the foreground until Ctrl-C, and opens the
/// desktop app on it when a display is available (`PARKWAY_NO_APP=1` skips the app).
pub fn run_server(ws: &Workspace) -> anyhow::Result<()> {
    if !ws.root.join("ui/dist/index.html").exists() || !ws.root.join("ui/dist/parkway_ui_bg.wasm").exists() {
        crate::ui::build(ws)?;
    }
    // Place search works without them (driveways and an external geocoder still answer).
    if let Err(e) = crate::places::ensure(ws) {
        eprintln!("warning: the built-in places could not be prepared ({e:#}); place search has only driveways");
    }
    run(&ws.root, &cargo(), &["build", "--release", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
    let has_display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let with_app = has_display && std::env::var_os("PARKWAY_NO_APP").is_none();
    if with_app {
        run(&ws.root, &cargo(), &["build", "-p", "parkway-app"], &[])?;
    }

    let binary = ws.target.join("release/parkway-server");
    let mut server = Command::new(&binary);
    server.current_dir(&ws.root);
    if std::env::var_os("PARKWAY_DEMO").is_none() {
        server.env("PARKWAY_DEMO", "1");
    }
    println!("==> starting Parkway (Ctrl-C stops it)");
    let mut server = server.spawn().with_context(|| format!("could not start {}", binary.display()))?;

    let mut app = None;
    if with_app {
        let bind = std::env::var("PARKWAY_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
        // Give the server a moment to listen; the app retries its requests anyway.
        std::thread::sleep(std::time::Duration::from_secs(2));
        println!("==> opening the desktop app on http://{bind}");
        app = Command::new(ws.target.join("debug/parkway-app"))
            .env("PARKWAY_SERVER_URL", format!("http://{bind}"))
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| eprintln!("the desktop app could not start ({e}); the web UI is still at http://{bind}"))
            .ok();
    } else {
        println!("    (no display: the desktop app is not opened; the web UI is at the address above)");
    }
    let status = server.wait().context("waiting for the server")?;
    if let Some(mut app) = app {
        let _ = app.kill();
        let _ = app.wait();
    }
    if !status.success() {
        anyhow::bail!("the server stopped with {status}");
    }
    Ok(())
}
