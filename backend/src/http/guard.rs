//! What every answer carries and every request runs under: security headers, a time limit,
//! and a cap on requests served at once (the rest are told to come back).

use crate::config::Config;
use crate::error::AppError;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use parkway_core::ErrorCode;
use std::time::Duration;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// Refuses requests whose `Host` is not one the server was told it is reached by.
#[derive(Debug, Clone)]
pub struct HostCheck(std::sync::Arc<Vec<String>>);

impl HostCheck {
    /// `PARKWAY_ALLOWED_HOSTS`; empty allows every host.
    pub fn from_config(config: &Config) -> HostCheck {
        HostCheck(std::sync::Arc::new(config.allowed_hosts.clone()))
    }

    /// Wraps `router` with the check.
    pub fn apply(self, router: Router) -> Router {
        if self.0.is_empty() {
            return router;
        }
        router.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let allowed = self.0.clone();
            async move {
                let host = req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_ascii_lowercase)
                    .or_else(|| req.uri().authority().map(|a| a.as_str().to_ascii_lowercase()));
                if host.is_some_and(|h| allowed.contains(&h)) {
                    next.run(req).await
                } else {
                    AppError::forbidden("this server does not answer to that host name").into_response()
                }
            }
        }))
    }
}

/// The request limits of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    max_inflight: usize,
    timeout: Duration,
}

impl Limits {
    /// From `PARKWAY_MAX_INFLIGHT` and the request timeout.
    pub fn from_config(config: &Config) -> Limits {
        Limits { max_inflight: config.max_inflight, timeout: config.request_timeout }
    }

    /// Wraps `router`: a request whose body takes longer than the timeout to arrive, or whose
    /// answer takes longer, is ended; past `max_inflight` requests at once, `503` with
    /// `Retry-After` at once instead of a queue that grows without bound.
    pub fn apply(self, router: Router) -> Router {
        router.layer(RequestBodyTimeoutLayer::new(self.timeout)).layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|e: tower::BoxError| async move { refused(&e) }))
                .layer(LoadShedLayer::new())
                .layer(GlobalConcurrencyLimitLayer::new(self.max_inflight))
                .timeout(self.timeout),
        )
    }
}

fn refused(e: &tower::BoxError) -> Response {
    let busy = e.is::<tower::load_shed::error::Overloaded>();
    let message = if busy {
        "the server is busy; please try again in a moment"
    } else if e.is::<tower::timeout::error::Elapsed>() {
        "this request took too long and was stopped; please try again"
    } else {
        tracing::error!(error = %e, "a request failed in the middleware");
        "something went wrong on our side; please try again"
    };
    let mut response = AppError::Api(ErrorCode::Unavailable503, message.into()).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The headers of the trust rules.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// The policy for the configured Stripe.js origin; HSTS when the public URL is https.
    pub fn from_config(config: &Config) -> SecurityHeaders {
        let csp = content_security_policy(&config.stripe_js_url);
        let hsts = config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
        SecurityHeaders {
            csp: HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
            hsts,
        }
    }

    /// Adds the headers to every answer that does not set its own.
    pub fn apply(self, router: Router) -> Router {
        let fixed = |name: &'static str, value: &'static str| {
            SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
        };
        let mut router = router
            .layer(fixed("x-content-type-options", "nosniff"))
            .layer(fixed("referrer-policy", "no-referrer"))
            .layer(fixed("x-frame-options", "DENY"))
            .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, self.csp));
        if self.hsts {
            router = router.layer(fixed("strict-transport-security", "max-age=31536000; includeSubDomains"));
        }
        router
    }
}

/// The origin (`scheme://host[:port]`) of a URL, if it has one.
fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + host_end]).filter(|o| !o.ends_with("://"))
}

/// Scripts from the server itself and Stripe.js only; the wasm may be compiled; MapLibre sets
/// inline styles and draws into blobs; Stripe's card form lives in Stripe's frames; nobody may
/// frame Parkway.
fn content_security_policy(stripe_js_url: &str) -> String {
    let stripe = origin(stripe_js_url).unwrap_or("https://js.stripe.com");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {stripe}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; \
         connect-src 'self' ws: wss: {stripe} https://api.stripe.com; frame-src {stripe} https://hooks.stripe.com; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_only_the_configured_stripe_origin() {
        assert_eq!(origin("https://js.stripe.com/v3/"), Some("https://js.stripe.com"));
        assert_eq!(origin("http://127.0.0.1:8420/js.stripe.com/v3/"), Some("http://127.0.0.1:8420"));
        assert_eq!(origin("nonsense"), None);
        let csp = content_security_policy("http://127.0.0.1:8420/js.stripe.com/v3/");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' http://127.0.0.1:8420;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(
            !csp.contains(" 'unsafe-eval'") && !csp.contains("'unsafe-inline' "),
            "no eval, no inline scripts: {csp}"
        );
    }
}
