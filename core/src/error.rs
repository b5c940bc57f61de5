//! The error codes of the HTTP contract, and the body every error travels in.

use serde::{Deserialize, Serialize};

/// Every error code the API answers with. The HTTP status is part of the code. Clients decode a
/// code they do not know (from a newer server) as [`ErrorCode::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// 405: the route exists but does not accept that method.
    MethodNotAllowed,
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
    #[serde(rename = "service_unavailable")]
    Unavailable503,
    /// A code this client does not know; the server never sends it. Treated as a 500.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code the server sends.
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::ValidationFailed,
        ErrorCode::InvalidTimeRange,
        ErrorCode::SelfBooking,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::EmailTaken,
        ErrorCode::SlotTaken,
        ErrorCode::Unavailable,
        ErrorCode::InvalidTransition,
        ErrorCode::PriceMismatch,
        ErrorCode::PriceLocked,
        ErrorCode::HoldLimit,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::PaymentRequired,
        ErrorCode::RateLimited,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Internal,
        ErrorCode::Unavailable503,
    ];

    /// The HTTP status code that goes with this error.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            ValidationFailed | InvalidTimeRange | SelfBooking => 400,
            Unauthorized => 401,
            PaymentRequired => 402,
            Forbidden => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            EmailTaken | SlotTaken | Unavailable | InvalidTransition | PriceMismatch | PriceLocked | HoldLimit => 409,
            PayloadTooLarge => 413,
            IdempotencyKeyReused => 422,
            RateLimited => 429,
            Internal | Unknown => 500,
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
            MethodNotAllowed => "method_not_allowed",
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
            Unknown => "unknown",
        }
    }
}

/// The body of every error answer: `{"error": code, "message": sentence}`, plus the
/// conflicting slots for `slot_taken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The machine-readable code.
    pub error: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// For `slot_taken`: the bookings in the way (times only, no driver data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<crate::TimeSlot>>,
    /// For `slot_taken` on an extension: the furthest end that would fit, if any does.
    #[serde(
        default,
        rename = "latestEndTime",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::time::utc_opt"
    )]
    pub latest_end_time: Option<chrono::DateTime<chrono::Utc>>,
}

impl ApiError {
    /// An error body with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { error: code, message: message.into(), conflicts: None, latest_end_time: None }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_travel_by_their_contract_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).expect("JSON");
            assert_eq!(json, serde_json::json!(code.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).expect("decoded"), code);
        }
    }

    #[test]
    fn a_body_with_a_code_from_a_newer_server_still_reads() {
        let body: ApiError =
            serde_json::from_str(r#"{"error":"vehicle_required","message":"add a plate"}"#).expect("decoded");
        assert_eq!(body.error, ErrorCode::Unknown);
        assert_eq!(body.message, "add a plate");
        assert_eq!(body.error.status(), 500);
    }
}
