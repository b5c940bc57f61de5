//! `cargo xtask ui`: builds the Yew web UI into `ui/dist/`.
//!
//! The wasm32 target, the wasm-bindgen CLI at the version `Cargo.lock` pins, MapLibre GL JS, the
//! PMTiles reader, the Protomaps basemap styles and the wasm optimiser (`binaryen`) all come
//! through rustup, crates.io and npm; nothing else is downloaded.

use crate::Workspace;
use crate::cmd::{cargo, run};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The wasm features rustc enables by default for `wasm32-unknown-unknown`; wasm-opt must
/// accept them.
const WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// MapLibre's files copied next to the app (the shared chunk may be empty; it is imported).
const MAPLIBRE_FILES: &[&str] =
    &["maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl-shared.mjs", "maplibre-gl.css"];

/// Where the built UI goes.
pub fn dist(ws: &Workspace) -> PathBuf {
    ws.root.join("ui/dist")
}

/// Builds the UI: release wasm, wasm-bindgen, wasm-opt, MapLibre, the street map's reader and
/// style, and the static files.
pub fn build(ws: &Workspace) -> anyhow::Result<()> {
    let ui = ws.root.join("ui");
    let dist = dist(ws);
    ensure_wasm_target()?;
    // The shared release profile is tuned for the server's speed; for the wasm, size matters
    // more, so this one build overrides it (other release builds are unaffected).
    let rustflags = dependency_path_remaps();
    run(
        &ws.root,
        &cargo(),
        &["build", "-p", "parkway-ui", "--target", "wasm32-unknown-unknown", "--release"],
        &[
            ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z"),
            ("CARGO_PROFILE_RELEASE_LTO", "fat"),
            ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
            ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
            ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &rustflags),
        ],
    )?;
    let version = locked_wasm_bindgen(&ws.root.join("Cargo.lock"))?;
    let wasm_bindgen = ensure_wasm_bindgen(&version)?;
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("could not clear {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    let wasm = ws.target.join("wasm32-unknown-unknown/release/parkway_ui.wasm");
    run(
        &ws.root,
        &wasm_bindgen,
        &[
            "--target",
            "web",
            "--no-typescript",
            "--out-dir",
            path_str(&dist)?,
            "--out-name",
            "parkway_ui",
            path_str(&wasm)?,
        ],
        &[],
    )?;
    npm_ci(&ui)?;
    let bindgen_wasm = dist.join("parkway_ui_bg.wasm");
    let wasm_opt = ui.join("node_modules/.bin/wasm-opt");
    // An -O2 pass first (its inlining and simplification leave -Oz more to fold away), then
    // -Oz until it finds nothing more: about 4 KB gzipped less than two -Oz passes, for about a
    // minute of build. Rust's wasm leaves the first kilobyte of memory unused and its memory
    // starts zeroed, which lets the optimiser drop stores and data of zeros (about 2 KB gzipped).
    let mut args = vec!["-O2", "-Oz", "--converge", "--low-memory-unused", "--zero-filled-memory"];
    args.extend_from_slice(WASM_FEATURES);
    args.extend_from_slice(&["-o", path_str(&bindgen_wasm)?, path_str(&bindgen_wasm)?]);
    run(&ui, path_str(&wasm_opt)?, &args, &[])?;

    println!("==> copying MapLibre GL JS and the static files");
    let maplibre = ui.join("node_modules/maplibre-gl/dist");
    for file in MAPLIBRE_FILES {
        std::fs::copy(maplibre.join(file), dist.join(file))
            .with_context(|| format!("could not copy {file} from the maplibre-gl package"))?;
    }
    // stripe-pay.js does the Stripe card form's work in plain JS (see the file), beside the wasm.
    // The page has no inline script (the Content-Security-Policy allows files only): boot.js
    // starts the app, config.js carries the build's settings.
    for file in [
        "style.css",
        "stripe-pay.js",
        "browser-outbox.js",
        "web-push.js",
        "boot.js",
        "index.html",
        "manifest.webmanifest",
    ] {
        std::fs::copy(ui.join(file), dist.join(file)).with_context(|| format!("could not copy ui/{file}"))?;
    }
    // The installed app's icons (the manifest names them).
    let icons = dist.join("icons");
    std::fs::create_dir_all(&icons)?;
    for (from, to) in [("192x192.png", "192x192.png"), ("icon.png", "512x512.png")] {
        std::fs::copy(ws.root.join("icons").join(from), icons.join(to))
            .with_context(|| format!("could not copy icons/{from}"))?;
    }
    // The street map, for servers with a PMTiles archive: the protocol reader (a script that
    // defines `pmtiles`) and a style made from the Protomaps basemap.
    std::fs::copy(ui.join("node_modules/pmtiles/dist/pmtiles.js"), dist.join("pmtiles.js"))
        .context("could not copy pmtiles.js from the pmtiles package")?;
    run(&ui, "node", &["streets.mjs", path_str(&dist.join("streets.json"))?], &[])?;
    crate::glyphs::write(ws, &dist)?;
    let style_url = std::env::var("PARKWAY_MAP_STYLE_URL").unwrap_or_default();
    let config = std::fs::read_to_string(ui.join("config.js"))?
        .replace("\"__PARKWAY_MAP_STYLE_URL__\"", &serde_json::to_string(&style_url)?);
    std::fs::write(dist.join("config.js"), config)?;
    write_service_worker(&ui, &dist)?;
    report_sizes(&dist)?;
    println!("UI built in {}", dist.display());
    Ok(())
}

