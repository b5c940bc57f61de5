//! Owners' payout accounts, and the transfers of their share of each settled booking.

use super::Store;
use super::db::{query, to_ms, uuid};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use parkway_core::earnings::AccountStatus;
use uuid::Uuid;

/// Payouts from owners' provider balances to their banks.
pub mod bank;
/// Transfers of each settled booking's share, and reversals after late refunds.
pub mod transfers;

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

    /// The owner and account whose onboarding link is `token_hash`, while it lasts.
    pub async fn account_by_link(&self, token_hash: &str, now: DateTime<Utc>) -> AppResult<Option<(Uuid, String)>> {
        let row: Option<(String, String)> = self
            .reader()
            .fetch_optional(
                query("SELECT owner_id, account_id FROM payout_accounts WHERE link_token = ? AND link_expires_at > ?")
                    .bind(token_hash)
                    .bind(to_ms(now)),
            )
            .await?;
        row.map(|(owner, account)| Ok((uuid(&owner)?, account))).transpose()
    }

    /// What the provider says of `account` now (from an `account.updated` event). False when
    /// no owner has that account.
    pub async fn update_account(
        &self,
        account: &str,
        status: AccountStatus,
        payouts_enabled: bool,
        requirements_due: &[String],
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        let due = serde_json::to_string(requirements_due).map_err(anyhow::Error::from)?;
        let mut tx = self.begin_write().await?;
        let changed = tx
            .execute(
                query(
                    "UPDATE payout_accounts SET status = ?, payouts_enabled = ?, requirements_due = ?, updated_at = ? \
                     WHERE account_id = ?",
                )
                .bind(status.as_str())
                .bind(payouts_enabled)
                .bind(due)
                .bind(to_ms(now))
                .bind(account),
            )
            .await?;
        tx.commit().await?;
        Ok(changed == 1)
    }
}
