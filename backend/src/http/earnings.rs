//! `GET /api/earnings`: an owner's paid bookings in a period, each with the platform's fee, the
//! owner's net and where that money stands, summed per month and per driveway; as JSON, or as
//! CSV for the owner's accountant (`Accept: text/csv`, or `?format=csv`).

use super::extract::{AuthUser, Query};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::earnings::PaidBooking;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use parkway_core::api::{EarningLine, EarningTotal, Earnings, Role};
use parkway_core::earnings::{AccountStatus, split, state};
use parkway_core::money::Cents;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Most lines one answer lists; a longer period answers `truncated`.
pub const MAX_LINES: i64 = 2000;
/// The longest period one request may ask for, in days (two years and a day: the booking
/// horizon, seen from either side).
pub const MAX_PERIOD_DAYS: i64 = 732;
/// How far from now a period may reach, in days, either way.
const REACH_DAYS: i64 = 3660;

/// `/api/earnings`.
pub fn router() -> Router<AppState> {
    Router::new().route("/earnings", get(earnings))
}

#[derive(Debug, Deserialize)]
struct Period {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    /// `csv` asks for CSV like `Accept: text/csv` does, for clients that cannot set headers
    /// on a download (the web UI's download button, the app's request bridge).
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

impl Period {
    /// The asked period, by default the last year and the year ahead.
    fn bounds(&self, now: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
        let reach = Duration::days(REACH_DAYS);
        for t in [self.from, self.to].into_iter().flatten() {
            if t < now - reach || t > now + reach {
                return Err(AppError::validation("from and to must lie within ten years of today"));
            }
        }
        let from = self.from.unwrap_or_else(|| self.to.map_or(now, |to| to) - Duration::days(365));
        let to = self.to.unwrap_or(from + Duration::days(MAX_PERIOD_DAYS - 1));
        if to <= from {
            return Err(AppError::validation("to must be after from"));
        }
        if to - from > Duration::days(MAX_PERIOD_DAYS) {
            return Err(AppError::validation(format!("ask for at most {MAX_PERIOD_DAYS} days at a time")));
        }
        Ok((from, to))
    }
}

async fn earnings(
    State(state): State<AppState>,
    user: AuthUser,
    Query(period): Query<Period>,
    headers: HeaderMap,
) -> AppResult<Response> {
    user.require(Role::Owner)?;
    let now = state.clock.now();
    let (from, to) = period.bounds(now)?;
    let mut paid = state.store.paid_bookings(user.id(), from, to, MAX_LINES + 1).await?;
    let truncated = paid.len() > usize::try_from(MAX_LINES).unwrap_or(usize::MAX);
    paid.truncate(usize::try_from(MAX_LINES).unwrap_or(usize::MAX));
    let account = state.store.payout_account(user.id()).await?.map_or(AccountStatus::None, |a| a.status);
    let report = report(&paid, &state.config, account, now, from, to, truncated);
    let csv = match period.format {
        Some(format) => format == Format::Csv,
        None => wants_csv(&headers),
    };
    if csv {
        return csv_answer(&report);
    }
    Ok(axum::Json(report).into_response())
}

/// True when the client asks for CSV before JSON.
fn wants_csv(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').map(|part| part.split(';').next().unwrap_or("").trim()).any(|t| t.eq_ignore_ascii_case("text/csv"))
    })
}

/// The earnings report over `paid`, as of `now`.
fn report(
    paid: &[PaidBooking],
    config: &Config,
    account: AccountStatus,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    truncated: bool,
) -> Earnings {
    let items: Vec<EarningLine> = paid.iter().map(|b| line(b, config, account, now)).collect();
    let mut months = Totals::default();
    let mut driveways = Totals::default();
    let mut totals = Totals::default();
    for (b, l) in paid.iter().zip(&items) {
        let tz: Tz = b.timezone.parse().unwrap_or(Tz::UTC);
        let month = b.start.with_timezone(&tz);
        months.add(month.format("%Y-%m").to_string(), month.format("%B %Y").to_string(), l);
        driveways.add(l.driveway.to_string(), l.driveway_title.clone(), l);
        totals.add("all".to_owned(), "All".to_owned(), l);
    }
    let mut driveways = driveways.into_vec();
    driveways.sort_by(|a, b| a.label.cmp(&b.label).then_with(|| a.key.cmp(&b.key)));
    Earnings {
        from,
        to,
        items,
        months: months.into_vec(),
        driveways,
        totals: totals.into_vec(),
        fee_bps: config.platform_fee.bps(),
        settlement_hours: config.settlement.num_hours(),
        truncated,
    }
}

