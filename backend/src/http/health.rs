use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// `/healthz` and `/readyz`.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// Alive, and whether money really moves: an operator who forgot the Stripe key sees it here.
async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let payments = if state.payments.is_simulated() { "simulated" } else { "stripe" };
    Json(json!({"status": "ok", "payments": payments}))
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.store.ping().await {
        (StatusCode::OK, Json(json!({"status": "ok"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "database unavailable"})))
    }
}
