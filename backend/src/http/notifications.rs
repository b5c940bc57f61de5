use super::extract::{AfterPage, AuthUser, Path, Query};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use parkway_core::api::{Items, Notification};

/// `/api/notifications/*`.
pub fn router() -> Router<AppState> {
    Router::new().route("/notifications", get(list)).route("/notifications/{id}/read", post(read))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(p): Query<AfterPage>,
) -> AppResult<Json<Items<Notification>>> {
    let items = state.store.notifications_after(user.id(), p.after.unwrap_or(0), p.limit.unwrap_or(100)).await?;
    Ok(Json(Items { items }))
}

async fn read(State(state): State<AppState>, user: AuthUser, Path(id): Path<i64>) -> AppResult<StatusCode> {
    if state.store.mark_read(user.id(), id, state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("notification"))
    }
}
