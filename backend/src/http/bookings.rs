use super::extract::{AuthUser, Json, Path, Query, SignedUser};
use super::idempotent::{created_answer, idempotency};
use crate::error::{AppError, AppResult};
use crate::payments::settle::reconcile;
use crate::state::AppState;
use crate::store::bookings::{BookingRequest, ExtendRequest, MAX_PAGE};
use crate::store::payments::PaymentChange;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post, put};
use parkway_core::api::{Booking, BookingPatch, ExtendBooking, Items, NewBooking, Role};
use parkway_core::booking::BookingStatus;
use parkway_core::geo::Point;
use parkway_core::payment::IntentStatus;
use parkway_core::slot::TimeSlot;
use parkway_core::text::{self, limits};
use serde::Deserialize;
use uuid::Uuid;

/// `/api/bookings/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bookings", get(list).post(create))
        .route("/bookings/{id}", get(detail).put(update).delete(cancel))
        .route("/bookings/{id}/cancel", put(cancel))
        .route("/bookings/{id}/confirm", put(confirm))
        .route("/bookings/{id}/extend", post(extend))
}

async fn create(
    State(state): State<AppState>,
    user: SignedUser,
    headers: HeaderMap,
    Json(body): Json<NewBooking>,
) -> AppResult<Response> {
    user.require(Role::Driver)?;
    let now = state.clock.now();
    let idempotency = idempotency(&headers, &body)?;
    let special_requests =
        text::optional("specialRequests", body.special_requests.as_deref(), limits::SPECIAL_REQUESTS)?;
    let driver_location = body.driver_location.map(|l| Point::new(l.lat, l.lng)).transpose()?;
    if let Some(id) = &body.stripe_payment_id
        && (id.is_empty() || id.len() > 255)
    {
        return Err(AppError::validation("stripePaymentId must be 1 to 255 characters"));
    }
    let token = user.session();
    let req = BookingRequest {
        driver: token.user,
        session: token.session,
        driveway: body.driveway,
        slot: TimeSlot::new(body.start_time, body.end_time)?,
        special_requests,
        driver_location,
        expected_total: body.expected_total_cents,
        stripe_payment_id: body.stripe_payment_id,
        vehicle_id: body.vehicle_id,
        idempotency,
        max_unpaid_holds: state.config.max_unpaid_holds,
    };
    // A replay must answer as the first time did, even once the slot has started, so the time
    // rules are checked in the store after the key lookup.
    let mut created = state.store.create_booking(req, now).await?;
    state.publish(std::mem::take(&mut created.notices));
    Ok(created_answer(created.booking, created.replayed))
}

/// The driver makes a confirmed stay longer: `201` with the extension, a booking of its own
/// for the extra time, to be paid like any booking.
async fn extend(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<ExtendBooking>,
) -> AppResult<Response> {
    user.require(Role::Driver)?;
    let now = state.clock.now();
    // The key's fingerprint names the booking too: one key, one stay.
    let idempotency = idempotency(&headers, &(id, &body))?;
    let req = ExtendRequest {
        driver: user.id(),
        booking: id,
        end: body.end_time,
        expected_extra: body.expected_extra_cents,
        idempotency,
        max_unpaid_holds: state.config.max_unpaid_holds,
    };
    let mut created = state.store.extend_booking(req, now).await?;
    state.publish(std::mem::take(&mut created.notices));
    Ok(created_answer(created.booking, created.replayed))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(rename = "as")]
    as_role: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Items<Booking>>> {
    let as_owner = match p.as_role.as_deref() {
        None | Some("driver") => false,
        Some("owner") => true,
        Some(_) => return Err(AppError::validation("as must be \"driver\" or \"owner\"")),
    };
    let status = p
        .status
        .map(|s| s.parse::<BookingStatus>())
        .transpose()
        .map_err(|_| AppError::validation("status must be pending, confirmed, cancelled or completed"))?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::validation(format!("limit must be 1 to {MAX_PAGE}")));
    }
    let offset = p.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::validation("offset must not be negative"));
    }
    let items = state.store.list_bookings(user.id(), as_owner, status, limit, offset).await?;
    Ok(Json(Items { items }))
}

async fn detail(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<Json<Booking>> {
    Ok(Json(state.store.booking_for(user.id(), id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(patch): Json<BookingPatch>,
) -> AppResult<Json<Booking>> {
    let now = state.clock.now();
    let slot = if patch.start_time.is_some() || patch.end_time.is_some() {
        let current = state.store.booking_for(user.id(), id).await?;
        Some(TimeSlot::new(patch.start_time.unwrap_or(current.start_time), patch.end_time.unwrap_or(current.end_time))?)
    } else {
        None
    };
    let notes = patch
        .special_requests
        .map(|s| text::optional("specialRequests", Some(&s), limits::SPECIAL_REQUESTS))
        .transpose()?;
    let (booking, notices) = state.store.update_booking(user.id(), id, slot, notes, patch.vehicle_id, now).await?;
    state.publish(notices);
    Ok(Json(booking))
}

async fn cancel(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<Json<Booking>> {
    let changed = state.store.cancel_booking(user.id(), id, state.clock.now()).await?;
    state.publish(changed.notices);
    if !changed.settle.is_empty() {
        for intent in changed.settle {
            state.settle(Some(intent)).await;
        }
        // Answer with the payment status the refund left.
        return Ok(Json(state.store.booking_for(user.id(), id).await?));
    }
    Ok(Json(changed.booking))
}

async fn confirm(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<Json<Booking>> {
    // Only the driveway's owner gets past this line: nobody else's call reaches the payment.
    let booking = state.store.booking_as_owner(user.id(), id).await?;
    // An authorised (not yet charged) payment is captured before the booking is confirmed:
    // the owner's "yes" is what collects the money.
    let mut live = state.store.live_payment(&id.to_string()).await?;
    if let Some(p) = &live
        && booking.status == BookingStatus::Pending
        && !p.status.holds_money()
    {
        // The provider may know of an authorisation we have not heard about yet.
        state.publish(reconcile(&state.store, &state.payments, &p.intent_id, state.clock.now()).await?);
        live = state.store.live_payment(&id.to_string()).await?;
    }
    let captured = match live {
        Some(p) if booking.status == BookingStatus::Pending && p.status == IntentStatus::RequiresCapture => {
            state.payments.capture(&p.intent_id, &format!("booking:{id}:capture")).await?;
            Some(p.intent_id)
        }
        _ => None,
    };
    let changed = state.store.confirm_booking(user.id(), id, state.clock.now()).await?;
    state.publish(changed.notices);
    if let Some(intent) = captured {
        let notices = state.store.apply_payment(None, &intent, &PaymentChange::Succeeded, state.clock.now()).await?;
        state.publish(notices);
        return Ok(Json(state.store.booking_for(user.id(), id).await?));
    }
    Ok(Json(changed.booking))
}
