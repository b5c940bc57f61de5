use crate::helpers::{spawn_app, spawn_postgres_app_with};
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    let a = app.get("/healthz", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "ok");
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
    assert_eq!(a.code(), "not_found");
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
        ("get", "/api/me"),
        ("get", "/api/me/driveways"),
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
        ("get", "/api/notifications"),
        ("post", "/api/notifications/{id}/read"),
        ("get", "/api/metrics/owner"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not documented");
    }
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
