use super::extract::{AuthUser, Json, Path};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::payments::Intent;
use crate::payments::settle::reconcile;
use crate::payments::signature;
use crate::state::AppState;
use crate::store::db::to_ms;
use crate::store::payments::PaymentChange;
use crate::store::rows::PaymentRow;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::Role;
use parkway_core::booking::PaymentStatus;
use parkway_core::payment::{CaptureMethod, IntentStatus};
use parkway_core::pricing::Rate;
use parkway_core::slot::TimeSlot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// `/api/payments/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments/create-payment-intent", post(for_booking))
        .route("/payments/create-payment-intent-direct", post(direct))
        .route("/payments/status/{id}", get(status))
        .route("/payments/webhook", post(webhook))
        .route("/payments/simulated/{id}/confirm", post(simulated_confirm))
}

/// The answer of both create routes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IntentAnswer {
    payment_intent_id: String,
    client_secret: String,
    amount_cents: i64,
    currency: String,
    capture_method: CaptureMethod,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    simulated: bool,
    /// With Stripe and a publishable key: what the web UI needs for Stripe's card form, read
    /// from the server's configuration so a new key needs no new UI build.
    #[serde(flatten)]
    stripe_js: Option<StripeJs>,
}

/// The public half of the Stripe settings; the secret key never goes into an answer.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct StripeJs {
    publishable_key: String,
    stripe_js_url: String,
}

impl StripeJs {
    fn from_config(config: &Config, simulated: bool) -> Option<StripeJs> {
        let key = config.stripe_publishable_key.as_ref().filter(|_| !simulated)?;
        Some(StripeJs { publishable_key: key.clone(), stripe_js_url: config.stripe_js_url.clone() })
    }
}

