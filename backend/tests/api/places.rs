//! `GET /api/places` and driveways placed by address: the built-in places from a small file
//! written here, the driveways' own words, and an external geocoder played by a local double
//! that speaks Nominatim's search API (a fake: the public server cannot be reached from tests,
//! and its policy forbids test traffic).

use crate::helpers::{TestApp, spawn_app_with};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use parkway_core::ErrorCode;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PLACES: &str = "name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation\n\
    Oakland\tOaklandas\tCA\tUS\tUnited States\t37.80437\t-122.27080\t419267\n\
    Oakland\t\tTN\tUS\tUnited States\t35.22898\t-89.51508\t7488\n\
    Oakland Park\t\tFL\tUS\tUnited States\t26.17231\t-80.13199\t44229\n\
    Springfield\t\tIL\tUS\tUnited States\t39.80172\t-89.64371\t116565\n\
    Springfield\t\tMO\tUS\tUnited States\t37.21533\t-93.29824\t166810\n\
    Zürich\tZurigo\t\tCH\tSwitzerland\t47.36667\t8.55000\t341730\n\
    San Francisco\t\tCA\tUS\tUnited States\t37.77493\t-122.41942\t864816\n";

/// A server with the places above (and whatever `configure` adds).
async fn app_with_places(configure: impl FnOnce(&mut parkway_backend::Config)) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cities.tsv");
    std::fs::write(&file, PLACES).expect("places written");
    let app = spawn_app_with(|c| {
        c.places_file = Some(file);
        configure(c);
    })
    .await;
    (app, dir)
}

/// A server with the places above and the Nominatim double below as its geocoder, asked at
/// most `max_rps` times a second and waited for at most `timeout`.
async fn app_with_geocoder(
    max_rps: u32,
    timeout: Duration,
    configure: impl FnOnce(&mut parkway_backend::places::geocoder::GeocoderSettings),
) -> (Nominatim, TestApp, tempfile::TempDir) {
    let (double, url) = Nominatim::start().await;
    let mut settings = parkway_backend::places::geocoder::GeocoderSettings { url, max_rps, email: None, timeout };
    configure(&mut settings);
    let (app, dir) = app_with_places(|c| c.geocoder = Some(settings)).await;
    (double, app, dir)
}

fn labels(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().expect("label").to_owned()).collect()
}

#[tokio::test]
async fn cities_rank_by_match_then_size_then_nearness() {
    let (app, _dir) = app_with_places(|_| {}).await;
    let a = app.get("/api/places?q=Oakland", None).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(
        labels(&a.body),
        ["Oakland, CA, United States", "Oakland, TN, United States", "Oakland Park, FL, United States"]
    );
    let first = &a.body["items"][0];
    assert_eq!(first["kind"], "city");
    assert_eq!((first["lat"].as_f64(), first["lng"].as_f64()), (Some(37.80437), Some(-122.2708)));
    assert_eq!(a.body["items"][1]["kind"], "town");

    // Typing on: "Oakland P" is only the park now.
    assert_eq!(labels(&app.get("/api/places?q=oakland%20p", None).await.body), ["Oakland Park, FL, United States"]);
    // A near Springfield beats a far one.
    let chicago = app.get("/api/places?q=springfield&near=41.85,-87.65", None).await;
    assert_eq!(labels(&chicago.body)[0], "Springfield, IL, United States");
    let tulsa = app.get("/api/places?q=springfield&near=36.15,-95.99", None).await;
    assert_eq!(labels(&tulsa.body)[0], "Springfield, MO, United States");
    // Accents and case fold; an alternate name finds its place.
    for q in ["zurich", "ZÜRICH", "zurigo"] {
        assert_eq!(labels(&app.get(&format!("/api/places?q={q}"), None).await.body), ["Zürich, Switzerland"], "{q}");
    }
    // Words after the name narrow by region.
    assert_eq!(labels(&app.get("/api/places?q=oakland%2C%20tn", None).await.body), ["Oakland, TN, United States"]);
    // limit.
    assert_eq!(labels(&app.get("/api/places?q=oakland&limit=1", None).await.body).len(), 1);
    assert!(labels(&app.get("/api/places?q=nowhere%20at%20all", None).await.body).is_empty());
}

