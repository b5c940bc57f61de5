use crate::helpers::{spawn_app, spawn_postgres_app_with};
use parkway_core::ErrorCode;
use parkway_core::text::{Password, limits};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    let a = app.get("/healthz", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "ok");
    assert_eq!(a.body["payments"], "simulated", "no Stripe key: payments are simulated");
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn readiness_fails_once_the_database_is_closed() {
    let app = spawn_app().await;
    app.server().state().store.close().await;
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::SERVICE_UNAVAILABLE);
    // liveness does not depend on the database
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_answer_in_the_error_format() {
    let app = spawn_app().await;
    let a = app.get("/api/nothing-here", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.code(), ErrorCode::NotFound);
    assert!(a.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let a = app.get("/api/openapi.json", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
    let paths = a.body["paths"].as_object().expect("paths");
    for (method, path) in [
        ("post", "/api/auth/register"),
        ("post", "/api/auth/login"),
        ("post", "/api/auth/refresh"),
        ("post", "/api/auth/logout"),
        ("post", "/api/auth/password"),
        ("get", "/api/auth/sessions"),
        ("delete", "/api/auth/sessions/{id}"),
        ("get", "/api/me"),
        ("get", "/api/me/driveways"),
        ("get", "/api/me/vehicles"),
        ("post", "/api/me/vehicles"),
        ("put", "/api/me/vehicles/{id}"),
        ("delete", "/api/me/vehicles/{id}"),
        ("get", "/api/driveways"),
        ("post", "/api/driveways"),
        ("get", "/api/driveways/{id}"),
        ("put", "/api/driveways/{id}"),
        ("delete", "/api/driveways/{id}"),
        ("get", "/api/driveways/{id}/availability"),
        ("get", "/api/driveways/{id}/quote"),
        ("get", "/api/bookings"),
        ("post", "/api/bookings"),
        ("get", "/api/bookings/{id}"),
        ("put", "/api/bookings/{id}"),
        ("delete", "/api/bookings/{id}"),
        ("put", "/api/bookings/{id}/cancel"),
        ("put", "/api/bookings/{id}/confirm"),
        ("post", "/api/bookings/{id}/extend"),
        ("get", "/api/bookings/{id}/receipt"),
        ("get", "/api/bookings/{id}/review"),
        ("post", "/api/bookings/{id}/review"),
        ("put", "/api/bookings/{id}/review"),
        ("post", "/api/bookings/{id}/review/reply"),
        ("get", "/api/driveways/{id}/reviews"),
        ("post", "/api/driveways/{id}/photos"),
        ("put", "/api/driveways/{id}/photos/order"),
        ("delete", "/api/driveways/{id}/photos/{photoId}"),
        ("get", "/media/{key}"),
        ("get", "/api/bookings/{id}/messages"),
        ("post", "/api/bookings/{id}/messages"),
        ("post", "/api/bookings/{id}/messages/read"),
        ("get", "/api/notifications"),
        ("post", "/api/notifications/{id}/read"),
        ("get", "/api/metrics/owner"),
        ("post", "/api/payments/create-payment-intent"),
        ("post", "/api/payments/create-payment-intent-direct"),
        ("get", "/api/payments/status/{paymentIntentId}"),
        ("post", "/api/payments/webhook"),
        ("post", "/api/payments/simulated/{paymentIntentId}/confirm"),
        ("get", "/api/ws"),
        ("get", "/api/places"),
        ("get", "/api/devices"),
        ("post", "/api/devices"),
        ("delete", "/api/devices/{id}"),
        ("get", "/api/me/notification-settings"),
        ("put", "/api/me/notification-settings"),
        ("get", "/api/push/web-key"),
        ("get", "/api/driveways/clusters"),
        ("get", "/tiles/map.pmtiles"),
        ("get", "/api/openapi.json"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ] {
        let operation = paths.get(path).and_then(|p| p.get(method));
        assert!(operation.is_some(), "{method} {path} is not documented");
        let responses = operation.and_then(|o| o["responses"].as_object()).expect("responses");
        for status in ["500", "503"] {
            assert!(responses.contains_key(status), "{method} {path} does not document {status}");
        }
    }
}

/// The schema at `pointer` in the document (following one `$ref`).
fn schema<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
    let found = doc.pointer(pointer).unwrap_or_else(|| panic!("{pointer} is not in the document"));
    match found["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{r} is not in the document")),
        None => found,
    }
}

