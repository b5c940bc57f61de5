//! The time zone at a position, from the world's time-zone boundaries (built into `tzf-rs`).
//!
//! The boundaries take about 30 MB in memory and 50 ms to load, so they are loaded on the first
//! question (a driveway created without a time zone), on a blocking thread, and kept for the
//! life of the process: they never change, and servers in one process share them.

use parkway_core::availability::parse_timezone;
use parkway_core::geo::Point;
use tokio::sync::OnceCell;

static FINDER: OnceCell<Option<tzf_rs::DefaultFinder>> = OnceCell::const_new();

/// The IANA name of the zone at `point`; `UTC` only if the boundaries could not be read or
/// name a zone this server's calendar does not know.
pub async fn at(point: Point) -> String {
    let finder = FINDER
        .get_or_init(|| async {
            match tokio::task::spawn_blocking(tzf_rs::DefaultFinder::new).await {
                Ok(finder) => Some(finder),
                Err(e) => {
                    tracing::error!(error = %e, "the time-zone boundaries could not be loaded");
                    None
                }
            }
        })
        .await;
    let name = finder.as_ref().map(|f| f.get_tz_name(point.lng(), point.lat()).to_owned());
    match name {
        Some(name) if parse_timezone(&name).is_ok() => name,
        _ => "UTC".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn zones_follow_borders() {
        let point = |lat, lng| Point::new(lat, lng).expect("valid");
        assert_eq!(at(point(37.8044, -122.2712)).await, "America/Los_Angeles");
        // Either side of the Nevada–Utah line at 37° N (114.05° W).
        assert_eq!(at(point(37.0, -114.06)).await, "America/Los_Angeles");
        assert_eq!(at(point(37.0, -114.04)).await, "America/Denver");
        // Either side of the French–German border on the Rhine at Kehl.
        assert_eq!(at(point(48.5734, 7.7521)).await, "Europe/Paris");
        assert_eq!(at(point(48.5700, 7.8150)).await, "Europe/Berlin");
    }
}
