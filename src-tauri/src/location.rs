//! Where the driver is, for "near me" and the booking's `driverLocation`.
//!
//! Phones ask the geolocation plugin (with the system's permission prompt). Desktops have no
//! location provider in the plugin, so they use the last place the user picked on the map, and
//! say so.

use crate::error::Result;
use crate::local::LocalStore;
use serde::Serialize;

const MANUAL: &str = "manual_position";

/// A position and where it came from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// Latitude, when known.
    pub lat: Option<f64>,
    /// Longitude, when known.
    pub lng: Option<f64>,
    /// `device`, `manual` or `none`.
    pub source: &'static str,
    /// A sentence for the UI.
    pub message: String,
}

/// Remembers the place the user picked on the map.
pub async fn set_manual(store: &LocalStore, lat: f64, lng: f64) -> Result<()> {
    parkway_core::geo::Point::new(lat, lng).map_err(|e| crate::error::Error::Api {
        status: 400,
        code: parkway_core::ErrorCode::ValidationFailed,
        message: e.to_string(),
    })?;
    store.set_setting(MANUAL, Some(&format!("{lat},{lng}"))).await
}

/// The place the user last picked on the map.
pub async fn manual(store: &LocalStore) -> Result<Position> {
    let saved = store.setting(MANUAL).await?;
    let parsed =
        saved.as_deref().and_then(|s| s.split_once(',')).and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    Ok(match parsed {
        Some((lat, lng)) => Position {
            lat: Some(lat),
            lng: Some(lng),
            source: "manual",
            message: "This computer has no location service: using the place you last picked on the map.".into(),
        },
        None => Position {
            lat: None,
            lng: None,
            source: "none",
            message: "This computer has no location service: pick a place on the map to search near it.".into(),
        },
    })
}

#[cfg(mobile)]
/// The device's position from the geolocation plugin.
pub async fn device<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Result<Position> {
    use tauri_plugin_geolocation::{GeolocationExt, PositionOptions};
    let geo = app.geolocation();
    let _ = geo.request_permissions(None);
    match geo.get_current_position(Some(PositionOptions {
        enable_high_accuracy: true,
        timeout: 10_000,
        maximum_age: 60_000,
    })) {
        Ok(p) => Ok(Position {
            lat: Some(p.coords.latitude),
            lng: Some(p.coords.longitude),
            source: "device",
            message: "Your current position.".into(),
        }),
        Err(e) => Err(crate::error::Error::Other(format!("location is not available: {e}"))),
    }
}