/// The document states the limits the server enforces, from the same constants.
#[test]
fn openapi_document_states_the_server_limits() {
    let doc: Value = serde_json::from_str(parkway_backend::http::openapi::DOCUMENT).expect("json");
    let s = |name: &str| schema(&doc, &format!("/components/schemas/{name}"));
    // Time zones: exactly the names the server's tz database parses.
    let mut documented: Vec<&str> =
        s("TimeZone")["enum"].as_array().expect("enum").iter().map(|v| v.as_str().expect("name")).collect();
    let mut known: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    documented.sort_unstable();
    known.sort_unstable();
    assert_eq!(documented, known, "TimeZone must list every name chrono-tz parses, and no other");
    // Text: the trimmed length, in the pattern's repeat count (first and last character apart).
    for (schema_name, field, max) in [
        ("NewDriveway", "title", limits::TITLE),
        ("NewDriveway", "address", limits::ADDRESS),
        ("NewDriveway", "accessInstructions", limits::ACCESS_INSTRUCTIONS),
        ("DrivewayPatch", "title", limits::TITLE),
        ("DrivewayPatch", "address", limits::ADDRESS),
        ("DrivewayPatch", "accessInstructions", limits::ACCESS_INSTRUCTIONS),
        ("RegisterRequest", "name", limits::NAME),
        ("NewBooking", "specialRequests", limits::SPECIAL_REQUESTS),
        ("BookingPatch", "specialRequests", limits::SPECIAL_REQUESTS),
    ] {
        let pattern = s(schema_name)["properties"][field]["pattern"].as_str().unwrap_or("");
        assert!(pattern.contains(&format!("{{0,{}}}", max - 2)), "{schema_name}.{field} must allow {max} characters");
    }
    let password = &s("RegisterRequest")["properties"]["password"];
    assert_eq!((password["minLength"].as_u64(), password["maxLength"].as_u64()), (Some(8), Some(256)));
    assert_eq!((Password::MIN_CHARS, Password::MAX_CHARS), (8, 256));
    assert_eq!(s("WeeklySchedule")["maxItems"].as_u64(), Some(parkway_core::availability::MAX_WINDOWS as u64));
    let bookings = doc["paths"]["/api/bookings"]["get"]["parameters"].as_array().expect("parameters");
    let limit = bookings.iter().find(|p| p["name"] == "limit").expect("limit");
    assert_eq!(limit["schema"]["maximum"].as_i64(), Some(parkway_backend::store::bookings::MAX_PAGE));
    let search = doc["paths"]["/api/driveways"]["get"]["parameters"].as_array().expect("parameters");
    let radius = search.iter().find(|p| p["name"] == "radiusM").expect("radiusM");
    assert_eq!(radius["schema"]["maximum"].as_f64(), Some(parkway_backend::http::driveways::MAX_RADIUS_M));
    let codes: Vec<&str> =
        s("Error")["properties"]["error"]["enum"].as_array().expect("enum").iter().filter_map(Value::as_str).collect();
    let sent: Vec<&str> = parkway_core::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for code in &sent {
        assert!(codes.contains(code), "the error code {code} is not documented");
    }
    for code in &codes {
        assert!(sent.contains(code), "the documented error code {code} is never sent");
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let path = format!("/api/driveways/{}", d["id"].as_str().expect("id"));
    // serde would read a struct from an array of its fields: `[null, null]` was an empty change.
    for body in [json!([null, null]), json!([]), json!(null), json!(5), json!("title")] {
        let a = app.put(&path, Some(&owner.token), body.clone()).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
            "{body}: {:?}",
            a.body
        );
    }
    let a = app.post("/api/auth/register", None, json!(["a@example.com", "long enough", "Ann", ["driver"]])).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{:?}", a.body);
    assert_eq!(app.get(&path, Some(&owner.token)).await.body, d, "nothing above changed the driveway");
    let a = app.put(&path, Some(&owner.token), json!({"title": "Renamed"})).await;
    assert_eq!((a.status, a.body["title"].as_str()), (StatusCode::OK, Some("Renamed")), "{:?}", a.body);
}

#[tokio::test]
async fn booking_pages_outside_the_documented_range_are_refused() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    for query in ["offset=-1", "limit=0", "limit=201", "limit=-5", "offset=x"] {
        let a = app.get(&format!("/api/bookings?{query}"), Some(&driver.token)).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
            "{query}: {:?}",
            a.body
        );
    }
    for query in ["limit=1&offset=0", "limit=200&offset=1000000", "as=owner&status=pending"] {
        let a = app.get(&format!("/api/bookings?{query}"), Some(&driver.token)).await;
        assert_eq!(a.status, StatusCode::OK, "{query}: {:?}", a.body);
    }
}

#[tokio::test]
async fn a_search_radius_below_one_metre_is_refused() {
    let app = spawn_app().await;
    let a = app.get("/api/driveways?lat=1&lng=1&radiusM=0.5", None).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{:?}", a.body);
    assert_eq!(app.get("/api/driveways?lat=1&lng=1&radiusM=1", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn postgres_cancels_a_statement_that_outlives_the_timeout() {
    let app = spawn_postgres_app_with(|c| c.db_statement_timeout = std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let slow = app.execute("SELECT pg_sleep(5)", &[]).await.expect_err("cancelled");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "cancelled after the timeout, not at the end");
    assert!(slow.to_string().contains("statement timeout"), "{slow}");
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK, "the pool is still usable");
}
