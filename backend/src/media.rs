//! The media store: photo files under content-addressed names (the hash of their bytes), in a
//! directory (`PARKWAY_MEDIA_DIR`) or in an S3-compatible bucket (`PARKWAY_MEDIA_S3_*`), both
//! through the `object_store` crate, so the rest of the server never knows which. A name never
//! changes meaning, so clients may cache a file forever; the same bytes stored twice are one
//! file.

use crate::config::S3Settings;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Where photo files live.
#[derive(Debug, Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
}

use parkway_core::photo::{MEDIA_EXTENSION, MEDIA_HASH_DIGITS};

/// A media store that failed; its message names the operation, never a credential.
pub type MediaError = object_store::Error;

impl Media {
    /// The store in `dir`, created if missing. Files are written to a temporary name and renamed,
    /// so a reader never sees half a file.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Media> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the media directory {}: {e}", dir.display()))?;
        Ok(Media { store: Arc::new(LocalFileSystem::new_with_prefix(dir)?) })
    }

    /// The store in an S3-compatible bucket.
    pub fn s3(settings: &S3Settings) -> anyhow::Result<Media> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose());
        if let Some(endpoint) = &settings.endpoint {
            // An S3-compatible server (MinIO, Ceph, a local emulator) is addressed by path.
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        Ok(Media { store: Arc::new(builder.build()?) })
    }

    /// The name `bytes` are stored under.
    pub fn key_of(bytes: &[u8]) -> String {
        let hash = hex::encode(Sha256::digest(bytes));
        format!("{}{MEDIA_EXTENSION}", &hash[..MEDIA_HASH_DIGITS])
    }

    /// True for a name this store could have given; anything else (a path, `..`) is never
    /// looked up.
    pub fn is_key(key: &str) -> bool {
        parkway_core::photo::is_media_key(key)
    }

    /// Stores `bytes` and answers their key (already stored is fine: same name, same bytes).
    pub async fn put(&self, bytes: Vec<u8>) -> Result<String, MediaError> {
        let key = Media::key_of(&bytes);
        let path = Path::from(key.as_str());
        match self.store.head(&path).await {
            Ok(_) => return Ok(key),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        self.store.put(&path, PutPayload::from(bytes)).await?;
        Ok(key)
    }

    /// The file named `key`, if stored.
    pub async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>, MediaError> {
        if !Media::is_key(key) {
            return Ok(None);
        }
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes the file named `key` (gone already is fine).
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        if !Media::is_key(key) {
            return Ok(());
        }
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_names_are_keys() {
        let key = Media::key_of(b"photo");
        assert!(Media::is_key(&key));
        assert!(!Media::is_key("../etc/passwd"));
        assert!(!Media::is_key(&key.replace(".jpg", ".png")));
        assert!(!Media::is_key(&key.to_uppercase()));
    }

    #[tokio::test]
    async fn a_file_is_stored_once_read_back_and_deleted() {
        let dir = tempfile::tempdir().expect("dir");
        let media = Media::local(&dir.path().join("media")).expect("store");
        let key = media.put(b"bytes".to_vec()).await.expect("put");
        assert_eq!(media.put(b"bytes".to_vec()).await.expect("again"), key);
        assert_eq!(media.get(&key).await.expect("get").as_deref(), Some(&b"bytes"[..]));
        media.delete(&key).await.expect("delete");
        assert_eq!(media.get(&key).await.expect("get"), None);
        media.delete(&key).await.expect("deleting twice is fine");
    }
}
