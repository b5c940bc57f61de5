//! The browser seen through a few functions. On native targets (the tests) they are inert:
//! storage is empty, sleeping returns at once, geolocation is unavailable.

use std::time::Duration;

/// Where the page's configuration lives: `window.parkwayConfig` in `index.html`, and
/// `localStorage` entries that override it for one browser.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// Prefix of API URLs; empty means the page's own origin.
    pub api_base: String,
    /// A MapLibre style URL (vector or raster tiles), or a style itself as JSON text (the street
    /// map, which the page builds at start); `None` uses the built-in offline style.
    pub map_style_url: Option<String>,
}

const STYLE_KEY: &str = "parkway.mapStyleUrl";
const API_KEY: &str = "parkway.apiBase";

/// Reads the configuration once at start.
pub fn config() -> Config {
    let mut config = Config::default();
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        if let Some(window) = web_sys::window() {
            let global =
                js_sys::Reflect::get(&window, &JsValue::from_str("parkwayConfig")).unwrap_or(JsValue::UNDEFINED);
            let field = |name: &str| {
                js_sys::Reflect::get(&global, &JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_string())
                    .filter(|s| !s.trim().is_empty())
            };
            if let Some(base) = field("apiBase") {
                config.api_base = base;
            }
            config.map_style_url = field("mapStyleUrl");
        }
    }
    if let Some(base) = storage_get(API_KEY).filter(|s| !s.trim().is_empty()) {
        config.api_base = base;
    }
    if let Some(url) = storage_get(STYLE_KEY).filter(|s| !s.trim().is_empty()) {
        config.map_style_url = Some(url);
    }
    config.api_base = config.api_base.trim_end_matches('/').to_owned();
    config
}

/// Reads a `localStorage` entry.
pub fn storage_get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        None
    }
}

/// Writes a `localStorage` entry; `None` removes it. Failures (private mode, quota) are ignored:
/// the app then simply forgets across reloads.
pub fn storage_set(key: &str, value: Option<&str>) {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = match value {
                Some(v) => storage.set_item(key, v),
                None => storage.remove_item(key),
            };
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (key, value);
    }
}

/// Waits without blocking the page.
pub async fn sleep(duration: Duration) {
    #[cfg(target_arch = "wasm32")]
    {
        let ms = duration.as_millis().min(u32::MAX as u128) as u32;
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = duration;
    }
}

/// Milliseconds since the page started navigating (for timing the first markers).
pub fn page_millis() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// Leaves the app's pages for `url` (a provider's onboarding page), which sends the user back
/// when done.
pub fn go_to(url: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = url;
}

/// Inside the app: opens `url` in the system's browser (the app allows `https` pages and its
/// server's own).
pub async fn open_in_browser(url: &str) -> Result<(), String> {
    let args = format!(r#"{{"url":{}}}"#, crate::map::features::quote(url));
    tauri_invoke("open_in_browser", &args).await.map(drop)
}

/// `text` as an object URL of type `mime`, freed a minute later (whoever uses it, a download or
/// a new window, has read it by then).
#[cfg(target_arch = "wasm32")]
fn object_url(text: &str, mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let freed = url.clone();
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&freed);
    })
    .forget();
    Some(url)
}

/// Opens `html` as a page of its own in a new window (a receipt to print). False when no window
/// could be opened (a blocked pop-up, or inside the app).
pub fn open_page(html: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        let open = || web_sys::window()?.open_with_url_and_target(&object_url(html, "text/html")?, "_blank").ok()?;
        !in_tauri() && open().is_some()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = html;
        false
    }
}

/// Hands `text` to the browser as a file download named `name`. False when the page cannot
/// (no window, or the browser refused the object URL).
pub fn save_file(name: &str, mime: &str, text: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let save = || -> Option<()> {
            let url = object_url(text, mime)?;
            let document = web_sys::window()?.document()?;
            let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
            a.set_href(&url);
            a.set_download(name);
            a.click();
            Some(())
        };
        save().is_some()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (name, mime, text);
        false
    }
}

/// The window's inner size in CSS pixels (a phone-sized guess outside a browser).
pub fn window_size() -> (f64, f64) {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(w) = web_sys::window() {
            let read = |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64());
            if let (Some(x), Some(y)) = (read(w.inner_width()), read(w.inner_height())) {
                return (x, y);
            }
        }
    }
    (390.0, 844.0)
}

