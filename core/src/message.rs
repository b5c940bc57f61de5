//! Messages between a booking's driver and its driveway's owner: one thread a stay, which nobody
//! else can read or write.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest message, in characters.
pub const MAX_TEXT: usize = 2000;
/// Messages one page lists at most.
pub const MAX_PAGE: i64 = 100;
/// How much of a message its notification repeats, in characters.
pub const PREVIEW_CHARS: usize = 140;

/// A message as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Increasing within the server: `?after=` pages by it.
    pub id: i64,
    /// The stay's thread (its first booking).
    pub booking_id: Uuid,
    /// Who wrote it.
    pub sender_id: Uuid,
    /// The sender's first name.
    pub sender_name: String,
    /// The words, shown as text (links are not made clickable).
    pub text: String,
    /// Sent.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// When its recipient read it, if they have.
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub read_at: Option<DateTime<Utc>>,
}

/// `POST /api/bookings/:id/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    /// 1 to [`MAX_TEXT`] characters once trimmed.
    pub text: String,
}

/// The start of `text` for a notification: at most [`PREVIEW_CHARS`] characters, with an
/// ellipsis when cut.
pub fn preview(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(PREVIEW_CHARS).collect();
    if chars.next().is_some() { format!("{}…", head.trim_end()) } else { head }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_short_and_says_when_it_was_cut() {
        assert_eq!(preview("See you at 9"), "See you at 9");
        let long = "é".repeat(200);
        let cut = preview(&long);
        assert_eq!(cut.chars().count(), PREVIEW_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
