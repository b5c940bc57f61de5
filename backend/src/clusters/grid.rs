//! Grouping driveways on a grid of the map's own squares: at zoom `z` the world is
//! `512 · 2^z` pixels wide in Web Mercator (MapLibre's zoom levels), and a cell is [`CELL_PX`] of them, so a group's
//! circle never sits nearer than about a cell to its neighbours at any zoom, and a group splits
//! into four as the map zooms in by one.

use parkway_core::geo::BoundingBox;

/// A cell's side, in screen pixels: about two circles' width.
pub const CELL_PX: f64 = 64.0;
/// Deepest zoom grouped; a street's single driveways are far apart long before it.
pub const MAX_ZOOM: u8 = 22;
/// Most cells one view may span: a 4K screen at [`CELL_PX`] holds about 2,000. The answer
/// grows with the cells, never with the driveways inside them.
pub const MAX_CELLS: u64 = 4_096;
/// Web Mercator's edge of the world.
const MAX_MERCATOR_LAT: f64 = 85.051_128_78;

/// A position in Web Mercator's unit square: x east from the antimeridian, y south from the
/// top edge.
pub fn project(lat: f64, lng: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_MERCATOR_LAT, MAX_MERCATOR_LAT).to_radians();
    let x = (lng + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// The inverse of [`project`]: `(lat, lng)`.
pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    let lng = x * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lat, lng)
}

/// One live driveway, 24 bytes: what a view filters and groups by. Positions are projected
/// once, as single precision (about 2 m at the equator), so a view's scan does no
/// trigonometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// The driveway's row number; spots are kept sorted by it.
    pub seq: i64,
    /// Projected x.
    pub x: f32,
    /// Projected y.
    pub y: f32,
    /// Hourly price in cents.
    pub price: u32,
    /// Its opening hours, by number in the index's table of distinct schedules (0: always open).
    pub schedule: u32,
}

impl Spot {
    /// The spot of a driveway at `(lat, lng)`.
    pub fn at(seq: i64, lat: f64, lng: f64, price: u32, schedule: u32) -> Spot {
        let (x, y) = project(lat, lng);
        Spot { seq, x: x as f32, y: y as f32, price, schedule }
    }
}

/// Why a view cannot be grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// The zoom is out of range.
    #[error("zoom must be a number from 0 to 22")]
    Zoom,
    /// The box spans more cells than one answer may hold.
    #[error("this box is too wide for zoom {0}: send the map's visible box and its zoom")]
    TooWide(u8),
}

/// The cells of one view.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// Cells across the whole world at this zoom.
    per_side: f64,
    first_col: i64,
    first_row: i64,
    cols: usize,
    rows: usize,
    /// The box, projected (y grows southwards).
    x0: f32,
    x1: f32,
    y0: f32,
    y1: f32,
}

impl Grid {
    /// The grid over `bbox` at `zoom` (its whole part).
    pub fn new(bbox: &BoundingBox, zoom: f64) -> Result<Grid, GridError> {
        if !zoom.is_finite() || !(0.0..=f64::from(MAX_ZOOM)).contains(&zoom) {
            return Err(GridError::Zoom);
        }
        let z = zoom.floor() as u8;
        let per_side = f64::from(1u32 << z) * 512.0 / CELL_PX;
        let (x0, y0) = project(bbox.max_lat, bbox.min_lng);
        let (x1, y1) = project(bbox.min_lat, bbox.max_lng);
        let last = per_side as i64 - 1;
        let cell = |v: f64| ((v * per_side).floor() as i64).clamp(0, last);
        let (first_col, first_row) = (cell(x0), cell(y0));
        let cols = (cell(x1) - first_col + 1) as u64;
        let rows = (cell(y1) - first_row + 1) as u64;
        if cols * rows > MAX_CELLS {
            return Err(GridError::TooWide(z));
        }
        Ok(Grid {
            per_side,
            first_col,
            first_row,
            cols: cols as usize,
            rows: rows as usize,
            x0: x0 as f32,
            x1: x1 as f32,
            y0: y0 as f32,
            y1: y1 as f32,
        })
    }

    /// True when the spot is inside the box (edges included, to single precision).
    pub fn contains(&self, s: &Spot) -> bool {
        s.x >= self.x0 && s.x <= self.x1 && s.y >= self.y0 && s.y <= self.y1
    }

    fn cell_of(&self, s: &Spot) -> usize {
        // Positions are never negative, so truncating is flooring, without a call to libm's
        // `floor` for each of a million driveways.
        let col = (f64::from(s.x) * self.per_side) as i64 - self.first_col;
        let row = (f64::from(s.y) * self.per_side) as i64 - self.first_row;
        let col = col.clamp(0, self.cols as i64 - 1) as usize;
        let row = row.clamp(0, self.rows as i64 - 1) as usize;
        row * self.cols + col
    }

