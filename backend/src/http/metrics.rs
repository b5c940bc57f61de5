use super::extract::AuthUser;
use crate::error::AppResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use parkway_core::api::{OwnerMetrics, Role};

/// `/api/metrics/owner`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics/owner", get(owner))
}

async fn owner(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<OwnerMetrics>> {
    user.require(Role::Owner)?;
    Ok(Json(state.store.owner_metrics(user.id(), state.config.platform_fee).await?))
}
