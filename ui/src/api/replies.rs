//! Messages in the app's outbox. In the Parkway app a message goes through its `send_message`
//! command, which sends it at once when the server answers and otherwise keeps it on the device
//! and sends it when the network is back; the thread shows it meanwhile. In a browser a message
//! is simply `POST /api/bookings/:id/messages`.

use super::outbox::refusal;
use super::{Api, ClientError, Transport};
use crate::map::features::quote;
use crate::platform::tauri_invoke;
use parkway_core::message::{Message, NewMessage};
use parkway_core::outbox::OutboxState;
use serde::Deserialize;
use uuid::Uuid;

/// A message the app keeps until it is sent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The client's id, also the send's idempotency key.
    pub id: Uuid,
    /// The booking whose thread it belongs to.
    pub booking_id: Uuid,
    /// The words.
    pub text: String,
    /// Queued, syncing, synced, failed or expired.
    pub state: OutboxState,
    /// Why it was not sent, in a sentence.
    #[serde(default)]
    pub last_error: Option<String>,
    /// The server's copy, once sent.
    #[serde(default)]
    pub message: Option<Message>,
}

impl Reply {
    /// A few words on where it stands, for the thread.
    pub fn label(&self) -> &'static str {
        match self.state {
            OutboxState::Queued => "Waiting for the network",
            OutboxState::Syncing => "Sending…",
            OutboxState::Synced => "Sent",
            _ => "Not sent",
        }
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// The server has it.
    Now(Message),
    /// No network: it waits on the device.
    Kept(Reply),
}

impl Api {
    /// `POST /api/bookings/:id/messages` under `key`; in the app, kept on the device when the
    /// server cannot be reached.
    pub async fn send_message(&self, booking: Uuid, text: String, key: Uuid) -> Result<Sent, ClientError> {
        if self.transport != Transport::Tauri {
            let body = serde_json::to_string(&NewMessage { text }).map_err(super::not_writable)?;
            let path = format!("/api/bookings/{booking}/messages");
            let answer = self.send(super::Method::Post, path, Some(body), Some(key.to_string())).await?;
            return super::decode(&answer).map(Sent::Now);
        }
        let args = format!(r#"{{"booking":"{booking}","text":{},"key":"{key}"}}"#, quote(&text));
        // The app answers the message as it holds it: with the server's copy when sent now.
        let answer = tauri_invoke("send_message", &args).await.map_err(refusal)?;
        match parse::<Reply>(&answer) {
            Some(Reply { message: Some(m), .. }) => Ok(Sent::Now(m)),
            Some(kept) => Ok(Sent::Kept(kept)),
            None => Err(ClientError::Decode(answer)),
        }
    }
}

/// Reads the app's list or event payload.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    super::decode(text).ok()
}

/// The messages the app has not sent yet, oldest first.
pub async fn list() -> Result<Vec<Reply>, ClientError> {
    let text = tauri_invoke("replies_list", "{}").await.map_err(refusal)?;
    parse(&text).ok_or(ClientError::Decode(text))
}

/// Clears a message that will not be sent.
pub async fn dismiss(id: Uuid) -> Result<(), ClientError> {
    tauri_invoke("reply_dismiss", &format!(r#"{{"id":"{id}"}}"#)).await.map(drop).map_err(refusal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_kept_message_and_a_sent_one() {
        let kept: Reply = parse(
            r#"{"id":"00000000-0000-0000-0000-000000000001","bookingId":"00000000-0000-0000-0000-000000000002",
                "text":"Which side?","state":"queued","attempts":0,"lastError":null,"message":null,"createdAt":"2026-11-30T08:00:00Z"}"#,
        )
        .expect("kept");
        assert_eq!(
            (kept.state, kept.label(), kept.message.clone()),
            (OutboxState::Queued, "Waiting for the network", None)
        );
        let sent: Reply = parse(
            r#"{"id":"00000000-0000-0000-0000-000000000001","bookingId":"00000000-0000-0000-0000-000000000002",
                "text":"Which side?","state":"synced","attempts":1,"lastError":null,"createdAt":"2026-11-30T08:00:00Z",
                "message":{"id":7,"bookingId":"00000000-0000-0000-0000-000000000002","senderId":"00000000-0000-0000-0000-000000000003",
                           "senderName":"Dana","text":"Which side?","createdAt":"2026-11-30T08:01:00Z","readAt":null}}"#,
        )
        .expect("sent");
        assert_eq!(sent.message.map(|m| m.id), Some(7));
        let refused = Reply { state: OutboxState::Failed, ..kept };
        assert_eq!(refused.label(), "Not sent");
    }
}
