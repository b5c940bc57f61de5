//! Where PostgreSQL spends a booking run, read from its own views: wait events sampled from
//! `pg_stat_activity` while the load runs, the statements `pg_stat_statements` timed, and how
//! far MultiXact ids moved (each new set of share-lockers of one row takes a new one).

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the sampler looks at the server's backends.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// A connection to the benchmark's database for reading statistics.
pub struct Insight {
    pool: PgPool,
}

/// Wait events counted while a load ran.
pub struct Sampler {
    task: JoinHandle<anyhow::Result<BTreeMap<String, u64>>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Insight {
    /// Connects to `url` and enables `pg_stat_statements` there (the server preloads it).
    pub async fn connect(url: &str) -> anyhow::Result<Insight> {
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await.context("connecting for statistics")?;
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&pool)
            .await
            .context("enabling pg_stat_statements")?;
        Ok(Insight { pool })
    }

    /// Forgets the statements timed so far and returns the next MultiXact id, so that a run
    /// can be read on its own.
    pub async fn reset(&self) -> anyhow::Result<u64> {
        sqlx::query("SELECT pg_stat_statements_reset()").execute(&self.pool).await?;
        self.next_multixact().await
    }

    /// The next MultiXact id the cluster will hand out.
    pub async fn next_multixact(&self) -> anyhow::Result<u64> {
        // The control file's copy is only as new as the last checkpoint.
        sqlx::query("CHECKPOINT").execute(&self.pool).await?;
        let id: String = sqlx::query_scalar("SELECT next_multixact_id::text FROM pg_control_checkpoint()")
            .fetch_one(&self.pool)
            .await?;
        id.parse().context("reading next_multixact_id")
    }

    /// Starts counting, every [`SAMPLE_EVERY`], what each active backend of this database waits
    /// on (`CPU` when it waits on nothing).
    pub fn sample_waits(&self) -> Sampler {
        let pool = self.pool.clone();
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut counts = BTreeMap::new();
            while !*stopped.borrow() {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity \
                     WHERE datname = current_database() AND state = 'active' AND pid != pg_backend_pid()",
                )
                .fetch_all(&pool)
                .await?;
                for (event,) in rows {
                    *counts.entry(event).or_insert(0) += 1;
                }
                tokio::select! {
                    _ = tokio::time::sleep(SAMPLE_EVERY) => {}
                    _ = stopped.changed() => {}
                }
            }
            Ok(counts)
        });
        Sampler { task, stop }
    }

    /// The `n` statements that took the most time since the last reset: total ms, calls, mean
    /// ms and the statement's text.
    pub async fn top_statements(&self, n: i64) -> anyhow::Result<Vec<(f64, i64, f64, String)>> {
        Ok(sqlx::query_as(
            "SELECT total_exec_time, calls, mean_exec_time, query FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             ORDER BY total_exec_time DESC LIMIT $1",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Prints what a run waited on, its costliest statements and the MultiXact ids it used.
    pub async fn print(&self, waits: BTreeMap<String, u64>, multixact_before: u64) -> anyhow::Result<()> {
        let total: u64 = waits.values().sum();
        let mut waits: Vec<_> = waits.into_iter().collect();
        waits.sort_by_key(|w| std::cmp::Reverse(w.1));
        let shares: Vec<String> = waits
            .iter()
            .take(6)
            .map(|(event, n)| format!("{event} {:.0} %", *n as f64 * 100.0 / total.max(1) as f64))
            .collect();
        println!("    PostgreSQL backends were: {}", shares.join(", "));
        let used = self.next_multixact().await?.saturating_sub(multixact_before);
        println!("    MultiXact ids used: {used}");
        for (total_ms, calls, mean_ms, query) in self.top_statements(5).await? {
            let text: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
            let text: String = text.chars().take(110).collect();
            println!("    {total_ms:>9.0} ms {calls:>8} calls {mean_ms:>7.3} ms  {text}");
        }
        Ok(())
    }
}

impl Sampler {
    /// Stops sampling and returns the counts.
    pub async fn finish(self) -> anyhow::Result<BTreeMap<String, u64>> {
        let _ = self.stop.send(true);
        self.task.await.context("the wait sampler failed")?
    }
}
