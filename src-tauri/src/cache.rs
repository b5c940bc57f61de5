//! What the app keeps from API answers so that it is useful without a network: searches around
//! the last places searched, the places found by name (so the search box still finds them),
//! the driveways opened (so one can still be booked offline), the driver's vehicles (so that
//! booking can name the car), the driver's bookings, and the receipts opened (to show at the
//! office's expense desk, which may have no signal).

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

/// The words of a place search (`GET /api/places?q=…`), folded to lower case.
fn place_query(path: &str) -> Option<String> {
    let (route, query) = path.split_once('?')?;
    if route != "/api/places" {
        return None;
    }
    let q = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "q")?.1;
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Places from earlier answers whose label holds every word of `query`, each once, at most
/// `limit`, in the order they were found (newest answer first).
fn places_matching(answers: &[Value], query: &str, limit: usize) -> Vec<Value> {
    let words: Vec<&str> = query.split(' ').collect();
    let mut seen = std::collections::HashSet::new();
    answers
        .iter()
        .flat_map(|a| a["items"].as_array().into_iter().flatten())
        .filter(|p| {
            let label = p["label"].as_str().unwrap_or_default().to_lowercase();
            words.iter().all(|w| label.contains(w)) && seen.insert(label)
        })
        .take(limit)
        .cloned()
        .collect()
}

fn is_search(path: &str) -> bool {
    path == "/api/driveways" || path.starts_with("/api/driveways?")
}

/// True for a driveway's page (`/api/driveways/:id`), whose photos' thumbnails the app keeps.
pub fn is_driveway_page(path: &str) -> bool {
    driveway_id(path).is_some()
}

/// The id in `/api/driveways/:id` (a driveway's page, not its sub-resources).
fn driveway_id(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/api/driveways/")?;
    let id = id.split_once('?').map_or(id, |(id, _)| id);
    (!id.is_empty() && !id.contains('/') && uuid::Uuid::parse_str(id).is_ok()).then_some(id)
}

/// True for the driver's own bookings list (`GET /api/bookings`, not `?as=owner`).
pub fn is_my_bookings(path: &str) -> bool {
    path == "/api/bookings" || (path.starts_with("/api/bookings?") && !path.contains("as=owner"))
}

/// True for the driver's vehicles (`GET /api/me/vehicles`), kept so a booking made offline can
/// still name the car that parks.
fn is_my_vehicles(path: &str) -> bool {
    path == "/api/me/vehicles"
}

/// The booking of a receipt page (`GET /api/bookings/:id/receipt`, the HTML the app shows).
fn receipt_of(path: &str) -> Option<uuid::Uuid> {
    let id = path.strip_prefix("/api/bookings/")?.strip_suffix("/receipt")?;
    uuid::Uuid::parse_str(id).ok()
}

/// Where a user's copy of a booking's receipt is kept among the settings. A receipt never
/// changes once issued except for a later refund, which the next online opening picks up.
fn receipt_key(user: uuid::Uuid, booking: uuid::Uuid) -> String {
    format!("receipt:{user}:{booking}")
}

/// Where a user's vehicles are kept among the settings.
fn vehicles_key(user: uuid::Uuid) -> String {
    format!("vehicles:{user}")
}

