//! The owner's pin: a small map where the driveway's position is dragged or clicked into
//! place. The latitude and longitude fields beside it do the same from a keyboard.

use crate::map::Camera;
use yew::prelude::*;

/// Props of [`PinMap`].
#[derive(Properties, PartialEq)]
pub struct PinMapProps {
    /// The pin, when the form holds a valid position.
    pub at: Option<(f64, f64)>,
    /// Where the map opens without a pin.
    pub camera: Camera,
    /// The pin was moved to `(lat, lng)`.
    pub on_move: Callback<(f64, f64)>,
    /// A MapLibre style URL or style JSON; `None` uses the built-in offline style.
    #[prop_or_default]
    pub style_url: Option<AttrValue>,
}

/// A map with the driveway's pin.
#[component]
pub fn PinMap(props: &PinMapProps) -> Html {
    let container = use_node_ref();
    use_pin(props, &container);
    html! {
        <div ref={container} class="pin-map" role="region"
            aria-label="Map of the driveway's position: drag the pin or click the map to move it. The latitude and longitude fields do the same with a keyboard."></div>
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[hook]
fn use_pin(_props: &PinMapProps, _container: &NodeRef) {}

#[cfg(target_arch = "wasm32")]
#[hook]
fn use_pin(props: &PinMapProps, container: &NodeRef) {
    use crate::map::Map;
    use std::cell::RefCell;
    use std::rc::Rc;

    let map = use_mut_ref(|| None::<Map>);
    let on_move = use_mut_ref(|| props.on_move.clone());
    *on_move.borrow_mut() = props.on_move.clone();
    let place = |m: &mut Map, (lat, lng): (f64, f64), on_move: &Rc<RefCell<Callback<(f64, f64)>>>| {
        let cb = on_move.clone();
        m.pin(lng, lat, move |lng, lat| cb.borrow().emit((lat, lng)));
    };
    {
        let (map, container, on_move) = (map.clone(), container.clone(), on_move.clone());
        let (at, camera, style) = (props.at, props.camera, props.style_url.as_ref().map(|s| s.to_string()));
        use_effect_with((), move |_| {
            if let Some(element) = container.cast::<web_sys::HtmlElement>() {
                let camera = match at {
                    Some((lat, lng)) => Camera { lat, lng, zoom: 16.0 },
                    None => camera,
                };
                if let Ok(mut m) = Map::new(&element, camera, style.as_deref()) {
                    place(&mut m, at.unwrap_or((camera.lat, camera.lng)), &on_move);
                    *map.borrow_mut() = Some(m);
                }
            }
            move || drop(map.borrow_mut().take())
        });
    }
    {
        let map = map.clone();
        use_effect_with(props.at, move |at| {
            if let (Some(at), Some(m)) = (at, map.borrow_mut().as_mut()) {
                place(m, *at, &on_move);
                if !m.bounds().contains(at.1, at.0) {
                    m.pan_to(at.1, at.0);
                }
            }
        });
    }
}
