//! `cargo xtask desktop`: the desktop app built and started under a virtual display (Xvfb)
//! with its embedded server and demo data; a screenshot of its map page is kept as test output
//! in `target/e2e-screenshots/desktop-map.png`, and the time from start to the map with
//! driveways (drawn, as the app logs it, and on screen) and the app's idle memory are
//! reported. Then
//! `tests/e2e/desktop.spec.mjs` drives the app through WebDriver (tauri-driver in front of
//! Debian's WebKitWebDriver): booking offline, the outbox, and the sync when the server comes
//! back.

use crate::Workspace;
use crate::cmd::{cargo, run, run_within};
use anyhow::{Context, bail};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when dropped, so no Xvfb or app is ever left behind.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_display() -> u32 {
    (90..200).find(|n| !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()).unwrap_or(99)
}

/// Standard deviation of the screenshot's pixels (0 for a blank screen), via ImageMagick.
fn pixel_spread(png: &std::path::Path, crop: Option<&str>) -> anyhow::Result<f64> {
    let mut cmd = Command::new("convert");
    cmd.arg(png);
    if let Some(geometry) = crop {
        cmd.args(["-crop", geometry, "+repage"]);
    }
    let out = cmd.args(["-colorspace", "gray", "-format", "%[fx:standard_deviation]", "info:"]).output()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().context("reading ImageMagick's answer")
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// True when `ui/dist/index.html` is missing, or a file under `ui/src`, `ui/index.html`,
/// `ui/style.css` or `core/src` changed after it was written.
fn ui_is_stale(ws: &Workspace) -> bool {
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&ws.root.join("ui/dist/index.html")) else { return true };
    fn newest(dir: &std::path::Path, out: &mut Option<std::time::SystemTime>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                newest(&path, out);
            } else if let Ok(t) = entry.metadata().and_then(|m| m.modified()) {
                *out = Some(out.map_or(t, |o| o.max(t)));
            }
        }
    }
    let mut latest = None;
    for dir in ["ui/src", "core/src"] {
        newest(&ws.root.join(dir), &mut latest);
    }
    for file in ["ui/index.html", "ui/style.css", "ui/Cargo.toml"] {
        if let Some(t) = modified(&ws.root.join(file)) {
            latest = Some(latest.map_or(t, |o: std::time::SystemTime| o.max(t)));
        }
    }
    latest.is_some_and(|t| t > built)
}

/// Builds the UI and the app, runs it under Xvfb and checks it paints its map page.
pub fn smoke(ws: &Workspace) -> anyhow::Result<()> {
    // The app embeds ui/dist: build it when missing or older than the UI's or core's sources,
    // so the app under test never carries a stale page.
    if ui_is_stale(ws) {
        crate::ui::build(ws)?;
    }
    run(&ws.root, &cargo(), &["build", "-p", "parkway-app"], &[])?;
    let (_xvfb, display) = start_xvfb()?;
    let shots = ws.target.join("e2e-screenshots");
    std::fs::create_dir_all(&shots)?;
    let shot = shots.join("desktop-map.png");
    let start = start_app(&ws.target.join("debug/parkway-app"), &display, &shot)?;
    let ok = Command::new("import").args(["-display", &display, "-window", "root"]).arg(&shot).status()?;
    if !ok.success() || pixel_spread(&shot, None)? < 0.02 {
        bail!("the app's window looks blank: {}", shot.display());
    }
    println!(
        "desktop app (debug build): map with driveways on screen {:.2} s after start (drawn at {:.2} s; target ≤ 2 s; `cargo xtask bench --only app` times the release build)",
        start.first_paint.as_secs_f64(),
        start.reported.as_secs_f64()
    );
    if let Some(mb) = start.idle_mb {
        println!(
            "desktop app: idle memory of the app process {mb:.0} MB (RSS; the web view runs in its own processes)"
        );
    }
    println!("screenshot: {}", shot.display());
    drop(start);
    webdriver(ws, &display)
}

/// A virtual display on a free number, stopped when the guard drops.
fn start_xvfb() -> anyhow::Result<(Guard, String)> {
    let display = format!(":{}", free_display());
    let xvfb = Guard(
        Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (run scripts/setup.sh)")?,
    );
    std::thread::sleep(Duration::from_millis(800));
    Ok((xvfb, display))
}

/// One start of the app, still running, with what was measured.
struct Started {
    /// From starting the process to MapLibre's first frame with driveways, as the app logged it.
    reported: Duration,
    /// From starting the process to a screenshot whose map pane shows more than a flat
    /// background.
    first_paint: Duration,
    /// The app process's RSS five seconds after that.
    idle_mb: Option<f64>,
    /// The process, stopped on drop (fields drop in order: the app before its data folder).
    _app: Guard,
    /// Its data folder (a fresh one per start).
    _home: tempfile::TempDir,
}

