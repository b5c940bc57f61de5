//! Push: every notification that reaches a user's inbox also goes to their devices, so a phone
//! whose app is closed, or a browser without a Parkway tab, is told too.
//!
//! The inbox's insert queues one row per device (a trigger, in the same transaction), and
//! [`Push::send_due`] sends what is due: claimed, sent at most [`AT_ONCE`] at a time, then
//! deleted, retried later with a growing delay, or dropped with its device when the push
//! service says the device is gone. Each push service is configured by environment variables
//! and off without them; a push for a service that is off is dropped.

pub mod apns;
pub mod fcm;
pub mod webpush;

use crate::error::AppResult;
use crate::store::Store;
use crate::store::push_queue::{Due, Outcome, Target};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use parkway_core::device::Platform;
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde::Serialize;
use std::time::Duration as StdDuration;

/// Pushes claimed in one batch: sent [`AT_ONCE`] at a time, each within [`REQUEST_TIMEOUT`], a
/// batch ends well within the default claim of two minutes.
pub const BATCH: i64 = 256;
/// Requests to push services in flight at once.
pub const AT_ONCE: usize = 64;
/// Sends tried before a push is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a push service may take to answer.
const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Longest text pushed: a message's text is cut (the app shows it whole from the inbox).
const MAX_BODY_CHARS: usize = 1_000;

/// What the push services need, from the environment.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// Web Push: the server's VAPID key.
    pub vapid: Option<webpush::Vapid>,
    /// Android: Firebase, signed in as a service account.
    pub fcm: Option<fcm::Fcm>,
    /// iOS: APNs with the team's key.
    pub apns: Option<apns::Apns>,
    /// How long a sender holds the pushes it claimed (`PARKWAY_PUSH_CLAIM_SECS`): a sender
    /// that dies holds them that long, after which another instance, or this one restarted,
    /// sends them.
    pub claim: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings { vapid: None, fcm: None, apns: None, claim: Duration::minutes(2) }
    }
}

/// How a push is to be delivered, whatever the service.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Pushes with the same key replace each other on a device that was off: a booking's.
    pub collapse_key: Option<String>,
    /// Wake the device now (a reminder) rather than when convenient.
    pub urgent: bool,
    /// How long the service keeps it for a device that is off.
    pub ttl: Duration,
}

/// The push services configured, and the HTTP client that reaches them.
#[derive(Debug, Clone)]
pub struct Push {
    /// Shared: each send holds a copy of this handle.
    settings: std::sync::Arc<PushSettings>,
    client: reqwest::Client,
}

/// What a notification becomes on a device: the same JSON for every platform.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload<'a> {
    /// The notification's id: a push that arrives twice (its answer was lost) has the same.
    pub id: i64,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// The title shown.
    pub title: &'a str,
    /// The text shown.
    pub body: String,
    /// What it is about (`bookingId`, …): where a tap leads.
    pub data: &'a serde_json::Value,
}

