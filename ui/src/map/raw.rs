//! The raw MapLibre GL JS surface this app uses, as `extern` declarations. Private to `map`:
//! everything else goes through the safe API in `map/mod.rs`. The library is loaded as an ES
//! module by `index.html`, which sets `window.maplibregl` before the wasm starts.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `maplibregl.Map`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type Map;

    #[wasm_bindgen(constructor, catch, js_namespace = maplibregl)]
    pub fn new(options: &JsValue) -> Result<Map, JsValue>;

    #[wasm_bindgen(method)]
    pub fn on(this: &Map, event: &str, listener: &js_sys::Function);

    #[wasm_bindgen(method, js_name = on)]
    pub fn on_layer(this: &Map, event: &str, layer: &str, listener: &js_sys::Function);

    #[wasm_bindgen(method)]
    pub fn off(this: &Map, event: &str, listener: &js_sys::Function);

    #[wasm_bindgen(method, js_name = off)]
    pub fn off_layer(this: &Map, event: &str, layer: &str, listener: &js_sys::Function);

    #[wasm_bindgen(method, catch, js_name = addSource)]
    pub fn add_source(this: &Map, id: &str, source: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = getSource)]
    pub fn get_source(this: &Map, id: &str) -> Option<GeoJsonSource>;

    #[wasm_bindgen(method, catch, js_name = addLayer)]
    pub fn add_layer(this: &Map, layer: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = getLayer)]
    pub fn get_layer(this: &Map, id: &str) -> JsValue;

    #[wasm_bindgen(method, catch, js_name = setFilter)]
    pub fn set_filter(this: &Map, layer: &str, filter: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = getBounds)]
    pub fn get_bounds(this: &Map) -> LngLatBounds;

    #[wasm_bindgen(method, js_name = getCenter)]
    pub fn get_center(this: &Map) -> LngLat;

    #[wasm_bindgen(method, js_name = getZoom)]
    pub fn get_zoom(this: &Map) -> f64;

    #[wasm_bindgen(method, js_name = fitBounds)]
    pub fn fit_bounds(this: &Map, bounds: &JsValue, options: &JsValue);

    #[wasm_bindgen(method, js_name = easeTo)]
    pub fn ease_to(this: &Map, options: &JsValue);

    #[wasm_bindgen(method, js_name = jumpTo)]
    pub fn jump_to(this: &Map, options: &JsValue);

    #[wasm_bindgen(method, catch, js_name = addImage)]
    pub fn add_image(this: &Map, id: &str, image: &web_sys::ImageData, options: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = setMissingStyleImageResolver)]
    pub fn set_missing_style_image_resolver(this: &Map, resolver: Option<&js_sys::Function>);

    #[wasm_bindgen(method, js_name = hasImage)]
    pub fn has_image(this: &Map, id: &str) -> bool;

    #[wasm_bindgen(method, js_name = getCanvas)]
    pub fn get_canvas(this: &Map) -> web_sys::HtmlElement;

    #[wasm_bindgen(method, js_name = queryRenderedFeatures)]
    pub fn query_rendered_features(this: &Map, options: &JsValue) -> js_sys::Array;

    #[wasm_bindgen(method, js_name = queryRenderedFeatures)]
    pub fn query_rendered_features_at(this: &Map, point: &JsValue, options: &JsValue) -> js_sys::Array;

    #[wasm_bindgen(method, js_name = addControl)]
    pub fn add_control(this: &Map, control: &JsValue, position: &str);

    #[wasm_bindgen(method)]
    pub fn resize(this: &Map);

    #[wasm_bindgen(method)]
    pub fn remove(this: &Map);

    /// `maplibregl.GeoJSONSource`, as returned by `getSource`.
    #[wasm_bindgen(js_namespace = maplibregl, js_name = GeoJSONSource)]
    #[derive(Debug, Clone)]
    pub type GeoJsonSource;

    #[wasm_bindgen(method, js_name = setData)]
    pub fn set_data(this: &GeoJsonSource, data: &JsValue);

    /// `maplibregl.LngLatBounds`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type LngLatBounds;

    #[wasm_bindgen(method, js_name = getWest)]
    pub fn get_west(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getSouth)]
    pub fn get_south(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getEast)]
    pub fn get_east(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getNorth)]
    pub fn get_north(this: &LngLatBounds) -> f64;

    /// `maplibregl.LngLat`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type LngLat;

    #[wasm_bindgen(method, getter)]
    pub fn lng(this: &LngLat) -> f64;
    #[wasm_bindgen(method, getter)]
    pub fn lat(this: &LngLat) -> f64;

    /// `maplibregl.Popup`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type Popup;

    #[wasm_bindgen(constructor, catch, js_namespace = maplibregl)]
    pub fn new(options: &JsValue) -> Result<Popup, JsValue>;

    #[wasm_bindgen(method, js_name = setLngLat)]
    pub fn set_lng_lat(this: &Popup, lng_lat: &JsValue) -> Popup;

    #[wasm_bindgen(method, js_name = setDOMContent)]
    pub fn set_dom_content(this: &Popup, node: &web_sys::Element) -> Popup;

    #[wasm_bindgen(method, js_name = addTo)]
    pub fn add_to(this: &Popup, map: &Map) -> Popup;

    #[wasm_bindgen(method, js_name = remove)]
    pub fn remove_popup(this: &Popup) -> Popup;

    /// `maplibregl.Marker`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type Marker;

    #[wasm_bindgen(constructor, catch, js_namespace = maplibregl)]
    pub fn new(options: &JsValue) -> Result<Marker, JsValue>;

    #[wasm_bindgen(method, js_name = setLngLat)]
    pub fn set_lng_lat(this: &Marker, lng_lat: &JsValue) -> Marker;

    #[wasm_bindgen(method, js_name = getLngLat)]
    pub fn get_lng_lat(this: &Marker) -> LngLat;

    #[wasm_bindgen(method, js_name = addTo)]
    pub fn add_to(this: &Marker, map: &Map) -> Marker;

    #[wasm_bindgen(method, js_name = on)]
    pub fn on_marker(this: &Marker, event: &str, listener: &js_sys::Function);

    /// `maplibregl.NavigationControl`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    #[derive(Debug, Clone)]
    pub type NavigationControl;

    #[wasm_bindgen(constructor, catch, js_namespace = maplibregl)]
    pub fn new(options: &JsValue) -> Result<NavigationControl, JsValue>;
}
