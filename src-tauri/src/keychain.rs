//! One secret in the operating system's keychain, through the `keyring` crate: the macOS
//! Keychain, the Windows Credential Manager, or the Secret Service (GNOME Keyring, KWallet) on
//! Linux and the BSDs. Desktop only: on phones the app keeps its refresh token in its own
//! owner-only database file (see [`crate::saved_session`]).
//!
//! Every call goes to a blocking thread (the keychain answers over D-Bus or a system API) and is
//! given a time limit, so a keychain that hangs cannot hang the app: the caller falls back to
//! the database file instead.

use crate::error::{Error, Result};
use std::sync::Arc;
use std::time::Duration;

/// Long enough for someone to type their keyring's password when the system asks for it,
/// short enough that a keychain that never answers does not keep the window from opening.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// One entry (service and account) in the OS keychain.
#[derive(Clone)]
pub struct Keychain {
    entry: Arc<keyring::Entry>,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keychain")
    }
}

impl Keychain {
    /// The entry `account` under `service`, if the OS keychain answers: a read is tried, so a
    /// session bus without a Secret Service (a headless Linux box, CI) or a keychain that
    /// refuses the app is an error here rather than on the first write.
    pub async fn open(service: &str, account: &str) -> Result<Keychain> {
        // The first call connects to the keychain; its failure says why (no session bus, no
        // Secret Service), where a failed `Entry::new` only says that there is no store.
        let unavailable = blocking(|| Ok(keyring::Entry::store_status().as_ref().err().map(|e| e.to_string()))).await?;
        if let Some(why) = unavailable {
            return Err(Error::Keychain(why));
        }
        let (service, account) = (service.to_owned(), account.to_owned());
        let entry = blocking(move || keyring::Entry::new(&service, &account)).await?;
        let keychain = Keychain { entry: Arc::new(entry) };
        keychain.get().await?;
        Ok(keychain)
    }

    /// The secret, or `None` when there is none.
    pub async fn get(&self) -> Result<Option<String>> {
        let entry = self.entry.clone();
        blocking(move || match entry.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    /// Stores the secret, replacing any previous one.
    pub async fn set(&self, secret: &str) -> Result<()> {
        let (entry, secret) = (self.entry.clone(), secret.to_owned());
        blocking(move || entry.set_password(&secret)).await
    }

    /// Removes the secret; removing one that is not there is not an error.
    pub async fn delete(&self) -> Result<()> {
        let entry = self.entry.clone();
        blocking(move || match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
        .await
    }
}

/// Runs a keychain call on a blocking thread within [`TIME_LIMIT`]. Only the error's sentence is
/// kept: keyring's errors never carry the secret in their text.
async fn blocking<T: Send + 'static>(call: impl FnOnce() -> keyring::Result<T> + Send + 'static) -> Result<T> {
    match tokio::time::timeout(TIME_LIMIT, tokio::task::spawn_blocking(call)).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(e))) => Err(Error::Keychain(e.to_string())),
        Ok(Err(e)) => Err(Error::Keychain(format!("the keychain call failed: {e}"))),
        Err(_) => Err(Error::Keychain(format!("no answer within {} seconds", TIME_LIMIT.as_secs()))),
    }
}
