use crate::helpers::{code_of, spawn_app};
use parkway_core::ErrorCode;
use reqwest::StatusCode;

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let big =
        format!("{{\"driveway\":\"{}\",\"specialRequests\":\"{}\"}}", uuid::Uuid::new_v4(), "x".repeat(70 * 1024));
    let res = app
        .client
        .post(format!("{}/api/bookings", app.base))
        .bearer_auth(&driver.token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(code_of(&body), ErrorCode::PayloadTooLarge);
}

#[tokio::test]
async fn malformed_bodies_are_validation_errors_not_crashes() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("application/json", "[]"),
        ("application/json", "null"),
        ("application/json", "{\"driveway\": 5}"),
        ("text/plain", "{}"),
        (
            "application/json",
            "{\"driveway\":\"00000000-0000-0000-0000-000000000000\",\"startTime\":\"2030-13-45T99:00:00Z\",\"endTime\":\"x\"}",
        ),
    ] {
        let res = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: serde_json::Value = res.json().await.expect("json");
        assert_eq!(code_of(&json), ErrorCode::ValidationFailed, "{body}");
    }
    let bad_id = app.get("/api/bookings/not-a-uuid", Some(&driver.token)).await;
    assert_eq!(bad_id.status, StatusCode::NOT_FOUND);
    let bad_method = app.request(reqwest::Method::PATCH, "/api/bookings", Some(&driver.token), None).await;
    assert_eq!(bad_method.status, StatusCode::METHOD_NOT_ALLOWED);
}
