//! Uploaded photos made safe to show: decoded within limits, turned upright, scaled, and
//! encoded again as JPEG. Only pixels survive the trip, so whatever the file carried beside them
//! (EXIF with the camera's GPS position, comments, colour profiles, trailing data) is gone.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use parkway_core::photo::{LONG_SIDE, MAX_PIXELS, THUMB_SIDE, fit};
use std::io::Cursor;

/// JPEG quality of stored photos: no visible loss at a tenth of a camera's file size.
const QUALITY: u8 = 82;

/// Most memory one decode may take (a 50-megapixel RGBA picture, and some room).
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// A photo ready to store: the scaled photo and its thumbnail, both JPEG.
#[derive(Debug)]
pub struct Prepared {
    /// The photo, longest side at most [`LONG_SIDE`].
    pub photo: Vec<u8>,
    /// Its size in pixels.
    pub width: u32,
    /// Its size in pixels.
    pub height: u32,
    /// The thumbnail, longest side at most [`THUMB_SIDE`].
    pub thumb: Vec<u8>,
}

/// Why an upload is not a photo we take, in words for the owner.
#[derive(Debug, thiserror::Error)]
pub enum ImageRefusal {
    /// Not JPEG, PNG or WebP.
    #[error("the file is not a JPEG, PNG or WebP image")]
    Format,
    /// Too many pixels (or more memory than allowed to decode).
    #[error("the image is too large: at most {} megapixels", MAX_PIXELS / 1_000_000)]
    TooLarge,
    /// The file is damaged or cut short.
    #[error("the image could not be read: {0}")]
    Broken(String),
}

/// Decodes `bytes` (JPEG, PNG or WebP, recognised by content), refusing images of more than
/// [`MAX_PIXELS`] before their pixels are decoded; applies the EXIF orientation, scales down,
/// and encodes the photo and its thumbnail. CPU-bound: run it off the async workers.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, ImageRefusal> {
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| ImageRefusal::Broken(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(ImageRefusal::Format),
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageRefusal::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    picture.apply_orientation(orientation);
    let (width, height) = fit(picture.width(), picture.height(), LONG_SIDE);
    // Scaling down averages the source pixels each target pixel covers (image's "thumbnail"
    // algorithm): as good as a filter for shrinking a photo, several times faster, and without
    // the floating-point copy of the whole picture a convolution filter makes.
    let photo = if (width, height) == (picture.width(), picture.height()) {
        picture
    } else {
        picture.thumbnail_exact(width, height)
    };
    let (tw, th) = fit(width, height, THUMB_SIDE);
    let thumb = photo.thumbnail_exact(tw, th);
    Ok(Prepared { photo: jpeg(&photo)?, width, height, thumb: jpeg(&thumb)? })
}

fn refusal(e: image::ImageError) -> ImageRefusal {
    match e {
        image::ImageError::Limits(_) => ImageRefusal::TooLarge,
        image::ImageError::Unsupported(_) => ImageRefusal::Format,
        other => ImageRefusal::Broken(other.to_string()),
    }
}

fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, ImageRefusal> {
    let mut out = Vec::new();
    // JPEG has no transparency: transparent parts are laid on white (dropping the alpha
    // channel would show whatever colour they happen to hold).
    let rgb = if picture.color().has_alpha() {
        let rgba = picture.to_rgba8();
        image::RgbImage::from_fn(picture.width(), picture.height(), |x, y| {
            let p = rgba.get_pixel(x, y);
            let a = u16::from(p[3]);
            let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
            image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
        })
    } else {
        picture.to_rgb8()
    };
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&rgb)
        .map_err(|e| ImageRefusal::Broken(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img =
            image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 128]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("png");
        out.into_inner()
    }

    #[test]
    fn a_large_photo_is_scaled_and_thumbnailed_as_jpeg() {
        let p = prepare(&png(2000, 1000)).expect("prepared");
        assert_eq!((p.width, p.height), (1600, 800));
        assert_eq!(image::guess_format(&p.photo).expect("format"), ImageFormat::Jpeg);
        let thumb = image::load_from_memory(&p.thumb).expect("thumb");
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
    }

    #[test]
    fn a_small_photo_keeps_its_size() {
        let p = prepare(&png(300, 200)).expect("prepared");
        assert_eq!((p.width, p.height), (300, 200));
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        assert!(matches!(prepare(b"GIF89a not really"), Err(ImageRefusal::Format)));
        assert!(matches!(prepare(b"hello"), Err(ImageRefusal::Format)));
        let mut cut = png(100, 100);
        cut.truncate(60);
        assert!(matches!(prepare(&cut), Err(ImageRefusal::Broken(_))));
    }
}
