//! The offline outbox against the real server, through a fault-injecting TCP proxy written
//! here: connections refused, delayed, and cut after the request reached the server (so the
//! booking exists but the app never heard), the server restarted, and the sync task killed
//! and restarted twice. Afterwards every non-conflicting booking exists on the server exactly
//! once, every conflicting one is in state `conflict`, and nothing is lost.

use crate::common::{self, Api, Backend};
use chrono::{Duration, Utc};
use parkway_app_lib::client::{BackendClient, user_of};
use parkway_app_lib::local::OutboxState;
use parkway_app_lib::sync::{Backoff, Change, SyncWorker};
use parkway_backend::{Config, Server};
use parkway_core::api::NewBooking;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::RwLock;

const UP: u8 = 0;
const REFUSE: u8 = 1;
const DELAY: u8 = 2;
const CUT_RESPONSE: u8 = 3;

/// A TCP proxy whose behaviour the test switches at will.
struct FaultProxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    target: Arc<RwLock<SocketAddr>>,
    /// Connections handled in each mode, to show the faults really happened.
    seen: Arc<[AtomicUsize; 4]>,
}

impl FaultProxy {
    async fn start(target: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mode = Arc::new(AtomicU8::new(UP));
        let target = Arc::new(RwLock::new(target));
        let seen: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
        let (m, t, counts) = (mode.clone(), target.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (mode, target) = (m.load(Ordering::SeqCst), *t.read().await);
                counts[mode as usize].fetch_add(1, Ordering::SeqCst);
                tokio::spawn(relay(client, target, mode));
            }
        });
        FaultProxy { addr, mode, target, seen }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

