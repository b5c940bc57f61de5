//! Coordinates, great-circle distances and bounding boxes.

use serde::{Deserialize, Serialize};

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A valid WGS 84 position: latitude in [-90, 90], longitude in [-180, 180], both finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint")]
pub struct Point {
    lat: f64,
    lng: f64,
}

#[derive(Deserialize)]
struct RawPoint {
    lat: f64,
    lng: f64,
}

impl TryFrom<RawPoint> for Point {
    type Error = GeoError;
    fn try_from(raw: RawPoint) -> Result<Self, GeoError> {
        Point::new(raw.lat, raw.lng)
    }
}

/// A coordinate out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    /// Latitude outside [-90, 90].
    #[error("lat must be between -90 and 90")]
    Latitude,
    /// Longitude outside [-180, 180].
    #[error("lng must be between -180 and 180")]
    Longitude,
    /// A bounding box that is not `minLng,minLat,maxLng,maxLat` with min ≤ max.
    #[error("bbox must be minLng,minLat,maxLng,maxLat with each minimum below its maximum")]
    BoundingBox,
    /// A search box wider than [`MAX_SEARCH_BOX_M`].
    #[error("this area is too large to search: zoom in to see driveways (a search covers at most 100 km)")]
    TooWide,
}

impl Point {
    /// A position, refusing out-of-range or non-finite values.
    pub fn new(lat: f64, lng: f64) -> Result<Point, GeoError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::Latitude);
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(GeoError::Longitude);
        }
        Ok(Point { lat, lng })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lng(&self) -> f64 {
        self.lng
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(&self, other: &Point) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlng = (other.lng - self.lng).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// The smallest latitude/longitude box that contains every point within `radius_m`.
    pub fn bbox_around(&self, radius_m: f64) -> BoundingBox {
        let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
        let min_lat = (self.lat - dlat).max(-90.0);
        let max_lat = (self.lat + dlat).min(90.0);
        // Near the poles (or for huge radii) every longitude is within reach.
        let cos = self.lat.to_radians().cos().min(max_lat.to_radians().cos()).min(min_lat.to_radians().cos());
        let dlng = if cos < 1e-6 { 360.0 } else { (radius_m / (EARTH_RADIUS_M * cos)).to_degrees() };
        let (min_lng, max_lng) =
            if dlng >= 180.0 { (-180.0, 180.0) } else { ((self.lng - dlng).max(-180.0), (self.lng + dlng).min(180.0)) };
        BoundingBox { min_lng, min_lat, max_lng, max_lat }
    }
}

/// A box of longitudes and latitudes with min ≤ max (no antimeridian crossing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// West edge.
    pub min_lng: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lng: f64,
    /// North edge.
    pub max_lat: f64,
}

impl BoundingBox {
    /// Parses `minLng,minLat,maxLng,maxLat`.
    pub fn parse(s: &str) -> Result<BoundingBox, GeoError> {
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| GeoError::BoundingBox)?;
        let [min_lng, min_lat, max_lng, max_lat] = parts[..] else {
            return Err(GeoError::BoundingBox);
        };
        let sw = Point::new(min_lat, min_lng)?;
        let ne = Point::new(max_lat, max_lng)?;
        if sw.lat > ne.lat || sw.lng > ne.lng {
            return Err(GeoError::BoundingBox);
        }
        Ok(BoundingBox { min_lng, min_lat, max_lng, max_lat })
    }

    /// The middle of the box, for sorting results by distance.
    pub fn center(&self) -> Point {
        Point { lat: (self.min_lat + self.max_lat) / 2.0, lng: (self.min_lng + self.max_lng) / 2.0 }
    }

    /// True when the point lies inside or on the edge.
    pub fn contains(&self, p: &Point) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat) && (self.min_lng..=self.max_lng).contains(&p.lng)
    }

    /// The length of the box's longer side in metres: its height, or its width at the
    /// latitude where it is widest (the edge nearer the equator).
    pub fn longer_side_m(&self) -> f64 {
        let height =
            Point { lat: self.min_lat, lng: self.min_lng }.distance_m(&Point { lat: self.max_lat, lng: self.min_lng });
        let widest = if self.min_lat <= 0.0 && self.max_lat >= 0.0 {
            0.0
        } else if self.min_lat.abs() < self.max_lat.abs() {
            self.min_lat
        } else {
            self.max_lat
        };
        let degrees = self.max_lng - self.min_lng;
        let width = degrees.to_radians() * EARTH_RADIUS_M * widest.to_radians().cos();
        height.max(width)
    }

    /// Refuses a box wider than a search may cover, with a sentence that says what to do.
    pub fn check_searchable(&self) -> Result<(), GeoError> {
        if self.longer_side_m() > MAX_SEARCH_BOX_M { Err(GeoError::TooWide) } else { Ok(()) }
    }
}

/// The longest side of a search box: wider views must zoom in.
pub const MAX_SEARCH_BOX_M: f64 = 100_000.0;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_distance() {
        // Paris to London is about 343.5 km.
        let paris = Point::new(48.8566, 2.3522).expect("ok");
        let london = Point::new(51.5074, -0.1278).expect("ok");
        let d = paris.distance_m(&london);
        assert!((d - 343_500.0).abs() < 1_500.0, "{d}");
    }

    #[test]
    fn rejects_out_of_range() {
        assert_eq!(Point::new(91.0, 0.0), Err(GeoError::Latitude));
        assert_eq!(Point::new(0.0, -180.5), Err(GeoError::Longitude));
        assert_eq!(Point::new(f64::NAN, 0.0), Err(GeoError::Latitude));
        assert!(BoundingBox::parse("1,2,3").is_err());
        assert!(BoundingBox::parse("3,2,1,4").is_err());
        assert!(BoundingBox::parse("-122.5,37.7,-122.3,37.8").is_ok());
    }

    proptest! {
        #[test]
        fn bbox_contains_every_point_within_the_radius(
            lat in -80.0f64..80.0, lng in -170.0f64..170.0, r in 10.0f64..50_000.0,
            bearing in 0.0f64..360.0, frac in 0.0f64..0.999,
        ) {
            let c = Point::new(lat, lng).expect("ok");
            // Walk `frac × r` along `bearing` with the destination formula.
            let d = frac * r / EARTH_RADIUS_M;
            let (la, lo, b) = (lat.to_radians(), lng.to_radians(), bearing.to_radians());
            let la2 = (la.sin() * d.cos() + la.cos() * d.sin() * b.cos()).asin();
            let lo2 = lo + (b.sin() * d.sin() * la.cos()).atan2(d.cos() - la.sin() * la2.sin());
            let p = Point::new(la2.to_degrees(), lo2.to_degrees()).expect("in range");
            prop_assert!(c.distance_m(&p) <= r);
            prop_assert!(c.bbox_around(r).contains(&p));
        }
    }
}
