//! Payouts: money leaving an owner's provider balance for their bank. Stripe makes them on its
//! schedule and tells Parkway through Connect events; the simulated provider's are made by the
//! job, so an owner of the embedded default sees the same states.

use crate::error::AppResult;
use crate::store::Store;
use crate::store::db::{from_ms, query, to_ms};
use chrono::{DateTime, Duration, Utc};
use parkway_core::earnings::PayoutStatus;
use uuid::Uuid;

/// Most payouts an owner's list shows.
pub const PAYOUTS_LISTED: i64 = 100;
/// How long a simulated payout is in transit, like a bank transfer.
pub const SIMULATED_TRANSIT: Duration = Duration::days(1);

/// One payout as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    /// `po_…`.
    pub payout_id: String,
    /// Amount in minor units.
    pub amount_cents: i64,
    /// Its currency.
    pub currency: String,
    /// Where it stands.
    pub status: PayoutStatus,
    /// The provider's reason, for a failed one.
    pub failure_message: Option<String>,
    /// When the bank should have it.
    pub arrival: Option<DateTime<Utc>>,
    /// When it was made.
    pub created: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    payout_id: String,
    amount_cents: i64,
    currency: String,
    status: String,
    failure_message: Option<String>,
    arrival_at: Option<i64>,
    created_at: i64,
}

/// A payout as a provider event describes it.
#[derive(Debug, Clone)]
pub struct PayoutEvent<'a> {
    /// `po_…`.
    pub payout_id: &'a str,
    /// The connected account it belongs to.
    pub account_id: &'a str,
    /// Amount.
    pub amount_cents: i64,
    /// Currency.
    pub currency: &'a str,
    /// Status.
    pub status: PayoutStatus,
    /// Why it failed.
    pub failure_message: Option<&'a str>,
    /// Expected arrival.
    pub arrival: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Balance {
    account_id: String,
    currency: String,
    held: i64,
}

impl Store {
    /// Records a payout, or its new status. A payout already final (paid, failed, cancelled)
    /// keeps that status: events can arrive out of order.
    pub async fn record_payout(&self, p: &PayoutEvent<'_>, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            query(
                "INSERT INTO payouts (payout_id, account_id, amount_cents, currency, status, failure_message, arrival_at, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payout_id) DO UPDATE SET \
                 status = excluded.status, failure_message = excluded.failure_message, arrival_at = excluded.arrival_at, \
                 updated_at = excluded.updated_at WHERE payouts.status NOT IN ('paid', 'failed', 'canceled')",
            )
            .bind(p.payout_id)
            .bind(p.account_id)
            .bind(p.amount_cents)
            .bind(p.currency.to_ascii_lowercase())
            .bind(p.status.as_str())
            .bind(p.failure_message.map(|m| m.chars().take(500).collect::<String>()))
            .bind(p.arrival.map(to_ms))
            .bind(to_ms(now))
            .bind(to_ms(now)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The owner's payouts, newest first.
    pub async fn payouts_of(&self, owner: Uuid) -> AppResult<Vec<Payout>> {
        let rows: Vec<Row> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT p.payout_id, p.amount_cents, p.currency, p.status, p.failure_message, p.arrival_at, \
                     p.created_at FROM payouts p JOIN payout_accounts a ON a.account_id = p.account_id \
                     WHERE a.owner_id = ? ORDER BY p.created_at DESC, p.payout_id LIMIT ?",
                )
                .bind(owner)
                .bind(PAYOUTS_LISTED),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Payout {
                    status: PayoutStatus::parse(&r.status)
                        .ok_or_else(|| anyhow::anyhow!("bad payout status {:?}", r.status))?,
                    payout_id: r.payout_id,
                    amount_cents: r.amount_cents,
                    currency: r.currency,
                    failure_message: r.failure_message,
                    arrival: r.arrival_at.map(from_ms),
                    created: from_ms(r.created_at),
                })
            })
            .collect()
    }

    /// The simulated provider's payouts: each active account's balance (what was sent to it,
    /// less what was taken back and what earlier payouts took) goes out in one payout, which
    /// arrives a day later. Returns how many payouts were made or arrived.
    pub async fn simulate_payouts(&self, now: DateTime<Utc>) -> AppResult<usize> {
        let mut tx = self.begin_write().await?;
        let arrived = tx
            .execute(
                query("UPDATE payouts SET status = 'paid', updated_at = ? WHERE status = 'in_transit' AND arrival_at <= ?")
                    .bind(to_ms(now))
                    .bind(to_ms(now)),
            )
            .await?;
        // Another instance computing the same balances waits here, then sees the payouts made.
        let lock = tx.engine().for_update();
        tx.fetch_all::<(String,)>(query(format!(
            "SELECT account_id FROM payout_accounts WHERE status = 'active'{lock}"
        )))
        .await?;
        let balances: Vec<Balance> = tx
            .fetch_all(query(
                // PostgreSQL sums BIGINTs as NUMERIC: the cast reads back as an i64 on both engines.
                "SELECT t.account_id, t.currency, CAST(SUM(t.amount_cents - t.reversed_cents) - COALESCE((SELECT \
                 SUM(p.amount_cents) FROM payouts p WHERE p.account_id = t.account_id AND p.currency = t.currency \
                 AND p.status NOT IN ('failed', 'canceled')), 0) AS BIGINT) AS held \
                 FROM transfers t JOIN payout_accounts a ON a.account_id = t.account_id AND a.status = 'active' \
                 WHERE t.transfer_id IS NOT NULL GROUP BY t.account_id, t.currency",
            ))
            .await?;
        let mut made = 0;
        for b in balances.into_iter().filter(|b| b.held > 0) {
            made += tx
                .execute(
                    query(
                        "INSERT INTO payouts (payout_id, account_id, amount_cents, currency, status, arrival_at, \
                         created_at, updated_at) VALUES (?, ?, ?, ?, 'in_transit', ?, ?, ?)",
                    )
                    .bind(format!("po_sim_{}", Uuid::new_v4().simple()))
                    .bind(&b.account_id)
                    .bind(b.held)
                    .bind(&b.currency)
                    .bind(to_ms(now + SIMULATED_TRANSIT))
                    .bind(to_ms(now))
                    .bind(to_ms(now)),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(usize::try_from(arrived + made).unwrap_or(0))
    }
}
