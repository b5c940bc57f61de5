//! The built-in offline style and the layers that draw driveways on any style, as JSON text
//! (handed to `JSON.parse`; building them with `serde_json::json!` costs far more wasm).

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
    /// Circles of groups in a wide view.
    pub const GROUPS: &str = "cluster-circles";
    /// Single driveways in a wide view.
    pub const SINGLES: &str = "cluster-singles";
}

/// A style that needs no network: a land colour and a grid that follows the view (source
/// `grid`). Driveways are added on top once it loads, as with any other style.
pub const OFFLINE: &str = r##"{
  "version": 8,
  "name": "Parkway offline",
  "sources": { "grid": { "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } } },
  "layers": [
    { "id": "land", "type": "background", "paint": { "background-color": "#eef1ec" } },
    { "id": "grid", "type": "line", "source": "grid", "paint": { "line-color": "#d5dbd2", "line-width": 1 } }
  ]
}"##;

/// The GeoJSON source for driveways (id `driveways`).
pub const DRIVEWAY_SOURCE: &str = r#"{ "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } }"#;

/// The driveway layers, bottom to top: dots, price tags (images `price:<label>` drawn on
/// demand), and the selected dot and tag. Tags read a source of their own holding the same
/// data: a tile waits for every image its layers need, and the dots should not wait for 200
/// price tags to be drawn.
pub const DRIVEWAY_LAYERS: &str = r##"[
  { "id": "driveway-dots", "type": "circle", "source": "driveways",
    "paint": { "circle-radius": 6, "circle-color": "#0f766e", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
  { "id": "driveway-tags", "type": "symbol", "source": "driveway-tags",
    "layout": { "icon-image": ["concat", "price:", ["get", "label"]], "icon-anchor": "bottom", "icon-offset": [0, -5],
                "icon-allow-overlap": false, "icon-padding": 1, "symbol-sort-key": ["get", "price"] } },
  { "id": "driveway-selected-dot", "type": "circle", "source": "driveways", "filter": ["==", ["get", "id"], ""],
    "paint": { "circle-radius": 9, "circle-color": "#f59e0b", "circle-stroke-color": "#ffffff", "circle-stroke-width": 3 } },
  { "id": "driveway-selected-tag", "type": "symbol", "source": "driveway-tags", "filter": ["==", ["get", "id"], ""],
    "layout": { "icon-image": ["concat", "price-selected:", ["get", "label"]], "icon-anchor": "bottom", "icon-offset": [0, -7],
                "icon-allow-overlap": true, "icon-ignore-placement": true } }
]"##;

/// The layers of a wide view's marks (source `clusters`), under the driveway layers: a circle
/// sized by its count with the count on it (images `count:<label>`), or a single driveway's
/// dot with its price tag.
pub const CLUSTER_LAYERS: &str = r##"[
  { "id": "cluster-circles", "type": "circle", "source": "clusters", "filter": [">", ["get", "count"], 1],
    "paint": { "circle-radius": ["step", ["get", "count"], 14, 10, 17, 100, 21, 1000, 25],
               "circle-color": "#0f766e", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
  { "id": "cluster-counts", "type": "symbol", "source": "clusters", "filter": [">", ["get", "count"], 1],
    "layout": { "icon-image": ["concat", "count:", ["get", "label"]], "icon-allow-overlap": true,
                "icon-ignore-placement": true } },
  { "id": "cluster-singles", "type": "circle", "source": "clusters", "filter": ["==", ["get", "count"], 1],
    "paint": { "circle-radius": 6, "circle-color": "#0f766e", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
  { "id": "cluster-single-tags", "type": "symbol", "source": "clusters", "filter": ["==", ["get", "count"], 1],
    "layout": { "icon-image": ["concat", "price:", ["get", "label"]], "icon-anchor": "bottom", "icon-offset": [0, -5],
                "icon-allow-overlap": false, "icon-padding": 1 } }
]"##;

/// A filter matching the driveway with this id (`""` matches none).
pub fn id_filter(id: &str) -> String {
    format!(r#"["==", ["get", "id"], {}]"#, super::features::quote(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::features::{
        CLUSTER_SOURCE, COUNT_PREFIX, GRID_SOURCE, SELECTED_TAG_PREFIX, SOURCE, TAG_PREFIX, TAG_SOURCE,
    };
    use serde_json::Value;

    #[test]
    fn styles_are_valid_json_naming_the_right_sources_and_layers() {
        let offline: Value = serde_json::from_str(OFFLINE).expect("offline style");
        assert!(offline["sources"][GRID_SOURCE].is_object());
        let _: Value = serde_json::from_str(DRIVEWAY_SOURCE).expect("source");
        let layers: Vec<Value> = serde_json::from_str(DRIVEWAY_LAYERS).expect("layers");
        let ids: Vec<&str> = layers.iter().filter_map(|l| l["id"].as_str()).collect();
        assert_eq!(ids, [layers::DOTS, layers::TAGS, layers::SELECTED_DOT, layers::SELECTED_TAG]);
        let sources: Vec<&str> = layers.iter().filter_map(|l| l["source"].as_str()).collect();
        assert_eq!(sources, [SOURCE, TAG_SOURCE, SOURCE, TAG_SOURCE]);
        assert_eq!(layers[1]["layout"]["icon-image"][1], TAG_PREFIX);
        assert_eq!(layers[3]["layout"]["icon-image"][1], SELECTED_TAG_PREFIX);
        let groups: Vec<Value> = serde_json::from_str(CLUSTER_LAYERS).expect("cluster layers");
        assert!(groups.iter().all(|l| l["source"] == CLUSTER_SOURCE));
        let ids: Vec<&str> = groups.iter().filter_map(|l| l["id"].as_str()).collect();
        assert!(ids.contains(&layers::GROUPS) && ids.contains(&layers::SINGLES));
        assert_eq!(groups[1]["layout"]["icon-image"][1], COUNT_PREFIX);
        assert_eq!(groups[3]["layout"]["icon-image"][1], TAG_PREFIX);
        let filter: Value = serde_json::from_str(&id_filter("a\"b")).expect("filter");
        assert_eq!(filter[2], "a\"b");
    }
}
