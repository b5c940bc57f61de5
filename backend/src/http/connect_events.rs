//! `POST /api/payouts/webhook`: Stripe Connect's events, signed with their own endpoint
//! secret (`STRIPE_CONNECT_WEBHOOK_SECRET`). They come from owners' accounts (the envelope's
//! `account` names it) and keep the payout account and the payouts current:
//! `account.updated`, `payout.*` and `transfer.reversed`. Anything else is acknowledged.

use crate::error::{AppError, AppResult};
use crate::payments::connect::AccountObject;
use crate::payments::signature;
use crate::state::AppState;
use crate::store::payouts::bank::PayoutEvent;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::DateTime;
use parkway_core::earnings::PayoutStatus;
use serde::Deserialize;
use serde_json::Value;

/// A Connect event's envelope, as far as Parkway reads it.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// The connected account the event happened on (absent for the platform's own).
    account: Option<String>,
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    object: Value,
}

/// A payout object.
#[derive(Debug, Deserialize)]
struct Payout {
    id: String,
    amount: i64,
    currency: String,
    status: PayoutStatus,
    failure_message: Option<String>,
    /// Unix seconds.
    arrival_date: Option<i64>,
}

/// A transfer object.
#[derive(Debug, Deserialize)]
struct Transfer {
    id: String,
    amount_reversed: i64,
}

fn read<T: for<'de> Deserialize<'de>>(object: Value, kind: &str) -> AppResult<T> {
    serde_json::from_value(object).map_err(|e| AppError::validation(format!("unreadable {kind} event: {e}")))
}

pub(super) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, axum::Json<Value>)> {
    let Some(secret) = &state.config.stripe_connect_webhook_secret else {
        return Err(AppError::validation(
            "Connect webhooks are not configured on this server (STRIPE_CONNECT_WEBHOOK_SECRET)",
        ));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    signature::verify(header, &body, secret.expose(), state.clock.now().timestamp()).map_err(|e| {
        tracing::warn!(reason = %e, "Connect webhook refused");
        AppError::validation(format!("webhook signature refused: {e}"))
    })?;
    let event: Event =
        serde_json::from_slice(&body).map_err(|e| AppError::validation(format!("unreadable event: {e}")))?;
    let now = state.clock.now();
    match event.kind.as_str() {
        "account.updated" => {
            let a: AccountObject = read(event.data.object, &event.kind)?;
            let known = state
                .store
                .update_account(&a.id, a.status(), a.payouts_enabled, &a.requirements.currently_due, now)
                .await?;
            if !known {
                tracing::warn!(account = %a.id, "account.updated for an account no owner has");
            }
        }
        kind if kind.starts_with("payout.") => {
            let p: Payout = read(event.data.object, kind)?;
            let Some(account) = event.account.as_deref() else {
                // The platform's own payouts are not an owner's.
                return Ok(acknowledged());
            };
            state
                .store
                .record_payout(
                    &PayoutEvent {
                        payout_id: &p.id,
                        account_id: account,
                        amount_cents: p.amount,
                        currency: &p.currency,
                        status: p.status,
                        failure_message: p.failure_message.as_deref(),
                        arrival: p.arrival_date.and_then(|s| DateTime::from_timestamp(s, 0)),
                    },
                    now,
                )
                .await?;
            if p.status == PayoutStatus::Failed {
                tracing::warn!(payout = %p.id, account, "an owner's payout failed");
            }
        }
        "transfer.reversed" => {
            let t: Transfer = read(event.data.object, &event.kind)?;
            state.store.reversed_at_provider(&t.id, t.amount_reversed, now).await?;
        }
        _ => {}
    }
    tracing::debug!(event = %event.id, kind = %event.kind, "Connect event handled");
    Ok(acknowledged())
}

fn acknowledged() -> (StatusCode, axum::Json<Value>) {
    (StatusCode::OK, axum::Json(serde_json::json!({"received": true})))
}
