//! MapLibre GL JS for the app: the raw bindings stay private (`raw`), and this module offers a
//! small safe API. Event closures live in the [`Map`] value and are removed with it; nothing is
//! leaked with `forget`.

/// GeoJSON built from search results, and the offline grid.
pub mod features;
/// Price-tag images drawn on a canvas.
#[cfg(target_arch = "wasm32")]
mod labels;
/// The raw `extern` declarations.
#[cfg(target_arch = "wasm32")]
mod raw;
/// The offline style and the driveway layers.
pub mod style;

pub use crate::state::Camera;

/// The visible area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Smallest longitude.
    pub west: f64,
    /// Smallest latitude.
    pub south: f64,
    /// Largest longitude.
    pub east: f64,
    /// Largest latitude.
    pub north: f64,
}

impl Bounds {
    /// True when the point is inside.
    pub fn contains(&self, lng: f64, lat: f64) -> bool {
        (self.west..=self.east).contains(&lng) && (self.south..=self.north).contains(&lat)
    }
}

/// Why the map could not start (most often: no WebGL).
#[derive(Debug, Clone, PartialEq)]
pub struct MapError(pub String);

#[cfg(target_arch = "wasm32")]
pub use web::Map;

#[cfg(target_arch = "wasm32")]
mod web {
    use super::features::coordinate as c;
    use super::style::{self, layers};
    use super::{Bounds, Camera, MapError, features, labels, raw};
    use wasm_bindgen::prelude::*;

    /// A listener registered on the map, removed when the map goes.
    struct Listener {
        event: &'static str,
        closure: Closure<dyn FnMut(JsValue)>,
    }

    /// A live MapLibre map. Dropping it removes its listeners and the map.
    pub struct Map {
        map: raw::Map,
        listeners: Vec<Listener>,
        // Draws price tags when the style asks for them; removed with the map.
        resolver: Option<Closure<dyn FnMut(JsValue)>>,
        popup: Option<raw::Popup>,
        marker: Option<raw::Marker>,
        offline: bool,
        /// Drawing the server's street map (a style given whole).
        streets: bool,
    }

    fn js(json: &str) -> JsValue {
        js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
    }

    fn zoom(z: f64) -> String {
        c(z)
    }

