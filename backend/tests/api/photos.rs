//! Driveway photos: owner-only uploads, limits, decompression bombs, metadata stripped,
//! ordering, deletion and the files served.

use crate::helpers::{Session, TestApp, spawn_app};
use image::ImageFormat;
use parkway_core::ErrorCode;
use parkway_core::photo::{MAX_PHOTOS, MAX_UPLOAD_BYTES};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;

/// A photo-like JPEG: noise does not compress, so the file is as large as a camera's.
fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let [a, b, c, ..] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).expect("jpeg");
    out.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A JPEG whose EXIF block carries a GPS-like secret, as a phone's camera writes it.
fn jpeg_with_exif(secret: &str) -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, _| image::Rgb([(x % 256) as u8, 80, 40]));
    let mut plain = Cursor::new(Vec::new());
    img.write_to(&mut plain, ImageFormat::Jpeg).expect("jpeg");
    let plain = plain.into_inner();
    // APP1 "Exif\0\0" + a little-endian TIFF header with an empty IFD, then the secret.
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(secret.as_bytes());
    let len = u16::try_from(exif.len() + 2).expect("short");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).expect("len").to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A 200-byte PNG that claims to be 60,000 × 60,000 pixels (10 GB once decoded).
fn bomb() -> Vec<u8> {
    let mut ihdr = 60_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    // A zlib stream of a few zero bytes: decoding would go on asking for more.
    out.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]));
    out.extend(chunk(b"IEND", &[]));
    out
}

async fn upload(app: &TestApp, who: Option<&Session>, driveway: &Value, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(bytes).file_name("photo.bin").mime_str("image/jpeg").expect("mime"),
    );
    let mut req =
        app.client.post(format!("{}/api/driveways/{}/photos", app.base, driveway["id"].as_str().expect("id")));
    if let Some(s) = who {
        req = req.bearer_auth(&s.token);
    }
    let res = req.multipart(form).send().await.expect("sent");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn file(app: &TestApp, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(format!("{}{url}", app.base)).send().await.expect("sent");
    (res.status(), res.headers().clone(), res.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn an_owner_uploads_a_photo_that_every_driveway_answer_shows_scaled_with_a_thumbnail() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let camera = noisy_jpeg(2000, 1000);
    assert!(camera.len() > 1024 * 1024, "the upload is larger than any JSON body may be");
    let (status, photo) = upload(&app, Some(&owner), &d, camera).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(1600), Some(800)));

    let page = app.get(&format!("/api/driveways/{}", d["id"].as_str().expect("id")), None).await;
    assert_eq!(page.body["photos"], json!([photo.clone()]));
    let found = app.get("/api/driveways?lat=37.7749&lng=-122.4194&radiusM=1000", None).await;
    assert_eq!(found.body["items"][0]["photos"][0]["id"], photo["id"], "{}", found.body);

    let (status, headers, bytes) = file(&app, photo["url"].as_str().expect("url")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(headers["cache-control"].to_str().expect("ascii").contains("immutable"));
    let stored = image::load_from_memory(&bytes).expect("a real image");
    assert_eq!((stored.width(), stored.height()), (1600, 800));
    let (_, _, thumb) = file(&app, photo["thumbUrl"].as_str().expect("thumb")).await;
    let thumb = image::load_from_memory(&thumb).expect("a real thumbnail");
    assert_eq!((thumb.width(), thumb.height()), (400, 200));
}

#[tokio::test]
async fn the_stored_file_keeps_no_exif_or_gps() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let upload_bytes = jpeg_with_exif("GPS 37.774929 -122.419416");
    assert!(upload_bytes.windows(4).any(|w| w == b"Exif"), "the upload carries EXIF");
    let (status, photo) = upload(&app, Some(&owner), &d, upload_bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    for url in [&photo["url"], &photo["thumbUrl"]] {
        let (_, _, bytes) = file(&app, url.as_str().expect("url")).await;
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF kept in {url}");
        assert!(!bytes.windows(9).any(|w| w == b"37.774929"), "GPS kept in {url}");
    }
}

