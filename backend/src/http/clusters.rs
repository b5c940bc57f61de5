//! `GET /api/driveways/clusters`: the driveways of a view too wide for a search, grouped.

use super::driveways::{price_cap, query_slot};
use super::extract::{Json, Query};
use crate::clusters::View;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use parkway_core::api::ClusterPage;
use parkway_core::geo::BoundingBox;
use serde::Deserialize;

/// `/api/driveways/clusters`.
pub fn router() -> Router<AppState> {
    Router::new().route("/driveways/clusters", get(clusters))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    bbox: Option<String>,
    zoom: Option<f64>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    max_price_per_hour_cents: Option<i64>,
}

async fn clusters(State(state): State<AppState>, Query(p): Query<Params>) -> AppResult<Json<ClusterPage>> {
    let bbox = BoundingBox::parse(
        p.bbox.as_deref().ok_or_else(|| AppError::validation("bbox is required: minLng,minLat,maxLng,maxLat"))?,
    )?;
    let zoom = p.zoom.ok_or_else(|| AppError::validation("zoom is required: the map's zoom, 0 to 22"))?;
    let now = state.clock.now();
    let free_during = query_slot(p.start, p.end, now)?;
    let view = View { bbox, zoom, free_during, max_price_per_hour: price_cap(p.max_price_per_hour_cents)? };
    Ok(Json(state.clusters.view(&state.store, &view, now).await?))
}