/// The browser's position, from `navigator.geolocation`.
pub async fn current_position() -> Result<(f64, f64), String> {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        let geolocation = web_sys::window()
            .and_then(|w| w.navigator().geolocation().ok())
            .ok_or_else(|| "This browser cannot tell where you are.".to_owned())?;
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            let options = web_sys::PositionOptions::new();
            options.set_timeout(10_000);
            options.set_maximum_age(60_000);
            if geolocation
                .get_current_position_with_error_callback_and_options(&resolve, Some(&reject), &options)
                .is_err()
            {
                let _ = reject.call0(&JsValue::NULL);
            }
        });
        let position = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| {
            let code = js_sys::Reflect::get(&e, &JsValue::from_str("code")).ok().and_then(|c| c.as_f64());
            match code {
                Some(1.0) => {
                    "Location access is turned off for this site. Allow it in the browser, or move the map by hand."
                        .to_owned()
                }
                _ => "Your position could not be found. Move the map by hand instead.".to_owned(),
            }
        })?;
        let coords =
            js_sys::Reflect::get(&position, &JsValue::from_str("coords")).map_err(|_| "no coordinates".to_owned())?;
        let read = |name: &str| js_sys::Reflect::get(&coords, &JsValue::from_str(name)).ok().and_then(|v| v.as_f64());
        match (read("latitude"), read("longitude")) {
            (Some(lat), Some(lng)) => Ok((lat, lng)),
            _ => Err("Your position could not be read.".to_owned()),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Err("Location is only available in a browser.".to_owned())
    }
}

/// Sets the page title (what a screen reader announces on navigation).
pub fn set_title(title: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("{title} · Parkway"));
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = title;
    }
}

/// The browser's IANA time zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
pub fn browser_timezone() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        if let Some(tz) = js_sys::Reflect::get(&options, &wasm_bindgen::JsValue::from_str("timeZone"))
            .ok()
            .and_then(|v| v.as_string())
        {
            return tz;
        }
    }
    "UTC".to_owned()
}

/// Runs `task` on the page's event loop. The task is boxed, so the code that spawns and polls
/// tasks is in the wasm once rather than once for every kind of task (about 5 KB gzipped over
/// the UI's call sites).
pub fn spawn(task: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(task));
}

#[inline(never)]
fn spawn_boxed(task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    yew::platform::spawn_local(task);
}

/// False when the browser knows it has no network (`navigator.onLine`); true can still mean a
/// network that reaches nothing.
pub fn online() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        true
    }
}

/// True inside the Parkway app (Tauri injects `window.__TAURI__`).
pub fn in_tauri() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &wasm_bindgen::JsValue::from_str("__TAURI__")).ok())
            .is_some_and(|t| t.is_object())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}

/// Calls one of the app's commands (`window.__TAURI__.core.invoke`) with arguments as JSON
/// text and returns its answer as JSON text; the error is the command's `{error, message}` or a
/// sentence. (Text both ways: `serde_json::Value` would cost the wasm several kilobytes.)
pub async fn tauri_invoke(command: &str, args_json: &str) -> Result<String, String> {
    #[cfg(target_arch = "wasm32")]
    {
        let answer = invoke_js(command, args_json).await?;
        Ok(stringify(&answer))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (command, args_json);
        Err("not inside the app".to_owned())
    }
}

/// Calls the app's `api` command; returns the answer's status and its body as JSON text
/// (empty when the body is `null`).
pub async fn tauri_api(args_json: &str) -> Result<(u16, String, Option<String>), String> {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        let answer = invoke_js("api", args_json).await?;
        let get = |name: &str| js_sys::Reflect::get(&answer, &JsValue::from_str(name)).unwrap_or(JsValue::NULL);
        let status = get("status").as_f64().ok_or("the app's answer has no status")? as u16;
        let body = get("body");
        let body = if body.is_null() || body.is_undefined() { String::new() } else { stringify(&body) };
        // The app refreshes the session itself and says which access token is current.
        Ok((status, body, get("token").as_string()))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = args_json;
        Err("not inside the app".to_owned())
    }
}

/// Calls `on_payload` with each `event` the app emits, its payload as JSON text, for as long as
/// the page lives (the app-wide subscriptions are made once, at start).
pub fn tauri_listen(event: &str, on_payload: impl Fn(String) + 'static) {
    listen_boxed(event, Box::new(on_payload));
}