impl Push {
    /// The services `settings` configures.
    pub fn new(settings: PushSettings) -> anyhow::Result<Push> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // A push service answers; it does not send the server elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Parkway/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Push { settings: std::sync::Arc::new(settings), client })
    }

    /// The VAPID public key browsers subscribe with, when Web Push is on.
    pub fn web_public_key(&self) -> Option<&str> {
        self.settings.vapid.as_ref().map(webpush::Vapid::public_key)
    }

    /// Sends one batch of the pushes due at `now`; the number claimed (a full batch means more
    /// may be waiting).
    pub async fn send_due(&self, store: &Store, now: DateTime<Utc>) -> AppResult<usize> {
        let due = store.claim_pushes(now, BATCH, self.settings.claim).await?;
        let claimed = due.len();
        // Outcomes are written as they come, not with the batch: each write takes every outcome
        // that came in meanwhile (one transaction, not one per push, so pushes do not crowd
        // bookings out of the database's writer). A sender that dies then sends again only what
        // it was waiting on or writing: at most twice AT_ONCE pushes. Each send owns what it
        // uses (the client is shared inside), so the futures borrow nothing from here.
        let mut outcomes = futures_util::stream::iter(due)
            .map(|d| {
                let push = self.clone();
                async move {
                    let outcome = push.send(&d, now).await;
                    (d, outcome)
                }
            })
            .buffer_unordered(AT_ONCE)
            .ready_chunks(AT_ONCE);
        while let Some(ready) = outcomes.next().await {
            let written: Vec<(&Due, Outcome)> = ready.iter().map(|(d, o)| (d, *o)).collect();
            store.finish_pushes(&written).await?;
        }
        Ok(claimed)
    }

    /// One push, and what became of it.
    async fn send(&self, due: &Due, now: DateTime<Utc>) -> Outcome {
        let Some(device) = &due.device else { return Outcome::Done };
        let payload = Payload {
            id: due.notification_id,
            kind: due.kind,
            title: &due.title,
            body: due.message.chars().take(MAX_BODY_CHARS).collect(),
            data: &due.data,
        };
        let delivery = Delivery {
            collapse_key: collapse_key(&due.data),
            urgent: due.kind == NotificationType::BookingReminder,
            ttl: ttl(due.kind),
        };
        let settings = &self.settings;
        let sent = match device.platform {
            Platform::Web => match &settings.vapid {
                Some(vapid) => self.web_push(vapid, device, &payload, &delivery, now).await,
                None => Sent::Off,
            },
            Platform::Android => match &settings.fcm {
                Some(fcm) => fcm.send(&self.client, &device.address, &payload, &delivery, now).await,
                None => Sent::Off,
            },
            Platform::Ios => match &settings.apns {
                Some(apns) => apns.send(&device.address, &payload, &delivery, now).await,
                None => Sent::Off,
            },
        };
        match sent {
            Sent::Taken | Sent::Off => Outcome::Done,
            Sent::Gone => Outcome::DeviceGone,
            Sent::Refused(why) => {
                tracing::warn!(notification = due.notification_id, %why, "a push service refused a push; dropped");
                Outcome::Done
            }
            Sent::Failed(why) if due.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(notification = due.notification_id, %why, attempts = due.attempts, "a push was given up");
                Outcome::Done
            }
            Sent::Failed(why) => {
                tracing::debug!(notification = due.notification_id, %why, "a push will be tried again");
                Outcome::RetryAt(now + backoff(due.attempts))
            }
        }
    }

    async fn web_push(
        &self,
        vapid: &webpush::Vapid,
        device: &Target,
        payload: &Payload<'_>,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Sent {
        let Some((p256dh, auth)) = &device.keys else { return Sent::Refused("a subscription without keys".into()) };
        let Ok(endpoint) = reqwest::Url::parse(&device.address) else {
            return Sent::Refused("an endpoint that is not a URL".into());
        };
        let json = match serde_json::to_vec(payload) {
            Ok(json) => json,
            Err(e) => return Sent::Refused(e.to_string()),
        };
        let body = match webpush::encrypt(&json, p256dh, auth) {
            Ok(body) => body,
            Err(e) => return Sent::Refused(e.to_string()),
        };
        let authorization = match vapid.authorization(&endpoint.origin().ascii_serialization(), now) {
            Ok(a) => a,
            Err(e) => return Sent::Failed(format!("signing: {e}")),
        };
        let mut request = self
            .client
            .post(endpoint)
            .header("Authorization", authorization)
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("TTL", delivery.ttl.num_seconds().to_string())
            .header("Urgency", if delivery.urgent { "high" } else { "normal" })
            .body(body);
        if let Some(topic) = &delivery.collapse_key {
            request = request.header("Topic", topic);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => Sent::Taken,
            Ok(r) if matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::GONE) => Sent::Gone,
            Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS || r.status().is_server_error() => {
                Sent::Failed(format!("the push service answered {}", r.status()))
            }
            Ok(r) => Sent::Refused(format!("the push service answered {}", r.status())),
            Err(e) => Sent::Failed(format!("the push service did not answer: {e}")),
        }
    }
}

/// What a push service did with one push.
pub(crate) enum Sent {
    /// Taken for delivery.
    Taken,
    /// Its service is not configured.
    Off,
    /// The device is no longer there.
    Gone,
    /// Refused for good: sending again would not help.
    Refused(String),
    /// Not taken this time.
    Failed(String),
}

/// How long a push service keeps a push for a device that is off: a reminder is moot once its
/// moment has passed, the rest matter for a day.
fn ttl(kind: NotificationType) -> Duration {
    match kind {
        NotificationType::BookingReminder => Duration::minutes(15),
        _ => Duration::hours(24),
    }
}

/// The booking a notification is about, as 32 hex digits: a Web Push `Topic` (at most 32
/// characters of base64url's alphabet) and the other services' collapse key.
fn collapse_key(data: &serde_json::Value) -> Option<String> {
    let id: uuid::Uuid = data.get("bookingId")?.as_str()?.parse().ok()?;
    Some(id.simple().to_string())
}

/// The wait before attempt `attempts + 1`: 10 s, doubling, at most an hour.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::seconds((10i64 << doublings.min(9)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=10).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
    }

    #[test]
    fn a_booking_is_its_own_collapse_key() {
        let id = uuid::Uuid::new_v4();
        let key = collapse_key(&serde_json::json!({"bookingId": id.to_string()})).expect("a key");
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(collapse_key(&serde_json::json!({"threadId": "x"})), None);
    }
}