async fn relay(mut client: TcpStream, target: SocketAddr, mode: u8) {
    match mode {
        REFUSE => drop(client),
        CUT_RESPONSE => {
            // Pass the request on, let the server act on it, then hang up before the answer.
            let Ok(mut upstream) = TcpStream::connect(target).await else { return };
            let mut buf = vec![0u8; 64 * 1024];
            let Ok(n) = client.read(&mut buf).await else { return };
            if upstream.write_all(&buf[..n]).await.is_err() {
                return;
            }
            let _ = upstream.read(&mut buf).await;
        }
        _ => {
            if mode == DELAY {
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            }
            let Ok(mut upstream) = TcpStream::connect(target).await else { return };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_offline_bookings_survive_flapping_network_restarts_and_killed_sync() {
    let mut secret = None;
    let mut backend = Backend::start_with(|config| {
        config.token_ttl = std::time::Duration::from_secs(3600);
        secret = Some(config.jwt_secret.clone());
    })
    .await;
    let api = &backend.api;
    let owner_token = api.register("owner@example.com", "owner").await;
    let driver_token = api.register("driver@example.com", "driver").await;
    let rival_token = api.register("rival@example.com", "driver").await;
    let driver_id = user_of(&driver_token).expect("the token names its user");
    let driveways = api.create_driveways(&owner_token, 20, 0.001).await;

    // 200 requests made offline: slot k of driveway k % 20.
    let local = backend.app_store().await;
    let start = common::first_slot();
    let mut ids = Vec::new();
    for k in 0..200usize {
        let s = start + Duration::hours((k / 20) as i64);
        let request = NewBooking {
            expected_total_cents: Some(225),
            ..common::request(&driveways[k % 20], s, s + Duration::minutes(45))
        };
        let id = uuid::Uuid::new_v4();
        local.enqueue(id, driver_id, &request, Some("Driveway"), Utc::now()).await.expect("enqueued");
        ids.push((id, request));
    }
    // Meanwhile someone else books 20 of those slots directly: those must become conflicts.
    let mut taken = std::collections::HashSet::new();
    for k in (0..200usize).step_by(10) {
        let r = &ids[k].1;
        let b = api.book(&rival_token, &r.driveway.to_string(), r.start_time, r.end_time).await;
        assert!(b["id"].is_string(), "{b}");
        taken.insert(ids[k].0);
    }

    let proxy = FaultProxy::start(backend.server.addr()).await;
    // A connection per request, so the proxy's fault of the moment hits every request.
    let client = BackendClient::with_builder(
        &format!("http://{}", proxy.addr),
        reqwest::Client::builder().pool_max_idle_per_host(0),
    )
    .expect("client");
    client.set_token(Some(driver_token.clone()));
    let backoff = Backoff { base: std::time::Duration::from_millis(5), max: std::time::Duration::from_millis(60) };
    let worker = || SyncWorker::new(local.clone(), client.clone(), backoff, Arc::new(|_| {}));

    // The network flaps through every kind of fault while the sync task runs.
    let flapping = {
        let mode = proxy.mode.clone();
        tokio::spawn(async move {
            let pattern = [REFUSE, UP, CUT_RESPONSE, DELAY, UP, REFUSE, CUT_RESPONSE, UP];
            for i in 0.. {
                mode.store(pattern[i % pattern.len()], Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            }
        })
    };
    let mut task = tokio::spawn(worker().run(std::time::Duration::from_millis(20)));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    task.abort(); // killed mid-sync
    let _ = task.await;
    task = tokio::spawn(worker().run(std::time::Duration::from_millis(20)));

    // The server restarts on the same database.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    backend.server.shutdown().await.expect("graceful shutdown");
    let mut config = Config::for_database(&backend.db);
    config.max_unpaid_holds = 0;
    config.jwt_secret = secret.expect("secret");
    backend.server = Server::start(config).await.expect("server again");
    *proxy.target.write().await = backend.server.addr();

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    task.abort(); // killed again
    let _ = task.await;
    task = tokio::spawn(worker().run(std::time::Duration::from_millis(20)));

    // Flap until every kind of fault has hit at least one request, then let the network
    // settle; the worker drains the outbox.
    let every_fault_seen =
        || [REFUSE, DELAY, CUT_RESPONSE].iter().all(|m| proxy.seen[*m as usize].load(Ordering::SeqCst) > 0);
    let flap_deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !every_fault_seen() && tokio::time::Instant::now() < flap_deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    flapping.abort();
    proxy.set(UP);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pending = local.pending(driver_id).await.expect("pending");
        if pending.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} items never synced", pending.len());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    task.abort();

    let mine = Api::new(backend.server.addr()).get("/api/bookings?limit=200", &driver_token).await;
    let on_server: Vec<&Value> = mine["items"].as_array().expect("items").iter().collect();
    assert_eq!(on_server.len(), 180, "every non-conflicting request booked exactly once");
    let server_ids: std::collections::HashSet<&str> = on_server.iter().map(|b| b["id"].as_str().expect("id")).collect();
    assert_eq!(server_ids.len(), 180);

    for (id, _) in &ids {
        let item = local.item(*id).await.expect("read").expect("nothing lost");
        if taken.contains(id) {
            assert_eq!(item.state, OutboxState::Conflict, "{id}");
            assert!(item.last_error.is_some());
        } else {
            assert_eq!(item.state, OutboxState::Synced, "{id}: {:?}", item.last_error);
            let booking = item.booking.expect("synced items keep the server's booking");
            assert!(server_ids.contains(booking.id.to_string().as_str()));
        }
    }
    let conflicts =
        local.outbox(driver_id).await.expect("outbox").iter().filter(|i| i.state == OutboxState::Conflict).count();
    assert_eq!(conflicts, 20);
    for (mode, name) in [(REFUSE, "refused"), (DELAY, "delayed"), (CUT_RESPONSE, "cut after the request")] {
        assert!(
            proxy.seen[mode as usize].load(Ordering::SeqCst) > 0,
            "no connection was {name}: the test proved nothing"
        );
    }
    let _ = backend.server.shutdown().await;
}

#[tokio::test]
async fn conflicts_offer_free_driveways_nearby_and_old_requests_expire() {
    let backend = Backend::start().await;
    let api = &backend.api;
    let owner = api.register("o@example.com", "owner").await;
    let driver = api.register("d@example.com", "driver").await;
    let rival = api.register("r@example.com", "driver").await;
    let driveways = api.create_driveways(&owner, 5, 0.002).await;
    let start = common::first_slot();
    let request = common::request(&driveways[0], start, start + Duration::hours(1));
    api.book(&rival, &driveways[0], start, start + Duration::hours(1)).await;

    let local = backend.app_store().await;
    let client = backend.app_client(&driver);
    let conflicted = uuid::Uuid::new_v4();
    let me = user_of(&driver).expect("user");
    local.enqueue(conflicted, me, &request, None, Utc::now()).await.expect("enqueue");
    let stale = uuid::Uuid::new_v4();
    let mut later = request.clone();
    later.start_time += Duration::hours(5);
    later.end_time += Duration::hours(5);
    local.enqueue(stale, me, &later, None, Utc::now() - Duration::days(8)).await.expect("enqueue");
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let worker = SyncWorker::new(
        local.clone(),
        client,
        Backoff::default(),
        Arc::new(move |change| {
            if let Change::Booking(item) = change {
                log.lock().expect("lock").push(item.state)
            }
        }),
    );
    let report = worker.pass(Utc::now()).await.expect("pass");
    assert_eq!((report.conflicts, report.expired), (1, 1));
    let item = local.item(conflicted).await.expect("read").expect("item");
    assert_eq!(item.state, OutboxState::Conflict);
    let alternatives = item.alternatives.expect("alternatives");
    let alternatives = alternatives.as_array().expect("array");
    assert_eq!(alternatives.len(), 3, "up to three free driveways nearby");
    assert!(alternatives.iter().all(|a| a["id"] != driveways[0].as_str()));
    let expired = local.item(stale).await.expect("read").expect("item");
    assert_eq!(expired.state, OutboxState::Expired);
    assert!(expired.last_error.expect("reason").contains("7 days"));
    assert!(seen.lock().expect("lock").contains(&OutboxState::Syncing), "the UI saw it being sent");

    // Finished items can be cleared from the list; one still waiting cannot (it may yet book).
    let waiting = uuid::Uuid::new_v4();
    local.enqueue(waiting, me, &later, Some("Later"), Utc::now()).await.expect("enqueue");
    assert!(!local.dismiss(waiting).await.expect("dismiss"), "a queued item stays");
    assert!(local.dismiss(conflicted).await.expect("dismiss"));
    assert!(local.item(conflicted).await.expect("read").is_none());
    assert_eq!(local.item(waiting).await.expect("read").expect("item").label.as_deref(), Some("Later"));
    let _ = backend.server.shutdown().await;
}

/// "Try now" (and any answer from the server) sends a request still backing off, and nothing
/// is sent, or failed, while nobody is signed in.
#[tokio::test]
async fn try_now_skips_the_backoff_and_signed_out_requests_wait() {
    let backend = Backend::start().await;
    let owner = backend.api.register("o@example.com", "owner").await;
    let driver = backend.api.register("d@example.com", "driver").await;
    let driveway = backend.api.create_driveway(&owner, "D", 37.77).await;
    let start = common::first_slot();
    let request = common::request(&driveway, start, start + Duration::hours(1));

    let proxy = FaultProxy::start(backend.server.addr()).await;
    let local = backend.app_store().await;
    let client = BackendClient::new(&format!("http://{}", proxy.addr)).expect("client");
    // A long backoff, so that only "Try now" can send it within the test.
    let backoff = Backoff { base: std::time::Duration::from_secs(600), max: std::time::Duration::from_secs(600) };
    let worker = SyncWorker::new(local.clone(), client.clone(), backoff, Arc::new(|_| {}));
    let id = uuid::Uuid::new_v4();
    local.enqueue(id, user_of(&driver).expect("user"), &request, Some("D"), Utc::now()).await.expect("enqueue");

    // Signed out: it waits, untouched.
    let report = worker.pass(Utc::now()).await.expect("pass");
    assert_eq!((report.waiting, report.failed), (1, 0));
    assert_eq!(local.item(id).await.expect("read").expect("item").attempts, 0);

    // Signed in but offline: one attempt, then it backs off.
    client.set_token(Some(driver));
    proxy.set(REFUSE);
    assert_eq!(worker.pass(Utc::now()).await.expect("pass").waiting, 1);
    proxy.set(UP);
    assert_eq!(worker.pass(Utc::now()).await.expect("pass").waiting, 1, "still backing off");
    assert_eq!(local.item(id).await.expect("read").expect("item").state, OutboxState::Queued);

    // "Try now": sent at once, booked once.
    worker.wake_now();
    assert_eq!(worker.pass(Utc::now()).await.expect("pass").synced, 1);
    assert_eq!(local.item(id).await.expect("read").expect("item").state, OutboxState::Synced);
    let _ = backend.server.shutdown().await;
}

/// A request saved offline belongs to whoever made it: another user signing in on the same
/// device never sends it or sees it, and it waits for its owner's return.
#[tokio::test]
async fn another_user_signing_in_never_sends_or_sees_the_outbox() {
    let backend = Backend::start().await;
    let owner = backend.api.register("o@example.com", "owner").await;
    let alice = backend.api.register("a@example.com", "driver").await;
    let bob = backend.api.register("b@example.com", "driver").await;
    let driveway = backend.api.create_driveway(&owner, "D", 37.77).await;
    let start = common::first_slot();
    let request = common::request(&driveway, start, start + Duration::hours(1));
    let local = backend.app_store().await;
    let (alice_id, bob_id) = (user_of(&alice).expect("user"), user_of(&bob).expect("user"));
    let id = uuid::Uuid::new_v4();
    local.enqueue(id, alice_id, &request, Some("D"), Utc::now()).await.expect("enqueue");

    let client = backend.app_client(&bob);
    let worker = SyncWorker::new(local.clone(), client.clone(), Backoff::default(), Arc::new(|_| {}));
    let report = worker.pass(Utc::now()).await.expect("pass");
    assert_eq!(report.synced, 0, "{report:?}");
    assert!(local.outbox(bob_id).await.expect("outbox").is_empty(), "Bob does not see Alice's request");
    let item = local.item(id).await.expect("read").expect("item");
    assert_eq!((item.state, item.attempts), (OutboxState::Queued, 0));

    // Alice signs in again on the device: her request is sent, under her name.
    client.set_token(Some(alice.clone()));
    assert_eq!(worker.pass(Utc::now()).await.expect("pass").synced, 1);
    let item = local.item(id).await.expect("read").expect("item");
    assert_eq!(item.booking.expect("booked").driver, alice_id);
    assert_eq!(local.outbox(alice_id).await.expect("outbox").len(), 1);
    let _ = backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_offline_arrive_once_in_order_and_a_refused_one_keeps_its_words() {
    let backend = Backend::start().await;
    let api = &backend.api;
    let owner = api.register("owner@example.com", "owner").await;
    let driver = api.register("driver@example.com", "driver").await;
    let stranger = api.register("stranger@example.com", "driver").await;
    let driveway = api.create_driveway(&owner, "Sunny driveway", 37.77).await;
    let start = common::first_slot();
    let booked = |b: Value| b["id"].as_str().expect("booking id").parse::<uuid::Uuid>().expect("uuid");
    let mine = booked(api.book(&driver, &driveway, start, start + Duration::hours(1)).await);
    let theirs = booked(api.book(&stranger, &driveway, start + Duration::hours(2), start + Duration::hours(3)).await);

    // Written on a phone with no signal: three to the owner, and one naming a booking that is
    // not the driver's (the server refuses it) between them.
    let local = backend.app_store().await;
    let me = user_of(&driver).expect("user");
    let now = Utc::now();
    let texts = ["Which side do I park on?", "I drive a blue van.", "Thanks!"];
    let mut written = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let id = uuid::Uuid::new_v4();
        local.enqueue_reply(id, me, mine, text, now + Duration::milliseconds(i as i64)).await.expect("kept");
        written.push(id);
        if i == 0 {
            let refused = uuid::Uuid::new_v4();
            local.enqueue_reply(refused, me, theirs, "Let me in", now).await.expect("kept");
            written.push(refused);
        }
    }
    let refused = written.remove(1);

    let proxy = FaultProxy::start(backend.server.addr()).await;
    let client = BackendClient::with_builder(
        &format!("http://{}", proxy.addr),
        reqwest::Client::builder().pool_max_idle_per_host(0),
    )
    .expect("client");
    client.set_token(Some(driver.clone()));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let backoff = Backoff { base: std::time::Duration::from_millis(5), max: std::time::Duration::from_millis(20) };
    let worker = SyncWorker::new(
        local.clone(),
        client,
        backoff,
        Arc::new(move |change| {
            if let Change::Reply(r) = change {
                log.lock().expect("lock").push((r.id, r.state, r.message.as_ref().map(|m| m.text.clone())));
            }
        }),
    );

    // The first message reaches the server but its answer is lost: it and everything after it
    // wait, so the owner never reads them out of order.
    proxy.set(CUT_RESPONSE);
    let report = worker.pass(Utc::now()).await.expect("pass");
    assert_eq!((report.synced, report.failed, report.waiting), (0, 0, 4), "{report:?}");
    let thread = format!("/api/bookings/{mine}/messages");
    assert_eq!(api.get(&thread, &owner).await["items"].as_array().expect("items").len(), 1);

    // Back online: the first is sent again under its key and lands once; the refused one keeps
    // its words for the driver and holds nothing back.
    proxy.set(UP);
    let report = worker.pass(Utc::now() + Duration::seconds(1)).await.expect("pass");
    assert_eq!((report.synced, report.failed, report.waiting), (3, 1, 0), "{report:?}");
    let read: Vec<String> = api.get(&thread, &owner).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["text"].as_str().expect("text").to_owned())
        .collect();
    assert_eq!(read, texts, "each message once, in the order written");
    let left = local.replies(me).await.expect("replies");
    assert_eq!(left.len(), 1, "sent messages leave the device");
    assert_eq!((left[0].id, left[0].state, left[0].text.as_str()), (refused, OutboxState::Failed, "Let me in"));
    assert!(left[0].last_error.is_some(), "the refusal is told in words");

    // The UI heard each one sent, with the server's copy to show in its thread.
    let events = seen.lock().expect("lock").clone();
    for (id, text) in written.iter().zip(texts) {
        assert!(
            events.iter().any(|(e, state, m)| e == id && *state == OutboxState::Synced && m.as_deref() == Some(text)),
            "{events:?}"
        );
    }
    assert!(local.dismiss_reply(me, refused).await.expect("dismiss"));
    assert!(local.replies(me).await.expect("replies").is_empty());
    let _ = backend.server.shutdown().await;
}
