//! How a request reaches the server.
//!
//! In a browser every request goes over `fetch`. Inside the Parkway app, [`Transport::Tauri`]
//! hands the same [`RawRequest`] to the app's `api` command (`window.__TAURI__.core.invoke`),
//! which talks to the server (or the server embedded in the app), caches what is worth reading
//! offline, and answers like `fetch` would. Nothing above this module changes.

use super::ClientError;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// A request, independent of how it travels.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRequest {
    /// Method.
    pub method: Method,
    /// Path and query, starting with `/api/`.
    pub path: String,
    /// JSON body.
    pub body: Option<String>,
    /// Bearer token.
    pub token: Option<String>,
    /// `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

/// An answer: its status and body text.
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Body text (JSON, or empty for 204).
    pub body: String,
    /// Inside the app: the session's current access token, when the app refreshed it.
    pub token: Option<String>,
}

/// Where requests go.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// `fetch` against `base` + path; an empty base means the page's own origin.
    Http {
        /// URL prefix such as `https://parkway.example`, or empty.
        base: String,
    },
    /// The app's `api` command.
    Tauri,
}

/// Where the app said its server is (for the WebSocket), remembered across reloads.
const APP_SERVER_KEY: &str = "parkway.appServer";

impl Transport {
    /// The transport for this page.
    pub fn detect(config: &crate::platform::Config) -> Transport {
        if crate::platform::in_tauri() {
            return Transport::Tauri;
        }
        Transport::Http { base: config.api_base.clone() }
    }

    /// The address of a file the server serves at `path` (`/media/…`): the page's own origin
    /// in a browser; inside the app, the app's own scheme, which answers from the copy the app
    /// keeps (so a driveway opened before shows its photos offline) or else from its server.
    pub fn media_url(&self, path: &str) -> String {
        match self {
            Transport::Tauri => {
                parkway_core::photo::media_key_of(path).and_then(crate::platform::tauri_media_src).unwrap_or_else(
                    || format!("{}{path}", crate::platform::storage_get(APP_SERVER_KEY).unwrap_or_default()),
                )
            }
            Transport::Http { base } => format!("{base}{path}"),
        }
    }

    /// The WebSocket URL for `path` (`/api/ws?...`).
    pub fn websocket_url(&self, path: &str) -> String {
        match self {
            Transport::Tauri => {
                let base = crate::platform::storage_get(APP_SERVER_KEY).unwrap_or_default();
                Transport::Http { base }.websocket_url(path)
            }
            Transport::Http { base } if !base.is_empty() => {
                let ws_base = base.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1);
                format!("{ws_base}{path}")
            }
            Transport::Http { .. } => format!("{}{path}", page_ws_origin()),
        }
    }

    /// Trades the session's refresh token for a new access token. In a browser the refresh
    /// token travels in the server's `HttpOnly` cookie, so the page never holds it. Inside the
    /// app, the app refreshes by itself and reports the token with each answer: nothing to do.
    pub async fn refresh(&self) -> Option<String> {
        let Transport::Http { base } = self else { return None };
        let req = RawRequest {
            method: Method::Post,
            path: "/api/auth/refresh".into(),
            body: None,
            token: None,
            idempotency_key: None,
        };
        let answer = fetch(&format!("{base}{}", req.path), &req).await.ok()?;
        if answer.status != 200 {
            return None;
        }
        super::decode::<parkway_core::api::TokenPair>(&answer.body).ok().map(|p| p.token)
    }

    /// Signs the session out on the server (best effort: the page forgets it either way).
    pub async fn logout(&self, token: &str) {
        let req = RawRequest {
            method: Method::Post,
            path: "/api/auth/logout".into(),
            body: None,
            token: Some(token.to_owned()),
            idempotency_key: None,
        };
        let _ = self.send(&req).await;
    }

    /// Sends a request and returns the answer, whatever its status.
    pub async fn send(&self, req: &RawRequest) -> Result<RawResponse, ClientError> {
        match self {
            Transport::Http { base } => fetch(&format!("{base}{}", req.path), req).await,
            Transport::Tauri => invoke_api(req).await,
        }
    }
}

/// Sends a request through the app's `api` command.
async fn invoke_api(req: &RawRequest) -> Result<RawResponse, ClientError> {
    use crate::map::features::quote;
    use crate::platform::{storage_get, storage_set, tauri_api, tauri_invoke};
    if storage_get(APP_SERVER_KEY).is_none()
        && let Ok(text) = tauri_invoke("server_url", "{}").await
        && let Ok(server) = super::decode::<String>(&text)
    {
        storage_set(APP_SERVER_KEY, Some(&server));
    }
    let optional = |v: &Option<String>| v.as_deref().map(quote).unwrap_or_else(|| "null".to_owned());
    // The body is already JSON text (serialised by the API client).
    let args = format!(
        r#"{{"method":{},"path":{},"body":{},"idempotencyKey":{},"token":{}}}"#,
        quote(req.method.as_str()),
        quote(&req.path),
        req.body.as_deref().unwrap_or("null"),
        optional(&req.idempotency_key),
        optional(&req.token),
    );
    let (status, body, token) = tauri_api(&args).await.map_err(|_| ClientError::Network)?;
    Ok(RawResponse { status, body, token })
}

fn page_ws_origin() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(location) = web_sys::window().map(|w| w.location()) {
            let protocol = if location.protocol().unwrap_or_default() == "https:" { "wss:" } else { "ws:" };
            return format!("{protocol}//{}", location.host().unwrap_or_default());
        }
    }
    "ws://127.0.0.1:8080".to_owned()
}

#[cfg(target_arch = "wasm32")]
async fn fetch(url: &str, req: &RawRequest) -> Result<RawResponse, ClientError> {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let init = web_sys::RequestInit::new();
    init.set_method(req.method.as_str());
    let headers = web_sys::Headers::new().map_err(|_| ClientError::Network)?;
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|_| ClientError::Network);
    set("accept", "application/json")?;
    if let Some(body) = &req.body {
        set("content-type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    if let Some(token) = &req.token {
        set("authorization", &format!("Bearer {token}"))?;
    }
    if let Some(key) = &req.idempotency_key {
        set("idempotency-key", key)?;
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or(ClientError::Network)?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| ClientError::Network)?;
    let response: web_sys::Response = answer.dyn_into().map_err(|_| ClientError::Network)?;
    let status = response.status();
    let text = response.text().map_err(|_| ClientError::Network)?;
    let body = JsFuture::from(text).await.map_err(|_| ClientError::Network)?.as_string().unwrap_or_default();
    Ok(RawResponse { status, body, token: None })
}

#[cfg(not(target_arch = "wasm32"))]
async fn fetch(_url: &str, _req: &RawRequest) -> Result<RawResponse, ClientError> {
    // Native builds exist for tests of the pure logic; they never talk to a server.
    Err(ClientError::Network)
}
