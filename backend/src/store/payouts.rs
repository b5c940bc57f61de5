//! Owners' payout accounts, and the transfers of their share of each settled booking.

use super::Store;
use super::db::{from_ms, query, to_ms, uuid};
use crate::error::AppResult;
use chrono::{DateTime, Duration, Utc};
use parkway_core::booking::BookingStatus;
use parkway_core::earnings::{AccountStatus, FeeRate, is_settled, split};
use parkway_core::money::Cents;
use uuid::Uuid;

/// Most settled bookings one run of the job transfers; the rest wait for the next run.
pub const TRANSFERS_PER_RUN: i64 = 200;

/// An owner's payout account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// `acct_…` at the provider.
    pub account_id: String,
    /// Where onboarding stands.
    pub status: AccountStatus,
    /// True when the provider pays out to the owner's bank.
    pub payouts_enabled: bool,
    /// What the provider still needs.
    pub requirements_due: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    account_id: String,
    status: String,
    payouts_enabled: bool,
    requirements_due: String,
}

#[derive(sqlx::FromRow)]
struct Settled {
    id: String,
    owner_id: String,
    account_id: String,
    status: String,
    end_at: i64,
    updated_at: i64,
    total_cents: i64,
    refunded_cents: i64,
    currency: String,
}

impl Store {
    /// The owner's payout account, if onboarding ever started.
    pub async fn payout_account(&self, owner: Uuid) -> AppResult<Option<Account>> {
        let row: Option<AccountRow> = self
            .reader()
            .fetch_optional(
                query(
                    "SELECT account_id, status, payouts_enabled, requirements_due FROM payout_accounts \
                     WHERE owner_id = ?",
                )
                .bind(owner),
            )
            .await?;
        Ok(row.map(|r| Account {
            account_id: r.account_id,
            status: AccountStatus::parse(&r.status).unwrap_or(AccountStatus::Onboarding),
            payouts_enabled: r.payouts_enabled,
            requirements_due: serde_json::from_str(&r.requirements_due).unwrap_or_default(),
        }))
    }

    /// Starts onboarding, or gives it a fresh link: the account exists afterwards (made with
    /// `new_account_id` the first time; an active account stays active), and `token_hash` names
    /// its one link until `expires`.
    pub async fn start_onboarding(
        &self,
        owner: Uuid,
        new_account_id: &str,
        token_hash: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            query(
                "INSERT INTO payout_accounts (owner_id, account_id, status, link_token, link_expires_at, created_at, \
                 updated_at) VALUES (?, ?, 'onboarding', ?, ?, ?, ?) ON CONFLICT (owner_id) DO UPDATE SET \
                 link_token = excluded.link_token, link_expires_at = excluded.link_expires_at, \
                 updated_at = excluded.updated_at",
            )
            .bind(owner)
            .bind(new_account_id)
            .bind(token_hash)
            .bind(to_ms(expires))
            .bind(to_ms(now))
            .bind(to_ms(now)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes the simulated onboarding whose link is `token_hash`, once and before it
    /// expires. False for a spent, expired or unknown link.
    pub async fn finish_simulated_onboarding(&self, token_hash: &str, now: DateTime<Utc>) -> AppResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = tx
            .execute(
                query(
                    "UPDATE payout_accounts SET status = 'active', payouts_enabled = ?, requirements_due = '[]', \
                     link_token = NULL, link_expires_at = NULL, updated_at = ? \
                     WHERE link_token = ? AND link_expires_at > ?",
                )
                .bind(true)
                .bind(to_ms(now))
                .bind(token_hash)
                .bind(to_ms(now)),
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Transfers the owner's share of every settled, paid booking of an owner whose payout
    /// account is active, at most [`TRANSFERS_PER_RUN`], with `send` naming each transfer at
    /// the provider. Each booking is transferred once: its row is keyed by the booking, so a
    /// second run (or another instance) finds it made. Returns how many were made.
    pub async fn transfer_settled(
        &self,
        now: DateTime<Utc>,
        settlement: Duration,
        fee: FeeRate,
        send: impl Fn(Uuid) -> String,
    ) -> AppResult<usize> {
        let cutoff = to_ms(now - settlement);
        let due: Vec<Settled> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT b.id, b.owner_id, a.account_id, b.status, b.end_at, b.updated_at, b.total_cents, \
                     b.refunded_cents, b.currency FROM bookings b \
                     JOIN payout_accounts a ON a.owner_id = b.owner_id AND a.status = 'active' \
                     WHERE b.payment_status IN ('paid', 'refunded') AND b.status IN ('completed', 'cancelled') \
                     AND b.total_cents > b.refunded_cents AND (b.end_at <= ? OR b.updated_at <= ?) \
                     AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.booking_id = b.id) \
                     ORDER BY b.end_at LIMIT ?",
                )
                .bind(cutoff)
                .bind(cutoff)
                .bind(TRANSFERS_PER_RUN),
            )
            .await?;
        let mut made = 0;
        for b in due {
            let status: BookingStatus = b.status.parse().map_err(|_| anyhow::anyhow!("bad status in bookings"))?;
            if !is_settled(status, from_ms(b.end_at), from_ms(b.updated_at), now, settlement) {
                continue;
            }
            let s = split(Cents(b.total_cents), Cents(b.refunded_cents), fee);
            let booking = uuid(&b.id)?;
            let mut tx = self.begin_write().await?;
            let inserted = tx
                .execute(
                    query(
                        "INSERT INTO transfers (booking_id, owner_id, account_id, amount_cents, fee_cents, currency, \
                         transfer_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (booking_id) DO NOTHING",
                    )
                    .bind(&b.id)
                    .bind(&b.owner_id)
                    .bind(&b.account_id)
                    .bind(s.net.0)
                    .bind(s.fee.0)
                    .bind(&b.currency)
                    .bind(send(booking))
                    .bind(to_ms(now))
                    .bind(to_ms(now)),
                )
                .await?;
            tx.commit().await?;
            made += usize::try_from(inserted).unwrap_or(0);
        }
        Ok(made)
    }
}
