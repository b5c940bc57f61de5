//! `GET /tiles/map.pmtiles`: the street map archive, read in ranges.

use crate::helpers::spawn_app_with;
use parkway_backend::{Config, Server};
use reqwest::StatusCode;

/// A file that starts like a PMTiles version 3 archive (the server reads only that much), then
/// 10,000 numbered bytes, so a range's content can be checked.
fn archive(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let mut bytes = b"PMTiles\x03".to_vec();
    bytes.extend((0..10_000u32).map(|i| (i % 251) as u8));
    let file = dir.join("city.pmtiles");
    std::fs::write(&file, &bytes).expect("archive written");
    (file, bytes)
}

#[tokio::test]
async fn the_archive_is_served_in_ranges_with_caching_headers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, bytes) = archive(dir.path());
    let app = spawn_app_with(|c| c.tiles_file = Some(file)).await;
    let url = format!("{}/tiles/map.pmtiles", app.base);

    let whole = app.client.get(&url).send().await.expect("answer");
    assert_eq!(whole.status(), StatusCode::OK);
    let cache = whole.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(cache.as_deref(), Some("public, max-age=3600, must-revalidate"));
    assert_eq!(whole.headers().get("accept-ranges").and_then(|v| v.to_str().ok()), Some("bytes"));
    let modified = whole.headers().get("last-modified").cloned().expect("last-modified");
    assert_eq!(whole.bytes().await.expect("body").as_ref(), bytes.as_slice());

    // What a PMTiles reader asks first: the header and root directory.
    let head = app.client.get(&url).header("range", "bytes=0-127").send().await.expect("answer");
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        head.headers().get("content-range").and_then(|v| v.to_str().ok()),
        Some(format!("bytes 0-127/{}", bytes.len()).as_str())
    );
    assert_eq!(head.bytes().await.expect("body").as_ref(), &bytes[..128]);
    let middle = app.client.get(&url).header("range", "bytes=5000-5009").send().await.expect("answer");
    assert_eq!(middle.bytes().await.expect("body").as_ref(), &bytes[5000..5010]);
    let past = app.client.get(&url).header("range", "bytes=20000-20010").send().await.expect("answer");
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // Revalidation costs no body.
    let again = app.client.get(&url).header("if-modified-since", modified).send().await.expect("answer");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn without_an_archive_there_is_no_map_file() {
    let app = spawn_app_with(|_| {}).await;
    let a = app.get("/tiles/map.pmtiles", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_that_is_not_an_archive_stops_the_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("city.pmtiles");
    std::fs::write(&file, b"<html>not tiles</html>").expect("written");
    let mut config = Config::for_database(format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display()));
    config.tiles_file = Some(file);
    config.media_dir = dir.path().join("media");
    let Err(err) = Server::start(config).await else { panic!("a server started on a file that is not an archive") };
    let err = err.to_string();
    assert!(err.contains("PARKWAY_TILES") && err.contains("PMTiles"), "{err}");
}
