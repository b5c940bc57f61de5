//! The offline booking outbox, seen from the UI. In the Parkway app a booking goes through its
//! `book` command, which books at once when the server answers and otherwise keeps the request
//! on the device and sends it when the network is back. In a browser a booking is
//! `POST /api/bookings`, and one the network cannot take is kept in the browser
//! ([`super::web_outbox`]) under the same rules.

use super::{Api, ClientError, Transport, web_outbox};
use crate::map::features::quote;
use crate::platform::{in_tauri, tauri_invoke};
use chrono::{DateTime, Utc};
use parkway_core::api::{Booking, NewBooking};
use parkway_core::money::{Cents, Currency};
use parkway_core::outbox::OutboxState;
use parkway_core::slot::TimeSlot;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A free driveway offered after a conflict: what the outbox list shows of it (a search item or
/// a driveway reads as one; the rest of their fields is not kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alternative {
    /// The driveway.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its address.
    pub address: String,
    /// Its hourly price.
    pub price_per_hour_cents: Cents,
    /// In this currency.
    pub currency: Currency,
}

/// One booking request kept on the device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// The client's id, also the request's idempotency key.
    pub id: Uuid,
    /// The time asked for (the rest of the request is the app's business).
    pub request: TimeSlot,
    /// The driveway in words, as the driver saw it when booking.
    #[serde(default)]
    pub label: Option<String>,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts to send it so far.
    pub attempts: i64,
    /// The last problem, in a sentence.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Free driveways near the one that was taken, for the same time.
    #[serde(default)]
    pub alternatives: Option<Vec<Alternative>>,
    /// When it was saved.
    #[serde(deserialize_with = "parkway_core::time::utc")]
    pub created_at: DateTime<Utc>,
    /// When it last changed (the newer of two copies wins).
    #[serde(deserialize_with = "parkway_core::time::utc")]
    pub updated_at: DateTime<Utc>,
}

impl OutboxItem {
    /// The driveway in words, or a stand-in when the app did not keep its name.
    pub fn title(&self) -> &str {
        self.label.as_deref().unwrap_or("A driveway")
    }
}

/// What became of a booking attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Booked {
    /// The server made the booking; payment comes next.
    Now(Booking),
    /// No network: the request waits on the device.
    Queued(OutboxItem),
}

#[derive(Deserialize)]
struct BookAnswer {
    state: OutboxState,
    booking: Option<Booking>,
    item: Option<OutboxItem>,
}

#[derive(Deserialize)]
struct ErrorStatus {
    status: u16,
}

/// A command's refusal as the client error the server would have given.
pub(super) fn refusal(text: String) -> ClientError {
    match super::decode::<ErrorStatus>(&text) {
        Ok(e) if e.status == 503 => ClientError::Network,
        Ok(e) => ClientError::from_answer(e.status, &text),
        Err(_) => ClientError::Decode(text),
    }
}

async fn command(name: &str, args: &str) -> Result<String, ClientError> {
    tauri_invoke(name, args).await.map_err(refusal)
}

/// Reads the outbox as the app lists it.
pub fn parse_items(text: &str) -> Result<Vec<OutboxItem>, ClientError> {
    super::decode(text)
}

