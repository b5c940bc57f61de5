//! The whole country on one map: live driveways grouped on a grid per zoom level
//! (`GET /api/driveways/clusters`).
//!
//! A view over a million driveways cannot read them from the database each time, and counts
//! cannot be kept ahead of time when every view has its own filters (price, a free slot, opening
//! hours). So every server keeps each live driveway's projected position, hourly price and
//! schedule in memory, 24 bytes a driveway ([`grid::Spot`]), and a view scans them. Bookings
//! stay in the database: a view with a slot asks it which driveways in the box are held then.
//!
//! The copy catches up with the database before a view when this process has changed a
//! driveway since, and at most a second later for the other instances' changes: it reads the
//! rows changed since its last look, less [`SLACK`] for transactions that committed late, and
//! reads everything again every [`FULL_RELOAD`] in case one took longer still.

/// Cells, projection and grouping.
pub mod grid;

use crate::error::{AppError, AppResult};
use crate::store::Store;
use crate::store::positions::Position;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use grid::{Grid, Spot};
use parkway_core::api::{Cluster, ClusterPage};
use parkway_core::availability::WeeklySchedule;
use parkway_core::geo::BoundingBox;
use parkway_core::money::Currency;
use parkway_core::slot::TimeSlot;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How late a change may commit after the time it carries and still be seen.
const SLACK: chrono::Duration = chrono::Duration::seconds(5);
/// The longest the copy goes without reading the changes of other instances.
const STALE_AFTER: Duration = Duration::from_secs(1);
/// How often the copy is read whole again.
const FULL_RELOAD: Duration = Duration::from_secs(15 * 60);
/// Rows read per page when loading everything.
const PAGE: i64 = 20_000;
/// Most changed rows read in one catch-up; more and everything is read again.
const MAX_CHANGES: i64 = 20_000;
/// Most held driveways one view with a slot takes into account; a busier view must zoom in.
const MAX_BUSY: usize = 200_000;

/// What a view asks for, already validated.
#[derive(Debug, Clone)]
pub struct View {
    /// The box drawn.
    pub bbox: BoundingBox,
    /// The map's zoom.
    pub zoom: f64,
    /// Only driveways open and free for all of it.
    pub free_during: Option<TimeSlot>,
    /// Only driveways at or below this hourly price, in cents.
    pub max_price_per_hour: Option<i64>,
}

/// The in-memory copy of every live driveway's position; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    map: Arc<RwLock<Map>>,
    sync: Arc<tokio::sync::Mutex<Cursor>>,
    /// [`Store::driveway_edits`] at the last catch-up, readable while one runs.
    caught_up_to: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Map {
    /// Sorted by `seq`.
    spots: Vec<Spot>,
    /// Distinct opening hours; 0 is "always open". Many driveways share one, so a view decides
    /// each schedule once.
    schedules: Vec<(WeeklySchedule, Tz)>,
    schedule_ids: HashMap<(String, String), u32>,
}

#[derive(Debug, Default)]
struct Cursor {
    /// When everything was last read, if ever.
    loaded: Option<Instant>,
    /// The store's clock when the last catch-up began.
    since: Option<DateTime<Utc>>,
    /// [`Store::driveway_edits`] at the last catch-up.
    edits: u64,
    /// When the last catch-up ran.
    at: Option<Instant>,
}

impl Map {
    fn schedule_of(&mut self, p: &Position) -> u32 {
        if p.availability.trim() == "[]" {
            return 0;
        }
        if self.schedules.is_empty() {
            self.schedules.push((WeeklySchedule::default(), Tz::UTC));
        }
        let key = (p.availability.clone(), p.timezone.clone());
        if let Some(id) = self.schedule_ids.get(&key) {
            return *id;
        }
        // A row that does not read is listed by search as always open too.
        let schedule: WeeklySchedule = serde_json::from_str(&p.availability).unwrap_or_default();
        let tz = p.timezone.parse().unwrap_or(Tz::UTC);
        let id = u32::try_from(self.schedules.len()).unwrap_or(0);
        self.schedules.push((schedule, tz));
        self.schedule_ids.insert(key, id);
        id
    }

    fn spot(&mut self, p: &Position) -> Spot {
        let price = u32::try_from(p.price_per_hour_cents).unwrap_or(u32::MAX);
        let schedule = self.schedule_of(p);
        Spot::at(p.seq, p.lat, p.lng, price, schedule)
    }

    /// Applies one changed row: moved, repriced, added or deleted.
    fn apply(&mut self, p: &Position) {
        let at = self.spots.binary_search_by_key(&p.seq, |s| s.seq);
        match (at, p.deleted_at) {
            (Ok(i), Some(_)) => {
                self.spots.remove(i);
            }
            (Err(_), Some(_)) => {}
            (Ok(i), None) => self.spots[i] = self.spot(p),
            (Err(i), None) => {
                let spot = self.spot(p);
                self.spots.insert(i, spot);
            }
        }
    }
}

