//! Photos of a driveway: what an answer carries, and the rules of a driveway's gallery.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most photos one driveway shows.
pub const MAX_PHOTOS: usize = 8;

/// Largest upload accepted, in bytes (the encoded file as sent).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Longest side of the stored photo, in pixels; larger uploads are scaled down.
pub const LONG_SIDE: u32 = 1600;

/// Longest side of the thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 400;

/// Most pixels an upload may decode to (width × height): a larger image is refused before it
/// is decoded, so a small file that claims a huge picture (a decompression bomb) costs nothing.
pub const MAX_PIXELS: u64 = 50_000_000;

/// The kind of file a media key names; only JPEG is written today.
pub const MEDIA_EXTENSION: &str = ".jpg";
/// Hex digits of the hash that name a media file: 128 bits, so two photos never share a name
/// by chance.
pub const MEDIA_HASH_DIGITS: usize = 32;

/// True for a name the media store could have given (lowercase hex of the content's hash and
/// the extension); anything else (a path, `..`) is never looked up, on the server or on a
/// device that keeps copies.
pub fn is_media_key(key: &str) -> bool {
    key.strip_suffix(MEDIA_EXTENSION).is_some_and(|h| {
        h.len() == MEDIA_HASH_DIGITS && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The key in a photo's address (`/media/<key>`), if it names one.
pub fn media_key_of(url: &str) -> Option<&str> {
    let (_, key) = url.rsplit_once("/media/")?;
    is_media_key(key).then_some(key)
}

/// One photo of a driveway, as every driveway answer carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Photo {
    /// Id, for reordering and deleting.
    pub id: Uuid,
    /// The photo (longest side at most [`LONG_SIDE`]), a path on the server (`/media/…`).
    pub url: String,
    /// The thumbnail (longest side at most [`THUMB_SIDE`]), a path on the server.
    pub thumb_url: String,
    /// Width of the photo at `url`, in pixels.
    pub width: u32,
    /// Height of the photo at `url`, in pixels.
    pub height: u32,
}

/// `PUT /api/driveways/:id/photos/order`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoOrder {
    /// Every photo of the driveway, once each, first shown first.
    pub photo_ids: Vec<Uuid>,
}

/// Why a gallery change is refused, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GalleryError {
    /// The driveway shows [`MAX_PHOTOS`] already.
    #[error("a driveway shows at most {MAX_PHOTOS} photos; delete one first")]
    Full,
    /// A new order that is not the gallery's photos, each once.
    #[error("photoIds must list each of the driveway's photos exactly once")]
    NotAPermutation,
}

/// May one more photo be added to a gallery of `count`?
pub fn check_room(count: usize) -> Result<(), GalleryError> {
    if count >= MAX_PHOTOS { Err(GalleryError::Full) } else { Ok(()) }
}

/// Is `wanted` an order of exactly the photos in `current`?
pub fn check_order(current: &[Uuid], wanted: &[Uuid]) -> Result<(), GalleryError> {
    let mut a = current.to_vec();
    let mut b = wanted.to_vec();
    a.sort_unstable();
    b.sort_unstable();
    if a == b { Ok(()) } else { Err(GalleryError::NotAPermutation) }
}

/// The size of an image scaled to fit `side` × `side` (never enlarged), keeping its shape.
pub fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= side || long == 0 {
        return (width, height);
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(side) + u64::from(long) / 2) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_media_names_are_keys() {
        let key = format!("{}.jpg", "0123456789abcdef".repeat(2));
        assert!(is_media_key(&key));
        assert_eq!(media_key_of(&format!("/media/{key}")), Some(key.as_str()));
        assert_eq!(media_key_of(&format!("http://127.0.0.1:8080/media/{key}")), Some(key.as_str()));
        for bad in ["../etc/passwd", "/media/../x.jpg", &key.replace(".jpg", ".png"), &key.to_uppercase(), &key[1..]] {
            assert!(!is_media_key(bad) && media_key_of(bad).is_none(), "{bad}");
        }
        assert_eq!(media_key_of(&format!("/media/{key}/../../etc")), None);
    }

    #[test]
    fn a_gallery_holds_eight() {
        assert!(check_room(7).is_ok());
        assert_eq!(check_room(8), Err(GalleryError::Full));
    }

    #[test]
    fn an_order_names_every_photo_once() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(check_order(&[a, b], &[b, a]).is_ok());
        assert_eq!(check_order(&[a, b], &[a]), Err(GalleryError::NotAPermutation));
        assert_eq!(check_order(&[a, b], &[a, a]), Err(GalleryError::NotAPermutation));
        assert_eq!(check_order(&[a], &[a, Uuid::new_v4()]), Err(GalleryError::NotAPermutation));
    }

    #[test]
    fn scaling_keeps_the_shape_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        assert_eq!(fit(800, 600, 1600), (800, 600));
        assert_eq!(fit(10_000, 1, 400), (400, 1));
    }
}
