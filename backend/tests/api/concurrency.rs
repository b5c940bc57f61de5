use crate::helpers::{future, rfc, spawn_app};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_overlapping_requests_make_exactly_one_booking() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let mut drivers = Vec::new();
    for _ in 0..5 {
        drivers.push(app.driver().await);
    }
    let start = future(2);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = format!("{}/api/bookings", app.base);
        let token = drivers[i % drivers.len()].token.clone();
        // Every slot overlaps every other one: they all contain [start+50min, start+60min).
        let s = start + Duration::minutes(i as i64);
        let body =
            json!({"driveway": id, "startTime": rfc(s), "endTime": rfc(start + Duration::minutes(60 + i as i64))});
        tasks.push(tokio::spawn(async move {
            client.post(url).bearer_auth(token).json(&body).send().await.expect("sent").status()
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => taken += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, taken), (1, 49));
    let owner_view = app.get("/api/bookings?as=owner", Some(&owner.token)).await;
    assert_eq!(owner_view.body["items"].as_array().map(Vec::len), Some(1));
}
