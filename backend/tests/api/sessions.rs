//! Sessions: short access tokens, rotating refresh tokens, sign-out and password change that
//! take effect at once, and guessing bounded per address and per account.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use futures_util::StreamExt;
use parkway_core::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Signs up a driver; returns (access token, refresh token, email).
async fn sign_up(app: &TestApp) -> (String, String, String) {
    let email = format!("s-{}@example.com", uuid::Uuid::new_v4().simple());
    let a = app
        .post(
            "/api/auth/register",
            None,
            json!({"email": email, "password": "correct horse", "name": "Sam", "roles": ["driver"]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert!(a.str("refreshToken").len() >= 32, "{:?}", a.body);
    (a.str("token"), a.str("refreshToken"), email)
}

async fn login(app: &TestApp, email: &str, password: &str) -> crate::helpers::Answer {
    app.post("/api/auth/login", None, json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn a_refresh_rotates_and_a_replayed_token_ends_the_session() {
    let app = spawn_app().await;
    let (token, refresh, _) = sign_up(&app).await;
    let first = app.post("/api/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let (token2, refresh2) = (first.str("token"), first.str("refreshToken"));
    assert_ne!(refresh2, refresh);
    assert_eq!(app.get("/api/me", Some(&token2)).await.status, StatusCode::OK);

    // At once, the spent token again is a second tab racing the first: refused, nothing ends.
    let racing = app.post("/api/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(racing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", Some(&token2)).await.status, StatusCode::OK);

    // Later, the spent token again: someone copied it. The whole session ends, for both holders.
    app.clock.advance(chrono::Duration::minutes(1));
    let replay = app.post("/api/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", Some(&token2)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    let next = app.post("/api/auth/refresh", None, json!({"refreshToken": refresh2})).await;
    assert_eq!(next.status, StatusCode::UNAUTHORIZED, "the rotated token died with its session");

    let garbage = app.post("/api/auth/refresh", None, json!({"refreshToken": "nope"})).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_web_ui_refreshes_with_its_cookie() {
    let app = spawn_app().await;
    let email = format!("c-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .client
        .post(format!("{}/api/auth/register", app.base))
        .json(&json!({"email": email, "password": "correct horse", "name": "Cy", "roles": ["driver"]}))
        .send()
        .await
        .expect("sent");
    let cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/api/auth"));
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let refreshed =
        app.client.post(format!("{}/api/auth/refresh", app.base)).header("cookie", &pair).send().await.expect("sent");
    assert_eq!(refreshed.status(), StatusCode::OK);
    let renewed = refreshed.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a new cookie").to_owned();
    let body: serde_json::Value = refreshed.json().await.expect("JSON");
    assert!(body["token"].as_str().is_some_and(|t| !t.is_empty()));
    // The page's scripts never see the refresh token: it lives only in the HttpOnly cookie.
    assert!(body.get("refreshToken").is_none(), "{body}");
    let next = renewed.split(';').next().expect("name=value").trim_start_matches("parkway_refresh=").to_owned();
    assert!(next.len() >= 32 && !body.to_string().contains(&next));
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_closes_its_websocket() {
    let app = spawn_app().await;
    let (token, refresh, email) = sign_up(&app).await;
    let other = login(&app, &email, "correct horse").await.str("token");
    let ws_url = format!("{}/api/ws?token={token}", app.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.expect("connected");

    let out = app.post("/api/auth/logout", Some(&token), json!({})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post("/api/auth/refresh", None, json!({"refreshToken": refresh})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/me", Some(&other)).await.status, StatusCode::OK, "only the caller's session ends");

    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = socket.next().await {
            if let Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))) = msg {
                return Some(u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    assert_eq!(closed, Some(4001));
}

#[tokio::test]
async fn a_password_change_ends_every_other_session() {
    let app = spawn_app().await;
    let (token, _, email) = sign_up(&app).await;
    let stolen = login(&app, &email, "correct horse").await.str("token");
    let wrong = app
        .post("/api/auth/password", Some(&token), json!({"currentPassword": "guess", "newPassword": "new horse 1"}))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let changed = app
        .post(
            "/api/auth/password",
            Some(&token),
            json!({"currentPassword": "correct horse", "newPassword": "new horse 1"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(app.get("/api/me", Some(&stolen)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", Some(&token)).await.status, StatusCode::OK);
    assert_eq!(login(&app, &email, "correct horse").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, &email, "new horse 1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_by_one() {
    let app = spawn_app().await;
    let (token, _, email) = sign_up(&app).await;
    let laptop = login(&app, &email, "correct horse").await.str("token");
    let list = app.get("/api/auth/sessions", Some(&token)).await;
    let items = list.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let laptop_id = items.iter().find(|s| s["current"] == false).expect("other")["id"].as_str().expect("id").to_owned();

    let (stranger, _, _) = sign_up(&app).await;
    let theirs = app.delete(&format!("/api/auth/sessions/{laptop_id}"), Some(&stranger)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete(&format!("/api/auth/sessions/{laptop_id}"), Some(&token)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get("/api/me", Some(&laptop)).await.status, StatusCode::UNAUTHORIZED);
}

/// A client whose requests leave from `127.0.0.n`.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))).build().expect("client")
}

#[tokio::test]
async fn twelve_wrong_passwords_from_twelve_addresses_lock_the_account_for_a_while() {
    // Each address stays well inside its own budget; the account's budget is what runs out.
    let app = spawn_app_with(|c| c.auth_rate_per_min = 5).await;
    let (_, _, email) = sign_up(&app).await;
    let mut statuses = Vec::new();
    for n in 2..14u8 {
        let res = client_from(n)
            .post(format!("{}/api/auth/login", app.base))
            .json(&json!({"email": email, "password": format!("guess {n}")}))
            .send()
            .await
            .expect("sent");
        statuses.push(res.status().as_u16());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10..], [429, 429]);
    // Even the right password waits now: otherwise guessing would simply go on.
    let right = client_from(20)
        .post(format!("{}/api/auth/login", app.base))
        .json(&json!({"email": email, "password": "correct horse"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_address_limit() {
    let app = spawn_app_with(|c| c.auth_rate_per_min = 3).await;
    let mut last = StatusCode::OK;
    for n in 0..4 {
        let res = app
            .client
            .post(format!("{}/api/auth/login", app.base))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&json!({"email": format!("nobody{n}@example.com"), "password": "whatever1"}))
            .send()
            .await
            .expect("sent");
        last = res.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "the header of an untrusted peer is ignored");

    // Behind a trusted proxy, each forwarded client has its own budget.
    let proxied = spawn_app_with(|c| {
        c.auth_rate_per_min = 3;
        c.trusted_proxies = parkway_backend::auth::client_ip::Cidr::parse_list("127.0.0.0/8").expect("cidr");
    })
    .await;
    for n in 0..6 {
        let res = proxied
            .client
            .post(format!("{}/api/auth/login", proxied.base))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&json!({"email": format!("nobody{n}@example.com"), "password": "whatever1"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "client {n} has its own bucket");
    }
}

#[tokio::test]
async fn a_slow_loris_client_is_dropped() {
    let app = spawn_app_with(|c| c.request_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connected");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("half a request");
    // The server gives up on the headers and closes: the read ends (EOF or reset), well before
    // this test's own generous bound.
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await;
    assert!(read.is_ok(), "the server kept a half-sent request open");
    // Others are still served.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn past_the_inflight_limit_requests_are_turned_away_with_retry_after() {
    let app = spawn_app_with(|c| c.max_inflight = 1).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // One request holds the only place: its body never finishes arriving.
    let mut holder = tokio::net::TcpStream::connect(&addr).await.expect("connected");
    holder
        .write_all(b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .expect("sent");
    // Wait until the server has taken it in: the next request is then refused.
    let mut refused = None;
    let started = std::time::Instant::now();
    while crate::helpers::patient(started) {
        let a = app.get("/healthz", None).await;
        if a.status == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some(a);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let refused = refused.expect("a request past the limit is refused");
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(refused.code(), ErrorCode::Unavailable503);
    drop(holder);
    let mut ok = false;
    let started = std::time::Instant::now();
    while crate::helpers::patient(started) {
        if app.get("/healthz", None).await.status == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ok, "the place is free again once the slow request is gone");
}

/// A booking checks its token's session inside its own transaction, not in a read before it:
/// a signed-out token books nothing, replays nothing under a key it used, and is told to sign
/// in before it is told anything about the driveway.
#[tokio::test]
async fn a_signed_out_token_books_nothing_and_replays_nothing() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await["id"].as_str().expect("id").to_owned();
    let start = crate::helpers::future(2);
    let body = |hours: i64| {
        json!({"driveway": d, "startTime": crate::helpers::rfc(start + chrono::Duration::hours(hours)),
               "endTime": crate::helpers::rfc(start + chrono::Duration::hours(hours + 1))})
    };
    let send = |token: String, key: &'static str, body: serde_json::Value| {
        let req =
            app.client.post(format!("{}/api/bookings", app.base)).bearer_auth(token).header("Idempotency-Key", key);
        async move { req.json(&body).send().await.expect("sent").status() }
    };
    assert_eq!(send(driver.token.clone(), "first", body(0)).await, StatusCode::CREATED);
    assert_eq!(send(driver.token.clone(), "first", body(0)).await, StatusCode::CREATED, "a replay while signed in");

    assert_eq!(app.post("/api/auth/logout", Some(&driver.token), json!({})).await.status, StatusCode::NO_CONTENT);
    // Without a key, with a key it used, with a new key, and for a driveway that is not there.
    assert_eq!(app.book(&driver, &d, start + chrono::Duration::hours(3), 60).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(driver.token.clone(), "first", body(0)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(send(driver.token.clone(), "second", body(5)).await, StatusCode::UNAUTHORIZED);
    let nowhere = app.book(&driver, &uuid::Uuid::new_v4().to_string(), start, 60).await;
    assert_eq!(nowhere.status, StatusCode::UNAUTHORIZED, "{:?}", nowhere.body);

    let token = app.sign_in_again(&driver).await;
    let mine = app.get("/api/bookings", Some(&token)).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1), "{:?}", mine.body);
    // The key the signed-out request tried was not claimed: it is still free to book with.
    assert_eq!(send(token, "second", body(5)).await, StatusCode::CREATED);
}
