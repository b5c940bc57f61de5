//! What the app keeps from API answers so that it is useful without a network: searches around
//! the last places searched, and the driver's bookings with their driveways.

use crate::local::LocalStore;
use chrono::Utc;
use serde_json::Value;

fn query_value(path: &str, name: &str) -> Option<f64> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))?.parse().ok())
}

/// Where a search was centred: its `lat`/`lng`, or its bounding box's middle.
fn search_center(path: &str) -> Option<(f64, f64)> {
    if let (Some(lat), Some(lng)) = (query_value(path, "lat"), query_value(path, "lng")) {
        return Some((lat, lng));
    }
    let query = path.split_once('?')?.1;
    let bbox = query.split('&').find_map(|p| p.strip_prefix("bbox="))?;
    let v: Vec<f64> = bbox.split(',').filter_map(|x| x.parse().ok()).collect();
    (v.len() == 4).then(|| ((v[1] + v[3]) / 2.0, (v[0] + v[2]) / 2.0))
}

fn is_search(path: &str) -> bool {
    path == "/api/driveways" || path.starts_with("/api/driveways?")
}

/// True for the driver's own bookings list (`GET /api/bookings`, not `?as=owner`).
pub fn is_my_bookings(path: &str) -> bool {
    path == "/api/bookings" || (path.starts_with("/api/bookings?") && !path.contains("as=owner"))
}

/// Stores what is worth keeping from a successful GET.
pub async fn remember(store: &LocalStore, path: &str, answer: &Value) {
    let now = Utc::now();
    let result = if is_search(path) {
        match search_center(path) {
            Some((lat, lng)) => store.cache_search(path, lat, lng, answer, now).await,
            None => Ok(()),
        }
    } else if is_my_bookings(path) {
        let mut r = Ok(());
        for b in answer["items"].as_array().into_iter().flatten() {
            if let Ok(booking) = serde_json::from_value(b.clone()) {
                r = r.and(store.cache_booking(&booking, None, now).await);
            }
        }
        r
    } else {
        Ok(())
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not cache an answer");
    }
}

/// The cached answer for a GET made while offline, marked as such.
pub async fn recall(store: &LocalStore, path: &str) -> Option<Value> {
    if is_search(path) {
        let (lat, lng) = search_center(path)?;
        let (mut answer, fetched) = store.nearest_search(lat, lng).await.ok()??;
        answer["offline"] = Value::Bool(true);
        answer["fetchedAt"] = Value::String(fetched.to_rfc3339());
        return Some(answer);
    }
    if is_my_bookings(path) {
        let items = store.cached_bookings().await.ok()?;
        return Some(serde_json::json!({"items": items, "offline": true}));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_centre_of_a_search() {
        assert_eq!(search_center("/api/driveways?lat=1.5&lng=-2&radiusM=100"), Some((1.5, -2.0)));
        assert_eq!(search_center("/api/driveways?bbox=0,10,2,20"), Some((15.0, 1.0)));
        assert_eq!(search_center("/api/driveways/abc"), None);
        assert!(is_search("/api/driveways?lat=1&lng=2"));
        assert!(!is_search("/api/driveways/123"));
        assert!(is_my_bookings("/api/bookings?status=confirmed"));
        assert!(!is_my_bookings("/api/bookings?as=owner"));
    }
}
