//! Photos kept on the device. The UI shows a photo through the app's `parkway-media` scheme
//! instead of the server's `/media/<key>`: the app answers from its copy when it has one, and
//! otherwise fetches the file, keeps it and answers it. Opening a driveway's page keeps its
//! thumbnails too, so its page still shows them without a network. A file's name is its
//! content's hash, so a copy never goes stale; the oldest copies go once the folder holds more
//! than its budget.

use crate::client::BackendClient;
use crate::error::{Error, Result};
use parkway_core::photo::{is_media_key, media_key_of};
use serde_json::Value;
use std::path::PathBuf;
use std::time::SystemTime;

/// What the folder may hold before the oldest copies go: a few hundred thumbnails and the
/// photos opened full size lately.
pub const DEFAULT_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// The scheme the UI addresses kept photos by.
pub const SCHEME: &str = "parkway-media";

/// The device's copies of photos.
#[derive(Debug, Clone)]
pub struct MediaCache {
    dir: PathBuf,
    client: BackendClient,
    budget: u64,
}

impl MediaCache {
    /// Copies kept in `dir` (created when needed), fetched through `client`.
    pub fn new(dir: PathBuf, client: BackendClient, budget: u64) -> MediaCache {
        MediaCache { dir, client, budget }
    }

    /// The file named `key`: the kept copy, or else fetched from the server and kept.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        if !is_media_key(key) {
            return Err(Error::Other("not the name of a photo".into()));
        }
        let path = self.dir.join(key);
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return Ok(bytes);
        }
        let bytes = self.client.media(key).await?;
        self.keep(key, &bytes).await;
        Ok(bytes)
    }

    /// True when a copy of `key` is kept.
    pub fn has(&self, key: &str) -> bool {
        is_media_key(key) && self.dir.join(key).is_file()
    }

    /// Keeps the thumbnails of a driveway's page (its answer's `photos[].thumbUrl`) that are not
    /// kept yet. A failure only means the page shows fewer photos offline.
    pub async fn keep_thumbnails(&self, driveway: &Value) {
        let Some(photos) = driveway["photos"].as_array() else { return };
        for url in photos.iter().filter_map(|p| p["thumbUrl"].as_str()) {
            if let Some(key) = media_key_of(url)
                && !self.has(key)
                && let Err(e) = self.get(key).await
            {
                tracing::debug!(error = %e, "a thumbnail could not be kept");
            }
        }
    }

    /// Writes a copy whole or not at all (a file named by its hash is never half there), then
    /// keeps the folder within its budget.
    async fn keep(&self, key: &str, bytes: &[u8]) {
        let write = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            let partial = self.dir.join(format!(".{key}.{}", uuid::Uuid::new_v4().simple()));
            tokio::fs::write(&partial, bytes).await?;
            tokio::fs::rename(&partial, self.dir.join(key)).await
        };
        if let Err(e) = write.await {
            tracing::warn!(error = %e, "a photo could not be kept on the device");
            return;
        }
        if let Err(e) = self.trim().await {
            tracing::warn!(error = %e, "the kept photos could not be trimmed");
        }
    }

    /// Removes the least recently kept copies until the folder is within its budget.
    async fn trim(&self) -> std::io::Result<()> {
        let mut files = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let meta = entry.metadata().await?;
            if meta.is_file() {
                files.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), entry.path()));
            }
        }
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.budget {
                break;
            }
            tokio::fs::remove_file(&path).await?;
            total -= len;
        }
        Ok(())
    }
}

/// The answer to a `parkway-media` request for `path` (`/<key>`): the photo, or 404 when it is
/// neither kept nor reachable.
pub async fn answer(cache: &MediaCache, path: &str) -> tauri::http::Response<Vec<u8>> {
    use tauri::http::{HeaderValue, StatusCode, header};
    let key = path.trim_start_matches('/');
    match cache.get(key).await {
        Ok(bytes) => {
            let mut response = tauri::http::Response::new(bytes);
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            // The name is the content's hash: it never changes meaning.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            response
        }
        Err(_) => {
            let body = b"this photo is not on this device and the server cannot be reached".to_vec();
            let mut response = tauri::http::Response::new(body);
            *response.status_mut() = StatusCode::NOT_FOUND;
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            response
        }
    }
}