/// One booking's line.
fn line(b: &PaidBooking, config: &Config, account: AccountStatus, now: DateTime<Utc>) -> EarningLine {
    let s = split(b.paid, b.refunded, config.platform_fee);
    EarningLine {
        booking_id: b.id,
        driveway: b.driveway,
        driveway_title: b.title.clone(),
        start_time: b.start,
        end_time: b.end,
        status: b.status,
        gross_cents: b.paid,
        refunded_cents: Cents(b.paid.0 - s.kept.0),
        fee_cents: s.fee,
        net_cents: s.net,
        currency: b.currency.clone(),
        state: state(b.status, b.end, b.updated_at, now, config.settlement, account, b.sent),
    }
}

/// Sums by key and currency, in the order keys sort.
#[derive(Default)]
struct Totals(BTreeMap<(String, String), EarningTotal>);

impl Totals {
    fn add(&mut self, key: String, label: String, l: &EarningLine) {
        let t = self.0.entry((key.clone(), l.currency.as_str().to_owned())).or_insert_with(|| EarningTotal {
            key,
            label,
            currency: l.currency.clone(),
            bookings: 0,
            gross_cents: Cents(0),
            refunded_cents: Cents(0),
            fee_cents: Cents(0),
            net_cents: Cents(0),
        });
        t.bookings += 1;
        t.gross_cents.0 += l.gross_cents.0;
        t.refunded_cents.0 += l.refunded_cents.0;
        t.fee_cents.0 += l.fee_cents.0;
        t.net_cents.0 += l.net_cents.0;
    }

    fn into_vec(self) -> Vec<EarningTotal> {
        self.0.into_values().collect()
    }
}

/// The lines as CSV, one row per booking, with a header row. A spreadsheet opens it as it is.
fn csv_answer(report: &Earnings) -> AppResult<Response> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "booking_id",
        "driveway",
        "start_time",
        "end_time",
        "status",
        "currency",
        "gross",
        "refunded",
        "fee",
        "net",
        "state",
    ];
    out.write_record(header).map_err(anyhow::Error::from)?;
    for l in &report.items {
        // The major unit as a plain number (`12.50`), so a spreadsheet adds them up.
        let amount = |c: Cents| c.to_string();
        out.write_record([
            l.booking_id.to_string(),
            l.driveway_title.clone(),
            l.start_time.to_rfc3339(),
            l.end_time.to_rfc3339(),
            l.status.to_string(),
            l.currency.as_str().to_ascii_uppercase(),
            amount(l.gross_cents),
            amount(l.refunded_cents),
            amount(l.fee_cents),
            amount(l.net_cents),
            l.state.as_str().to_owned(),
        ])
        .map_err(anyhow::Error::from)?;
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("CSV: {e}"))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"parkway-earnings.csv\""));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_bounded_and_ordered() {
        let now = Utc::now();
        let p = |from: Option<i64>, to: Option<i64>| {
            Period {
                from: from.map(|d| now + Duration::days(d)),
                to: to.map(|d| now + Duration::days(d)),
                format: None,
            }
            .bounds(now)
        };
        let (from, to) = p(None, None).expect("the default period");
        assert_eq!(from, now - Duration::days(365));
        assert!(to > now + Duration::days(300));
        assert!(p(Some(10), Some(5)).is_err(), "backwards");
        assert!(p(Some(0), Some(MAX_PERIOD_DAYS + 1)).is_err(), "too long");
        assert!(p(Some(-20_000), None).is_err(), "too far");
        assert!(p(Some(-30), Some(0)).is_ok());
    }

    #[test]
    fn csv_is_asked_for_by_accept() {
        let mut h = HeaderMap::new();
        assert!(!wants_csv(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json, text/csv;q=0.5"));
        assert!(wants_csv(&h));
    }
}