impl Clusters {
    /// How many driveways the copy holds.
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(PoisonError::into_inner).spots.len()
    }

    /// True before anything is loaded or when there are no driveways.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the copy up to date with the database as described in the module's comment.
    pub async fn catch_up(&self, store: &Store, now: DateTime<Utc>) -> AppResult<()> {
        let edits = store.driveway_edits();
        let mut sync = match self.sync.try_lock() {
            Ok(sync) => sync,
            // Another view is catching up (or reading everything again, which takes seconds at a
            // million driveways): the copy as it stands will do, unless this process changed a
            // driveway since it was last brought up to date.
            Err(_) if self.caught_up_to.load(Ordering::Acquire) == edits && !self.is_empty() => return Ok(()),
            Err(_) => self.sync.lock().await,
        };
        let fresh = sync.at.is_some_and(|at| at.elapsed() < STALE_AFTER) && sync.edits == edits;
        if fresh {
            return Ok(());
        }
        let whole = sync.loaded.is_none_or(|t| t.elapsed() >= FULL_RELOAD);
        let began = now;
        let changed = match (whole, sync.since) {
            (false, Some(since)) => {
                let rows = store.positions_changed_since((since - SLACK).timestamp_millis(), MAX_CHANGES + 1).await?;
                (rows.len() as i64 <= MAX_CHANGES).then_some(rows)
            }
            _ => None,
        };
        match changed {
            Some(rows) => {
                let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
                for p in &rows {
                    map.apply(p);
                }
            }
            None => {
                let fresh = self.load(store).await?;
                *self.map.write().unwrap_or_else(PoisonError::into_inner) = fresh;
                sync.loaded = Some(Instant::now());
            }
        }
        sync.since = Some(began);
        sync.edits = edits;
        sync.at = Some(Instant::now());
        self.caught_up_to.store(edits, Ordering::Release);
        Ok(())
    }

    /// Every live driveway, page by page, so the rows are never all in memory at once.
    async fn load(&self, store: &Store) -> AppResult<Map> {
        let mut map = Map::default();
        let mut after = i64::MIN;
        loop {
            let page = store.positions_after(after, PAGE).await?;
            for p in &page {
                let spot = map.spot(p);
                map.spots.push(spot);
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = last.seq,
                _ => break,
            }
        }
        tracing::info!(driveways = map.spots.len(), "map index loaded");
        Ok(map)
    }

    /// The marks of one view: groups where driveways are dense, single driveways (with their
    /// ids and exact positions) where they stand apart.
    pub async fn view(&self, store: &Store, view: &View, now: DateTime<Utc>) -> AppResult<ClusterPage> {
        let grid = Grid::new(&view.bbox, view.zoom).map_err(|e| AppError::validation(e.to_string()))?;
        self.catch_up(store, now).await?;
        let busy = match &view.free_during {
            Some(slot) => {
                let limit = i64::try_from(MAX_BUSY + 1).unwrap_or(i64::MAX);
                let busy = store.busy_during(slot, &view.bbox, limit).await?;
                if busy.len() > MAX_BUSY {
                    return Err(AppError::validation(
                        "too many driveways are booked in this view for that time to show them all: zoom in",
                    ));
                }
                busy
            }
            None => Vec::new(),
        };
        let map = Arc::clone(&self.map);
        let (slot, max_price) = (view.free_during, view.max_price_per_hour);
        // A country's scan takes milliseconds of CPU: off the threads that serve requests.
        let groups = tokio::task::spawn_blocking(move || {
            let map = map.read().unwrap_or_else(PoisonError::into_inner);
            // 0 not yet decided, 1 open, 2 closed.
            let mut open = vec![0u8; map.schedules.len().max(1)];
            let mut held = busy.iter().peekable();
            grid.gather(map.spots.iter(), |s| {
                if max_price.is_some_and(|max| i64::from(s.price) > max) {
                    return false;
                }
                // Both lists ascend by row: walk them side by side.
                while held.next_if(|&&seq| seq < s.seq).is_some() {}
                if held.peek().is_some_and(|&&seq| seq == s.seq) {
                    return false;
                }
                match (slot, s.schedule) {
                    (None, _) | (_, 0) => true,
                    (Some(slot), id) => {
                        let i = id as usize;
                        if open[i] == 0 {
                            let (schedule, tz) = &map.schedules[i];
                            open[i] = if schedule.covers(&slot, *tz) { 1 } else { 2 };
                        }
                        open[i] == 1
                    }
                }
            })
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the map scan stopped: {e}")))?;

        let singles: Vec<i64> = groups.iter().filter(|g| g.count == 1).map(|g| g.seq).collect();
        let exact: HashMap<i64, (String, f64, f64, String)> = store
            .driveways_at_rows(&singles)
            .await?
            .into_iter()
            .map(|(seq, id, lat, lng, currency)| (seq, (id, lat, lng, currency)))
            .collect();
        let mut items = Vec::with_capacity(groups.len());
        for g in groups {
            let (lat, lng, driveway_id, currency) = if g.count == 1 {
                // Deleted since the copy last caught up: left out.
                let Some((id, lat, lng, currency)) = exact.get(&g.seq) else { continue };
                (*lat, *lng, Some(crate::store::db::uuid(id)?), Currency::parse(currency).ok())
            } else {
                let (lat, lng) = g.center();
                (round(lat), round(lng), None, None)
            };
            let min_price_cents = i64::from(g.min_price);
            items.push(Cluster { lat, lng, count: g.count, min_price_cents, driveway_id, currency });
        }
        let total = items.iter().map(|c| u64::from(c.count)).sum();
        Ok(ClusterPage { items, total })
    }
}

/// Six decimals, about 10 cm: enough for a circle, and a shorter answer.
fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