/// Starts `binary` on `display` with a fresh data folder, its embedded server and demo data;
/// waits (at most 60 s) for the app to log that its map with driveways is drawn, then takes
/// screenshots into `shot` until the map shows on screen.
fn start_app(binary: &std::path::Path, display: &str, shot: &std::path::Path) -> anyhow::Result<Started> {
    let home = tempfile::tempdir()?;
    let started = Instant::now();
    let mut app = Guard(
        Command::new(binary)
            .env("DISPLAY", display)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("PARKWAY_DEMO", "1")
            .env("RUST_LOG", "info")
            .env_remove("PARKWAY_SERVER_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the app")?,
    );
    // The UI tells the app when MapLibre has drawn its first frame with driveways, and the app
    // logs it. WebKitGTK puts that frame on screen some time later, so the screen is read too:
    // from that moment on only, as screenshots take CPU from an app that is starting.
    let log = app.0.stderr.take().context("the app's log")?;
    let (drawn, on_drawn) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(log).lines().map_while(Result::ok) {
            if line.contains("first map frame with driveways drawn") {
                let _ = drawn.send(started.elapsed());
            }
        }
    });
    println!("==> waiting for the app to draw its map on {display}");
    let reported = on_drawn.recv_timeout(Duration::from_secs(60)).map_err(|_| {
        anyhow::anyhow!("the app did not report drawing its map within 60 s (is the UI built? `cargo xtask ui`)")
    })?;
    let mut first_paint = None;
    while started.elapsed() < reported + Duration::from_secs(30) {
        let taken = started.elapsed();
        let ok = Command::new("import").args(["-display", display, "-window", "root"]).arg(shot).status()?;
        if ok.success() && pixel_spread(shot, Some("760x700+440+80")).unwrap_or(0.0) > 0.01 {
            first_paint = Some(taken);
            break;
        }
    }
    let Some(first_paint) = first_paint else {
        bail!("the app reported its map, but the map area stayed blank for 30 s: {}", shot.display());
    };
    std::thread::sleep(Duration::from_secs(5));
    let idle_mb = rss_mb(app.0.id());
    Ok(Started { reported, first_paint, idle_mb, _app: app, _home: home })
}