    /// Groups the spots inside the box that `keep` accepts, cell by cell; empty cells are left
    /// out.
    pub fn gather<'a>(&self, spots: impl Iterator<Item = &'a Spot>, mut keep: impl FnMut(&Spot) -> bool) -> Vec<Group> {
        let mut cells = vec![Group::EMPTY; self.cols * self.rows];
        for s in spots {
            if self.contains(s) && keep(s) {
                cells[self.cell_of(s)].add(s);
            }
        }
        cells.retain(|g| g.count > 0);
        cells
    }
}

/// The driveways of one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    /// How many.
    pub count: u32,
    sum_x: f64,
    sum_y: f64,
    /// The lowest hourly price.
    pub min_price: u32,
    /// The row of the first one: the driveway itself when `count` is 1.
    pub seq: i64,
}

impl Group {
    const EMPTY: Group = Group { count: 0, sum_x: 0.0, sum_y: 0.0, min_price: u32::MAX, seq: 0 };

    fn add(&mut self, s: &Spot) {
        if self.count == 0 {
            self.seq = s.seq;
        }
        self.count += 1;
        self.sum_x += f64::from(s.x);
        self.sum_y += f64::from(s.y);
        self.min_price = self.min_price.min(s.price);
    }

    /// The middle of its driveways, `(lat, lng)`.
    pub fn center(&self) -> (f64, f64) {
        let n = f64::from(self.count.max(1));
        unproject(self.sum_x / n, self.sum_y / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bbox(min_lng: f64, min_lat: f64, max_lng: f64, max_lat: f64) -> BoundingBox {
        BoundingBox { min_lng, min_lat, max_lng, max_lat }
    }

    #[test]
    fn projection_round_trips() {
        for (lat, lng) in [(0.0, 0.0), (37.7749, -122.4194), (-33.8688, 151.2093), (64.1466, -21.9426)] {
            let (x, y) = project(lat, lng);
            let (lat2, lng2) = unproject(x, y);
            assert!((lat - lat2).abs() < 1e-9 && (lng - lng2).abs() < 1e-9, "{lat},{lng} → {lat2},{lng2}");
        }
        assert_eq!(project(0.0, 0.0), (0.5, 0.5));
    }

    #[test]
    fn every_spot_in_the_box_is_counted_once_at_every_zoom() {
        let spots: Vec<Spot> = (0..400)
            .map(|i| {
                let f = f64::from(i);
                Spot::at(
                    i64::from(i),
                    37.0 + (f * 0.37).sin() * 0.9,
                    -122.0 + (f * 0.91).cos() * 0.9,
                    100 + i as u32,
                    0,
                )
            })
            .collect();
        let b = bbox(-122.5, 36.5, -121.5, 37.5);
        let inside = spots.iter().filter(|s| Grid::new(&b, 3.0).expect("grid").contains(s)).count();
        assert!(inside > 50 && inside < 400, "{inside}");
        for zoom in 0..=10 {
            let grid = Grid::new(&b, f64::from(zoom)).expect("grid");
            let groups = grid.gather(spots.iter(), |_| true);
            let total: u32 = groups.iter().map(|g| g.count).sum();
            assert_eq!(total as usize, inside, "zoom {zoom}");
        }
    }

    #[test]
    fn a_group_splits_as_the_map_zooms_in() {
        let spots = [Spot::at(1, 37.70, -122.40, 500, 0), Spot::at(2, 37.80, -122.30, 300, 0)];
        let b = bbox(-123.0, 37.0, -122.0, 38.0);
        let far = Grid::new(&b, 3.0).expect("grid").gather(spots.iter(), |_| true);
        assert_eq!(far.len(), 1);
        assert_eq!((far[0].count, far[0].min_price), (2, 300));
        let (lat, lng) = far[0].center();
        assert!((lat - 37.75).abs() < 0.01 && (lng + 122.35).abs() < 0.01, "{lat},{lng}");
        let near = Grid::new(&b, 10.0).expect("grid").gather(spots.iter(), |_| true);
        assert_eq!(near.len(), 2);
        assert!(near.iter().all(|g| g.count == 1));
    }

    #[test]
    fn filters_leave_out_what_they_refuse() {
        let spots = [Spot::at(1, 10.0, 10.0, 500, 0), Spot::at(2, 10.001, 10.001, 300, 0)];
        let b = bbox(9.0, 9.0, 11.0, 11.0);
        let groups = Grid::new(&b, 4.0).expect("grid").gather(spots.iter(), |s| s.price <= 400);
        assert_eq!(groups.len(), 1);
        assert_eq!((groups[0].count, groups[0].seq, groups[0].min_price), (1, 2, 300));
    }

    #[test]
    fn a_view_has_a_limit_of_cells() {
        let world = bbox(-180.0, -85.0, 180.0, 85.0);
        assert!(Grid::new(&world, 3.0).is_ok());
        assert_eq!(Grid::new(&world, 4.0).err(), Some(GridError::TooWide(4)));
        assert_eq!(Grid::new(&world, -1.0).err(), Some(GridError::Zoom));
        assert_eq!(Grid::new(&world, f64::NAN).err(), Some(GridError::Zoom));
        assert_eq!(Grid::new(&world, 23.0).err(), Some(GridError::Zoom));
    }
}
