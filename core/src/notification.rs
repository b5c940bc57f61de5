//! What people are told, and when.

use serde::{Deserialize, Serialize};

/// The kinds of notification of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationType {
    /// To the owner: a driver booked one of their driveways.
    BookingCreated,
    /// To the driver: the booking is confirmed.
    BookingConfirmed,
    /// To the other party: the booking was cancelled, declined or expired.
    BookingCancelled,
    /// To the driver (and owner): the payment went through.
    PaymentSucceeded,
    /// To the driver: the payment failed.
    PaymentFailed,
    /// Before a slot starts or ends.
    BookingReminder,
    /// To the owner: the driver changed the booking (another vehicle parks).
    BookingUpdated,
    /// To the other party: a message in the booking's thread.
    Message,
}

impl NotificationType {
    /// Every kind.
    pub const ALL: [NotificationType; 8] = [
        NotificationType::BookingCreated,
        NotificationType::BookingConfirmed,
        NotificationType::BookingCancelled,
        NotificationType::PaymentSucceeded,
        NotificationType::PaymentFailed,
        NotificationType::BookingReminder,
        NotificationType::BookingUpdated,
        NotificationType::Message,
    ];

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationType::BookingCreated => "booking_created",
            NotificationType::BookingConfirmed => "booking_confirmed",
            NotificationType::BookingCancelled => "booking_cancelled",
            NotificationType::PaymentSucceeded => "payment_succeeded",
            NotificationType::PaymentFailed => "payment_failed",
            NotificationType::BookingReminder => "booking_reminder",
            NotificationType::BookingUpdated => "booking_updated",
            NotificationType::Message => "message",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<NotificationType> {
        NotificationType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}
