use crate::map::{Bounds, Camera};
use parkway_core::api::{Cluster, SearchItem};
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// Props of [`DrivewayMap`].
#[derive(Properties, PartialEq)]
pub struct DrivewayMapProps {
    /// The search results to show as markers.
    pub items: Rc<Vec<SearchItem>>,
    /// A wide view's groups, drawn instead of results; a click on one zooms in.
    #[prop_or_default]
    pub clusters: Rc<Vec<Cluster>>,
    /// The highlighted driveway.
    pub selected: Option<Uuid>,
    /// A marker (or empty map) was clicked.
    pub on_select: Callback<Option<Uuid>>,
    /// The map stopped moving.
    pub on_move: Callback<(Bounds, Camera)>,
    /// Where the map starts.
    pub camera: Camera,
    /// A request to move the map; the number makes repeated requests distinct.
    #[prop_or_default]
    pub go_to: Option<(u32, Camera)>,
    /// A MapLibre style URL, or a style as JSON text; `None` uses the built-in offline style.
    #[prop_or_default]
    pub style_url: Option<AttrValue>,
}

/// The map of search results: MapLibre with driveways as dots and price tags, or a wide view's
/// groups, over the offline style or a street map. It reports `data-markers` (dots drawn),
/// `data-marks` (groups and singles drawn), `data-street-features` (street map features drawn,
/// until some are)
/// and `data-first-markers-ms` (when the first dots appeared) on its element, for tests and
/// benchmarks.
#[component]
pub fn DrivewayMap(props: &DrivewayMapProps) -> Html {
    let container = use_node_ref();
    let failed = use_state(|| None::<String>);
    use_map(props, &container, failed.clone());
    html! {
        <div class="map-wrap">
            <div ref={container} class="map" role="region"
                aria-label="Map of driveways. The list has the same results and works with a keyboard."></div>
            if let Some(e) = &*failed {
                <div class="map-failed" role="status">
                    <strong>{ "The map could not start." }</strong>
                    <span>{ format!("{e}. The list of driveways still works.") }</span>
                </div>
            }
        </div>
    }
}

#[cfg(target_arch = "wasm32")]
use web::use_map;

