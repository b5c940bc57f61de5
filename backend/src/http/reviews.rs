//! Reviews: a driver's stars on a completed stay (`/api/bookings/:id/review`), the owner's
//! answer, and a driveway's reviews for everyone (`/api/driveways/:id/reviews`).

use super::extract::{AuthUser, Json, Path, Query};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::reviews::ReviewInput;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use parkway_core::api::Items;
use parkway_core::review::{MAX_PAGE, MAX_TEXT, Review, ReviewFields, ReviewReply};
use parkway_core::text;
use serde::Deserialize;
use uuid::Uuid;

/// Reviews one page lists unless asked otherwise.
const DEFAULT_PAGE: i64 = 20;

/// `/api/bookings/{id}/review*` and `/api/driveways/{id}/reviews`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bookings/{id}/review", get(read).post(write).put(edit))
        .route("/bookings/{id}/review/reply", post(reply))
        .route("/driveways/{id}/reviews", get(of_driveway))
}

/// The stars as given and the words trimmed and limited (blank means none).
fn checked(body: ReviewFields) -> AppResult<ReviewInput> {
    Ok(ReviewInput { rating: body.rating, text: text::optional("text", body.text.as_deref(), MAX_TEXT)? })
}

async fn read(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<Json<Review>> {
    Ok(Json(state.store.review_for(user.id(), id).await?))
}

async fn write(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ReviewFields>,
) -> AppResult<(StatusCode, Json<Review>)> {
    let input = checked(body)?;
    Ok((StatusCode::CREATED, Json(state.store.post_review(user.id(), id, input, state.clock.now()).await?)))
}

async fn edit(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ReviewFields>,
) -> AppResult<Json<Review>> {
    let input = checked(body)?;
    Ok(Json(state.store.edit_review(user.id(), id, input, state.clock.now()).await?))
}

async fn reply(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ReviewReply>,
) -> AppResult<Json<Review>> {
    let text = text::required("text", &body.text, MAX_TEXT)?;
    Ok(Json(state.store.reply_to_review(user.id(), id, text, state.clock.now()).await?))
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn of_driveway(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(page): Query<Page>,
) -> AppResult<Json<Items<Review>>> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::validation(format!("limit must be 1 to {MAX_PAGE}")));
    }
    let offset = page.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::validation("offset must not be negative"));
    }
    // A driveway that is gone (or never was) has no review page, like its own page.
    if state.store.driveway(id).await?.is_none() {
        return Err(AppError::not_found("driveway"));
    }
    Ok(Json(Items { items: state.store.reviews_of(id, limit, offset).await? }))
}
