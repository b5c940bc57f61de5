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

    /// Gathers the planner's statistics of the tables the set-up filled, as autovacuum does
    /// within a minute of their inserts on a live database. Without them, a fresh database is
    /// planned as if they were empty: a driveway looked up by id was found by scanning the index
    /// of every live driveway's position, on each booking. The tables the load fills are left
    /// to autovacuum, as on a live database: statistics of them taken while empty would plan
    /// the whole run for empty tables.
    pub async fn analyze_set_up(&self) -> anyhow::Result<()> {
        sqlx::query("ANALYZE users, sessions, driveways")
            .execute(&self.pool)
            .await
            .context("gathering the planner's statistics")?;
        Ok(())
    }

    /// Finishes the checkpoint that an earlier phase's writes on this server may have left
    /// under way (PostgreSQL spreads one over minutes), so that its flushes fall before this
    /// phase's runs and not in its first ones.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        sqlx::query("CHECKPOINT").execute(&self.pool).await.context("finishing the server's checkpoint")?;
        Ok(())
    }

    /// Forgets the statements timed and the WAL written so far and returns how many MultiXact
    /// ids the database has used, so that a run can be read on its own.
    pub async fn reset(&self) -> anyhow::Result<i64> {
        sqlx::query("SELECT pg_stat_statements_reset()").execute(&self.pool).await?;
        sqlx::query("SELECT pg_stat_reset_shared('wal')").execute(&self.pool).await?;
        self.multixacts_used().await
    }

    /// MultiXact ids handed out since the database's oldest one still needed (read live, unlike
    /// the control file's copy, which only a checkpoint updates; a checkpoint here would make the
    /// next run write full pages and distort it).
    async fn multixacts_used(&self) -> anyhow::Result<i64> {
        let age: i32 =
            sqlx::query_scalar("SELECT mxid_age(datminmxid) FROM pg_database WHERE datname = current_database()")
                .fetch_one(&self.pool)
                .await?;
        Ok(i64::from(age))
    }

    /// The WAL written since the last reset: records, full-page images, bytes and flushes.
    async fn wal(&self) -> anyhow::Result<(i64, i64, f64, i64)> {
        Ok(sqlx::query_as("SELECT wal_records, wal_fpi, wal_bytes::float8, wal_sync FROM pg_stat_wal")
            .fetch_one(&self.pool)
            .await?)
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

    /// The `n` statements that took the most time (planning and running) since the last reset:
    /// calls, total planning ms, total running ms and the statement's text.
    pub async fn top_statements(&self, n: i64) -> anyhow::Result<Vec<(i64, f64, f64, String)>> {
        Ok(sqlx::query_as(
            "SELECT calls, total_plan_time, total_exec_time, query \
             FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             ORDER BY total_plan_time + total_exec_time DESC LIMIT $1",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Prints what `requests` requests waited on, the WAL and MultiXact ids they used, and the
    /// costliest statements.
    pub async fn print(
        &self,
        waits: BTreeMap<String, u64>,
        multixacts_before: i64,
        requests: u64,
    ) -> anyhow::Result<()> {
        let total: u64 = waits.values().sum();
        let mut waits: Vec<_> = waits.into_iter().collect();
        waits.sort_by_key(|w| std::cmp::Reverse(w.1));
        let shares: Vec<String> = waits
            .iter()
            .take(6)
            .map(|(event, n)| format!("{event} {:.0} %", *n as f64 * 100.0 / total.max(1) as f64))
            .collect();
        println!("    PostgreSQL backends were: {}", shares.join(", "));
        let per = |n: f64| n / requests.max(1) as f64;
        let multixacts = self.multixacts_used().await? - multixacts_before;
        let (records, full_pages, bytes, flushes) = self.wal().await?;
        println!(
            "    per request: {:.1} MultiXact ids, {:.1} WAL records, {:.2} full-page images, {:.0} WAL bytes, \
             {:.2} WAL flushes",
            per(multixacts as f64),
            per(records as f64),
            per(full_pages as f64),
            per(bytes),
            per(flushes as f64),
        );
        println!("    {:>8} {:>11} {:>11} {:>10}  statement", "calls", "planning", "running", "per call");
        for (calls, plan_ms, run_ms, query) in self.top_statements(5).await? {
            let text: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
            let text: String = text.chars().take(100).collect();
            let per_call = (plan_ms + run_ms) / calls.max(1) as f64;
            println!("    {calls:>8} {plan_ms:>8.0} ms {run_ms:>8.0} ms {per_call:>7.3} ms  {text}");
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
