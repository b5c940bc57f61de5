//! Photo uploads and serving: a 12-megapixel camera JPEG uploaded alone and four at once (the
//! time of each upload, from the first byte sent to the answer, and the server's peak memory),
//! then `GET /media/…` of the stored photo by 32 clients.
//!
//! The upload is made here: a 4000 × 3000 picture with the smooth areas and fine detail of a
//! photo, encoded as JPEG, so the server decodes as much as a phone's file gives it.

use super::Options;
use super::booking::{Request, expect_json, register, run_load};
use super::runs::LoadRun;
use super::server::{ServerProcess, SqliteSync};
use super::stats::SeriesRates;
use anyhow::{Context, ensure};
use parkway_core::api::{Driveway, NewDriveway, Role};
use parkway_core::photo::Photo;
use reqwest::{Client, StatusCode};
use serde::Serialize;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The camera's picture size: 12 megapixels.
const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
/// Uploads sent at the same moment in the concurrent rounds.
const AT_ONCE: usize = 4;
/// Targets: each upload within a second, the server within 300 MB with four at once.
const TARGET_UPLOAD_MS: f64 = 1000.0;
const TARGET_PEAK_RSS_MB: f64 = 300.0;
/// Clients fetching the stored photo.
const SERVING_CLIENTS: usize = 32;

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct PhotosReport {
    /// Size of the uploaded JPEG, bytes.
    pub upload_bytes: usize,
    /// Size of the stored photo (1,600 px), bytes.
    pub stored_bytes: usize,
    /// Each upload sent alone, milliseconds, in order.
    pub alone_ms: Vec<f64>,
    /// Each upload of the concurrent rounds, milliseconds.
    pub at_once_ms: Vec<f64>,
    /// The server's resident memory before the uploads, MB.
    pub rss_before_mb: f64,
    /// The server's peak resident memory (VmHWM) after all uploads, MB.
    pub peak_rss_mb: f64,
    /// `GET /media/…` of the stored photo.
    pub serving: LoadRun,
}

impl PhotosReport {
    /// The summary.
    pub fn print(&self) {
        let median = |v: &[f64]| SeriesRates::of(v).median;
        let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "\nphoto uploads: a {WIDTH} × {HEIGHT} JPEG of {:.1} MB, stored as {:.0} KB (SQLite, release server)",
            self.upload_bytes as f64 / 1e6,
            self.stored_bytes as f64 / 1e3
        );
        println!(
            "  alone:          median {:>6.0} ms, slowest {:>6.0} ms",
            median(&self.alone_ms),
            max(&self.alone_ms)
        );
        let slowest = max(&self.at_once_ms);
        println!(
            "  {AT_ONCE} at once:      median {:>6.0} ms, slowest {slowest:>6.0} ms  (target ≤ {TARGET_UPLOAD_MS:.0} ms each: {})",
            median(&self.at_once_ms),
            verdict(slowest <= TARGET_UPLOAD_MS),
        );
        println!(
            "  server memory:  {:.0} MB before, peak {:.0} MB  (target ≤ {TARGET_PEAK_RSS_MB:.0} MB: {})",
            self.rss_before_mb,
            self.peak_rss_mb,
            verdict(self.peak_rss_mb <= TARGET_PEAK_RSS_MB),
        );
        println!("  serving:        {}", self.serving.summary_line());
    }
}

/// A photo-like picture: smooth gradients with fine texture, as JPEG.
fn camera_jpeg() -> anyhow::Result<Vec<u8>> {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let picture = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let grain = (seed & 15) as u32;
        let r = (x * 200 / WIDTH + grain) as u8;
        let g = (y * 180 / HEIGHT + grain) as u8;
        let b = (((x / 40) ^ (y / 40)) % 64 + 60 + grain) as u8;
        image::Rgb([r, g, b])
    });
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Jpeg).context("encoding the camera picture")?;
    Ok(out.into_inner())
}

