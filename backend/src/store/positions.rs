//! Live driveways' positions, hourly prices and opening hours, for the map's clusters
//! ([`crate::clusters`]): read whole in pages once, then as the changes since a moment; and the
//! driveways an active booking holds during a slot.

use super::Store;
use super::db::{query, to_ms};
use crate::error::AppResult;
use parkway_core::geo::BoundingBox;
use parkway_core::slot::TimeSlot;
use std::sync::atomic::Ordering;

/// One driveway as the map index keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Position {
    /// The driveway's row number.
    pub seq: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Hourly price in cents.
    pub price_per_hour_cents: i64,
    /// IANA zone its opening hours are in.
    pub timezone: String,
    /// Its weekly schedule, as stored (JSON).
    pub availability: String,
    /// When it last changed, in ms.
    pub updated_at: i64,
    /// When it was deleted, in ms.
    pub deleted_at: Option<i64>,
}

const POSITION: &str = "seq, lat, lng, price_per_hour_cents, timezone, availability, updated_at, deleted_at";

impl Store {
    /// How many driveway writes this process has committed: the map index catches up at once
    /// when it changes, and only now and then for the other instances' writes.
    pub fn driveway_edits(&self) -> u64 {
        self.edits.load(Ordering::Acquire)
    }

    /// Counts a committed driveway write.
    pub(super) fn driveway_edited(&self) {
        self.edits.fetch_add(1, Ordering::AcqRel);
    }

    /// Up to `limit` live driveways after row `after_seq`, in row order.
    pub async fn positions_after(&self, after_seq: i64, limit: i64) -> AppResult<Vec<Position>> {
        Ok(self
            .reader()
            .fetch_all(
                query(format!(
                    "SELECT {POSITION} FROM driveways WHERE seq > ? AND deleted_at IS NULL ORDER BY seq LIMIT ?"
                ))
                .bind(after_seq)
                .bind(limit),
            )
            .await?)
    }

    /// Up to `limit` driveways changed at or after `since_ms`, deleted ones included.
    pub async fn positions_changed_since(&self, since_ms: i64, limit: i64) -> AppResult<Vec<Position>> {
        Ok(self
            .reader()
            .fetch_all(
                // In the order of the index on `updated_at`: ordered by row, SQLite would walk
                // the whole table (0.4 s at a million driveways) rather than the recent changes.
                query(format!("SELECT {POSITION} FROM driveways WHERE updated_at >= ? ORDER BY updated_at LIMIT ?"))
                    .bind(since_ms)
                    .bind(limit),
            )
            .await?)
    }

    /// Rows of the driveways inside `bbox` that an active booking holds at some moment of
    /// `slot`, at most `limit`, ascending. Two halves because each status has its own index by
    /// time: confirmed bookings by their end, pending holds (few, they expire) by status.
    pub async fn busy_during(&self, slot: &TimeSlot, bbox: &BoundingBox, limit: i64) -> AppResult<Vec<i64>> {
        const HELD: &str = "SELECT d.seq FROM bookings b JOIN driveways d ON d.id = b.driveway_id \
             WHERE b.end_at > ? AND b.start_at < ? AND d.lat BETWEEN ? AND ? AND d.lng BETWEEN ? AND ?";
        let mut q = query(format!(
            "{HELD} AND b.status = 'confirmed' UNION {HELD} AND b.status = 'pending' ORDER BY 1 LIMIT ?"
        ));
        for _ in 0..2 {
            q = q
                .bind(to_ms(slot.start()))
                .bind(to_ms(slot.end()))
                .bind(bbox.min_lat)
                .bind(bbox.max_lat)
                .bind(bbox.min_lng)
                .bind(bbox.max_lng);
        }
        Ok(self.reader().scalars(q.bind(limit)).await?)
    }

    /// The ids, exact positions and currencies of live driveways by row:
    /// `(seq, id, lat, lng, currency)`.
    pub async fn driveways_at_rows(&self, seqs: &[i64]) -> AppResult<Vec<(i64, String, f64, f64, String)>> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(1000) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let mut q = query(format!(
                "SELECT seq, id, lat, lng, currency FROM driveways WHERE deleted_at IS NULL AND seq IN ({placeholders})"
            ));
            for seq in chunk {
                q = q.bind(*seq);
            }
            out.extend(self.reader().fetch_all::<(i64, String, f64, f64, String)>(q).await?);
        }
        Ok(out)
    }
}
