//! The media store: photo files under content-addressed names (the hash of their bytes), in a
//! directory (`PARKWAY_MEDIA_DIR`). A name never changes meaning, so clients may cache a file
//! forever; the same bytes stored twice are one file.

use sha2::{Digest, Sha256};
use std::io;
use std::path::PathBuf;

/// Where photo files live.
#[derive(Debug, Clone)]
pub struct Media {
    dir: PathBuf,
}

/// The kind of file a key names; only JPEG is written today.
const EXTENSION: &str = ".jpg";

/// Hex digits of the hash that name a file: 128 bits, so two photos never share a name by
/// chance.
const HASH_DIGITS: usize = 32;

impl Media {
    /// The store in `dir` (created when the first file is written).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Media {
        Media { dir: dir.into() }
    }

    /// The name `bytes` are stored under.
    pub fn key_of(bytes: &[u8]) -> String {
        let hash = hex::encode(Sha256::digest(bytes));
        format!("{}{EXTENSION}", &hash[..HASH_DIGITS])
    }

    /// True for a name this store could have given; anything else (a path, `..`) is never
    /// looked up.
    pub fn is_key(key: &str) -> bool {
        key.strip_suffix(EXTENSION).is_some_and(|h| {
            h.len() == HASH_DIGITS && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }

    /// Stores `bytes` and answers their key. Written to a temporary file first and renamed, so
    /// a reader never sees half a file.
    pub async fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let key = Media::key_of(bytes);
        let path = self.dir.join(&key);
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        tokio::fs::create_dir_all(&self.dir).await?;
        let partial = self.dir.join(format!(".{key}.{}.part", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&partial, bytes).await?;
        if let Err(e) = tokio::fs::rename(&partial, &path).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
        Ok(key)
    }

    /// The file named `key`, if stored.
    pub async fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        if !Media::is_key(key) {
            return Ok(None);
        }
        match tokio::fs::read(self.dir.join(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes the file named `key` (gone already is fine).
    pub async fn delete(&self, key: &str) -> io::Result<()> {
        if !Media::is_key(key) {
            return Ok(());
        }
        match tokio::fs::remove_file(self.dir.join(key)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
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
        let media = Media::in_dir(dir.path().join("media"));
        let key = media.put(b"bytes").await.expect("put");
        assert_eq!(media.put(b"bytes").await.expect("again"), key);
        assert_eq!(media.get(&key).await.expect("get").as_deref(), Some(&b"bytes"[..]));
        media.delete(&key).await.expect("delete");
        assert_eq!(media.get(&key).await.expect("get"), None);
        media.delete(&key).await.expect("deleting twice is fine");
    }
}