fn answer(state: &AppState, p: &PaymentRow) -> IntentAnswer {
    let simulated = state.payments.is_simulated();
    IntentAnswer {
        payment_intent_id: p.intent_id.clone(),
        client_secret: p.client_secret.clone(),
        amount_cents: p.amount_cents,
        currency: p.currency.clone(),
        capture_method: p.capture_method,
        simulated,
        stripe_js: StripeJs::from_config(&state.config, simulated),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForBooking {
    booking_id: Uuid,
}

async fn for_booking(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<ForBooking>,
) -> AppResult<Json<IntentAnswer>> {
    let now = state.clock.now();
    let booking = state.store.booking_for(user.id(), req.booking_id).await?;
    if booking.driver != user.id() {
        return Err(AppError::not_found("booking"));
    }
    if !booking.status.holds_slot() {
        return Err(AppError::invalid_transition(format!("a {} booking cannot be paid", booking.status)));
    }
    if !matches!(booking.payment_status, PaymentStatus::Pending | PaymentStatus::Failed) {
        return Err(AppError::invalid_transition("this booking is already paid"));
    }
    let id = booking.id.to_string();
    if let Some(p) = state.store.live_payment(&id).await? {
        if !p.status.awaiting_payer() {
            return Err(AppError::invalid_transition("this booking's payment is already authorised or paid"));
        }
        if booking.payment_status != PaymentStatus::Failed {
            return Ok(Json(answer(&state, &p)));
        }
        // After a decline, a fresh intent for the next card; the old one is cancelled.
        state.store.abandon_payment(&p.intent_id, now).await?;
        state.settle(Some(p.intent_id)).await;
    }
    let driveway = state.store.driveway(booking.driveway).await?;
    let instant = driveway.as_ref().is_some_and(|d| d.instant_book);
    let capture = CaptureMethod::for_booking(instant, booking.start_time, now);
    let attempt = state.store.payment_attempts(&id).await?;
    let key = if attempt == 0 { format!("booking:{id}:pi") } else { format!("booking:{id}:pi:{attempt}") };
    let metadata = [("booking_id", id.clone()), ("user_id", user.id().to_string())];
    let intent =
        state.payments.create(booking.total_cents.0, booking.currency.as_str(), capture, &metadata, &key).await?;
    let row = row(
        &intent,
        Some(id),
        user.id(),
        booking.driveway,
        booking.start_time,
        booking.end_time,
        &booking.currency.to_string(),
        capture,
    );
    Ok(Json(answer(&state, &state.store.insert_payment(&row, now).await?)))
}

#[allow(clippy::too_many_arguments)]
fn row(
    intent: &Intent,
    booking: Option<String>,
    user: Uuid,
    driveway: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    currency: &str,
    capture: CaptureMethod,
) -> PaymentRow {
    PaymentRow {
        intent_id: intent.id.clone(),
        booking_id: booking,
        user_id: user.to_string(),
        driveway_id: driveway.to_string(),
        start_at: to_ms(start),
        end_at: to_ms(end),
        amount_cents: intent.amount,
        currency: currency.to_owned(),
        capture_method: capture,
        status: intent.status,
        client_secret: intent.client_secret.clone(),
        refunded_cents: 0,
        refund_due_cents: 0,
        refunds: 0,
        cancel_due: false,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Direct {
    driveway: Uuid,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
}

/// Pays for a slot before the booking exists; `POST /api/bookings` with the intent's id links
/// the two after checking the amount. The server prices the slot: no amount is accepted.
async fn direct(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<Direct>,
) -> AppResult<Json<IntentAnswer>> {
    user.require(Role::Driver)?;
    let now = state.clock.now();
    let slot = TimeSlot::bookable(req.start_time, req.end_time, now)?;
    let d = state.store.driveway(req.driveway).await?.ok_or_else(|| AppError::not_found("driveway"))?;
    if d.owner == user.id() {
        return Err(AppError::Api(ErrorCode::SelfBooking, "you cannot book your own driveway".into()));
    }
    let total = Rate { per_hour: d.price_per_hour_cents, per_day: d.price_per_day_cents }.price(&slot);
    let capture = CaptureMethod::for_booking(d.instant_book, slot.start(), now);
    // Stable for retries of the same request, distinct for any other slot.
    let key = format!("direct:{}:{}:{}:{}", user.id(), d.id, slot.start().timestamp(), slot.end().timestamp());
    let metadata = [("driveway_id", d.id.to_string()), ("user_id", user.id().to_string())];
    let intent = state.payments.create(total.0, d.currency.as_str(), capture, &metadata, &key).await?;
    let row = row(&intent, None, user.id(), d.id, slot.start(), slot.end(), d.currency.as_str(), capture);
    Ok(Json(answer(&state, &state.store.insert_payment(&row, now).await?)))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusAnswer {
    payment_intent_id: String,
    status: IntentStatus,
    payment_status: PaymentStatus,
    booking_id: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    simulated: bool,
}

async fn status(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<StatusAnswer>> {
    let mut p = state
        .store
        .payment(&id)
        .await?
        .filter(|p| p.user_id == user.id().to_string())
        .ok_or_else(|| AppError::not_found("payment"))?;
    // Reconcile: a lost webhook must not leave a booking unpaid forever.
    if !p.status.is_final() {
        let notices = reconcile(&state.store, &state.payments, &p.intent_id, state.clock.now()).await?;
        state.publish(notices);
        p = state.store.payment(&id).await?.unwrap_or(p);
    }
    let payment_status = match &p.booking_id {
        Some(b) => state.store.booking_for(user.id(), b.parse().map_err(anyhow::Error::from)?).await?.payment_status,
        None if p.status == IntentStatus::Succeeded => PaymentStatus::Paid,
        None => PaymentStatus::Pending,
    };
    Ok(Json(StatusAnswer {
        payment_intent_id: p.intent_id,
        status: p.status,
        payment_status,
        booking_id: p.booking_id,
        simulated: state.payments.is_simulated(),
    }))
}

/// Stripe's event envelope, as far as Parkway reads it.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Value,
}

async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, axum::Json<Value>)> {
    let Some(secret) = &state.config.stripe_webhook_secret else {
        return Err(AppError::validation("webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET)"));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    signature::verify(header, &body, secret.expose(), state.clock.now().timestamp()).map_err(|e| {
        tracing::warn!(reason = %e, "webhook refused");
        AppError::validation(format!("webhook signature refused: {e}"))
    })?;
    let event: Event =
        serde_json::from_slice(&body).map_err(|e| AppError::validation(format!("unreadable event: {e}")))?;
    let object = &event.data.object;
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_owned);
    let (intent, change) = match event.kind.as_str() {
        // The object's own status decides: an authorisation is not a payment.
        "payment_intent.succeeded" | "payment_intent.amount_capturable_updated" => {
            (text("id"), text("status").and_then(|s| s.parse().ok()).and_then(PaymentChange::from_status))
        }
        "payment_intent.canceled" => (text("id"), Some(PaymentChange::Canceled)),
        "payment_intent.payment_failed" => {
            let reason = object
                .pointer("/last_payment_error/message")
                .and_then(Value::as_str)
                .unwrap_or("the card was declined")
                .chars()
                .take(200)
                .collect();
            (text("id"), Some(PaymentChange::Failed(reason)))
        }
        "charge.refunded" => {
            let total = object.get("amount_refunded").and_then(Value::as_i64).unwrap_or(0);
            (text("payment_intent"), Some(PaymentChange::Refunded(total)))
        }
        _ => (text("id"), None),
    };
    let now = state.clock.now();
    match (intent, change) {
        (Some(intent), Some(change)) => {
            let notices = state.store.apply_payment(Some((&event.id, &event.kind)), &intent, &change, now).await?;
            state.publish(notices);
            // A charge for a cancelled booking is refunded right away.
            state.settle(Some(intent)).await;
        }
        // Recorded so a redelivery is recognised, then acknowledged.
        (intent, _) => state.store.record_event(&event.id, &event.kind, intent.as_deref(), now).await?,
    }
    Ok((StatusCode::OK, axum::Json(serde_json::json!({"received": true}))))
}

#[derive(Debug, Deserialize)]
struct Card {
    card: String,
}

/// The simulated provider's card form: `4242424242424242` pays, `4000000000000002` is declined.
async fn simulated_confirm(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<Card>,
) -> AppResult<Json<Value>> {
    if !state.payments.is_simulated() {
        return Err(AppError::not_found("route"));
    }
    let p = state
        .store
        .payment(&id)
        .await?
        .filter(|p| p.user_id == user.id().to_string())
        .ok_or_else(|| AppError::not_found("payment"))?;
    if !p.status.awaiting_payer() {
        return Err(AppError::invalid_transition("this payment is already complete"));
    }
    let card: String = req.card.chars().filter(|c| c.is_ascii_digit()).collect();
    let now = state.clock.now();
    let (change, declined) = match card.as_str() {
        "4242424242424242" if p.capture_method == CaptureMethod::Manual => (PaymentChange::Authorized, false),
        "4242424242424242" => (PaymentChange::Succeeded, false),
        "4000000000000002" => (PaymentChange::Failed("your card was declined".into()), true),
        _ => {
            return Err(AppError::validation(
                "simulated payments accept the test cards 4242 4242 4242 4242 (pays) and 4000 0000 0000 0002 (declined)",
            ));
        }
    };
    let notices = state.store.apply_payment(None, &p.intent_id, &change, now).await?;
    state.publish(notices);
    state.settle(Some(p.intent_id.clone())).await;
    if declined {
        return Err(AppError::Api(
            ErrorCode::PaymentRequired,
            "your card was declined (simulated — no money moves)".into(),
        ));
    }
    let status = state.store.payment(&id).await?.map(|p| p.status);
    Ok(Json(serde_json::json!({"status": status, "simulated": true})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn intent(stripe_js: Option<StripeJs>) -> serde_json::Value {
        let a = IntentAnswer {
            payment_intent_id: "pi_1".into(),
            client_secret: "pi_1_secret_2".into(),
            amount_cents: 700,
            currency: "usd".into(),
            capture_method: CaptureMethod::Automatic,
            simulated: false,
            stripe_js,
        };
        serde_json::to_value(a).expect("serialise")
    }

    #[test]
    fn the_publishable_key_reaches_the_ui_and_the_secret_key_never_does() {
        let mut config = Config::for_database("sqlite::memory:");
        config.stripe_secret_key = Some(Secret::new("sk_test_hidden"));
        config.stripe_publishable_key = Some("pk_test_shown".into());
        config.stripe_js_url = "http://127.0.0.1:1/js.stripe.com/v3/".into();
        let body = intent(StripeJs::from_config(&config, false));
        assert_eq!(body["publishableKey"], "pk_test_shown");
        assert_eq!(body["stripeJsUrl"], "http://127.0.0.1:1/js.stripe.com/v3/");
        assert!(!body.to_string().contains("sk_test_hidden"));
        // The simulated provider has no use for Stripe.js, and no key means no card form.
        assert_eq!(intent(StripeJs::from_config(&config, true)).get("publishableKey"), None);
        config.stripe_publishable_key = None;
        assert_eq!(intent(StripeJs::from_config(&config, false)).get("stripeJsUrl"), None);
    }

    #[test]
    fn the_openapi_document_describes_the_stripe_js_fields() {
        let doc: serde_json::Value = serde_json::from_str(crate::http::openapi::DOCUMENT).expect("json");
        let props = &doc["components"]["schemas"]["PaymentIntent"]["properties"];
        let body = intent(Some(StripeJs { publishable_key: "pk_x".into(), stripe_js_url: "u".into() }));
        for field in body.as_object().expect("object").keys() {
            assert!(props.get(field).is_some(), "PaymentIntent.{field} is not in openapi.json");
        }
    }
}
