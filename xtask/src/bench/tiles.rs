//! Street map serving: `GET /tiles/map.pmtiles` with a `Range` header, the way MapLibre's
//! PMTiles protocol reads one tile, by 32 clients at once. `GET /healthz` under the same load
//! is the baseline measured in the same run.
//!
//! The archive is made here: a PMTiles version 3 header followed by 256 MB of random bytes.
//! The server reads it as a file and never parses it, so its contents only need to be too
//! large for a cache to flatter the figures. Each request asks for a range at a random
//! place, of 4 to 64 KB, the span of a city's vector tiles.

use super::Options;
use super::booking::{Request, Workload, run_load};
use super::runs::LoadRun;
use super::server::{ServerProcess, SqliteSync};
use anyhow::Context;
use reqwest::{Client, StatusCode, header};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The archive's size.
const ARCHIVE_BYTES: u64 = 256 << 20;
/// Clients reading tiles at once.
const CLIENTS: usize = 32;
/// The smallest and the largest tile asked for.
const MIN_TILE: u64 = 4 << 10;
const MAX_TILE: u64 = 64 << 10;

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct TilesReport {
    /// `GET /healthz` under the same load.
    pub baseline: LoadRun,
    /// Range requests of the archive.
    pub tiles: LoadRun,
    /// Tile bytes served per second, MB.
    pub megabytes_per_second: f64,
    /// The server's peak resident memory after the runs, MB.
    pub peak_rss_mb: f64,
}

impl TilesReport {
    /// The summary.
    pub fn print(&self) {
        println!(
            "\nstreet map serving: ranges of 4–64 KB from a {} MB PMTiles archive (release server)",
            ARCHIVE_BYTES >> 20
        );
        println!("  baseline:       {}", self.baseline.summary_line());
        println!("  tiles:          {}", self.tiles.summary_line());
        println!(
            "  {:.0} MB/s of tiles, {:.0} % of the baseline's requests per second; server peak memory {:.0} MB",
            self.megabytes_per_second,
            100.0 * self.tiles.per_second / self.baseline.per_second.max(f64::MIN_POSITIVE),
            self.peak_rss_mb
        );
    }
}

/// Writes the archive: the header's magic and version, then pseudo-random bytes.
fn write_archive(path: &Path) -> anyhow::Result<()> {
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?);
    file.write_all(b"PMTiles\x03")?;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..ARCHIVE_BYTES >> 20 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        file.write_all(&chunk)?;
    }
    file.flush().with_context(|| format!("writing {}", path.display()))
}

/// One tile read: a range at a place and of a length drawn from a counter.
struct TileRead {
    url: String,
    next: AtomicU64,
}

impl TileRead {
    /// The `n`-th range: a splitmix64 draw of its start and length.
    fn range(n: u64) -> (u64, u64) {
        let mut z = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let length = MIN_TILE + (z >> 40) % (MAX_TILE - MIN_TILE);
        let start = (z & 0xFF_FFFF_FFFF) % (ARCHIVE_BYTES - length);
        (start, length)
    }
}

impl Request for TileRead {
    fn name(&self) -> &'static str {
        "GET /tiles/map.pmtiles (Range)"
    }

    fn expected(&self) -> StatusCode {
        StatusCode::PARTIAL_CONTENT
    }

    async fn send(&self, client: &Client) -> Result<StatusCode, reqwest::Error> {
        let (start, length) = TileRead::range(self.next.fetch_add(1, Ordering::Relaxed));
        let response =
            client.get(&self.url).header(header::RANGE, format!("bytes={start}-{}", start + length - 1)).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        // A short body is a failure the status alone would not show.
        Ok(if body.len() as u64 == length { status } else { StatusCode::INTERNAL_SERVER_ERROR })
    }
}

/// Runs the part on a fresh server.
pub async fn measure(binary: &Path, scratch: &Path, options: &Options) -> anyhow::Result<TilesReport> {
    let archive = scratch.join("map.pmtiles");
    let path = archive.clone();
    tokio::task::spawn_blocking(move || write_archive(&path)).await.context("writing the archive")??;
    let server = ServerProcess::start_with(
        binary,
        &scratch.join("tiles.db"),
        SqliteSync::Full,
        &[("PARKWAY_TILES", archive.display().to_string())],
    )
    .await?;
    let base = server.base_url();
    let client = super::http_client()?;

    let health = Arc::new(Workload::Health { url: format!("{base}/healthz") });
    run_load(&client, &health, CLIENTS, options.warmup_duration()).await?;
    let baseline = run_load(&client, &health, CLIENTS, options.load_duration()).await?;

    let tiles = Arc::new(TileRead { url: format!("{base}/tiles/map.pmtiles"), next: AtomicU64::new(0) });
    run_load(&client, &tiles, CLIENTS, options.warmup_duration()).await?;
    let first = tiles.next.load(Ordering::Relaxed);
    let run = run_load(&client, &tiles, CLIENTS, options.load_duration()).await?;
    let asked = tiles.next.load(Ordering::Relaxed) - first;
    let bytes: u64 = (first..first + asked).map(|n| TileRead::range(n).1).sum();
    let peak_rss_mb = server.peak_rss_mb()?;
    server.stop().await?;
    std::fs::remove_file(&archive).with_context(|| format!("removing {}", archive.display()))?;
    Ok(TilesReport { megabytes_per_second: bytes as f64 / 1e6 / run.seconds, baseline, tiles: run, peak_rss_mb })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_lies_inside_the_archive_and_has_a_tile_length() {
        for n in 0..100_000 {
            let (start, length) = TileRead::range(n);
            assert!((MIN_TILE..MAX_TILE).contains(&length), "range {n}: length {length}");
            assert!(start + length <= ARCHIVE_BYTES, "range {n}: {start}+{length}");
        }
    }
}