async fn upload(client: &Client, url: &str, token: &str, bytes: Vec<u8>) -> anyhow::Result<(Duration, Photo)> {
    let started = Instant::now();
    let part = reqwest::multipart::Part::bytes(bytes).file_name("camera.jpg").mime_str("image/jpeg")?;
    let response = client
        .post(url)
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .context("POST …/photos")?;
    let photo: Photo = expect_json(response, StatusCode::CREATED, "POST …/photos").await?;
    Ok((started.elapsed(), photo))
}

/// `GET /media/…` of one file.
struct Fetch {
    url: String,
}

impl Request for Fetch {
    fn name(&self) -> &'static str {
        "GET /media/{key}"
    }

    fn expected(&self) -> StatusCode {
        StatusCode::OK
    }

    async fn send(&self, client: &Client) -> Result<StatusCode, reqwest::Error> {
        let response = client.get(&self.url).send().await?;
        let status = response.status();
        response.bytes().await?;
        Ok(status)
    }
}

/// Runs the part on a fresh server.
pub async fn measure(binary: &Path, scratch: &Path, options: &Options) -> anyhow::Result<PhotosReport> {
    let jpeg = tokio::task::spawn_blocking(camera_jpeg).await.context("making the picture")??;
    ensure!(jpeg.len() <= parkway_core::photo::MAX_UPLOAD_BYTES, "the bench picture is over the upload limit");
    let media = scratch.join("photos-media");
    let server = ServerProcess::start_with(
        binary,
        &scratch.join("photos.db"),
        SqliteSync::Full,
        &[("PARKWAY_MEDIA_DIR", media.display().to_string())],
    )
    .await?;
    let base = server.base_url();
    let client = super::http_client()?;
    let token = register(&client, &base, "photos-owner@bench.test", Role::Owner).await?;
    let alone_runs = if options.quick { 3 } else { 5 };
    let rounds = if options.quick { 1 } else { 3 };
    // A driveway holds 8 photos: one for the lone uploads, one per concurrent round.
    let mut galleries = Vec::new();
    for i in 0..=rounds {
        let body = NewDriveway {
            title: format!("Photo driveway {i}"),
            address: format!("{i} Camera St"),
            lat: Some(37.77),
            lng: Some(-122.42),
            price_per_hour_cents: 300,
            price_per_day_cents: None,
            currency: None,
            timezone: None,
            instant_book: None,
            access_instructions: None,
            availability: None,
        };
        let response = client.post(format!("{base}/api/driveways")).bearer_auth(&token).json(&body).send().await?;
        let driveway: Driveway = expect_json(response, StatusCode::CREATED, "POST /api/driveways").await?;
        galleries.push(format!("{base}/api/driveways/{}/photos", driveway.id));
    }
    let rss_before_mb = server.rss_mb()?;

    let mut alone_ms = Vec::new();
    let mut stored = None;
    for _ in 0..alone_runs {
        let (took, photo) = upload(&client, &galleries[0], &token, jpeg.clone()).await?;
        alone_ms.push(took.as_secs_f64() * 1e3);
        stored = Some(photo);
    }
    let mut at_once_ms = Vec::new();
    for gallery in &galleries[1..] {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..AT_ONCE {
            let (client, url, token, bytes) = (client.clone(), gallery.clone(), token.clone(), jpeg.clone());
            tasks.spawn(async move { upload(&client, &url, &token, bytes).await });
        }
        while let Some(done) = tasks.join_next().await {
            at_once_ms.push(done.context("an upload task failed")??.0.as_secs_f64() * 1e3);
        }
    }
    let peak_rss_mb = server.peak_rss_mb()?;

    let photo = stored.context("no photo was stored")?;
    let url = format!("{base}{}", photo.url);
    let stored_bytes = client.get(&url).send().await?.bytes().await?.len();
    let fetch = Arc::new(Fetch { url });
    run_load(&client, &fetch, SERVING_CLIENTS, options.warmup_duration()).await?;
    let serving = run_load(&client, &fetch, SERVING_CLIENTS, options.load_duration()).await?;
    server.stop().await?;
    Ok(PhotosReport {
        upload_bytes: jpeg.len(),
        stored_bytes,
        alone_ms,
        at_once_ms,
        rss_before_mb,
        peak_rss_mb,
        serving,
    })
}