#[tokio::test]
async fn only_the_owner_uploads_and_bad_files_are_refused_clearly() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let stranger = app.owner().await;
    let driver = app.driver().await;
    assert_eq!(upload(&app, None, &d, png(10, 10)).await.0, StatusCode::UNAUTHORIZED);
    for who in [&stranger, &driver] {
        let (status, body) = upload(&app, Some(who), &d, png(10, 10)).await;
        assert_eq!((status, crate::helpers::code_of(&body)), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    }
    let (status, body) = upload(&app, Some(&owner), &d, b"not an image at all".to_vec()).await;
    assert_eq!((status, crate::helpers::code_of(&body)), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed));
    // A decompression bomb is refused from its header, before any pixel is decoded.
    let (status, body) = upload(&app, Some(&owner), &d, bomb()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().expect("message").contains("too large"), "{body}");
    // Over 10 MB.
    let (status, body) = upload(&app, Some(&owner), &d, vec![0u8; MAX_UPLOAD_BYTES + 1]).await;
    assert_eq!((status, crate::helpers::code_of(&body)), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge));
    // A form without a photo field.
    let res = app
        .client
        .post(format!("{}/api/driveways/{}/photos", app.base, d["id"].as_str().expect("id")))
        .bearer_auth(&owner.token)
        .multipart(reqwest::multipart::Form::new().text("caption", "hello"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = app.get(&format!("/api/driveways/{}", d["id"].as_str().expect("id")), None).await;
    assert_eq!(page.body["photos"], json!([]), "nothing refused was kept");
}

#[tokio::test]
async fn a_gallery_holds_eight_in_the_owners_order_and_deleting_removes_the_files() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let mut photos = Vec::new();
    for i in 0..MAX_PHOTOS {
        let (status, photo) = upload(&app, Some(&owner), &d, png(20 + i as u32, 20)).await;
        assert_eq!(status, StatusCode::CREATED, "{photo}");
        photos.push(photo);
    }
    let (status, body) = upload(&app, Some(&owner), &d, png(99, 99)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().expect("message").contains("at most 8"));

    let reversed: Vec<Value> = photos.iter().rev().map(|p| p["id"].clone()).collect();
    let ordered =
        app.put(&format!("/api/driveways/{id}/photos/order"), Some(&owner.token), json!({"photoIds": reversed})).await;
    assert_eq!(ordered.status, StatusCode::OK, "{}", ordered.body);
    let page = app.get(&format!("/api/driveways/{id}"), None).await;
    let shown: Vec<Value> = page.body["photos"].as_array().expect("photos").iter().map(|p| p["id"].clone()).collect();
    assert_eq!(shown, reversed);
    let partial = app
        .put(&format!("/api/driveways/{id}/photos/order"), Some(&owner.token), json!({"photoIds": [reversed[0]]}))
        .await;
    assert_eq!(partial.status, StatusCode::BAD_REQUEST);
    let stranger = app.owner().await;
    let theirs = app
        .put(&format!("/api/driveways/{id}/photos/order"), Some(&stranger.token), json!({"photoIds": reversed}))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    let first = &photos[0];
    let photo_id = first["id"].as_str().expect("id");
    let url = first["url"].as_str().expect("url");
    assert_eq!(
        app.delete(&format!("/api/driveways/{id}/photos/{photo_id}"), Some(&stranger.token)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(file(&app, url).await.0, StatusCode::OK);
    assert_eq!(
        app.delete(&format!("/api/driveways/{id}/photos/{photo_id}"), Some(&owner.token)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(file(&app, url).await.0, StatusCode::NOT_FOUND, "the file went with its photo");
    assert_eq!(file(&app, first["thumbUrl"].as_str().expect("thumb")).await.0, StatusCode::NOT_FOUND);
    let page = app.get(&format!("/api/driveways/{id}"), None).await;
    assert_eq!(page.body["photos"].as_array().map(Vec::len), Some(MAX_PHOTOS - 1));

    // Deleting the driveway deletes its photos.
    let last_url = photos[1]["url"].as_str().expect("url").to_owned();
    assert_eq!(app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(file(&app, &last_url).await.0, StatusCode::NOT_FOUND);
    // Names that are not the store's own are never looked up.
    assert_eq!(file(&app, "/media/..%2F..%2Fetc%2Fpasswd").await.0, StatusCode::NOT_FOUND);
}

/// moto's S3 server (from PyPI) on a free loopback port, killed on drop: a real S3 API, spoken
/// to over HTTP with signed requests, its objects kept in its memory.
struct Moto {
    child: std::process::Child,
    base: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Moto {
    let binary = std::env::var("PARKWAY_MOTO")
        .unwrap_or_else(|_| format!("{}/../.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR")));
    let args = |port: u16| vec!["-H".to_owned(), "127.0.0.1".to_owned(), "-p".to_owned(), port.to_string()];
    let (child, base) = crate::helpers::serve_on_free_port("moto", &binary, args).await;
    Moto { child, base }
}

#[tokio::test]
async fn photos_live_in_an_s3_bucket_when_one_is_configured() {
    let moto = start_moto().await;
    let bucket = "parkway-photos";
    let client = reqwest::Client::new();
    assert!(client.put(format!("{}/{bucket}", moto.base)).send().await.expect("create bucket").status().is_success());
    let local = tempfile::tempdir().expect("dir");
    let local_dir = local.path().join("media");
    let settings = parkway_backend::config::S3Settings {
        bucket: bucket.into(),
        region: "us-east-1".into(),
        endpoint: Some(moto.base.clone()),
        access_key_id: "parkway-test".into(),
        secret_access_key: parkway_backend::config::Secret::new("parkway-test-secret"),
    };
    // A second client of the bucket, to look inside it.
    let bucket_view = parkway_backend::media::Media::s3(&settings).expect("bucket client");
    let app = crate::helpers::spawn_app_with(|c| {
        c.media_dir = local_dir.clone();
        c.media_s3 = Some(settings.clone());
    })
    .await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let (status, photo) = upload(&app, Some(&owner), &d, png(800, 600)).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let url = photo["url"].as_str().expect("url");
    let key = url.trim_start_matches("/media/");
    // The file is in the bucket, and served from it; nothing was written to the directory.
    let in_bucket = bucket_view.get(key).await.expect("read the bucket").expect("the object is there");
    let (status, _, bytes) = file(&app, url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, in_bucket.to_vec());
    assert!(std::fs::read_dir(&local_dir).map(|d| d.count()).unwrap_or(0) == 0, "no file on disk");
    // Deleting the photo deletes the object.
    let photo_id = photo["id"].as_str().expect("id");
    let gone = app
        .delete(&format!("/api/driveways/{}/photos/{photo_id}", d["id"].as_str().expect("id")), Some(&owner.token))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(bucket_view.get(key).await.expect("read the bucket"), None);
    assert_eq!(file(&app, url).await.0, StatusCode::NOT_FOUND);
}

/// An owner who opens uploads and sends them slowly must not make the server hold many files
/// in memory: past `max_photo_uploads` at once, the next upload is refused (503), not read.
#[tokio::test]
async fn uploads_held_open_do_not_pile_up_in_memory() {
    use tokio::io::AsyncWriteExt;
    let app = crate::helpers::spawn_app_with(|c| c.max_photo_uploads = 1).await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    // An upload that announces a large form and sends only its start, then waits.
    let mut slow = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect");
    let head = format!(
        "POST /api/driveways/{id}/photos HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000000\r\n\r\n--x\r\n",
        app.base.trim_start_matches("http://"),
        owner.token
    );
    slow.write_all(head.as_bytes()).await.expect("send");
    // Wait on the server itself until the slow one holds the only slot: then another upload is
    // refused before it is read.
    let slots = app.server.as_ref().expect("server").state().upload_slots.clone();
    let started = std::time::Instant::now();
    while slots.available_permits() > 0 {
        assert!(crate::helpers::patient(started), "the held upload never took its slot");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, body) = upload(&app, Some(&owner), &d, png(16, 16)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["message"].as_str().expect("message").contains("try again"), "{body}");
    // When it goes away, its slot is free again.
    drop(slow);
    let started = std::time::Instant::now();
    while slots.available_permits() == 0 {
        assert!(crate::helpers::patient(started), "the slot was never given back");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, body) = upload(&app, Some(&owner), &d, png(17, 16)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
