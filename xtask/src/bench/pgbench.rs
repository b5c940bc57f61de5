//! The database's own yardstick, measured in the same run as the bookings: pgbench's TPC-B-like
//! transaction (three updates, a select and an insert, one commit) on the throwaway server the
//! PostgreSQL booking runs use. These machines speed up and slow down by the minute, so a
//! booking rate is best read beside what PostgreSQL alone did a moment before it: with one
//! client, pgbench's rate is close to the most one fsync per transaction allows here.

use super::Options;
use anyhow::{Context, bail};
use parkway_testkit::pgtemp::TempPostgres;
use serde::Serialize;
use std::path::Path;

/// pgbench's scale: as many branches as clients, as its documentation advises, so the clients
/// do not all queue on one branch's row (3.2 million accounts).
const SCALE: u32 = 32;
/// The clients of the many-client run, as in the booking runs.
const MANY_CLIENTS: u32 = 32;

/// pgbench's transactions per second with one client and with many.
#[derive(Debug, Clone, Serialize)]
pub struct Anchor {
    pub scale: u32,
    pub seconds: u64,
    pub one_client_tps: f64,
    pub many_clients: u32,
    pub many_clients_tps: f64,
}

/// Fills a database of its own with pgbench's tables, runs one client and then
/// [`MANY_CLIENTS`] for the load runs' duration each, and drops the database again.
pub async fn measure(postgres: &TempPostgres, options: &Options) -> anyhow::Result<Anchor> {
    println!("\npgbench TPC-B on the same PostgreSQL server (scale {SCALE}), the anchor of the booking runs");
    let url = postgres.create_database("pgbench_anchor").await?;
    let program = postgres.program("pgbench");
    // Server-side generation (`G`) fills the tables without sending them over the socket.
    pgbench(&program, &["-i", "-q", "-I", "dtGvp", "-s", &SCALE.to_string(), &url])
        .await
        .context("filling pgbench's tables")?;
    let seconds = options.load_duration().as_secs();
    let one_client_tps = rate(&program, &url, 1, seconds).await?;
    let many_clients_tps = rate(&program, &url, MANY_CLIENTS, seconds).await?;
    postgres.drop_database("pgbench_anchor").await?;
    Ok(Anchor { scale: SCALE, seconds, one_client_tps, many_clients: MANY_CLIENTS, many_clients_tps })
}

/// Transactions per second of `clients` running pgbench's default script for `seconds`.
async fn rate(program: &Path, url: &str, clients: u32, seconds: u64) -> anyhow::Result<f64> {
    let threads = clients.min(2).to_string();
    let args = ["-n", "-c", &clients.to_string(), "-j", &threads, "-T", &seconds.to_string(), url];
    let output = pgbench(program, &args).await?;
    let tps = tps(&output).with_context(|| format!("reading pgbench's rate from:\n{output}"))?;
    println!("  {clients:>2} client(s): {tps:.0} transactions/s");
    Ok(tps)
}

/// Runs pgbench to its end and returns what it printed.
async fn pgbench(program: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .with_context(|| format!("running {} (Debian's postgresql package)", program.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!("pgbench failed ({}):\n{text}{}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    Ok(text)
}

/// The rate in pgbench's summary: `tps = 3432.1 (without initial connection time)`.
fn tps(output: &str) -> Option<f64> {
    output.lines().find_map(|line| line.strip_prefix("tps = ")?.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::tps;

    #[test]
    fn the_rate_is_read_from_pgbench_summary() {
        let output = "number of failed transactions: 0 (0.000%)\n\
                      latency average = 1.042 ms\n\
                      initial connection time = 2.519 ms\n\
                      tps = 959.728312 (without initial connection time)\n";
        assert_eq!(tps(output), Some(959.728312));
        assert_eq!(tps("pgbench: error: connection refused\n"), None);
    }
}
