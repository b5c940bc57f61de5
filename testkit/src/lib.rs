//! Tooling for Parkway's tests and benchmarks, never shipped: the backend's API tests and
//! `cargo xtask bench` use it, the server and the desktop app do not depend on it.

/// A Stripe Connect test double (accounts, onboarding links, transfers, reversals, payouts,
/// signed Connect events) on loopback, because Stripe's emulator has no Connect API.
pub mod connect;

/// An Apple Push Notification service double, HTTP/2 only.
pub mod apns;

/// A Firebase Cloud Messaging (HTTP v1) and Google sign-in double.
pub mod fcm;

/// A Web Push service double: checks the VAPID signature and decrypts each push as the
/// browser would (RFC 8291).
pub mod webpush;

/// What a push service double took, and a wait for it.
mod taken;

/// A throwaway PostgreSQL server for tests and benchmarks (Unix only: it runs Debian's
/// PostgreSQL programs through `sh`).
#[cfg(unix)]
pub mod pgtemp;

/// Serves the router `app` makes for its origin (`http://127.0.0.1:port`) on a free loopback
/// port until the returned task is aborted: HTTP/1.1, and HTTP/2 for a client that speaks it
/// from the first byte.
pub(crate) async fn serve_on_loopback(app: impl FnOnce(&str) -> axum::Router) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let origin = format!("http://{}", listener.local_addr().expect("an address"));
    let app = app(&origin);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}
