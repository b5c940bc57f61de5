//! `GET /api/places`: place search for the map's search box.

use super::extract::{Json, Query};
use crate::error::{AppError, AppResult};
use crate::places::PlaceQuery;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use parkway_core::api::{Items, Place};
use parkway_core::geo::Point;
use serde::Deserialize;

/// Results unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 8;
/// Most results.
const MAX_LIMIT: usize = 20;
/// Longest query, in characters: longer than any address.
const MAX_QUERY_CHARS: usize = 200;

/// `/api/places`.
pub fn router() -> Router<AppState> {
    Router::new().route("/places", get(search))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    q: Option<String>,
    near: Option<String>,
    limit: Option<usize>,
    #[serde(default)]
    autocomplete: bool,
}

async fn search(State(state): State<AppState>, Query(p): Query<Params>) -> AppResult<Json<Items<Place>>> {
    let text = p.q.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::validation("q is required: what to look for, such as a city or an address"));
    }
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::validation(format!("q must be at most {MAX_QUERY_CHARS} characters")));
    }
    let near = p.near.as_deref().map(parse_near).transpose()?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::validation(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let query = PlaceQuery { text: text.to_owned(), near, limit, autocomplete: p.autocomplete };
    Ok(Json(Items { items: state.places.search(&state.store, &query).await? }))
}

/// `near=lat,lng`.
fn parse_near(v: &str) -> AppResult<Point> {
    let bad = || AppError::validation("near must be lat,lng (for example 37.77,-122.42)");
    let (lat, lng) = v.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lng: f64 = lng.trim().parse().map_err(|_| bad())?;
    Ok(Point::new(lat, lng)?)
}