/// Rust flags that name the dependencies' sources `/deps/…` in the wasm instead of the build
/// machine's cargo folder (panic locations carry file names): shorter, and no machine's paths
/// ship to browsers.
fn dependency_path_remaps() -> String {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let Some(sources) = cargo_home.map(|home| home.join("registry/src")) else { return String::new() };
    let Ok(entries) = std::fs::read_dir(&sources) else { return String::new() };
    entries
        .filter_map(|e| e.ok()?.path().to_str().map(str::to_owned))
        // The flags are split on spaces.
        .filter(|dir| !dir.contains(' '))
        .map(|dir| format!("--remap-path-prefix={dir}=/deps"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn path_str(p: &Path) -> anyhow::Result<&str> {
    p.to_str().with_context(|| format!("path is not UTF-8: {}", p.display()))
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Ok(_) => run(Path::new("."), "rustup", &["target", "add", "wasm32-unknown-unknown"], &[]),
        // Without rustup (a distribution toolchain), let cargo say whether the target is there.
        Err(_) => Ok(()),
    }
}

/// The wasm-bindgen version `Cargo.lock` resolved; the CLI must match it exactly.
fn locked_wasm_bindgen(lock: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(lock).with_context(|| format!("could not read {}", lock.display()))?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package; build the ui crate once to resolve it")
}

/// Returns the wasm-bindgen CLI at `version`, installing it from crates.io when the one on the
/// PATH differs (without `--locked`: the CLI's own lock file names a yanked crate).
fn ensure_wasm_bindgen(version: &str) -> anyhow::Result<String> {
    let installed = Command::new("wasm-bindgen").arg("--version").output().ok().filter(|o| o.status.success());
    let current = installed.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    if current == format!("wasm-bindgen {version}") {
        return Ok("wasm-bindgen".to_owned());
    }
    // cargo install puts it in ~/.cargo/bin, which may not be on the PATH.
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(bin) = cargo_home.map(|h| h.join("bin/wasm-bindgen")) {
        let out = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
        if out.is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == format!("wasm-bindgen {version}")) {
            return Ok(bin.to_string_lossy().into_owned());
        }
    }
    println!(
        "==> installing wasm-bindgen-cli {version} (found {:?})",
        if current.is_empty() { "none" } else { &current }
    );
    run(Path::new("."), &cargo(), &["install", "wasm-bindgen-cli", "--version", version], &[])?;
    let bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin/wasm-bindgen"))
        .context("cannot tell where cargo installed wasm-bindgen")?;
    Ok(bin.to_string_lossy().into_owned())
}

/// Installs the npm packages of `dir` from its lock file when they are missing or stale.
pub fn npm_ci(dir: &Path) -> anyhow::Result<()> {
    let marker = dir.join("node_modules/.package-lock.json");
    let stale = match (std::fs::metadata(&marker), std::fs::metadata(dir.join("package-lock.json"))) {
        (Ok(m), Ok(l)) => m.modified()? < l.modified()?,
        _ => true,
    };
    if stale {
        run(dir, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    Ok(())
}

/// Writes `sw.js` with the app shell it caches: every file at the top of `dist` and the icons
/// (the map's glyphs are cached as they are fetched), and a version made from their contents,
/// so that a new build replaces the cache of the last one.
fn write_service_worker(ui: &Path, dist: &Path) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let mut shell = Vec::new();
    for dir in [dist.to_path_buf(), dist.join("icons")] {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))? {
            let path = entry?.path();
            if path.is_file() {
                shell.push(path);
            }
        }
    }
    shell.sort();
    let mut hash = Sha256::new();
    let mut names = Vec::with_capacity(shell.len());
    for path in &shell {
        let name = path.strip_prefix(dist)?.to_str().context("a UI file name is not UTF-8")?.replace('\\', "/");
        hash.update(name.as_bytes());
        hash.update(std::fs::read(path)?);
        names.push(name);
    }
    let version = hex::encode(&hash.finalize()[..8]);
    let worker = std::fs::read_to_string(ui.join("sw.js"))
        .context("could not read ui/sw.js")?
        .replace("__PARKWAY_BUILD__", &version)
        .replace("__PARKWAY_SHELL__", &serde_json::to_string(&names)?);
    std::fs::write(dist.join("sw.js"), worker)?;
    Ok(())
}