#[tokio::test]
async fn bad_queries_are_refused_clearly() {
    let (app, _dir) = app_with_places(|_| {}).await;
    let long = "a".repeat(201);
    for path in [
        "/api/places".to_owned(),
        "/api/places?q=%20%20".to_owned(),
        format!("/api/places?q={long}"),
        "/api/places?q=oak&limit=0".to_owned(),
        "/api/places?q=oak&limit=21".to_owned(),
        "/api/places?q=oak&near=north".to_owned(),
        "/api/places?q=oak&near=91,0".to_owned(),
        "/api/places?q=oak&limit=x".to_owned(),
    ] {
        let a = app.get(&path, None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {:?}", a.body);
        assert_eq!(a.code(), ErrorCode::ValidationFailed, "{path}");
    }
}

#[tokio::test]
async fn driveways_are_found_by_their_words_while_they_are_listed() {
    let (app, _dir) = app_with_places(|_| {}).await;
    let owner = app.owner().await;
    let d = app
        .driveway(
            &owner,
            json!({"title": "Garage near Oracle Park", "address": "500 Howard St, San Francisco", "lat": 37.7877, "lng": -122.3969}),
        )
        .await;
    let id = d["id"].as_str().expect("id");
    let find = |q: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/places?q={q}&near=37.78,-122.40"), None).await.body }
    };
    let found = find("500%20howard").await;
    assert_eq!(found["items"][0]["kind"], "driveway", "{found}");
    assert_eq!(found["items"][0]["label"], "Garage near Oracle Park, 500 Howard St, San Francisco");
    // Word starts, any order, accents folded.
    assert_eq!(find("orac%20gar").await["items"][0]["kind"], "driveway");
    assert_eq!(find("%C3%B6racle").await["items"][0]["kind"], "driveway");
    // Words longer than the index's prefixes are checked whole: "garages" shares "garage"'s
    // first six letters but is not in the driveway.
    assert_eq!(find("garage%20oracle").await["items"][0]["kind"], "driveway");
    // A word just begun, one letter, still counts.
    assert_eq!(find("garage%20o").await["items"][0]["kind"], "driveway");
    assert!(find("garage%20x").await["items"].as_array().expect("items").is_empty());
    let longer = find("garages").await;
    assert!(longer["items"].as_array().expect("items").iter().all(|p| p["kind"] != "driveway"), "{longer}");
    // An edited address is found by its new words, not its old ones.
    let edited = app.put(&format!("/api/driveways/{id}"), Some(&owner.token), json!({"address": "1 Market St"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert!(find("howard").await["items"].as_array().expect("items").is_empty());
    assert_eq!(find("market").await["items"][0]["kind"], "driveway");
    // A deleted driveway is gone from place search.
    assert_eq!(app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await.status, StatusCode::NO_CONTENT);
    assert!(find("market").await["items"].as_array().expect("items").is_empty());
    // Query syntax of the engines' full-text search is just text here.
    for q in ["%22market", "market%2A%20OR%20x", "NOT%20market", "a%3A%2A%20%26%20b", "%28%29%7C%21"] {
        let a = app.get(&format!("/api/places?q={q}"), None).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {:?}", a.body);
    }
}

/// How the double answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    Down,
    Slow,
}

/// One request the double saw: its query, its User-Agent and when it arrived.
type Seen = (HashMap<String, String>, String, Instant);

/// A local double of a Nominatim server: answers `/search` from a few known places, records
/// every request (query, User-Agent, arrival), and can be down or slow.
#[derive(Clone)]
struct Nominatim {
    requests: Arc<Mutex<Vec<Seen>>>,
    mode: Arc<Mutex<Mode>>,
}

impl Nominatim {
    async fn start() -> (Nominatim, String) {
        let double = Nominatim { requests: Arc::default(), mode: Arc::new(Mutex::new(Mode::Normal)) };
        let router = axum::Router::new().route("/search", axum::routing::get(search)).with_state(double.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        (double, base)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().expect("requests").clone()
    }
}

async fn search(
    State(double): State<Nominatim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    double.requests.lock().expect("requests").push((q.clone(), agent, Instant::now()));
    let mode = *double.mode.lock().expect("mode");
    match mode {
        Mode::Down => return (AxumStatus::SERVICE_UNAVAILABLE, "down for maintenance").into_response(),
        Mode::Slow => tokio::time::sleep(Duration::from_secs(10)).await,
        Mode::Normal => {}
    }
    if q.get("format").map(String::as_str) != Some("jsonv2") {
        return (AxumStatus::BAD_REQUEST, "format").into_response();
    }
    let text = q.get("q").map(|s| s.to_lowercase()).unwrap_or_default();
    let results = if text.contains("oracle park") {
        json!([{"place_id": 1, "lat": "37.7786", "lon": "-122.3893", "display_name": "Oracle Park, 24 Willie Mays Plaza, San Francisco, California, United States",
                "boundingbox": ["37.7772", "37.7801", "-122.3912", "-122.3875"], "importance": 0.62, "category": "leisure", "type": "stadium", "addresstype": "leisure"}])
    } else if text.contains("1 dr carlton b goodlett") {
        json!([{"place_id": 2, "lat": "37.77927", "lon": "-122.41924", "display_name": "1, Dr Carlton B Goodlett Place, San Francisco, California, United States",
                "boundingbox": ["37.779", "37.7795", "-122.4195", "-122.419"], "importance": 0.3, "type": "house", "addresstype": "building"}])
    } else if text.contains("kehl") {
        json!([{"place_id": 3, "lat": "48.5700", "lon": "7.8150", "display_name": "Hauptstraße 1, Kehl, Baden-Württemberg, Deutschland", "importance": 0.3, "addresstype": "house"}])
    } else {
        json!([])
    };
    axum::Json(results).into_response()
}

#[tokio::test]
async fn the_geocoder_adds_addresses_and_landmarks_and_each_query_is_asked_once() {
    let (double, app, _dir) =
        app_with_geocoder(50, Duration::from_millis(500), |g| g.email = Some("ops@parkway.example".into())).await;
    let a = app.get("/api/places?q=Oracle%20Park&near=37.77,-122.42", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let first = &a.body["items"][0];
    assert_eq!(first["label"], "Oracle Park, 24 Willie Mays Plaza, San Francisco, California, United States");
    assert_eq!(first["kind"], "place");
    assert_eq!(first["bbox"], json!([-122.3912, 37.7772, -122.3875, 37.7801]));
    let seen = double.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.get("q").map(String::as_str), Some("Oracle Park"));
    assert_eq!(seen[0].0.get("email").map(String::as_str), Some("ops@parkway.example"));
    assert!(seen[0].1.starts_with("Parkway/"), "a User-Agent that names the service: {:?}", seen[0].1);

    // The same place again, however it is written, comes from the cache.
    let again = app.get("/api/places?q=oracle%20PARK", None).await;
    assert_eq!(labels(&again.body)[0], labels(&a.body)[0]);
    assert_eq!(double.requests().len(), 1);
    // Type-ahead never asks the geocoder; it still gets the built-in places.
    let typing = app.get("/api/places?q=oakla&autocomplete=true", None).await;
    assert_eq!(labels(&typing.body)[0], "Oakland, CA, United States");
    assert_eq!(double.requests().len(), 1);
    // But it does show what earlier searches cached.
    let cached = app.get("/api/places?q=oracle%20park&autocomplete=true", None).await;
    assert_eq!(cached.body["items"][0]["kind"], "place");
    assert_eq!(double.requests().len(), 1);
}

#[tokio::test]
async fn a_geocoder_that_is_down_or_slow_leaves_the_built_in_places() {
    let (double, app, _dir) = app_with_geocoder(50, Duration::from_millis(300), |_| {}).await;
    double.set(Mode::Down);
    let down = app.get("/api/places?q=oakland", None).await;
    assert_eq!(down.status, StatusCode::OK);
    assert_eq!(labels(&down.body)[0], "Oakland, CA, United States");
    double.set(Mode::Slow);
    let started = Instant::now();
    let slow = app.get("/api/places?q=springfield", None).await;
    assert_eq!(slow.status, StatusCode::OK);
    assert_eq!(labels(&slow.body).len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "the geocoder's timeout bounds the wait");
    // A failure is not cached: once it is back, it is asked again.
    double.set(Mode::Normal);
    let back = app.get("/api/places?q=oracle%20park", None).await;
    assert_eq!(back.body["items"][0]["kind"], "place");
    assert_eq!(double.requests().len(), 3);
}

#[tokio::test]
async fn the_geocoder_is_asked_at_most_once_a_second() {
    let (double, app, _dir) = app_with_geocoder(1, Duration::from_secs(5), |_| {}).await;
    // Six different searches at once: the geocoder sees them a second apart, and the ones that
    // would wait longer than a second go without it, still answered.
    let queries = ["oakland", "springfield", "zurich", "san francisco", "oracle park", "oakland park"];
    let app = &app;
    let answers = futures_util::future::join_all(queries.iter().map(|q| {
        let path = format!("/api/places?q={q}");
        async move { app.get(&path, None).await }
    }))
    .await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    }
    let seen = double.requests();
    assert!((1..=2).contains(&seen.len()), "{} requests reached the geocoder", seen.len());
    for pair in seen.windows(2) {
        let gap = pair[1].2.duration_since(pair[0].2);
        assert!(gap >= Duration::from_millis(900), "two requests {gap:?} apart");
    }
}

#[tokio::test]
async fn a_driveway_without_a_pin_is_placed_by_its_address_and_gets_its_time_zone() {
    let (_double, app, _dir) = app_with_geocoder(50, Duration::from_secs(2), |_| {}).await;
    let owner = app.owner().await;
    let body = |address: &str| json!({"title": "Spot", "address": address, "pricePerHourCents": 300});
    let a = app.post("/api/driveways", Some(&owner.token), body("1 Dr Carlton B Goodlett Pl, San Francisco")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!((a.body["lat"].as_f64(), a.body["lng"].as_f64()), (Some(37.77927), Some(-122.41924)));
    assert_eq!(a.body["timezone"], "America/Los_Angeles");
    // Across the Rhine from Strasbourg, Kehl keeps German time.
    let kehl = app.post("/api/driveways", Some(&owner.token), body("Hauptstraße 1, Kehl")).await;
    assert_eq!(kehl.body["timezone"], "Europe/Berlin", "{:?}", kehl.body);
    let strasbourg = app
        .post(
            "/api/driveways",
            Some(&owner.token),
            json!({"title": "Spot", "address": "1 Quai Kléber", "lat": 48.5734, "lng": 7.7521, "pricePerHourCents": 300}),
        )
        .await;
    assert_eq!(strasbourg.body["timezone"], "Europe/Paris");
    // An address nobody knows asks for a pin.
    let unknown = app.post("/api/driveways", Some(&owner.token), body("nowhere road 99")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body["message"].as_str().unwrap_or_default().contains("pin"), "{:?}", unknown.body);
    // Half a position is refused.
    let half = app
        .post(
            "/api/driveways",
            Some(&owner.token),
            json!({"title": "Spot", "address": "x", "lat": 37.7, "pricePerHourCents": 300}),
        )
        .await;
    assert_eq!(half.status, StatusCode::BAD_REQUEST);
    // Moving a driveway moves its time zone, unless one is given.
    let id = strasbourg.body["id"].as_str().expect("id");
    let moved = app.put(&format!("/api/driveways/{id}"), Some(&owner.token), json!({"lat": 48.57, "lng": 7.815})).await;
    assert_eq!(moved.body["timezone"], "Europe/Berlin");
    let kept = app
        .put(
            &format!("/api/driveways/{id}"),
            Some(&owner.token),
            json!({"lat": 48.5734, "lng": 7.7521, "timezone": "UTC"}),
        )
        .await;
    assert_eq!(kept.body["timezone"], "UTC");
}

#[tokio::test]
async fn without_a_geocoder_a_driveway_needs_its_pin() {
    let (app, _dir) = app_with_places(|_| {}).await;
    let owner = app.owner().await;
    let a = app
        .post(
            "/api/driveways",
            Some(&owner.token),
            json!({"title": "Spot", "address": "1 Main St", "pricePerHourCents": 300}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), ErrorCode::ValidationFailed);
}

/// On PostgreSQL a place search's work must not grow with the driveways that share a word.
/// The GIN index gathered every driveway with a word starting "dr" before returning the first
/// (about 100 ms at a million); an ordered scan with a limit once walked the whole table for a
/// word none has (2.6 s). Each node of the search's plan, run for real, reads at most the word
/// index's bound, whether the word is everyone's, no one's, or one of two.
#[tokio::test]
async fn on_postgresql_a_place_search_reads_a_bounded_number_of_rows_however_common_the_word() {
    if !crate::helpers::on_postgres() {
        return;
    }
    let (app, _dir) = app_with_places(|_| {}).await;
    let owner = app.owner().await;
    // Many driveways that all share their words, written straight into the table.
    app.execute(
        "INSERT INTO driveways (id, owner_id, title, address, lat, lng, price_per_hour_cents, currency, timezone, \
         created_at, updated_at) SELECT gen_random_uuid()::text, ?, 'Driveway', 'Synthetic address', 37.7, -122.4, \
         300, 'usd', 'UTC', 0, 0 FROM generate_series(1, 20000)",
        &[&owner.id],
    )
    .await
    .expect("driveways inserted");
    // What autovacuum does after so many new rows.
    app.execute("ANALYZE driveways, driveway_words", &[]).await.expect("analysed");
    let store = &app.server().state().store;
    for words in [&["dr"][..], &["oak"], &["synthetic", "ad"], &["ad", "synthetic"]] {
        let plan = store
            .reader()
            .scalars::<String>(
                store.engine().driveways_matching(words, 32).within("EXPLAIN (ANALYZE, FORMAT TEXT) ", ""),
            )
            .await
            .expect("a plan")
            .join("\n");
        // Rows each node returned, "(actual time=0.049..0.058 rows=32 loops=1)", not the
        // planner's estimates beside them.
        let most = plan
            .split("actual time=")
            .skip(1)
            .filter_map(|rest| rest.split_once("rows=")?.1.split(' ').next()?.parse::<i64>().ok())
            .max()
            .unwrap_or(0);
        assert!(most <= parkway_backend::store::dialect::WORD_CANDIDATES, "{words:?}: {plan}");
    }
    // And the answers are right: both words of every driveway, in either order.
    for q in ["synthetic%20ad", "addr%20synth", "driveway"] {
        let found = app.get(&format!("/api/places?q={q}&autocomplete=true"), None).await;
        assert_eq!(found.status, StatusCode::OK);
        let kinds: Vec<&str> =
            found.body["items"].as_array().expect("items").iter().filter_map(|i| i["kind"].as_str()).collect();
        assert!(kinds.contains(&"driveway"), "{q}: {}", found.body);
    }
    assert_eq!(app.get("/api/places?q=oak&autocomplete=true", None).await.status, StatusCode::OK);
}
