//! `GET /tiles/map.pmtiles`: the operator's street map as one PMTiles archive
//! (`PARKWAY_TILES`), read by the map in the browser with HTTP range requests, so no tile
//! service is needed.
//!
//! The file is served as it is: tower-http's `ServeFile` answers `Range` (206 with
//! `Content-Range`, 416 when unsatisfiable), `HEAD` and `If-Modified-Since`. Browsers may keep
//! it for an hour and then revalidate: an operator may replace the archive with a newer extract.

use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use std::io::Read;
use std::path::Path;
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the archive is served.
pub const PATH: &str = "/tiles/map.pmtiles";

/// The route: the archive, or `404` without one.
pub fn router(file: Option<&Path>) -> Router<AppState> {
    match file {
        Some(file) => Router::new().route_service(
            PATH,
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600, must-revalidate"),
                ))
                .service(ServeFile::new(file)),
        ),
        // Not the web UI's fallback page: a map asking for tiles gets a clear 404.
        None => Router::new().route(PATH, axum::routing::get(|| async { AppError::not_found("street map") })),
    }
}

/// Refuses, at start, a file that is not a PMTiles version 3 archive: its first bytes are
/// `PMTiles` and the version.
pub fn check(file: &Path) -> anyhow::Result<()> {
    let mut head = [0u8; 8];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| anyhow::anyhow!("PARKWAY_TILES: cannot read {}: {e}", file.display()))?;
    if &head[..7] != b"PMTiles" || head[7] != 3 {
        anyhow::bail!("PARKWAY_TILES: {} is not a PMTiles version 3 archive", file.display());
    }
    Ok(())
}