/// Prints raw and gzipped sizes of what the UI ships, MapLibre apart.
fn report_sizes(dist: &Path) -> anyhow::Result<()> {
    println!("==> sizes (raw / gzip -9)");
    let mut ui = (0, 0);
    let mut maplibre = (0, 0);
    let mut streets = (0, 0);
    let mut entries: Vec<_> = std::fs::read_dir(dist)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            // The street map's glyphs: fetched a range at a time, only for labels on screen.
            let (files, bytes) = dir_size(&path)?;
            println!(
                "    {:<28} {:>9.1} KB in {files} files, fetched as labels need them",
                format!("{name}/"),
                bytes as f64 / 1000.0
            );
            continue;
        }
        let raw = std::fs::metadata(&path)?.len();
        let gz = gzipped(&path).unwrap_or(0);
        println!("    {name:<28} {:>9.1} KB {:>9.1} KB", raw as f64 / 1000.0, gz as f64 / 1000.0);
        let bucket = if name.starts_with("maplibre-gl") {
            &mut maplibre
        } else if name == "pmtiles.js" || name == "streets.json" {
            &mut streets
        } else {
            &mut ui
        };
        bucket.0 += raw;
        bucket.1 += gz;
    }
    println!(
        "    {:<28} {:>9.1} KB {:>9.1} KB",
        "UI (wasm + js + html + css)",
        ui.0 as f64 / 1000.0,
        ui.1 as f64 / 1000.0
    );
    println!(
        "    {:<28} {:>9.1} KB {:>9.1} KB",
        "MapLibre GL JS",
        maplibre.0 as f64 / 1000.0,
        maplibre.1 as f64 / 1000.0
    );
    println!(
        "    {:<28} {:>9.1} KB {:>9.1} KB",
        "Street map (reader, style)",
        streets.0 as f64 / 1000.0,
        streets.1 as f64 / 1000.0
    );
    Ok(())
}

/// Files under `dir` and their bytes.
fn dir_size(dir: &Path) -> anyhow::Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            let (f, b) = dir_size(&path)?;
            files += f;
            bytes += b;
        } else {
            files += 1;
            bytes += std::fs::metadata(&path)?.len();
        }
    }
    Ok((files, bytes))
}

fn gzipped(path: &Path) -> anyhow::Result<u64> {
    let out = Command::new("gzip").arg("-9c").arg(path).stderr(Stdio::null()).output()?;
    Ok(out.stdout.len() as u64)
}
