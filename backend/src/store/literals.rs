//! The store's SQL names statuses in their stored form (`status IN ('pending', 'confirmed')`),
//! because a literal lets PostgreSQL match a partial index and plan once. Those literals are
//! the enums' serde names; this check reads every SQL string of the store and refuses one that
//! its enum does not parse, so a renamed status breaks the build's tests, not a query.

use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::earnings::{AccountStatus, PayoutStatus};
use parkway_core::payment::IntentStatus;
use std::path::Path;

/// Every quoted word compared with a `status` or `payment_status` column in `text`, with the
/// column's name.
fn compared_literals(text: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for column in ["payment_status", "status"] {
        let mut rest = text;
        while let Some(at) = rest.find(column) {
            let before = rest[..at].chars().last();
            let after = &rest[at + column.len()..];
            rest = after;
            // `status` inside `payment_status` is the other column, counted on its own.
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let after = after.trim_start();
            let list = if let Some(v) = after.strip_prefix("= '") {
                v.split('\'').next().map(|w| vec![w])
            } else if let Some(v) = after.strip_prefix("IN (") {
                let inner = v.split(')').next().unwrap_or_default();
                // A bound list (`IN (?, ?)`) has no literal to check.
                inner.contains('\'').then(|| inner.split(',').map(|w| w.trim().trim_matches('\'')).collect())
            } else {
                None
            };
            for word in list.unwrap_or_default() {
                found.push((column, word.to_owned()));
            }
        }
    }
    found
}

/// True when `word` is a stored status of the column: a booking's or payment's for
/// `payment_status`; a booking's, a provider intent's, a payout account's or a payout's for
/// `status`.
fn known(column: &str, word: &str) -> bool {
    match column {
        "payment_status" => word.parse::<PaymentStatus>().is_ok(),
        _ => {
            word.parse::<BookingStatus>().is_ok()
                || word.parse::<IntentStatus>().is_ok()
                || AccountStatus::parse(word).is_some()
                || PayoutStatus::parse(word).is_some()
        }
    }
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the store's sources").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_status_in_the_stores_sql_is_one_its_enum_knows() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store"), &mut files);
    let mut checked = 0;
    for file in files {
        if file.ends_with("literals.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        for (column, word) in compared_literals(&text) {
            assert!(known(column, &word), "{}: {column} compared with unknown '{word}'", file.display());
            checked += 1;
        }
    }
    assert!(checked > 20, "the scan found the store's status literals ({checked})");
}

#[test]
fn the_scan_catches_a_misspelt_status() {
    let found = compared_literals("WHERE b.status IN ('pending', 'confirmd') AND payment_status = 'paid'");
    assert_eq!(
        found,
        [("payment_status", "paid".to_owned()), ("status", "pending".to_owned()), ("status", "confirmd".to_owned())]
    );
    assert!(!known("status", "confirmd"));
    assert!(!known("payment_status", "succeeded"), "an intent's status is not a booking's payment status");
}
