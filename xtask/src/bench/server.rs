//! The release `parkway-server` as a child process.

use crate::Workspace;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful stop may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// `PARKWAY_SQLITE_SYNC`: how hard SQLite works to keep commits on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// `synchronous=FULL`, the server's default: every commit is fsynced.
    Full,
    /// `synchronous=NORMAL`: commits survive a crash of the process, not of the machine.
    Normal,
}

impl SqliteSync {
    /// The value of `PARKWAY_SQLITE_SYNC`.
    pub fn as_str(self) -> &'static str {
        match self {
            SqliteSync::Full => "full",
            SqliteSync::Normal => "normal",
        }
    }
}

/// Builds the release server with cargo (waiting for cargo's lock if another build runs) and
/// returns the path of the binary.
pub async fn build_release(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    // A server built elsewhere (an earlier commit, for a before/after comparison in one run).
    if let Some(binary) = std::env::var_os("PARKWAY_BENCH_SERVER_BIN") {
        let binary = PathBuf::from(binary);
        println!("using the server at {} (PARKWAY_BENCH_SERVER_BIN)", binary.display());
        return Ok(binary);
    }
    println!("building release server… (cargo build --release -p parkway-backend --bin parkway-server)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "parkway-backend", "--bin", "parkway-server"])
        .current_dir(&workspace.root)
        .status()
        .await
        .context("running cargo build for the release server")?;
    if !status.success() {
        bail!("building the release server failed ({status})");
    }
    let binary = workspace.target.join("release").join(format!("parkway-server{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        bail!("the build succeeded but {} does not exist", binary.display());
    }
    println!("release server ready: {}", binary.display());
    Ok(binary)
}

/// The `DATABASE_URL` for a SQLite file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A running server process. Dropping it kills the process, so an error anywhere in a
/// benchmark never leaves a server behind; [`ServerProcess::stop`] stops it gracefully.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `binary` on a free loopback port with the database file `db`, quiet logs, no
    /// auth rate limit and a fresh signing secret, and waits until it listens.
    pub async fn start(binary: &Path, db: &Path, sync: SqliteSync) -> anyhow::Result<ServerProcess> {
        ServerProcess::start_with(binary, db, sync, &[]).await
    }

    /// Like [`ServerProcess::start`], with extra environment variables (Stripe settings).
    pub async fn start_with(
        binary: &Path,
        db: &Path,
        sync: SqliteSync,
        extra: &[(&str, String)],
    ) -> anyhow::Result<ServerProcess> {
        let mut env = vec![("PARKWAY_SQLITE_SYNC", sync.as_str().to_owned())];
        env.extend(extra.iter().cloned());
        ServerProcess::start_on(binary, &sqlite_url(db), &env).await
    }

    /// Starts `binary` on any `DATABASE_URL` (several instances may share one PostgreSQL
    /// database; give them the same `PARKWAY_JWT_SECRET` in `extra`).
    pub async fn start_on(
        binary: &Path,
        database_url: &str,
        extra: &[(&str, String)],
    ) -> anyhow::Result<ServerProcess> {
        let mut child = Command::new(binary)
            .env("PARKWAY_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("PARKWAY_JWT_SECRET", format!("bench-{}", uuid::Uuid::new_v4().simple()))
            .env("PARKWAY_AUTH_RATE_PER_MIN", "0")
            // Load tests book many unpaid slots per driver.
            .env("PARKWAY_MAX_UNPAID_HOLDS", "0")
            .env("PARKWAY_MAX_INFLIGHT", "100000")
            .env("RUST_LOG", "warn")
            .env_remove("PARKWAY_DEMO")
            .env_remove("STRIPE_SECRET_KEY")
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("the server's stdout is not captured")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = listening_address(&mut lines, START_TIMEOUT).await?;
        // Keep draining stdout (the server logs there), so a full pipe never blocks it.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("  [server] {line}");
            }
        });
        Ok(ServerProcess { child, pid, addr })
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process's peak resident memory so far (`VmHWM`), in MB (10⁶ bytes).
    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no VmHWM line in {path}"))?;
        Ok(kib * 1024.0 / 1e6)
    }

    /// The process's resident memory now (`VmRSS`), in MB (10⁶ bytes).
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no VmRSS line in {path}"))?;
        Ok(kib * 1024.0 / 1e6)
    }

    /// CPU time (user + system) the server has used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        process_cpu_seconds(&self.pid.to_string())
    }

    /// Stops the server with SIGTERM and waits for it to finish in-flight work and close the
    /// database; kills it if that takes too long.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await
            .is_ok_and(|status| status.success());
        if signalled && let Ok(waited) = tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            let status = waited.context("waiting for the server to stop")?;
            if !status.success() {
                bail!("the server stopped with {status}");
            }
            return Ok(());
        }
        eprintln!("  the server did not stop gracefully within {} s; killing it", STOP_TIMEOUT.as_secs());
        self.child.kill().await.context("killing the server")?;
        Ok(())
    }
}

/// Reads a starting server's output until it prints `listening on http://<addr>`, echoing the
/// lines before it, and returns the address; gives up after `within`.
pub(crate) async fn listening_address(
    lines: &mut tokio::io::Lines<BufReader<ChildStdout>>,
    within: Duration,
) -> anyhow::Result<SocketAddr> {
    tokio::time::timeout(within, wait_for_address(lines))
        .await
        .with_context(|| format!("the server did not listen within {} s", within.as_secs()))?
}

async fn wait_for_address(lines: &mut tokio::io::Lines<BufReader<ChildStdout>>) -> anyhow::Result<SocketAddr> {
    while let Some(line) = lines.next_line().await.context("reading the server's stdout")? {
        match line.trim().strip_prefix("listening on http://") {
            Some(addr) => return addr.parse().with_context(|| format!("cannot parse the address in {line:?}")),
            None => eprintln!("  [server] {line}"),
        }
    }
    bail!("the server exited before it printed its address (see its output above)")
}

/// CPU time (user + system) every PostgreSQL process on this machine has used, in seconds (the
/// benchmark's throwaway server is the only one expected to be busy).
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).map(str::to_owned))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(|pid| process_cpu_seconds(&pid).ok())
        .sum()
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`; `pid` may
/// be `self`.
pub fn process_cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    /// Linux reports these times in USER_HZ ticks, which is 100 on every mainstream platform.
    const TICKS_PER_SECOND: f64 = 100.0;
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name in parentheses may hold spaces, so count fields after its closing one:
    // state, ppid, …, then utime and stime as the 12th and 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Ok((user + system) / TICKS_PER_SECOND),
        _ => bail!("cannot read CPU times from {path}"),
    }
}