/// [`tauri_listen`]'s work, once in the wasm rather than once for every kind of listener.
#[inline(never)]
fn listen_boxed(event: &str, on_payload: Box<dyn Fn(String)>) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::{JsCast, JsValue, closure::Closure};
        let get = |target: &JsValue, name: &str| js_sys::Reflect::get(target, &JsValue::from_str(name)).ok();
        let Some(window) = web_sys::window() else { return };
        let Some(listen) = get(&window, "__TAURI__")
            .and_then(|t| get(&t, "event"))
            .and_then(|e| get(&e, "listen"))
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        else {
            return;
        };
        let handler = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
            if let Some(payload) = get(&e, "payload") {
                on_payload(stringify(&payload));
            }
        });
        let _ = listen.call2(&JsValue::NULL, &JsValue::from_str(event), handler.as_ref());
        handler.forget();
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (event, on_payload);
    }
}

#[cfg(target_arch = "wasm32")]
fn stringify(v: &wasm_bindgen::JsValue) -> String {
    js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

#[cfg(target_arch = "wasm32")]
async fn invoke_js(command: &str, args_json: &str) -> Result<wasm_bindgen::JsValue, String> {
    let js_args = js_sys::JSON::parse(args_json).map_err(|_| "bad arguments".to_owned())?;
    invoke_with(command, &js_args, &wasm_bindgen::JsValue::UNDEFINED).await
}

/// `invoke(command, payload, options)`.
#[cfg(target_arch = "wasm32")]
async fn invoke_with(
    command: &str,
    payload: &wasm_bindgen::JsValue,
    options: &wasm_bindgen::JsValue,
) -> Result<wasm_bindgen::JsValue, String> {
    use wasm_bindgen::{JsCast, JsValue};
    let window = web_sys::window().ok_or("no window")?;
    let get = |target: &JsValue, name: &str| js_sys::Reflect::get(target, &JsValue::from_str(name)).ok();
    let core = get(&window, "__TAURI__").and_then(|t| get(&t, "core")).ok_or("not inside the app")?;
    let invoke: js_sys::Function = get(&core, "invoke").and_then(|f| f.dyn_into().ok()).ok_or("no invoke")?;
    let promise: js_sys::Promise = invoke
        .call3(&core, &JsValue::from_str(command), payload, options)
        .map_err(|_| "the app refused the call".to_owned())?
        .dyn_into()
        .map_err(|_| "the app answered oddly".to_owned())?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| e.as_string().unwrap_or_else(|| stringify(&e)))
}

/// Inside the app: the address of a photo (named by its media `key`) on the app's
/// `parkway-media` scheme, in the form this platform's webview uses
/// (`window.__TAURI__.core.convertFileSrc`). The app answers from the copy it keeps.
#[cfg(target_arch = "wasm32")]
pub fn tauri_media_src(key: &str) -> Option<String> {
    use wasm_bindgen::{JsCast, JsValue};
    let get = |target: &JsValue, name: &str| js_sys::Reflect::get(target, &JsValue::from_str(name)).ok();
    let window: JsValue = web_sys::window()?.into();
    let core = get(&window, "__TAURI__").and_then(|t| get(&t, "core"))?;
    let convert: js_sys::Function = get(&core, "convertFileSrc")?.dyn_into().ok()?;
    convert.call2(&core, &JsValue::from_str(key), &JsValue::from_str("parkway-media")).ok()?.as_string()
}

/// Outside the browser there is no app.
#[cfg(not(target_arch = "wasm32"))]
pub fn tauri_media_src(_key: &str) -> Option<String> {
    None
}

/// Calls an app command with `bytes` as its raw payload (a file travels without JSON) and one
/// header beside it; returns the answer as JSON text.
#[cfg(target_arch = "wasm32")]
pub async fn tauri_invoke_bytes(
    command: &str,
    bytes: &js_sys::Uint8Array,
    header: (&str, &str),
) -> Result<String, String> {
    use wasm_bindgen::JsValue;
    let headers = js_sys::Object::new();
    let options = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: &JsValue| js_sys::Reflect::set(o, &JsValue::from_str(k), v);
    set(&headers, header.0, &JsValue::from_str(header.1)).map_err(|_| "bad header")?;
    set(&options, "headers", &headers).map_err(|_| "bad header")?;
    Ok(stringify(&invoke_with(command, bytes, &options).await?))
}
