//! A server killed with SIGKILL in the middle of a load keeps every booking it answered 201 for.

use crate::helpers::{fresh_database, future, rfc};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const SECRET: &str = "durability-test-secret-0123456789";

fn start_server(db_url: &str) -> (Child, String) {
    start_server_with(db_url, &[])
}

/// The server binary on `db_url` with `env` besides the defaults, once it listens: its process
/// and base URL.
pub fn start_server_with(db_url: &str, env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parkway-server"))
        .envs(env.iter().copied())
        .env("DATABASE_URL", db_url)
        .env("PARKWAY_BIND", "127.0.0.1:0")
        .env("PARKWAY_JWT_SECRET", SECRET)
        .env("PARKWAY_AUTH_RATE_PER_MIN", "0")
        .env("PARKWAY_MAX_UNPAID_HOLDS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let addr = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    (child, addr)
}

pub async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("sent");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_acknowledged_booking() {
    let dir = tempfile::tempdir().expect("dir");
    let db_url = fresh_database(dir.path()).await;
    let (mut child, base) = start_server(&db_url);
    let client = reqwest::Client::new();
    let reg =
        |email: &str, role: &str| json!({"email": email, "password": "correct horse", "name": "N", "roles": [role]});
    let (_, owner) = post(&client, format!("{base}/api/auth/register"), None, reg("o@example.com", "owner")).await;
    let (_, driver) = post(&client, format!("{base}/api/auth/register"), None, reg("d@example.com", "driver")).await;
    let owner_token = owner["token"].as_str().expect("token").to_owned();
    let driver_token = driver["token"].as_str().expect("token").to_owned();
    let mut driveways = Vec::new();
    for i in 0..20 {
        let body =
            json!({"title": format!("D{i}"), "address": "A", "lat": 37.0, "lng": -122.0, "pricePerHourCents": 100});
        let (s, d) = post(&client, format!("{base}/api/driveways"), Some(&owner_token), body).await;
        assert_eq!(s, StatusCode::CREATED);
        driveways.push(d["id"].as_str().expect("id").to_owned());
    }

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for t in 0..8usize {
        let (client, base, token, driveways, acknowledged) =
            (client.clone(), base.clone(), driver_token.clone(), driveways.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..100_000usize {
                let n = i * 8 + t;
                let start = future(0) + Duration::minutes(30 * (n / driveways.len()) as i64);
                let body = json!({"driveway": driveways[n % driveways.len()], "startTime": rfc(start), "endTime": rfc(start + Duration::minutes(30))});
                let Ok(res) = client.post(format!("{base}/api/bookings")).bearer_auth(&token).json(&body).send().await else { break };
                if res.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(b) = res.json::<Value>().await else { break };
                acknowledged.lock().expect("lock").push(b["id"].as_str().expect("id").to_owned());
            }
        }));
    }
    // Let the load run, then kill the server without warning.
    while acknowledged.lock().expect("lock").len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    for t in tasks {
        let _ = t.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 200);

    let (mut child, base) = start_server(&db_url);
    let mut missing = Vec::new();
    for id in &acknowledged {
        let res =
            client.get(format!("{base}/api/bookings/{id}")).bearer_auth(&driver_token).send().await.expect("sent");
        if res.status() != StatusCode::OK {
            missing.push(id.clone());
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(missing.is_empty(), "{} of {} acknowledged bookings lost", missing.len(), acknowledged.len());
}
