//! The built-in offline style and the layers that draw driveways on any style.

use super::features::{GRID_SOURCE, SELECTED_TAG_PREFIX, SOURCE, TAG_PREFIX};
use serde_json::{Value, json};

/// Layer ids, for clicks and highlighting.
pub mod layers {
    /// Dots at each driveway.
    pub const DOTS: &str = "driveway-dots";
    /// Price tags above the dots.
    pub const TAGS: &str = "driveway-tags";
    /// The selected driveway's ring.
    pub const SELECTED_DOT: &str = "driveway-selected-dot";
    /// The selected driveway's tag, drawn on top.
    pub const SELECTED_TAG: &str = "driveway-selected-tag";
}

/// Land colour of the offline style.
pub const LAND: &str = "#eef1ec";

/// A style that needs no network: a land colour and a grid that follows the view. Driveways
/// are added on top once it loads, as with any other style.
pub fn offline() -> Value {
    json!({
        "version": 8,
        "name": "Parkway offline",
        "sources": {
            GRID_SOURCE: { "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } }
        },
        "layers": [
            { "id": "land", "type": "background", "paint": { "background-color": LAND } },
            {
                "id": "grid",
                "type": "line",
                "source": GRID_SOURCE,
                "paint": { "line-color": "#d5dbd2", "line-width": 1 }
            }
        ]
    })
}

/// The GeoJSON source for driveways.
pub fn driveway_source() -> Value {
    json!({ "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } })
}

/// A filter matching the driveway with this id (`""` matches none).
pub fn id_filter(id: &str) -> Value {
    json!(["==", ["get", "id"], id])
}

/// The four driveway layers: dots, price tags, and the selected dot and tag on top.
pub fn driveway_layers() -> Vec<Value> {
    vec![
        json!({
            "id": layers::DOTS,
            "type": "circle",
            "source": SOURCE,
            "paint": {
                "circle-radius": 6,
                "circle-color": "#0f766e",
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 2
            }
        }),
        json!({
            "id": layers::TAGS,
            "type": "symbol",
            "source": SOURCE,
            "layout": {
                "icon-image": ["concat", TAG_PREFIX, ["get", "label"]],
                "icon-anchor": "bottom",
                "icon-offset": [0, -5],
                "icon-allow-overlap": false,
                "icon-padding": 1,
                "symbol-sort-key": ["get", "price"]
            }
        }),
        json!({
            "id": layers::SELECTED_DOT,
            "type": "circle",
            "source": SOURCE,
            "filter": id_filter(""),
            "paint": {
                "circle-radius": 9,
                "circle-color": "#f59e0b",
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 3
            }
        }),
        json!({
            "id": layers::SELECTED_TAG,
            "type": "symbol",
            "source": SOURCE,
            "filter": id_filter(""),
            "layout": {
                "icon-image": ["concat", SELECTED_TAG_PREFIX, ["get", "label"]],
                "icon-anchor": "bottom",
                "icon-offset": [0, -7],
                "icon-allow-overlap": true,
                "icon-ignore-placement": true
            }
        }),
    ]
}
