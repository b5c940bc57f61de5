//! On desktop there is no push: the app keeps its WebSocket open while it runs, and registers
//! no device. Every call answers so, and no handler is ever called.

use crate::{Error, Opened, PushToken, Result};
use std::marker::PhantomData;
use tauri::plugin::PluginApi;
use tauri::{AppHandle, Runtime};

/// The push plugin (does nothing on desktop).
#[derive(Debug)]
pub struct Push<R: Runtime>(PhantomData<fn() -> R>);

pub(crate) fn init<R: Runtime>(_app: &AppHandle<R>, _api: PluginApi<R, ()>) -> Push<R> {
    Push(PhantomData)
}

impl<R: Runtime> Push<R> {
    /// Always [`Error::Unsupported`].
    pub async fn token(&self) -> Result<PushToken> {
        Err(Error::Unsupported)
    }

    /// Accepted, never called.
    pub fn on_new_token(&self, _handler: impl Fn(PushToken) + Send + Sync + 'static) -> Result<()> {
        Ok(())
    }

    /// Accepted, never called.
    pub fn on_opened(&self, _handler: impl Fn(Opened) + Send + Sync + 'static) -> Result<()> {
        Ok(())
    }
}