impl Api {
    /// Books through the outbox, so that a booking made offline is kept and sent later: the
    /// app's, or in a browser `POST /api/bookings` and, when the network cannot take it, the
    /// browser's. `label` names the driveway for the outbox list; `user` is who books.
    pub async fn book(
        &self,
        req: &NewBooking,
        idempotency_key: &str,
        label: &str,
        user: Uuid,
    ) -> Result<Booked, ClientError> {
        if self.transport != Transport::Tauri {
            // Known to be offline: kept at once, not after the retries of a request that
            // cannot leave.
            if !crate::platform::online() {
                return web_outbox::keep(user, req, idempotency_key, label).await.map(Booked::Queued);
            }
            return match self.create_booking(req, idempotency_key).await {
                Err(ClientError::Network) => {
                    web_outbox::keep(user, req, idempotency_key, label).await.map(Booked::Queued)
                }
                answer => answer.map(Booked::Now),
            };
        }
        let request = serde_json::to_string(req).map_err(super::not_writable)?;
        let args = format!(r#"{{"request":{request},"key":{},"label":{}}}"#, quote(idempotency_key), quote(label));
        let text = command("book", &args).await?;
        let answer: BookAnswer = super::decode(&text)?;
        match (answer.state, answer.booking, answer.item) {
            (OutboxState::Synced, Some(b), _) => Ok(Booked::Now(b)),
            (OutboxState::Queued, _, Some(item)) => Ok(Booked::Queued(item)),
            (state, ..) => {
                Err(ClientError::Decode(format!("the app answered {} without what goes with it", state.as_str())))
            }
        }
    }
}

/// `user`'s outbox, newest first (the app lists only its signed-in user's).
pub async fn list(user: Uuid) -> Result<Vec<OutboxItem>, ClientError> {
    if !in_tauri() {
        return web_outbox::list(user).await;
    }
    parse_items(&command("outbox_list", "{}").await?)
}

/// Withdraws a request that has not been sent yet. The browser's answers the item as it is now;
/// the app tells its change with an event.
pub async fn cancel(id: Uuid) -> Result<Option<OutboxItem>, ClientError> {
    if !in_tauri() {
        return web_outbox::cancel(id).await.map(Some);
    }
    command("outbox_cancel", &format!(r#"{{"id":"{id}"}}"#)).await.map(|_| None)
}

/// Clears a finished request from the list.
pub async fn dismiss(id: Uuid) -> Result<(), ClientError> {
    if !in_tauri() {
        return web_outbox::dismiss(id).await;
    }
    command("outbox_dismiss", &format!(r#"{{"id":"{id}"}}"#)).await.map(drop)
}

/// Sends what waits now, backoff or not: the app's worker, or in a browser this page, which
/// tells `changed` each new state (the app tells its changes with events).
pub async fn sync_now(api: &Api, user: Uuid, changed: &dyn Fn(OutboxItem)) -> Result<(), ClientError> {
    if !in_tauri() {
        return web_outbox::send_waiting(api, user, true, changed).await;
    }
    command("sync_now", "{}").await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_apps_outbox_items() {
        let items = parse_items(
            r#"[{"id":"00000000-0000-0000-0000-000000000001",
                 "request":{"driveway":"00000000-0000-0000-0000-0000000000aa","startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T12:00:00Z","expectedTotalCents":800},
                 "label":"Sunny driveway, 1 Main St","state":"conflict","attempts":1,"lastError":"this slot is taken","booking":null,
                 "alternatives":[{"id":"00000000-0000-0000-0000-0000000000bb","owner":"00000000-0000-0000-0000-0000000000cc","title":"Shady spot","address":"2 Main St",
                   "lat":37.77,"lng":-122.41,"pricePerHourCents":300,"pricePerDayCents":null,"currency":"usd","timezone":"UTC","instantBook":true,
                   "accessInstructions":null,"availability":[],"createdAt":"2026-11-01T00:00:00Z","updatedAt":"2026-11-01T00:00:00Z","distanceM":120.5,"quoteCents":600}],
                 "createdAt":"2026-11-24T08:00:00Z","updatedAt":"2026-11-24T09:00:00Z"}]"#,
        )
        .expect("items");
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(item.state, OutboxState::Conflict);
        assert_eq!(item.title(), "Sunny driveway, 1 Main St");
        assert_eq!((item.request.end() - item.request.start()).num_minutes(), 120);
        let alternatives = item.alternatives.as_ref().expect("alternatives");
        assert_eq!(alternatives[0].title, "Shady spot");
    }

    #[test]
    fn the_apps_refusals_read_like_the_servers() {
        let e = refusal(r#"{"status":409,"error":"slot_taken","message":"this slot is taken"}"#.into());
        assert_eq!(e.code(), Some(parkway_core::ErrorCode::SlotTaken));
        assert_eq!(e.status(), Some(409));
        assert_eq!(refusal(r#"{"status":503,"error":"offline","message":"x"}"#.into()), ClientError::Network);
        assert!(matches!(refusal("command book not found".into()), ClientError::Decode(_)));
    }
}
