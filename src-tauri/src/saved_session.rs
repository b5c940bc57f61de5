//! The session kept across restarts. The access token (minutes long, and whose user it names
//! is needed at start) stays in the app's database; the refresh token (weeks long) goes to the
//! OS keychain where there is one, and otherwise to the same database file, which only its
//! owner may read.
//!
//! - **Desktop**: the keychain through [`crate::keychain`]. When it is not there (no Secret
//!   Service on a headless Linux box) or fails, the file keeps the token; which of the two is
//!   used is logged once, the token never.
//! - **Phones**: the file only, for now. Android's Keystore and iOS's Keychain have keyring
//!   stores (`android-native-keyring-store`, `apple-native-keyring-store`), but the build
//!   machines have no Android SDK or Xcode to run a phone app and test them, and a session
//!   store that was never run on a device is not one to ship.
//!
//! A token found in the file while the keychain works (left by a version before the keychain,
//! or by a write the keychain refused, so it is the newest) is moved to the keychain and erased
//! from the file. Signing out removes it from both.
//!
//! The keychain entry is named per installation (a random id kept in the database), not per
//! server or user: the app holds one session at a time, the embedded server's address changes
//! at every start, and the user is only known once the session is read. Two installations (two
//! data folders, say a development build beside the real one) each keep their own.

use crate::client::Tokens;
use crate::error::Result;
use crate::local::LocalStore;
#[cfg(desktop)]
use std::sync::Arc;
#[cfg(desktop)]
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

/// The service the app's keychain entries are kept under. Stable: renaming it would lose every
/// saved session.
pub const KEYCHAIN_SERVICE: &str = "Parkway";

const ACCESS: &str = "session_token";
const REFRESH: &str = "session_refresh";
/// The installation's keychain account, made once.
#[cfg(desktop)]
const ACCOUNT: &str = "keychain_account";

/// Where the refresh token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The OS keychain.
    Keychain,
    /// The app's database file (owner-only).
    File,
}

/// The saved session of one installation.
#[derive(Debug, Clone)]
pub struct SavedSession {
    file: LocalStore,
    #[cfg(desktop)]
    keychain: Option<crate::keychain::Keychain>,
    /// Set once a keychain write has failed and the file took the token, so that is said once.
    #[cfg(desktop)]
    fell_back: Arc<AtomicBool>,
}

impl SavedSession {
    /// The saved session in `file`, with the refresh token under `keychain_service` in the OS
    /// keychain if it answers (`None`: the file only). Phones always use the file.
    pub async fn open(file: LocalStore, keychain_service: Option<&str>) -> Result<SavedSession> {
        #[cfg(desktop)]
        let keychain = match keychain_service {
            Some(service) => {
                let account = installation_account(&file).await?;
                match crate::keychain::Keychain::open(service, &account).await {
                    Ok(keychain) => {
                        tracing::info!("the refresh token is kept in the system keychain");
                        Some(keychain)
                    }
                    Err(e) => {
                        tracing::warn!(
                            error = %e,
                            "no usable system keychain: the refresh token is kept in the app's database file, readable by its owner only"
                        );
                        None
                    }
                }
            }
            None => {
                tracing::info!("the refresh token is kept in the app's database file, readable by its owner only");
                None
            }
        };
        #[cfg(mobile)]
        {
            let _ = keychain_service;
            tracing::info!("the refresh token is kept in the app's database file, readable by its owner only");
        }
        Ok(SavedSession {
            file,
            #[cfg(desktop)]
            keychain,
            #[cfg(desktop)]
            fell_back: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Where the refresh token goes.
    pub fn place(&self) -> Place {
        #[cfg(desktop)]
        if self.keychain.is_some() {
            return Place::Keychain;
        }
        Place::File
    }

    /// The session as it was saved, moving a refresh token left in the file to the keychain.
    pub async fn load(&self) -> Result<Tokens> {
        let access = self.file.setting(ACCESS).await?;
        let in_file = self.file.setting(REFRESH).await?;
        #[cfg(desktop)]
        if let Some(keychain) = &self.keychain {
            let refresh = match in_file {
                Some(token) => {
                    self.keep_in_keychain(keychain, &token).await?;
                    Some(token)
                }
                None => keychain.get().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not read the refresh token from the system keychain");
                    None
                }),
            };
            return Ok(Tokens { access, refresh });
        }
        Ok(Tokens { access, refresh: in_file })
    }

    /// Saves the session; a signed-out one (no refresh token) is removed from everywhere.
    pub async fn save(&self, tokens: &Tokens) -> Result<()> {
        self.file.set_setting(ACCESS, tokens.access.as_deref()).await?;
        let Some(token) = &tokens.refresh else {
            self.file.erase_setting(REFRESH).await?;
            #[cfg(desktop)]
            if let Some(keychain) = &self.keychain
                && let Err(e) = keychain.delete().await
            {
                // Harmless if it stays: the server ended that session at sign-out.
                tracing::warn!(error = %e, "could not remove the refresh token from the system keychain");
            }
            return Ok(());
        };
        #[cfg(desktop)]
        if let Some(keychain) = &self.keychain {
            return self.keep_in_keychain(keychain, token).await;
        }
        self.file.set_setting(REFRESH, Some(token)).await
    }

    /// Keeps the session as it changes (sign-in, each renewal, sign-out) until the client is
    /// dropped. Every renewal is kept at once: a refresh token is single-use, so a restart with
    /// the previous one would look like a stolen copy and end the session.
    pub async fn keep(self, mut tokens: watch::Receiver<Tokens>) {
        let mut kept = tokens.borrow_and_update().clone();
        while tokens.changed().await.is_ok() {
            let now = tokens.borrow_and_update().clone();
            if now == kept {
                continue;
            }
            match self.save(&now).await {
                Ok(()) => kept = now,
                Err(e) => tracing::warn!(error = %e, "could not keep the session"),
            }
        }
    }

    /// Puts the token in the keychain and erases it from the file; when the keychain refuses,
    /// the file keeps it (and the next start tries the keychain again).
    #[cfg(desktop)]
    async fn keep_in_keychain(&self, keychain: &crate::keychain::Keychain, token: &str) -> Result<()> {
        match keychain.set(token).await {
            Ok(()) => {
                if self.file.setting(REFRESH).await?.is_some() {
                    self.file.erase_setting(REFRESH).await?;
                }
                Ok(())
            }
            Err(e) => {
                if !self.fell_back.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %e,
                        "the system keychain refused the refresh token: it is kept in the app's database file, readable by its owner only"
                    );
                }
                self.file.set_setting(REFRESH, Some(token)).await
            }
        }
    }
}

/// This installation's keychain account: made once, kept in its database.
#[cfg(desktop)]
async fn installation_account(file: &LocalStore) -> Result<String> {
    if let Some(account) = file.setting(ACCOUNT).await? {
        return Ok(account);
    }
    let account = format!("session-{}", uuid::Uuid::new_v4());
    file.set_setting(ACCOUNT, Some(&account)).await?;
    Ok(account)
}
