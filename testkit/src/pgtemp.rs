//! A throwaway PostgreSQL server for tests and benchmarks: Debian's `postgresql` package, a
//! fresh cluster (`initdb`) in a new directory, started with `pg_ctl` on a free loopback port,
//! trusting local connections.
//!
//! A small shell script owns the cluster: it starts it, then waits for its standard input to
//! close, then stops the server and removes the directory. The handle keeps that input open,
//! so the cluster lives exactly as long as the handle, or as long as this process if the handle
//! is never dropped (a `static` in a test binary): when the process exits, even by a crash,
//! the operating system closes the pipe and the script cleans up.
//!
//! `initdb` refuses to run as root, so as root the script runs as the `postgres` user, in a
//! directory handed over to it.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// Starts the cluster, waits for the handle's pipe to close, then stops it and removes its files.
const SCRIPT: &str = r#"set -eu
BIN="$1"; D="$2"; PORT="$3"; shift 3
cleanup() { "$BIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$D" 2>/dev/null || true; }
trap cleanup EXIT
"$BIN/initdb" -D "$D/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$D/initdb.log" 2>&1 \
  || { cat "$D/initdb.log" >&2; exit 1; }
"$BIN/pg_ctl" -D "$D/data" -o "-p $PORT -k $D -c listen_addresses=127.0.0.1 $*" -l "$D/log" -w -t 60 start >/dev/null \
  || { cat "$D/log" >&2; exit 1; }
echo ready
cat >/dev/null
"#;

/// A running throwaway cluster; stopped and deleted when dropped.
#[derive(Debug)]
pub struct TempPostgres {
    port: u16,
    dir: PathBuf,
    /// Debian's PostgreSQL programs it was started with.
    bin: PathBuf,
    owner: Child,
    keepalive: Option<ChildStdin>,
}

impl TempPostgres {
    /// Starts a fresh cluster in a new directory under `parent` (the system's temporary
    /// directory when `None`; it must be reachable by the `postgres` user when running as
    /// root), with extra server settings such as `("fsync", "off")`.
    pub fn start(parent: Option<&Path>, settings: &[(&str, &str)]) -> anyhow::Result<TempPostgres> {
        let bin = binaries()?;
        let parent = parent.map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
        let dir = parent.join(format!("parkway-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let script = dir.join("cluster.sh");
        std::fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
        let port = free_port()?;
        let mut args: Vec<String> =
            vec![script.display().to_string(), bin.display().to_string(), dir.display().to_string(), port.to_string()];
        for (name, value) in settings {
            args.push(format!("-c {name}={value}"));
        }
        let as_root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        let mut command = if as_root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .context("running chown for the postgres user")?;
            if !status.success() {
                bail!("could not hand {} to the postgres user (is the postgresql package installed?)", dir.display());
            }
            let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
            let mut c = Command::new("su");
            c.args(["postgres", "-s", "/bin/sh", "-c", &format!("sh {}", quoted.join(" "))]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(&args);
            c
        };
        let mut owner = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the PostgreSQL cluster script")?;
        let keepalive = owner.stdin.take();
        let stdout = owner.stdout.take().context("the cluster script's output is not captured")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).context("waiting for PostgreSQL to start")?;
        if line.trim() != "ready" {
            let _ = owner.wait();
            bail!("PostgreSQL did not start (see the messages above)");
        }
        Ok(TempPostgres { port, dir, bin, owner, keepalive })
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its directory (data, log, socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// One of the PostgreSQL programs of the version it runs, such as `pgbench`.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// The URL of `database` on this cluster, as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        self.on_cluster(&format!("CREATE DATABASE {}", identifier(name)))
            .await
            .with_context(|| format!("creating database {name}"))?;
        Ok(self.url(name))
    }

    /// Drops a database made by [`TempPostgres::create_database`], to give its disk back.
    pub async fn drop_database(&self, name: &str) -> anyhow::Result<()> {
        self.on_cluster(&format!("DROP DATABASE {}", identifier(name)))
            .await
            .with_context(|| format!("dropping database {name}"))
    }

    /// Runs one statement that acts on the cluster, from its `postgres` database.
    async fn on_cluster(&self, statement: &str) -> anyhow::Result<()> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres")).await.context("connecting to PostgreSQL")?;
        sqlx::query(statement).execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }
}

/// A database's name as an identifier in a statement (the tests' own names; a quote is dropped).
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', ""))
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        // Closing the pipe tells the script to stop the server and remove the directory.
        if let Some(mut pipe) = self.keepalive.take() {
            let _ = pipe.flush();
        }
        let _ = self.owner.wait();
        // The script empties the directory; in a parent only root may write to, the directory
        // itself is left for us.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where Debian's PostgreSQL programs are: `PARKWAY_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
fn binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PARKWAY_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!("PostgreSQL is not installed: run `bash scripts/setup.sh` (Debian's postgresql package)"),
    }
}

/// A port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(socket.local_addr()?.port())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'\''"#))
}
