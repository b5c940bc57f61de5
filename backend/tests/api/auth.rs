use crate::helpers::{spawn_app, spawn_app_with};
use parkway_core::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let reg = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": " Ann@Example.com ", "password": "long enough", "name": "Ann", "roles": ["driver", "owner"]}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED);
    assert_eq!(reg.body["user"]["email"], "ann@example.com");
    assert_eq!(reg.body["user"]["roles"], json!(["driver", "owner"]));
    assert!(reg.body["user"].get("passwordHash").is_none() && reg.body["user"].get("password_hash").is_none());

    let login = app.post("/api/auth/login", None, json!({"email": "ann@example.com", "password": "long enough"})).await;
    assert_eq!(login.status, StatusCode::OK);
    let me = app.get("/api/me", Some(&login.str("token"))).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], reg.body["user"]["id"]);
    assert!(me.body["createdAt"].as_str().expect("createdAt").ends_with('Z'));
}

#[tokio::test]
async fn register_refuses_bad_input_and_duplicates() {
    let app = spawn_app().await;
    let ok = json!({"email": "b@example.com", "password": "long enough", "name": "B", "roles": ["driver"]});
    assert_eq!(app.post("/api/auth/register", None, ok.clone()).await.status, StatusCode::CREATED);
    let dup = app.post("/api/auth/register", None, ok).await;
    assert_eq!((dup.status, dup.code()), (StatusCode::CONFLICT, ErrorCode::EmailTaken));

    for (body, field) in [
        (json!({"email": "c@example.com", "password": "short", "name": "C", "roles": ["driver"]}), "password"),
        (json!({"email": "not-an-email", "password": "long enough", "name": "C", "roles": ["driver"]}), "email"),
        (json!({"email": "c@example.com", "password": "long enough", "name": "C", "roles": []}), "roles"),
        (json!({"email": "c@example.com", "password": "long enough", "name": "C", "roles": ["admin"]}), "roles"),
        (json!({"email": "c@example.com", "password": "long enough", "roles": ["driver"]}), "name"),
        (json!({"email": "c@example.com", "password": "long enough", "name": " ", "roles": ["driver"]}), "name"),
        (json!({"email": "c@example.com", "password": 12345678, "name": "C", "roles": ["driver"]}), "password"),
    ] {
        let a = app.post("/api/auth/register", None, body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{field}: {:?}", a.body);
        assert_eq!(a.code(), ErrorCode::ValidationFailed);
        assert!(a.body["message"].as_str().expect("message").contains(field), "{field}: {:?}", a.body);
    }
}

#[tokio::test]
async fn login_gives_one_answer_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    let user = app.driver().await;
    let wrong = app.post("/api/auth/login", None, json!({"email": user.email, "password": "wrong password"})).await;
    let unknown =
        app.post("/api/auth/login", None, json!({"email": "nobody@example.com", "password": "whatever1"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn tokens_are_checked() {
    let app = spawn_app().await;
    assert_eq!(app.get("/api/me", None).await.code(), ErrorCode::Unauthorized);
    assert_eq!(app.get("/api/me", Some("not.a.token")).await.status, StatusCode::UNAUTHORIZED);
    let user = app.driver().await;
    // Tampering with the payload breaks the signature.
    let mut parts: Vec<String> = user.token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert_eq!(app.get("/api/me", Some(&parts.join("."))).await.status, StatusCode::UNAUTHORIZED);
    // An unsigned token ("alg": "none") is refused: the algorithm is pinned.
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", user.token.split('.').nth(1).expect("payload"));
    assert_eq!(app.get("/api/me", Some(&none)).await.status, StatusCode::UNAUTHORIZED);
    // A token signed by another server's secret is refused.
    let other = spawn_app().await;
    let stranger = other.driver().await;
    assert_eq!(app.get("/api/me", Some(&stranger.token)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.driver().await;
    assert_eq!(app.get("/api/me", Some(&user.token)).await.status, StatusCode::OK);
    // Test tokens last a day.
    app.clock.advance(chrono::Duration::hours(25));
    let a = app.get("/api/me", Some(&user.token)).await;
    assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized));
    let fresh = app.post("/api/auth/login", None, json!({"email": user.email, "password": "correct horse"})).await;
    assert_eq!(app.get("/api/me", Some(&fresh.str("token"))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn login_and_register_are_rate_limited_per_address() {
    let app = spawn_app_with(|c| c.auth_rate_per_min = 3).await;
    for _ in 0..3 {
        let a = app.post("/api/auth/login", None, json!({"email": "x@example.com", "password": "whatever1"})).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app.post("/api/auth/login", None, json!({"email": "x@example.com", "password": "whatever1"})).await;
    assert_eq!((limited.status, limited.code()), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
    let retry: u64 = limited.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry));
    let reg = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": "y@example.com", "password": "long enough", "name": "Y", "roles": ["driver"]}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::TOO_MANY_REQUESTS);
}
