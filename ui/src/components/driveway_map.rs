use crate::map::{Bounds, Camera};
use parkway_core::api::SearchItem;
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// Props of [`DrivewayMap`].
#[derive(Properties, PartialEq)]
pub struct DrivewayMapProps {
    /// The search results to show as markers.
    pub items: Rc<Vec<SearchItem>>,
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
    /// A MapLibre style URL; `None` uses the built-in offline style.
    #[prop_or_default]
    pub style_url: Option<AttrValue>,
}

/// The map of search results: MapLibre with driveways as dots and price tags. It reports
/// `data-markers` (dots drawn) and `data-first-markers-ms` (when the first ones appeared) on its
/// element, for tests and benchmarks.
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
    use crate::map::{Map, features};

    struct Callbacks {
        on_select: Callback<Option<Uuid>>,
        on_move: Callback<(Bounds, Camera)>,
    }

    #[hook]
    pub fn use_map(props: &DrivewayMapProps, container: &NodeRef, failed: UseStateHandle<Option<String>>) {
        let map = use_mut_ref(|| None::<Map>);
        let ready = use_state(|| false);
        let callbacks =
            use_mut_ref(|| Callbacks { on_select: props.on_select.clone(), on_move: props.on_move.clone() });
        *callbacks.borrow_mut() = Callbacks { on_select: props.on_select.clone(), on_move: props.on_move.clone() };

        {
            let (map, ready, container, camera) = (map.clone(), ready.clone(), container.clone(), props.camera);
            let style = props.style_url.as_ref().map(|s| s.to_string());
            use_effect_with((), move |_| {
                if let Some(element) = container.cast::<web_sys::HtmlElement>() {
                    match Map::new(&element, camera, style.as_deref()) {
                        Ok(mut m) => {
                            let (map_ref, cbs) = (map.clone(), callbacks.clone());
                            m.on_ready(move || {
                                ready.set(true);
                                // The first search uses the area the map opened on.
                                if let Some(m) = map_ref.borrow().as_ref() {
                                    let cb = cbs.borrow().on_move.clone();
                                    cb.emit((m.bounds(), m.camera()));
                                }
                            });
                            let cbs = callbacks.clone();
                            m.on_move_end(move |b, c| {
                                let cb = cbs.borrow().on_move.clone();
                                cb.emit((b, c));
                            });
                            let cbs = callbacks.clone();
                            m.on_driveway_click(move |id| {
                                let cb = cbs.borrow().on_select.clone();
                                cb.emit(id.and_then(|s| Uuid::parse_str(&s).ok()));
                            });
                            // The first frame with dots on it, once; then the count whenever the
                            // map settles.
                            let first = element.clone();
                            m.watch_markers("render", move |count| {
                                if count == 0 {
                                    return true;
                                }
                                let ms = crate::platform::page_millis().round() as i64;
                                let _ = first.set_attribute("data-first-markers-ms", &ms.to_string());
                                false
                            });
                            let element = element.clone();
                            m.watch_markers("idle", move |count| {
                                let _ = element.set_attribute("data-markers", &count.to_string());
                                true
                            });
                            *map.borrow_mut() = Some(m);
                        }
                        Err(e) => failed.set(Some(e.0)),
                    }
                }
                move || {
                    map.borrow_mut().take();
                }
            });
        }

        {
            let map = map.clone();
            use_effect_with((props.items.clone(), *ready), move |(items, ready)| {
                if *ready && let Some(m) = map.borrow().as_ref() {
                    m.set_driveways(&features::driveways(items));
                }
            });
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
                        let price = format!("{}/h", format::price_tag(d.price_per_hour_cents, &d.currency));
                        m.show_popup(d.lng, d.lat, &d.title, &price);
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
