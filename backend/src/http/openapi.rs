use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The contract, as OpenAPI 3.1. Kept beside the code and checked by a test that every route
/// the router serves is described in it.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// `/api/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}

async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
