//! `/api/me/vehicles`: a driver's vehicles, whose plate an owner checks at the driveway.

use super::extract::{AuthUser, Json, Path};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::vehicles::Fields;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use parkway_core::api::Items;
use parkway_core::text;
use parkway_core::vehicle::{MAX_LABEL_CHARS, Plate, Vehicle, VehicleFields};
use uuid::Uuid;

/// `/api/me/vehicles*`.
pub fn router() -> Router<AppState> {
    Router::new().route("/me/vehicles", get(list).post(add)).route("/me/vehicles/{id}", put(update).delete(remove))
}

/// The plate normalised and the label trimmed and limited, or a `400` saying which is wrong.
fn checked(body: &VehicleFields) -> AppResult<Fields> {
    let plate = Plate::parse(&body.plate).map_err(|e| AppError::validation(format!("plate: {e}")))?;
    let label = text::optional("label", body.label.as_deref(), MAX_LABEL_CHARS)?;
    Ok(Fields { plate, label, is_default: body.is_default })
}

async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Items<Vehicle>>> {
    Ok(Json(Items { items: state.store.vehicles(user.id()).await? }))
}

async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<VehicleFields>,
) -> AppResult<(StatusCode, Json<Vehicle>)> {
    let fields = checked(&body)?;
    Ok((StatusCode::CREATED, Json(state.store.add_vehicle(user.id(), &fields, state.clock.now()).await?)))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<VehicleFields>,
) -> AppResult<Json<Vehicle>> {
    let fields = checked(&body)?;
    Ok(Json(state.store.update_vehicle(user.id(), id, &fields, state.clock.now()).await?))
}

async fn remove(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<StatusCode> {
    state.store.delete_vehicle(user.id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
