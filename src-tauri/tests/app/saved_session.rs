//! The session kept across restarts where there is no OS keychain (phones, a Linux box without
//! a Secret Service): the refresh token lives in the app's owner-only database file, survives a
//! restart and still renews the session on the real server, and signing out erases it from the
//! file's bytes. The same with a real keychain is in the `keychain` module.

use crate::common::{Backend, file_holds};
use parkway_app_lib::client::{BackendClient, Tokens};
use parkway_app_lib::local::LocalStore;
use parkway_app_lib::saved_session::{Place, SavedSession};
use std::time::Duration;

/// Waits until the saved session in `store` is `want` (the keeper writes in the background),
/// for as long as a loaded machine may need.
async fn saved_becomes(store: &LocalStore, want: &Tokens) {
    let patience = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < patience {
        let now = Tokens {
            access: store.setting("session_token").await.expect("read"),
            refresh: store.setting("session_refresh").await.expect("read"),
        };
        if now == *want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session was not saved as {want:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_the_file_keeps_the_session_until_sign_out() {
    let backend = Backend::start().await;
    let path = backend.dir.path().join("app.db");
    let store = backend.app_store().await;
    let saved = SavedSession::open(store.clone(), None).await.expect("open");
    assert_eq!(saved.place(), Place::File);
    assert_eq!(saved.load().await.expect("load"), Tokens::default(), "nobody signed in yet");

    // Sign in: the keeper writes the session as it changes.
    let client = BackendClient::new(&backend.api.base).expect("client");
    let keeper = tokio::spawn(saved.keep(client.watch_tokens()));
    let first = backend.sign_up("k@example.com").await;
    client.set_tokens(first.clone());
    saved_becomes(&store, &first).await;
    keeper.abort();
    drop((client, store));

    // A restart: the session is read back from the file and still renews on the server.
    let store = backend.app_store().await;
    let saved = SavedSession::open(store.clone(), None).await.expect("reopen");
    assert_eq!(saved.load().await.expect("load"), first, "the session survived the restart");
    let client = BackendClient::new(&backend.api.base).expect("client");
    client.set_tokens(saved.load().await.expect("load"));
    tokio::spawn(saved.keep(client.watch_tokens()));
    assert!(client.refresh(first.access.as_deref()).await, "the kept refresh token renews the session");
    let renewed = client.tokens();
    assert_ne!(renewed.refresh, first.refresh);
    saved_becomes(&store, &renewed).await;

    // Signing out erases it: no row, and no copy left in the file's pages or its log.
    client.set_token(None);
    saved_becomes(&store, &Tokens::default()).await;
    for token in [&first.refresh, &renewed.refresh] {
        assert!(!file_holds(&path, token.as_deref().expect("token")), "a refresh token was left in the file");
    }
    let _ = backend.server.shutdown().await;
}
