//! Arithmetic on measured samples: request outcomes tallied as they complete, latency
//! percentiles, a series of rates summarised, a percentile of sorted figures. Nothing here knows
//! the report or its targets.

use reqwest::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Requests as they complete: latencies and answers.
#[derive(Debug, Default)]
pub struct Tally {
    latencies: Vec<Duration>,
    expected: u64,
    unexpected: BTreeMap<String, u64>,
}

/// A finished tally, summarised.
#[derive(Debug)]
pub struct Outcomes {
    /// Requests recorded, whatever their answer.
    pub requests: u64,
    /// Answers with the expected status.
    pub expected: u64,
    /// Latency of every request.
    pub latency: Latency,
    /// Answers other than the expected status.
    pub unexpected: u64,
    /// Those answers by status code or transport error.
    pub unexpected_by_answer: BTreeMap<String, u64>,
}

impl Tally {
    /// Records one request: how long it took and how it ended.
    pub fn record(&mut self, latency: Duration, outcome: Result<StatusCode, reqwest::Error>, expected: StatusCode) {
        self.latencies.push(latency);
        match outcome {
            Ok(status) if status == expected => self.expected += 1,
            Ok(status) => *self.unexpected.entry(status.as_u16().to_string()).or_default() += 1,
            Err(e) => *self.unexpected.entry(format!("transport error: {}", error_kind(&e))).or_default() += 1,
        }
    }

    /// Adds another client's tally to this one.
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.expected += other.expected;
        for (answer, n) in other.unexpected {
            *self.unexpected.entry(answer).or_default() += n;
        }
    }

    /// Counts the answers and summarises the latencies.
    pub fn summarise(mut self) -> Outcomes {
        Outcomes {
            requests: self.latencies.len() as u64,
            expected: self.expected,
            latency: Latency::of(&mut self.latencies),
            unexpected: self.unexpected.values().sum(),
            unexpected_by_answer: self.unexpected,
        }
    }
}

/// What kind of transport error a request met, in a word.
pub fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}

/// Latency percentiles (nearest rank) and mean, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Summarises samples (sorting them in place).
    pub fn of(samples: &mut [Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let rank = |p: f64| ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        let total: Duration = samples.iter().sum();
        Latency {
            p50_ms: ms(samples[rank(0.50)]),
            p99_ms: ms(samples[rank(0.99)]),
            mean_ms: ms(total) / samples.len() as f64,
            max_ms: ms(samples[samples.len() - 1]),
        }
    }
}

/// The runs of a series, by their rates: where it started, its slowest run and its median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesRates {
    /// The first run's rate.
    pub first: f64,
    /// The lowest rate of any run.
    pub slowest: f64,
    /// The median rate (the upper of the two middle ones for an even count).
    pub median: f64,
}

impl SeriesRates {
    /// Summarises the rates of a series, in the order the runs ran. A series has at least one
    /// run; an empty one panics.
    pub fn of(rates: &[f64]) -> SeriesRates {
        let mut sorted = rates.to_vec();
        sorted.sort_by(f64::total_cmp);
        SeriesRates {
            first: rates[0],
            slowest: rates.iter().copied().fold(f64::INFINITY, f64::min),
            median: sorted[sorted.len() / 2],
        }
    }
}

/// The figure at share `p` of ascending `sorted` figures, at the rounded index `p × (n − 1)`;
/// NaN when there are none. (The WebSocket and payment parts report this one; booking and search
/// latencies use [`Latency`]'s nearest rank.)
pub fn percentile_of_sorted(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_uses_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let latency = Latency::of(&mut samples);
        assert_eq!(latency.p50_ms, 50.0);
        assert_eq!(latency.p99_ms, 99.0);
        assert_eq!(latency.max_ms, 100.0);
        assert!((latency.mean_ms - 50.5).abs() < 1e-9);
        assert_eq!(Latency::of(&mut []).p99_ms, 0.0);
    }

    #[test]
    fn tallies_merge_and_count_unexpected_answers_by_status() {
        let mut one = Tally::default();
        one.record(Duration::from_millis(2), Ok(StatusCode::CREATED), StatusCode::CREATED);
        one.record(Duration::from_millis(4), Ok(StatusCode::CONFLICT), StatusCode::CREATED);
        let mut other = Tally::default();
        other.record(Duration::from_millis(6), Ok(StatusCode::CONFLICT), StatusCode::CREATED);
        one.merge(other);
        let outcomes = one.summarise();
        assert_eq!((outcomes.requests, outcomes.expected, outcomes.unexpected), (3, 1, 2));
        assert_eq!(outcomes.unexpected_by_answer, BTreeMap::from([("409".to_owned(), 2)]));
        assert_eq!(outcomes.latency.p50_ms, 4.0);
    }

    #[test]
    fn series_rates_keep_the_first_the_slowest_and_the_upper_median() {
        let rates = SeriesRates::of(&[30.0, 10.0, 40.0, 20.0]);
        assert_eq!(rates, SeriesRates { first: 30.0, slowest: 10.0, median: 30.0 });
        assert_eq!(SeriesRates::of(&[5.0]), SeriesRates { first: 5.0, slowest: 5.0, median: 5.0 });
    }

    #[test]
    fn percentile_of_sorted_rounds_the_index() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_of_sorted(&sorted, 0.5), 3.0);
        assert_eq!(percentile_of_sorted(&sorted, 0.99), 4.0);
        assert!(percentile_of_sorted(&[], 0.5).is_nan());
    }
}