/// `cargo xtask bench --only app`: the release app started `runs` times under Xvfb (a fresh
/// data folder each time, so each start also creates its databases and seeds the demo), with
/// the median time to the first map frame and idle memory; then the outbox benchmark (1,000
/// bookings queued offline, synced against a local server). Figures in `target/bench/app.json`.
pub fn bench(ws: &Workspace, runs: usize) -> anyhow::Result<()> {
    if !ws.root.join("ui/dist/index.html").exists() {
        crate::ui::build(ws)?;
    }
    run(&ws.root, &cargo(), &["build", "--release", "-p", "parkway-app"], &[])?;
    let (_xvfb, display) = start_xvfb()?;
    let shot = ws.target.join("bench/app-start.png");
    std::fs::create_dir_all(ws.target.join("bench"))?;
    let (mut paints, mut drawn, mut memory) = (Vec::new(), Vec::new(), Vec::new());
    for i in 1..=runs {
        let start = start_app(&ws.target.join("release/parkway-app"), &display, &shot)?;
        println!(
            "run {i}: map with driveways on screen after {:.2} s (drawn at {:.2} s)",
            start.first_paint.as_secs_f64(),
            start.reported.as_secs_f64()
        );
        paints.push(start.first_paint.as_secs_f64());
        drawn.push(start.reported.as_secs_f64());
        memory.extend(start.idle_mb);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let (min, max) = (paints.iter().copied().fold(f64::INFINITY, f64::min), paints.iter().copied().fold(0.0, f64::max));
    let (paint, drawn, idle) = (median(&mut paints), median(&mut drawn), median(&mut memory));
    println!(
        "app (release build) start to the map with driveways on screen: median {paint:.2} s (min {min:.2}, max {max:.2}; target ≤ 2 s; MapLibre drew it at {drawn:.2} s); idle memory of the app process {idle:.0} MB"
    );
    let report = serde_json::json!({
        "runs": runs,
        "firstPaintMedianS": paint,
        "firstPaintMinS": min,
        "firstPaintMaxS": max,
        "mapDrawnMedianS": drawn,
        "idleRssMedianMb": idle,
    });
    let path = ws.target.join("bench/app.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
    println!("report written to {}", path.display());
    run(&ws.root, &cargo(), &["bench", "-p", "parkway-app", "--bench", "outbox_sync"], &[])
}

/// The tauri-driver version installed when none is on the machine.
const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// tauri-driver from crates.io (installed into cargo's bin directory on first use).
fn ensure_tauri_driver() -> anyhow::Result<std::path::PathBuf> {
    let bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?
        .join("bin/tauri-driver");
    if !bin.exists() {
        run(
            std::path::Path::new("."),
            &cargo(),
            &["install", "tauri-driver", "--locked", "--version", TAURI_DRIVER_VERSION],
            &[],
        )?;
    }
    Ok(bin)
}

/// The WebDriver test of the app, on the virtual display `display`.
fn webdriver(ws: &Workspace, display: &str) -> anyhow::Result<()> {
    const NATIVE_DRIVER: &str = "/usr/bin/WebKitWebDriver";
    if !std::path::Path::new(NATIVE_DRIVER).exists() {
        bail!("{NATIVE_DRIVER} is missing: run `bash scripts/setup.sh` (it installs webkit2gtk-driver)");
    }
    let driver = ensure_tauri_driver()?;
    run(&ws.root, &cargo(), &["build", "-p", "parkway-backend", "--bin", "parkway-server"], &[])?;
    let e2e = ws.root.join("tests/e2e");
    crate::ui::npm_ci(&e2e)?;
    let app = ws.target.join("debug/parkway-app");
    let server = ws.target.join("debug/parkway-server");
    // --test-force-exit: a handle left open by a test (a socket, a child) must not keep the
    // run waiting once every test has answered.
    run_within(
        &e2e,
        "node",
        &["--test", "--test-concurrency=1", "--test-force-exit", "desktop.spec.mjs"],
        &[
            ("DISPLAY", display),
            ("TAURI_DRIVER", &driver.to_string_lossy()),
            ("PARKWAY_APP_BIN", &app.to_string_lossy()),
            ("PARKWAY_SERVER_BIN", &server.to_string_lossy()),
        ],
        std::time::Duration::from_secs(20 * 60),
    )
}

/// `cargo check` of the app for Android. The NDK's C compiler cannot be had here, so C code
/// (bundled SQLite, the TLS library) goes through `scripts/check-only-cc`, which answers like
/// GCC and produces empty objects: enough to type-check every line of Rust for the target.
/// Then the push plugin's Kotlin is compiled (see [`check_push_kotlin`]).
pub fn check_android(ws: &Workspace) -> anyhow::Result<()> {
    check_android_rust(ws)?;
    check_push_kotlin(ws)
}

/// The push plugin's Kotlin compiled with Debian's `kotlinc` (installed by `scripts/setup.sh`)
/// against stubs of the Android, Firebase and Tauri classes it uses, since neither the Android
/// SDK nor a Maven registry can be had here: it catches a misspelt call or a wrong type, not
/// what happens on a phone.
fn check_push_kotlin(ws: &Workspace) -> anyhow::Result<()> {
    let plugin = ws.root.join("src-tauri/plugins/push");
    let mut sources = Vec::new();
    for dir in ["android/src/main/java", "android-check-stubs"] {
        collect_sources(&plugin.join(dir), &mut sources)?;
    }
    let out = ws.target.join("android/push-kotlin-check");
    let out = out.display().to_string();
    let mut args = vec!["-nowarn", "-d", out.as_str()];
    let sources: Vec<String> = sources.iter().map(|s| s.display().to_string()).collect();
    args.extend(sources.iter().map(String::as_str));
    run(&plugin, "kotlinc", &args, &[]).context("the push plugin's Kotlin check (kotlinc comes from scripts/setup.sh)")
}

/// The `.kt` and `.java` files under `dir`.
fn collect_sources(dir: &std::path::Path, into: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_sources(&path, into)?;
        } else if path.extension().is_some_and(|e| e == "kt" || e == "java") {
            into.push(path);
        }
    }
    Ok(())
}

fn check_android_rust(ws: &Workspace) -> anyhow::Result<()> {
    const TARGET: &str = "aarch64-linux-android";
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output()?;
    if !String::from_utf8_lossy(&installed.stdout).lines().any(|l| l.trim() == TARGET) {
        run(&ws.root, "rustup", &["target", "add", TARGET], &[])?;
    }
    let stub = ws.root.join("scripts/check-only-cc");
    let target_dir = ws.target.join("android");
    run(
        &ws.root,
        &cargo(),
        &["check", "-p", "parkway-app", "--target", TARGET],
        &[
            ("CC_aarch64_linux_android", &stub.display().to_string()),
            ("AR_aarch64_linux_android", "ar"),
            ("CARGO_TARGET_DIR", &target_dir.display().to_string()),
        ],
    )
}