    fn get(obj: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn clickable() -> JsValue {
        js(&format!(
            r#"{{"layers":["{}","{}","{}","{}","{}"]}}"#,
            layers::SELECTED_TAG,
            layers::TAGS,
            layers::DOTS,
            layers::GROUPS,
            layers::SINGLES
        ))
    }

    fn marks() -> JsValue {
        js(&format!(r#"{{"layers":["{}","{}"]}}"#, layers::GROUPS, layers::SINGLES))
    }

    impl Map {
        /// Creates a map in `container` looking at `camera`, with the style at `style_url` or
        /// the built-in offline style.
        pub fn new(container: &web_sys::HtmlElement, camera: Camera, style_url: Option<&str>) -> Result<Map, MapError> {
            let offline = style_url.is_none();
            let streets = style_url.is_some_and(|s| s.starts_with('{'));
            let options = js_sys::Object::new();
            let set = |k: &str, v: &JsValue| {
                let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), v);
            };
            set("container", container);
            match style_url {
                // A style given whole (the street map), or at a URL.
                Some(json) if json.starts_with('{') => set("style", &js(json)),
                Some(url) => set("style", &JsValue::from_str(url)),
                None => set("style", &js(style::OFFLINE)),
            }
            set("center", &js(&format!("[{},{}]", c(camera.lng), c(camera.lat))));
            set("zoom", &JsValue::from_f64(camera.zoom));
            set("dragRotate", &JsValue::FALSE);
            set("pitchWithRotate", &JsValue::FALSE);
            set("touchPitch", &JsValue::FALSE);
            set("attributionControl", &js(r#"{"compact":true}"#));
            let map = raw::Map::new(&options).map_err(|e| {
                MapError(
                    e.as_string().or_else(|| get(&e, "message").as_string()).unwrap_or_else(|| "unknown error".into()),
                )
            })?;
            if let Ok(nav) = raw::NavigationControl::new(&js(r#"{"showCompass":false}"#)) {
                map.add_control(&nav, "top-right");
            }
            // MapLibre asks before laying out a tile that needs an image it lacks; drawing it
            // right here means the tags appear in the same frame as their dots.
            let map_for_images = map.clone();
            let resolver = Closure::<dyn FnMut(JsValue)>::new(move |id: JsValue| {
                let Some(id) = id.as_string() else { return };
                if map_for_images.has_image(&id) {
                    return;
                }
                if let Some(image) = labels::draw(&id) {
                    let _ = map_for_images.add_image(&id, &image, &labels::image_options());
                }
            });
            map.set_missing_style_image_resolver(Some(resolver.as_ref().unchecked_ref()));
            let this = Map {
                map,
                listeners: Vec::new(),
                resolver: Some(resolver),
                popup: None,
                marker: None,
                offline,
                streets,
            };
            Ok(this)
        }

        fn on(&mut self, event: &'static str, f: impl FnMut(JsValue) + 'static) {
            let closure = Closure::<dyn FnMut(JsValue)>::new(f);
            self.map.on(event, closure.as_ref().unchecked_ref());
            self.listeners.push(Listener { event, closure });
        }

        /// Calls `f` once the style has loaded and the driveway layers exist.
        pub fn on_ready(&mut self, mut f: impl FnMut() + 'static) {
            let map = self.map.clone();
            let offline = self.offline;
            // `style.load`, not `load`: the driveways can be added as soon as the style is
            // parsed, and their data then loads while the first frame is drawn instead of
            // after it (`load` waits for that frame and every source; about 0.4 s here).
            self.on("style.load", move |_| {
                let _ = map.add_source(features::SOURCE, &js(style::DRIVEWAY_SOURCE));
                let _ = map.add_source(features::TAG_SOURCE, &js(style::DRIVEWAY_SOURCE));
                let _ = map.add_source(features::CLUSTER_SOURCE, &js(style::DRIVEWAY_SOURCE));
                let all = js_sys::Array::from(&js(style::CLUSTER_LAYERS));
                for layer in all.concat(&js_sys::Array::from(&js(style::DRIVEWAY_LAYERS))).iter() {
                    let _ = map.add_layer(&layer);
                }
                if offline {
                    update_grid(&map);
                }
                f();
            });
        }

        /// Calls `f` with the new bounds and camera whenever the map stops moving.
        pub fn on_move_end(&mut self, mut f: impl FnMut(Bounds, Camera) + 'static) {
            let map = self.map.clone();
            let offline = self.offline;
            self.on("moveend", move |_| {
                if offline {
                    update_grid(&map);
                }
                f(bounds_of(&map), camera_of(&map));
            });
        }

        /// Calls `f` with the clicked driveway's id, or `None` for a click beside the markers.
        pub fn on_driveway_click(&mut self, mut f: impl FnMut(Option<String>) + 'static) {
            let map = self.map.clone();
            self.on("click", move |e| {
                let hits = map.query_rendered_features_at(&get(&e, "point"), &clickable());
                let id = hits.get(0);
                let id = if id.is_undefined() { None } else { get(&get(&id, "properties"), "id").as_string() };
                f(id);
            });
            let map = self.map.clone();
            self.on("mousemove", move |e| {
                let over = map.query_rendered_features_at(&get(&e, "point"), &clickable()).length() > 0;
                let _ = map.get_canvas().style().set_property("cursor", if over { "pointer" } else { "" });
            });
        }

        /// Puts a pin at a point that can be dragged, or moved by a click on the map; `f` gets
        /// its new place. Any earlier pin's place is simply set again.
        pub fn pin(&mut self, lng: f64, lat: f64, f: impl Fn(f64, f64) + 'static) {
            let at = js(&format!("[{},{}]", c(lng), c(lat)));
            if let Some(marker) = &self.marker {
                marker.set_lng_lat(&at);
                return;
            }
            let Ok(marker) = raw::Marker::new(&js(r##"{"draggable":true,"color":"#0f766e"}"##)) else { return };
            marker.set_lng_lat(&at).add_to(&self.map);
            let f = std::rc::Rc::new(f);
            let dragged = marker.clone();
            let g = f.clone();
            let drag = Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let p = dragged.get_lng_lat();
                g(p.lng(), p.lat());
            });
            marker.on_marker("dragend", drag.as_ref().unchecked_ref());
            self.listeners.push(Listener { event: "", closure: drag });
            let moved = marker.clone();
            self.on("click", move |e| {
                let at = get(&e, "lngLat");
                let (Some(lng), Some(lat)) = (get(&at, "lng").as_f64(), get(&at, "lat").as_f64()) else { return };
                moved.set_lng_lat(&js(&format!("[{},{}]", c(lng), c(lat))));
                f(lng, lat);
            });
            self.marker = Some(marker);
        }

        /// Zooms in on a wide view's mark when it is clicked: two steps on a group, so it
        /// splits; close enough for a search on a single driveway.
        pub fn zoom_into_marks(&mut self) {
            let map = self.map.clone();
            self.on("click", move |e| {
                let hit = map.query_rendered_features_at(&get(&e, "point"), &marks()).get(0);
                if hit.is_undefined() {
                    return;
                }
                let at = js_sys::Array::from(&get(&get(&hit, "geometry"), "coordinates"));
                let (Some(lng), Some(lat)) = (at.get(0).as_f64(), at.get(1).as_f64()) else { return };
                let single = get(&get(&hit, "properties"), "count").as_f64() == Some(1.0);
                let now = map.get_zoom();
                let to = if single { now.max(15.0) } else { (now + 2.0).min(16.0) };
                map.ease_to(&js(&format!(
                    r#"{{"center":[{},{}],"zoom":{},"duration":500}}"#,
                    c(lng),
                    c(lat),
                    zoom(to)
                )));
            });
        }

        /// Shows a wide view's marks (a FeatureCollection from [`features::clusters`]).
        pub fn set_clusters(&self, geojson: &str) {
            if let Some(source) = self.map.get_source(features::CLUSTER_SOURCE) {
                source.set_data(&js(geojson));
            }
        }

        /// How many features of the street map are drawn on screen right now (`None` without
        /// one).
        pub fn rendered_street_features(&self) -> Option<u32> {
            if !self.streets {
                return None;
            }
            let all = self.map.query_rendered_features(&js("{}"));
            Some(all.iter().filter(|f| get(f, "source").as_string().as_deref() == Some("protomaps")).count() as u32)
        }

        /// How many of a wide view's marks are drawn on screen right now.
        pub fn rendered_marks(&self) -> u32 {
            if self.map.get_layer(layers::GROUPS).is_undefined() {
                return 0;
            }
            self.map.query_rendered_features(&marks()).length()
        }

        /// Shows these driveways (a FeatureCollection from [`features::driveways`]).
        pub fn set_driveways(&self, geojson: &str) {
            let data = js(geojson);
            for id in [features::SOURCE, features::TAG_SOURCE] {
                if let Some(source) = self.map.get_source(id) {
                    source.set_data(&data);
                }
            }
        }

        /// Highlights one driveway, or none.
        pub fn highlight(&self, id: Option<&str>) {
            let filter = js(&style::id_filter(id.unwrap_or("")));
            for layer in [layers::SELECTED_DOT, layers::SELECTED_TAG] {
                if !self.map.get_layer(layer).is_undefined() {
                    let _ = self.map.set_filter(layer, &filter);
                }
            }
        }

        /// Opens a popup with a photo (its address, if any), a title and a line of text at a
        /// point, closing any other.
        pub fn show_popup(&mut self, lng: f64, lat: f64, photo: Option<&str>, title: &str, text: &str) {
            self.close_popup();
            let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
            let Ok(node) = document.create_element("div") else { return };
            node.set_class_name("map-popup");
            if let Some(src) = photo
                && let Ok(img) = document.create_element("img")
            {
                // Decorative: the title beside it says what it shows.
                let _ = img.set_attribute("src", src);
                let _ = img.set_attribute("alt", "");
                let _ = node.append_child(&img);
            }
            if let (Ok(t), Ok(p)) = (document.create_element("strong"), document.create_element("span")) {
                t.set_text_content(Some(title));
                p.set_text_content(Some(text));
                let _ = node.append_child(&t);
                let _ = node.append_child(&p);
            }
            let options = js(r#"{"closeButton":false,"closeOnClick":false,"offset":42,"maxWidth":"240px"}"#);
            if let Ok(popup) = raw::Popup::new(&options) {
                popup.set_lng_lat(&js(&format!("[{},{}]", c(lng), c(lat)))).set_dom_content(&node).add_to(&self.map);
                self.popup = Some(popup);
            }
        }

        /// Closes the popup.
        pub fn close_popup(&mut self) {
            if let Some(p) = self.popup.take() {
                p.remove_popup();
            }
        }

        /// Moves smoothly to a camera.
        pub fn ease_to(&self, camera: Camera) {
            self.map.ease_to(&js(&format!(
                r#"{{"center":[{},{}],"zoom":{},"duration":600}}"#,
                c(camera.lng),
                c(camera.lat),
                zoom(camera.zoom)
            )));
        }

        /// Pans so the point is in view, keeping the zoom.
        pub fn pan_to(&self, lng: f64, lat: f64) {
            self.map.ease_to(&js(&format!(r#"{{"center":[{},{}],"duration":400}}"#, c(lng), c(lat))));
        }

        /// Fits the view around the bounds.
        pub fn fit_bounds(&self, b: Bounds, padding: f64) {
            self.map.fit_bounds(
                &js(&format!("[[{},{}],[{},{}]]", c(b.west), c(b.south), c(b.east), c(b.north))),
                &js(&format!(r#"{{"padding":{},"maxZoom":16}}"#, padding.round() as i64)),
            );
        }

        /// The visible area.
        pub fn bounds(&self) -> Bounds {
            bounds_of(&self.map)
        }

        /// The camera.
        pub fn camera(&self) -> Camera {
            camera_of(&self.map)
        }

        /// How many driveway dots are drawn on screen right now.
        pub fn rendered_driveways(&self) -> u32 {
            rendered(&self.map)
        }

        /// Calls `f` with the number of driveway dots drawn after each frame (`render`) or
        /// each time the map settles (`idle`), until `f` returns false.
        pub fn watch_markers(&mut self, event: &'static str, mut f: impl FnMut(u32) -> bool + 'static) {
            let map = self.map.clone();
            let mut active = true;
            self.on(event, move |_| {
                if active {
                    active = f(rendered(&map));
                }
            });
        }

        /// Tells the map its container changed size.
        pub fn resize(&self) {
            self.map.resize();
        }
    }

    fn rendered(map: &raw::Map) -> u32 {
        if map.get_layer(layers::DOTS).is_undefined() {
            return 0;
        }
        map.query_rendered_features(&js(&format!(r#"{{"layers":["{}"]}}"#, layers::DOTS))).length()
    }

    fn bounds_of(map: &raw::Map) -> Bounds {
        let b = map.get_bounds();
        Bounds { west: b.get_west(), south: b.get_south(), east: b.get_east(), north: b.get_north() }
    }

    fn camera_of(map: &raw::Map) -> Camera {
        let c = map.get_center();
        Camera { lng: c.lng(), lat: c.lat(), zoom: map.get_zoom() }
    }

    fn update_grid(map: &raw::Map) {
        let b = bounds_of(map);
        if let Some(source) = map.get_source(features::GRID_SOURCE) {
            source.set_data(&js(&features::grid(b.west, b.south, b.east, b.north)));
        }
    }

    impl Drop for Map {
        fn drop(&mut self) {
            self.close_popup();
            if self.resolver.take().is_some() {
                self.map.set_missing_style_image_resolver(None);
            }
            // The pin's listener (no event name) goes with the map.
            for l in self.listeners.drain(..).filter(|l| !l.event.is_empty()) {
                self.map.off(l.event, l.closure.as_ref().unchecked_ref());
            }
            self.map.remove();
        }
    }
}
