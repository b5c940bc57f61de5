//! One measured run and its summary: a closed-loop load run, or a series of searches. A leaf
//! beside `stats`: the load parts record runs here, and the report reads them.

use super::stats::{Latency, Tally};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One measured closed-loop load run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadRun {
    /// The request sent.
    pub request: &'static str,
    /// Concurrent clients.
    pub clients: usize,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Requests completed.
    pub requests: u64,
    /// Answers with the expected status per second.
    pub per_second: f64,
    /// Latency of every request.
    pub latency: Latency,
    /// Answers other than the expected status (must be 0).
    pub unexpected: u64,
    /// Those answers by status code or transport error.
    pub unexpected_by_answer: BTreeMap<String, u64>,
    /// CPU cores the server (every instance together) kept busy on average during the run.
    pub server_cores: Option<f64>,
    /// CPU cores PostgreSQL kept busy on average during the run (PostgreSQL runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_cores: Option<f64>,
    /// CPU cores this load generator kept busy on average during the run.
    pub load_generator_cores: Option<f64>,
}

impl LoadRun {
    /// Summarises a run's merged tally.
    pub fn new(request: &'static str, clients: usize, elapsed: Duration, tally: Tally) -> LoadRun {
        let seconds = elapsed.as_secs_f64();
        let outcomes = tally.summarise();
        LoadRun {
            request,
            clients,
            seconds,
            requests: outcomes.requests,
            per_second: if seconds > 0.0 { outcomes.expected as f64 / seconds } else { 0.0 },
            latency: outcomes.latency,
            unexpected: outcomes.unexpected,
            unexpected_by_answer: outcomes.unexpected_by_answer,
            server_cores: None,
            database_cores: None,
            load_generator_cores: None,
        }
    }

    /// One progress line.
    pub fn summary_line(&self) -> String {
        format!(
            "{} × {:>2} clients, {:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} unexpected{}; CPU: server {}, {}load generator {}",
            self.request,
            self.clients,
            self.seconds,
            self.per_second,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.unexpected,
            describe(&self.unexpected_by_answer),
            cores(self.server_cores),
            self.database_cores.map_or_else(String::new, |c| format!("PostgreSQL {c:.2} cores, ")),
            cores(self.load_generator_cores),
        )
    }
}

/// One measured series of searches.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRun {
    /// The time filter used.
    pub filter: &'static str,
    /// Searches measured.
    pub queries: u64,
    /// Latency of every search.
    pub latency: Latency,
    /// Mean number of driveways per answer.
    pub mean_items: f64,
    /// Answers other than 200 (must be 0).
    pub unexpected: u64,
    /// Those answers by status code or transport error.
    pub unexpected_by_answer: BTreeMap<String, u64>,
}

impl SearchRun {
    /// Summarises a series; `items` is the total count of driveways in the 200 answers.
    pub fn new(filter: &'static str, tally: Tally, items: u64) -> SearchRun {
        let outcomes = tally.summarise();
        SearchRun {
            filter,
            queries: outcomes.requests,
            mean_items: if outcomes.expected > 0 { items as f64 / outcomes.expected as f64 } else { 0.0 },
            latency: outcomes.latency,
            unexpected: outcomes.unexpected,
            unexpected_by_answer: outcomes.unexpected_by_answer,
        }
    }

    /// One progress line.
    pub fn summary_line(&self) -> String {
        format!(
            "{} searches, time filter {}: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, {:.1} items, {} unexpected{}",
            self.queries,
            self.filter,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.mean_ms,
            self.mean_items,
            self.unexpected,
            describe(&self.unexpected_by_answer),
        )
    }
}

/// CPU cores as printed: `1.25 cores`, or `?` when not measured.
pub fn cores(cores: Option<f64>) -> String {
    cores.map_or_else(|| "?".to_owned(), |c| format!("{c:.2} cores"))
}

/// The unexpected answers of a run, as ` (503: 2, timeout: 1)`, or nothing.
fn describe(unexpected: &BTreeMap<String, u64>) -> String {
    if unexpected.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = unexpected.iter().map(|(answer, n)| format!("{answer}: {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
