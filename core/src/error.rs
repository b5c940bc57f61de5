//! The error codes of the HTTP contract, and the body every error travels in.

use serde::{Deserialize, Serialize};

/// Every error code the API answers with. The HTTP status is part of the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: a field is missing, has the wrong type or breaks a limit.
    ValidationFailed,
    /// 400: the slot's times break a slot rule.
    InvalidTimeRange,
    /// 400: an owner tried to book their own driveway.
    SelfBooking,
    /// 401: no valid token, or bad credentials.
    Unauthorized,
    /// 403: signed in but lacking the role.
    Forbidden,
    /// 404: no such resource, or it belongs to someone else.
    NotFound,
    /// 409: the email is registered already.
    EmailTaken,
    /// 409: another booking holds part of the slot.
    SlotTaken,
    /// 409: the driveway is closed during part of the slot.
    Unavailable,
    /// 409: the booking's state does not allow this.
    InvalidTransition,
    /// 409: the client's expected price differs from the server's.
    PriceMismatch,
    /// 409: a payment has started, so the booking's price can no longer change.
    PriceLocked,
    /// 409: the driver already holds as many unpaid bookings as allowed.
    HoldLimit,
    /// 422: an idempotency key was reused with a different request.
    IdempotencyKeyReused,
    /// 402: the payment was declined or is missing.
    PaymentRequired,
    /// 429: too many attempts; see `Retry-After`.
    RateLimited,
    /// 413: the body is too large.
    PayloadTooLarge,
    /// 500: something went wrong on our side.
    Internal,
    /// 503: a dependency (database, payment provider) is not answering.
    Unavailable503,
}

impl ErrorCode {
    /// The HTTP status code that goes with this error.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            ValidationFailed | InvalidTimeRange | SelfBooking => 400,
            Unauthorized => 401,
            PaymentRequired => 402,
            Forbidden => 403,
            NotFound => 404,
            EmailTaken | SlotTaken | Unavailable | InvalidTransition | PriceMismatch | PriceLocked | HoldLimit => 409,
            PayloadTooLarge => 413,
            IdempotencyKeyReused => 422,
            RateLimited => 429,
            Internal => 500,
            Unavailable503 => 503,
        }
    }

    /// The code as written in error bodies.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationFailed => "validation_failed",
            InvalidTimeRange => "invalid_time_range",
            SelfBooking => "self_booking",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            EmailTaken => "email_taken",
            SlotTaken => "slot_taken",
            Unavailable => "unavailable",
            InvalidTransition => "invalid_transition",
            PriceMismatch => "price_mismatch",
            PriceLocked => "price_locked",
            HoldLimit => "hold_limit",
            IdempotencyKeyReused => "idempotency_key_reused",
            PaymentRequired => "payment_required",
            RateLimited => "rate_limited",
            PayloadTooLarge => "payload_too_large",
            Internal => "internal",
            Unavailable503 => "service_unavailable",
        }
    }
}

/// The body of every error answer: `{"error": code, "message": sentence}`, plus the
/// conflicting slots for `slot_taken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The machine-readable code.
    pub error: String,
    /// A sentence for a person.
    pub message: String,
    /// For `slot_taken`: the bookings in the way (times only, no driver data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<crate::TimeSlot>>,
}

impl ApiError {
    /// An error body with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { error: code.as_str().to_owned(), message: message.into(), conflicts: None }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