/// Stores what is worth keeping from a successful GET made for `user`.
pub async fn remember(store: &LocalStore, user: Option<uuid::Uuid>, path: &str, answer: &Value) {
    let now = Utc::now();
    let result = if is_search(path) {
        match search_center(path) {
            Some((lat, lng)) => store.cache_search(path, lat, lng, answer, now).await,
            None => Ok(()),
        }
    } else if let Some(query) = place_query(path) {
        store.cache_places(&query, answer, now).await
    } else if let Some(id) = driveway_id(path) {
        store.cache_driveway(id, answer, now).await
    } else if let Some(user) = user.filter(|_| is_my_vehicles(path)) {
        store.set_setting(&vehicles_key(user), Some(&answer.to_string())).await
    } else if let (Some(user), Some(booking), Some(page)) = (user, receipt_of(path), answer.as_str()) {
        store.set_setting(&receipt_key(user, booking), Some(page)).await
    } else if let Some(user) = user.filter(|_| is_my_bookings(path)) {
        let mut r = Ok(());
        for b in answer["items"].as_array().into_iter().flatten() {
            if let Ok(booking) = serde_json::from_value(b.clone()) {
                r = r.and(store.cache_booking(user, &booking, None, now).await);
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

/// The cached answer for a GET made while offline for `user`, marked as such.
pub async fn recall(store: &LocalStore, user: Option<uuid::Uuid>, path: &str) -> Option<Value> {
    if is_search(path) {
        let (lat, lng) = search_center(path)?;
        let (mut answer, fetched) = store.nearest_search(lat, lng).await.ok()??;
        answer["offline"] = Value::Bool(true);
        answer["fetchedAt"] = Value::String(fetched.to_rfc3339());
        return Some(answer);
    }
    if let Some(query) = place_query(path) {
        let limit = query_value(path, "limit").map_or(8, |l| l.clamp(1.0, 20.0) as usize);
        let items = places_matching(&store.cached_places().await.ok()?, &query, limit);
        return Some(serde_json::json!({"items": items, "offline": true}));
    }
    if let Some(id) = driveway_id(path) {
        let mut answer = store.cached_driveway(id).await.ok()??;
        answer["offline"] = Value::Bool(true);
        return Some(answer);
    }
    if is_my_vehicles(path) {
        let mut answer: Value = serde_json::from_str(&store.setting(&vehicles_key(user?)).await.ok()??).ok()?;
        answer["offline"] = Value::Bool(true);
        return Some(answer);
    }
    if let Some(booking) = receipt_of(path) {
        return store.setting(&receipt_key(user?, booking)).await.ok()?.map(Value::String);
    }
    if is_my_bookings(path) {
        let items = store.cached_bookings(user?).await.ok()?;
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
        assert!(is_my_vehicles("/api/me/vehicles"));
        assert!(!is_my_vehicles("/api/me/vehicles/6f1c2a52-8d0e-4f5b-9a3e-0c1d2e3f4a5b"));
        let id = "6f1c2a52-8d0e-4f5b-9a3e-0c1d2e3f4a5b";
        assert_eq!(driveway_id(&format!("/api/driveways/{id}")), Some(id));
        assert_eq!(driveway_id(&format!("/api/driveways/{id}?x=1")), Some(id));
        assert_eq!(driveway_id(&format!("/api/driveways/{id}/availability")), None);
        assert_eq!(driveway_id("/api/driveways/mine"), None);
        assert_eq!(receipt_of(&format!("/api/bookings/{id}/receipt")), uuid::Uuid::parse_str(id).ok());
        assert_eq!(receipt_of(&format!("/api/bookings/{id}/receipt?format=pdf")), None, "the page only");
        assert_eq!(receipt_of("/api/bookings/mine/receipt"), None);
    }

    #[tokio::test]
    async fn places_found_online_are_found_again_offline_by_any_of_their_words() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = LocalStore::open(&dir.path().join("app.db")).await.expect("the local store");
        let answer = |labels: &[&str]| serde_json::json!({"items": labels.iter().map(|l| serde_json::json!({"label": l, "kind": "city", "lat": 1.0, "lng": 2.0})).collect::<Vec<_>>()});
        assert_eq!(place_query("/api/places?limit=6&q=San%20Jos%C3%A9&near=1,2").as_deref(), Some("san josé"));
        assert_eq!(place_query("/api/places?q=%20"), None);
        assert_eq!(place_query("/api/placesx?q=a"), None);
        remember(
            &store,
            None,
            "/api/places?q=oakl",
            &answer(&["Oakland, CA, United States", "Oakley, CA, United States"]),
        )
        .await;
        remember(
            &store,
            None,
            "/api/places?q=oakland",
            &answer(&["Oakland, CA, United States", "Oakland, TN, United States"]),
        )
        .await;
        let offline = recall(&store, None, "/api/places?limit=6&q=Oakland%20ca").await.expect("an answer");
        assert_eq!(offline["offline"], true);
        let labels: Vec<&str> =
            offline["items"].as_array().expect("items").iter().filter_map(|p| p["label"].as_str()).collect();
        assert_eq!(labels, ["Oakland, CA, United States"], "every word, each place once");
        let some = recall(&store, None, "/api/places?limit=2&q=oak").await.expect("an answer");
        assert_eq!(some["items"].as_array().map(Vec::len), Some(2), "at most the limit");
        let none = recall(&store, None, "/api/places?q=paris").await.expect("an answer");
        assert_eq!(none["items"], serde_json::json!([]), "an empty list, not an error");
    }

    #[tokio::test]
    async fn an_opened_receipt_can_be_read_again_offline_by_its_user_only() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = LocalStore::open(&dir.path().join("app.db")).await.expect("the local store");
        let (driver, stranger) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let path = "/api/bookings/6f1c2a52-8d0e-4f5b-9a3e-0c1d2e3f4a5b/receipt";
        let page = Value::String("<!DOCTYPE html><h1>Receipt 2026-000001</h1>".to_owned());
        assert_eq!(recall(&store, Some(driver), path).await, None, "nothing before it was opened");
        remember(&store, Some(driver), path, &page).await;
        assert_eq!(recall(&store, Some(driver), path).await, Some(page));
        assert_eq!(recall(&store, Some(stranger), path).await, None, "another account on this device");
        assert_eq!(recall(&store, None, path).await, None, "signed out");
    }
}
