//! What every command can reach.

use crate::client::BackendClient;
use crate::local::{LocalStore, OutboxItem};
use crate::media_cache::MediaCache;
use crate::sync::SyncWorker;
use std::sync::Arc;
use tauri::Emitter;
use tokio::sync::Notify;

/// The app's shared state, managed by Tauri.
pub struct AppState {
    /// The app's database.
    pub store: LocalStore,
    /// The server.
    pub client: BackendClient,
    /// The outbox worker.
    pub sync: Arc<SyncWorker>,
    /// Notified on sign-in and sign-out (the notification listener follows).
    pub session_changed: Arc<Notify>,
    /// For events to the UI.
    pub app: tauri::AppHandle,
    /// The photos kept on the device.
    pub media: MediaCache,
}

impl AppState {
    /// Tells the UI an outbox item changed.
    pub fn emit_outbox(&self, item: &OutboxItem) {
        if let Err(e) = self.app.emit("outbox-changed", item) {
            tracing::warn!(error = %e, "could not tell the UI about the outbox");
        }
    }
}
