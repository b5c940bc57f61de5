//! Running cargo and other programs with progress on the terminal.

use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Runs `program args…` in `dir`, streaming its output, and fails if it fails.
pub fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    let started = Instant::now();
    println!("==> {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .status()
        .with_context(|| format!("could not start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    println!("    done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The cargo that runs this xtask (so the same toolchain builds everything).
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Like [`run`], for a test run that must end: after `limit` the program is stopped (SIGTERM,
/// then SIGKILL) and the step fails, so a hung browser or app fails the suite instead of
/// holding it until the machine's own limit.
pub fn run_within(
    dir: &Path,
    program: &str,
    args: &[&str],
    envs: &[(&str, &str)],
    limit: std::time::Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    println!("==> {program} {} (at most {} min)", args.join(" "), limit.as_secs() / 60);
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .spawn()
        .with_context(|| format!("could not start {program}"))?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            // node's test runner ends its test files on SIGTERM; anything left gets SIGKILL.
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let grace = Instant::now();
            while child.try_wait()?.is_none() && grace.elapsed() < std::time::Duration::from_secs(15) {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            let _ = child.kill();
            let _ = child.wait();
            bail!("`{program} {}` did not finish within {} min and was stopped", args.join(" "), limit.as_secs() / 60);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    println!("    done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
