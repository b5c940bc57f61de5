//! Signing out, in the order the server needs: this phone stops being a push target while the
//! session can still say so, then the server ends the session, then the app forgets it.

use crate::client::BackendClient;
use crate::local::LocalStore;
use crate::push_device;
use reqwest::Method;

/// Signs out. Nothing here fails: offline, the device stays registered until another account
/// registers the phone, and the session runs out on the server.
pub async fn sign_out(client: &BackendClient, store: &LocalStore) {
    if let Err(e) = push_device::unregister(client, store).await {
        tracing::warn!(error = %e, "could not remove this phone from the server's push targets");
    }
    if client.token().is_some() {
        let _ = client.request(Method::POST, "/api/auth/logout", None, None).await;
    }
    client.set_token(None);
}
