//! Parkway's web UI: a Yew app compiled to wasm32, also hosted by the Tauri app.
//!
//! Pure logic (the booking form, the driveway form, the app state reducer, the API's query
//! strings, the map's GeoJSON) compiles natively and is tested with `cargo test`; everything
//! that touches the browser sits behind `cfg(target_arch = "wasm32")` in [`platform`], the HTTP
//! transport, the WebSocket and the MapLibre bindings.

/// The one client of the Parkway API, over a transport (HTTP now, Tauri commands later).
pub mod api;
/// The root component: providers, navigation bar, routes, toasts, live updates.
pub mod app;
/// Reusable components, one per file.
pub mod components;
/// Formatting of money, times and durations for people.
pub mod format;
/// Form logic with no UI: the booking form and the driveway form.
pub mod forms;
/// Small hooks shared by pages: loading data, the app context.
pub mod hooks;
/// MapLibre GL JS bindings: a raw `extern` layer and a small safe API.
pub mod map;
/// Pages, one per route.
pub mod pages;
/// What the browser gives us: clock, storage, random ids, timers, geolocation, configuration.
pub mod platform;
/// Live notifications over the WebSocket, with catch-up after reconnecting.
pub mod realtime;
/// The app's routes.
pub mod route;
/// The app state: a reducer over actions.
pub mod state;
/// Stripe's card form, through the page's small `stripe-pay.js` helper.
pub mod stripe;
/// Web Push in a browser, through the page's small `web-push.js` helper.
pub mod web_push;

/// Starts the app when the wasm module is instantiated.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    match gloo_root() {
        Some(element) => {
            // The "Loading Parkway…" placeholder goes once the app takes over.
            element.set_inner_html("");
            yew::Renderer::<app::App>::with_root(element).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn gloo_root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id("app")
}
