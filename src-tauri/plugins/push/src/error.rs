//! What the plugin can fail with.

/// The plugin's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// There is no push on this platform (desktop).
    #[error("push notifications are only for the phone apps")]
    Unsupported,
    /// The native side refused or failed (no Google Play services, Firebase not configured, no
    /// push entitlement, no network to ask for a token…): its sentence.
    #[cfg(mobile)]
    #[error("the phone's push service: {0}")]
    Native(#[from] tauri::plugin::mobile::PluginInvokeError),
    /// The native side gave a token the server would refuse.
    #[error(transparent)]
    Token(#[from] crate::InvalidToken),
}

/// Shorthand for the plugin's results.
pub type Result<T> = std::result::Result<T, Error>;
