//! Web Push in a browser, through `web-push.js`: whether this browser is told of news while no
//! Parkway page is open, turning it on (asking the person's permission) and off at sign-out.

/// Where this browser stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    /// Registered: news reaches it with the page closed.
    On,
    /// Not yet: it can be turned on.
    Off,
    /// The person said no to notifications for this site (only the browser can undo that).
    Denied,
    /// No push here (the Parkway app, an old browser, or a server without Web Push).
    Unavailable,
}

impl PushState {
    /// The state `web-push.js` names; anything else is `Unavailable`.
    pub fn parse(s: &str) -> PushState {
        match s {
            "on" => PushState::On,
            "off" => PushState::Off,
            "denied" => PushState::Denied,
            _ => PushState::Unavailable,
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = parkwayPush, js_name = state)]
    fn state_js() -> Result<String, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayPush, js_name = enable)]
    fn enable_js(token: &str) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayPush, js_name = disable)]
    fn disable_js(token: &str) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayPush, js_name = forget)]
    fn forget_js() -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
}

/// This browser's push state now.
pub fn state() -> PushState {
    #[cfg(target_arch = "wasm32")]
    if !crate::platform::in_tauri() {
        return state_js().map_or(PushState::Unavailable, |s| PushState::parse(&s));
    }
    PushState::Unavailable
}

/// Asks for permission and registers this browser for `token`'s user; `Err` with a sentence
/// when it could not be done.
pub async fn enable(token: &str) -> Result<PushState, String> {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = enable_js(token).map_err(|_| "this browser cannot receive notifications".to_owned())?;
        let answer = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|_| "the browser's push service could not be reached; try again later".to_owned())?;
        Ok(PushState::parse(&answer.as_string().unwrap_or_default()))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = token;
        Ok(PushState::Unavailable)
    }
}

/// Unregisters this browser while `token` still works (before the session ends). Which device
/// to remove is read when this is called, so a sign-out that follows at once cannot lose it.
pub fn disable(token: &str) -> impl std::future::Future<Output = ()> + 'static {
    #[cfg(target_arch = "wasm32")]
    let removing = disable_js(token).ok().map(wasm_bindgen_futures::JsFuture::from);
    #[cfg(not(target_arch = "wasm32"))]
    let removing: Option<std::future::Ready<()>> = {
        let _ = token;
        None
    };
    async move {
        if let Some(removing) = removing {
            let _ = removing.await;
        }
    }
}

/// Signed out without a working session: this browser drops its subscription (the server drops
/// the device when its push service says it is gone), so the next person here is not told the
/// last one's news.
pub fn forget() {
    #[cfg(target_arch = "wasm32")]
    if let Ok(promise) = forget_js() {
        crate::platform::spawn(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helpers_words_are_the_states() {
        assert_eq!(PushState::parse("on"), PushState::On);
        assert_eq!(PushState::parse("off"), PushState::Off);
        assert_eq!(PushState::parse("denied"), PushState::Denied);
        assert_eq!(PushState::parse("unavailable"), PushState::Unavailable);
        assert_eq!(PushState::parse(""), PushState::Unavailable);
    }
}
