//! The app's session against the real server: an expired access token is renewed with the
//! refresh token, once for requests that fail together, and the new pair is reported so the
//! app keeps it; a session ended on the server signs the app out.

use crate::common::Backend;
use parkway_app_lib::client::Tokens;
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_renewed_once_and_kept() {
    // The server's clock moves past the first access token's life (no sleeping: the steps
    // after it have the new token's whole life, however slow the machine).
    let backend = Backend::start_with(|c| c.token_ttl = std::time::Duration::from_secs(15 * 60)).await;
    let client = backend.app_client("placeholder");
    let first = backend.sign_up("s@example.com").await;
    client.set_tokens(first.clone());
    let mut kept = client.watch_tokens();
    backend.clock.advance(chrono::Duration::hours(1));

    // Eight requests fail together with the expired token; one refresh serves them all (a
    // second use of the refresh token would end the session).
    let calls = (0..8).map(|_| {
        let client = client.clone();
        async move { client.request(Method::GET, "/api/me", None, None).await }
    });
    for answer in futures_util::future::join_all(calls).await {
        assert_eq!(answer.expect("renewed and answered")["email"], "s@example.com");
    }
    let now = client.tokens();
    assert_ne!(now.access, first.access);
    assert_ne!(now.refresh, first.refresh);
    assert!(kept.has_changed().expect("watching"), "the new pair is reported for keeping");
    assert_eq!(*kept.borrow_and_update(), now);

    // The session ends on the server (signed out elsewhere): the app signs out too.
    let ended = reqwest::Client::new()
        .post(format!("{}/api/auth/logout", backend.api.base))
        .bearer_auth(now.access.as_deref().expect("token"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ended.status(), 204);
    let refused = client.request(Method::GET, "/api/me", None, None).await;
    assert!(refused.is_err());
    assert_eq!(client.tokens(), Tokens::default(), "signed out, nothing kept");
    let _ = backend.server.shutdown().await;
}
