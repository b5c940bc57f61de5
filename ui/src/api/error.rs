//! What can go wrong talking to the server, and how to say it to a person.

use chrono::{DateTime, Utc};
use parkway_core::slot::TimeSlot;
use parkway_core::{ApiError, ErrorCode};
use std::fmt;

/// A failed request.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// The request did not reach the server, or no answer came back.
    Network,
    /// The server answered with an error.
    Api {
        /// HTTP status.
        status: u16,
        /// The API's error code.
        code: ErrorCode,
        /// The server's sentence.
        message: String,
        /// For `slot_taken`: the bookings in the way.
        conflicts: Vec<TimeSlot>,
        /// For `slot_taken` on an extension: the furthest end that still fits, if any does.
        latest_end: Option<DateTime<Utc>>,
    },
    /// The answer could not be read.
    Decode(String),
}

impl ClientError {
    /// Builds the error for a non-2xx answer from its status and body.
    pub fn from_answer(status: u16, body: &str) -> ClientError {
        match super::decode::<ApiError>(body) {
            Ok(e) => ClientError::Api {
                status,
                code: e.error,
                message: e.message,
                conflicts: e.conflicts.unwrap_or_default(),
                latest_end: e.latest_end_time,
            },
            Err(_) => ClientError::Api {
                status,
                code: if status >= 500 { ErrorCode::Internal } else { ErrorCode::Unknown },
                message: String::new(),
                conflicts: Vec::new(),
                latest_end: None,
            },
        }
    }

    /// Worth retrying: the network failed or the server had a 5xx problem. Everything else is
    /// an answer that a retry would only repeat.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Network => true,
            ClientError::Api { status, .. } => *status >= 500,
            ClientError::Decode(_) => false,
        }
    }

    /// The API's error code, if the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// For a `slot_taken` answer to an extension: the furthest end that still fits.
    pub fn latest_end(&self) -> Option<DateTime<Utc>> {
        match self {
            ClientError::Api { latest_end, .. } => *latest_end,
            _ => None,
        }
    }

    /// The HTTP status, if there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    /// A sentence for a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Network => f.write_str("Parkway could not be reached. Check your connection and try again."),
            ClientError::Decode(_) => {
                f.write_str("Parkway answered in a way this page does not understand. Reload and try again.")
            }
            ClientError::Api { status, message, .. } => {
                if *status >= 500 {
                    return f.write_str("Something went wrong on Parkway's side. Please try again in a moment.");
                }
                if *status == 429 {
                    return f.write_str("Too many attempts. Wait a minute and try again.");
                }
                if message.is_empty() {
                    return write!(f, "The request failed ({status}).");
                }
                f.write_str(&crate::forms::auth::sentence(message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_come_from_the_api_body() {
        let e = ClientError::from_answer(
            409,
            r#"{"error":"slot_taken","message":"this slot is taken","conflicts":[{"startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T11:00:00Z"}]}"#,
        );
        assert_eq!(e.code(), Some(ErrorCode::SlotTaken));
        assert_eq!(e.to_string(), "This slot is taken.");
        assert!(!e.is_retryable());
        assert!(matches!(&e, ClientError::Api { conflicts, .. } if conflicts.len() == 1));
        assert_eq!(e.latest_end(), None);
    }

    #[test]
    fn an_extension_that_does_not_fit_says_how_far_it_can_go() {
        let e = ClientError::from_answer(
            409,
            r#"{"error":"slot_taken","message":"this slot is taken","conflicts":[],"latestEndTime":"2026-11-24T18:00:00Z"}"#,
        );
        assert_eq!(e.code(), Some(ErrorCode::SlotTaken));
        assert_eq!(e.latest_end().map(|t| t.to_rfc3339()).as_deref(), Some("2026-11-24T18:00:00+00:00"));
    }

    #[test]
    fn only_network_errors_and_5xx_are_retried() {
        assert!(ClientError::Network.is_retryable());
        assert!(ClientError::from_answer(503, "").is_retryable());
        assert!(ClientError::from_answer(500, r#"{"error":"internal","message":"x"}"#).is_retryable());
        assert!(!ClientError::from_answer(409, r#"{"error":"price_mismatch","message":"x"}"#).is_retryable());
        assert!(!ClientError::from_answer(402, "").is_retryable());
        assert!(!ClientError::Decode("x".into()).is_retryable());
        assert!(ClientError::from_answer(500, "").to_string().starts_with("Something went wrong"));
    }
}