/// Native builds have no map.
#[cfg(not(target_arch = "wasm32"))]
#[hook]
fn use_map(_props: &DrivewayMapProps, _container: &NodeRef, _failed: UseStateHandle<Option<String>>) {}

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;
    use crate::format;
    use crate::map::{Map, MapError, features};
    use std::cell::RefCell;

    struct Callbacks {
        on_select: Callback<Option<Uuid>>,
        on_move: Callback<(Bounds, Camera)>,
    }

    type Shown = Rc<RefCell<Option<Rc<Vec<SearchItem>>>>>;

    /// What the map's event handlers share with the component.
    #[derive(Clone)]
    struct Shared {
        map: Rc<RefCell<Option<Map>>>,
        ready: UseStateHandle<bool>,
        callbacks: Rc<RefCell<Callbacks>>,
        /// The results as last rendered.
        latest: Rc<RefCell<Rc<Vec<SearchItem>>>>,
        /// The results the map last drew, to draw each once.
        shown: Shown,
        /// The groups as last rendered, and as last drawn.
        latest_clusters: Rc<RefCell<Rc<Vec<Cluster>>>>,
        shown_clusters: Rc<RefCell<Option<Rc<Vec<Cluster>>>>>,
    }

    /// Draws these results unless the map already shows them.
    fn show(m: &Map, items: &Rc<Vec<SearchItem>>, shown: &Shown) {
        let mut shown = shown.borrow_mut();
        if shown.as_ref().is_some_and(|s| Rc::ptr_eq(s, items)) {
            return;
        }
        m.set_driveways(&features::driveways(items));
        *shown = Some(items.clone());
    }

    /// Draws these groups unless the map already shows them.
    fn show_clusters(m: &Map, clusters: &Rc<Vec<Cluster>>, shown: &RefCell<Option<Rc<Vec<Cluster>>>>) {
        let mut shown = shown.borrow_mut();
        if shown.as_ref().is_some_and(|s| Rc::ptr_eq(s, clusters)) {
            return;
        }
        m.set_clusters(&features::clusters(clusters));
        *shown = Some(clusters.clone());
    }

    /// Builds the map in `element` and wires its events to the component.
    fn build(
        element: &web_sys::HtmlElement,
        camera: Camera,
        style: Option<&str>,
        shared: &Shared,
    ) -> Result<Map, MapError> {
        let mut m = Map::new(element, camera, style)?;
        let s = shared.clone();
        m.on_ready(move || {
            s.ready.set(true);
            if let Some(m) = s.map.borrow().as_ref() {
                // Results that came first are drawn now, before the first frame, not after it
                // in the next render.
                show(m, &s.latest.borrow(), &s.shown);
                show_clusters(m, &s.latest_clusters.borrow(), &s.shown_clusters);
                // The first search uses the area the map opened on.
                let cb = s.callbacks.borrow().on_move.clone();
                cb.emit((m.bounds(), m.camera()));
            }
        });
        let cbs = shared.callbacks.clone();
        m.on_move_end(move |b, c| {
            let cb = cbs.borrow().on_move.clone();
            cb.emit((b, c));
        });
        m.zoom_into_marks();
        let cbs = shared.callbacks.clone();
        m.on_driveway_click(move |id| {
            let cb = cbs.borrow().on_select.clone();
            cb.emit(id.and_then(|s| Uuid::parse_str(&s).ok()));
        });
        // The first frame with dots on it, once; then the count whenever the map settles.
        // Inside the app, that frame is also reported: the app logs how long it took to start.
        let first = element.clone();
        m.watch_markers("render", move |count| {
            if count == 0 {
                return true;
            }
            let ms = crate::platform::page_millis().round() as i64;
            let _ = first.set_attribute("data-first-markers-ms", &ms.to_string());
            if crate::platform::in_tauri() {
                crate::platform::spawn(async {
                    let _ = crate::platform::tauri_invoke("map_drawn", "{}").await;
                });
            }
            false
        });
        let element = element.clone();
        let shown = shared.map.clone();
        // Reading every feature on screen costs milliseconds on a real street map: the street
        // count is taken until the streets first show, not after every move.
        let mut streets_seen = false;
        m.watch_markers("idle", move |count| {
            let _ = element.set_attribute("data-markers", &count.to_string());
            if let Ok(m) = shown.try_borrow()
                && let Some(m) = m.as_ref()
            {
                let _ = element.set_attribute("data-marks", &m.rendered_marks().to_string());
                if !streets_seen && let Some(n) = m.rendered_street_features() {
                    streets_seen = n > 0;
                    let _ = element.set_attribute("data-street-features", &n.to_string());
                }
            }
            true
        });
        Ok(m)
    }

    #[hook]
    pub fn use_map(props: &DrivewayMapProps, container: &NodeRef, failed: UseStateHandle<Option<String>>) {
        let api = crate::hooks::use_app().api();
        let callbacks = || Callbacks { on_select: props.on_select.clone(), on_move: props.on_move.clone() };
        let shared = Shared {
            map: use_mut_ref(|| None::<Map>),
            ready: use_state(|| false),
            callbacks: use_mut_ref(callbacks),
            latest: use_mut_ref(|| props.items.clone()),
            shown: use_mut_ref(|| None::<Rc<Vec<SearchItem>>>),
            latest_clusters: use_mut_ref(|| props.clusters.clone()),
            shown_clusters: use_mut_ref(|| None::<Rc<Vec<Cluster>>>),
        };
        *shared.callbacks.borrow_mut() = callbacks();
        *shared.latest.borrow_mut() = props.items.clone();
        *shared.latest_clusters.borrow_mut() = props.clusters.clone();
        let shown_clusters = shared.shown_clusters.clone();
        let (map, ready, shown) = (shared.map.clone(), shared.ready.clone(), shared.shown.clone());

        {
            let (container, camera) = (container.clone(), props.camera);
            let style = props.style_url.as_ref().map(|s| s.to_string());
            use_effect_with((), move |_| {
                // Built one task later, so the page's first search is already on its way: the
                // map's constructor (its WebGL context) holds the main thread for 0.1–0.3 s.
                let built = shared.map.clone();
                let start = gloo_timers::callback::Timeout::new(0, move || {
                    let Some(element) = container.cast::<web_sys::HtmlElement>() else { return };
                    match build(&element, camera, style.as_deref(), &shared) {
                        Ok(m) => *shared.map.borrow_mut() = Some(m),
                        Err(e) => failed.set(Some(e.0)),
                    }
                });
                move || {
                    drop(start);
                    built.borrow_mut().take();
                }
            });
        }

        // New results go to the map while it renders, not in an effect: Yew renders the list of
        // 200 results next and then yields to the browser, so an effect would wait a frame or
        // more. This touches MapLibre only, never the DOM Yew manages. Results that come
        // before the map is ready are drawn by `on_ready`.
        if *ready && let Some(m) = map.borrow().as_ref() {
            show(m, &props.items, &shown);
            show_clusters(m, &props.clusters, &shown_clusters);
        }

        {
            let map = map.clone();
            use_effect_with((props.selected, props.items.clone(), *ready), move |(selected, items, ready)| {
                if !*ready {
                    return;
                }
                let mut guard = map.borrow_mut();
                let Some(m) = guard.as_mut() else { return };
                let item = selected.and_then(|id| items.iter().find(|i| i.driveway.id == id));
                m.highlight(item.map(|i| i.driveway.id.to_string()).as_deref());
                match item {
                    Some(i) => {
                        let d = &i.driveway;
                        let mut price = format!("{}/h", format::price_tag(d.price_per_hour_cents, &d.currency));
                        if let Some(stars) = crate::forms::review::rating_short(d) {
                            price = format!("{price} · {stars}");
                        }
                        let photo = d.photos.first().map(|p| api.media_url(&p.thumb_url));
                        m.show_popup(d.lng, d.lat, photo.as_deref(), &d.title, &price);
                        if !m.bounds().contains(d.lng, d.lat) {
                            m.pan_to(d.lng, d.lat);
                        }
                    }
                    None => m.close_popup(),
                }
            });
        }

        {
            let map = map.clone();
            use_effect_with(props.go_to, move |go_to| {
                if let (Some((_, camera)), Some(m)) = (go_to, map.borrow().as_ref()) {
                    m.ease_to(*camera);
                }
            });
        }
    }
}
