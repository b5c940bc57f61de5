//! `/api/bookings/:id/messages`: a stay's thread between its driver and its driveway's owner.
//! Each message also reaches the other party's inbox and, live, their WebSockets.

use super::extract::{AfterPage, AuthUser, Json, Path, Query};
use super::idempotent::{created_answer, idempotency};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use parkway_core::api::Items;
use parkway_core::message::{MAX_PAGE, MAX_TEXT, Message, NewMessage};
use parkway_core::text;
use serde::Serialize;
use uuid::Uuid;

/// `/api/bookings/{id}/messages*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bookings/{id}/messages", get(list).post(send))
        .route("/bookings/{id}/messages/read", post(read))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(page): Query<AfterPage>,
) -> AppResult<Json<Items<Message>>> {
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::validation(format!("limit must be 1 to {MAX_PAGE}")));
    }
    let after = page.after.unwrap_or(0);
    if after < 0 {
        return Err(AppError::validation("after must not be negative"));
    }
    Ok(Json(Items { items: state.store.messages(user.id(), id, after, limit).await? }))
}

/// A send may carry an `Idempotency-Key`: a reply kept in an offline outbox is sent again until
/// it is answered, and lands once.
async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<NewMessage>,
) -> AppResult<Response> {
    let idempotency = idempotency(&headers, &(id, &body))?;
    let text = text::required("text", &body.text, MAX_TEXT)?;
    state.message_limit.check(user.id()).await?;
    let posted = state.store.post_message(user.id(), id, text, idempotency.as_ref(), state.clock.now()).await?;
    let replayed = posted.notice.is_none();
    state.publish(posted.notice.into_iter().collect());
    Ok(created_answer(posted.message, replayed))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Read {
    read: u64,
}

async fn read(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<Json<Read>> {
    Ok(Json(Read { read: state.store.read_messages(user.id(), id, state.clock.now()).await? }))
}
