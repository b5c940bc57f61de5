//! A payment intent's states and how it is collected, as the payment provider (Stripe) names
//! them. The server stores them, the web UI and the app read them from the API.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A request-to-book slot starting within this many days is only authorised at booking and
/// captured when the owner confirms; further out it is charged and refunded if declined
/// (card authorisations lapse after about a week).
pub const AUTHORISE_ONLY_WITHIN_DAYS: i64 = 5;

/// Where a payment intent stands at the provider. The order of the variants is the order of
/// progress ([`IntentStatus::progress`]): a report never moves an intent backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Waiting for a card (again, after a decline).
    RequiresPaymentMethod,
    /// Waiting for the payer to confirm.
    RequiresConfirmation,
    /// Waiting for the payer to authenticate (3-D Secure).
    RequiresAction,
    /// The provider is working on it.
    Processing,
    /// Authorised; the money is taken when the owner confirms.
    RequiresCapture,
    /// The money is collected.
    Succeeded,
    /// Cancelled: nothing is or will be collected.
    Canceled,
}

impl IntentStatus {
    /// Every status.
    pub const ALL: [IntentStatus; 7] = [
        IntentStatus::RequiresPaymentMethod,
        IntentStatus::RequiresConfirmation,
        IntentStatus::RequiresAction,
        IntentStatus::Processing,
        IntentStatus::RequiresCapture,
        IntentStatus::Succeeded,
        IntentStatus::Canceled,
    ];

    /// How far along the intent is: the payer's steps (0), processing (1), authorised (2),
    /// final (3). The payer's steps can follow one another in any order.
    pub fn progress(self) -> u8 {
        match self {
            IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresConfirmation | IntentStatus::RequiresAction => {
                0
            }
            IntentStatus::Processing => 1,
            IntentStatus::RequiresCapture => 2,
            IntentStatus::Succeeded | IntentStatus::Canceled => 3,
        }
    }

    /// True when a report of `next` moves the intent on from `self`: forward, or between the
    /// payer's own steps.
    pub fn moves_to(self, next: IntentStatus) -> bool {
        self != next && (next.progress() > self.progress() || next.progress() == 0 && self.progress() == 0)
    }

    /// True while the payer can still complete it (it needs a card or a confirmation).
    pub fn awaiting_payer(self) -> bool {
        self.progress() == 0
    }

    /// True when the money is authorised or collected: the booking's slot is paid for.
    pub fn holds_money(self) -> bool {
        matches!(self, IntentStatus::RequiresCapture | IntentStatus::Succeeded)
    }

    /// True once nothing more will happen to it.
    pub fn is_final(self) -> bool {
        self.progress() == 3
    }

    /// The provider's name for it, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::Canceled => "canceled",
        }
    }
}

impl fmt::Display for IntentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the provider's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for IntentStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<IntentStatus, UnknownStatus> {
        IntentStatus::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl TryFrom<String> for IntentStatus {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<IntentStatus, UnknownStatus> {
        s.parse()
    }
}

/// How a payment is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    /// Charged at once.
    Automatic,
    /// Authorised now, captured when the owner confirms.
    Manual,
}

impl CaptureMethod {
    /// The rule: instant-book driveways are charged at once; request-to-book slots starting
    /// within [`AUTHORISE_ONLY_WITHIN_DAYS`] are authorised only; later ones are charged.
    pub fn for_booking(instant_book: bool, start: DateTime<Utc>, now: DateTime<Utc>) -> CaptureMethod {
        if !instant_book && start - now <= Duration::days(AUTHORISE_ONLY_WITHIN_DAYS) {
            CaptureMethod::Manual
        } else {
            CaptureMethod::Automatic
        }
    }

    /// The provider's name for it, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMethod::Automatic => "automatic",
            CaptureMethod::Manual => "manual",
        }
    }
}

impl fmt::Display for CaptureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaptureMethod {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<CaptureMethod, UnknownStatus> {
        match s {
            "automatic" => Ok(CaptureMethod::Automatic),
            "manual" => Ok(CaptureMethod::Manual),
            other => Err(UnknownStatus(other.to_owned())),
        }
    }
}

impl TryFrom<String> for CaptureMethod {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<CaptureMethod, UnknownStatus> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for s in IntentStatus::ALL {
            assert_eq!(s.as_str().parse::<IntentStatus>(), Ok(s));
            assert_eq!(serde_json::to_value(s).expect("JSON"), serde_json::json!(s.as_str()));
        }
        assert!("requires_capturing".parse::<IntentStatus>().is_err());
        for c in [CaptureMethod::Automatic, CaptureMethod::Manual] {
            assert_eq!(c.as_str().parse::<CaptureMethod>(), Ok(c));
            assert_eq!(serde_json::to_value(c).expect("JSON"), serde_json::json!(c.as_str()));
        }
    }

    #[test]
    fn an_intent_never_moves_backwards() {
        use IntentStatus as S;
        assert!(S::RequiresPaymentMethod.moves_to(S::RequiresCapture));
        assert!(S::RequiresCapture.moves_to(S::Succeeded));
        assert!(S::RequiresAction.moves_to(S::RequiresPaymentMethod), "a failed 3-D Secure asks for a card again");
        assert!(!S::Succeeded.moves_to(S::RequiresCapture));
        assert!(!S::Succeeded.moves_to(S::Canceled));
        assert!(!S::Canceled.moves_to(S::RequiresPaymentMethod));
        assert!(!S::Processing.moves_to(S::RequiresPaymentMethod));
        assert!(!S::Succeeded.moves_to(S::Succeeded));
    }

    #[test]
    fn near_requests_are_authorised_and_the_rest_charged() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("a date").with_timezone(&Utc);
        assert_eq!(CaptureMethod::for_booking(false, now + Duration::days(1), now), CaptureMethod::Manual);
        assert_eq!(CaptureMethod::for_booking(false, now + Duration::days(5), now), CaptureMethod::Manual);
        assert_eq!(CaptureMethod::for_booking(false, now + Duration::days(6), now), CaptureMethod::Automatic);
        assert_eq!(CaptureMethod::for_booking(true, now + Duration::days(2), now), CaptureMethod::Automatic);
    }
}
