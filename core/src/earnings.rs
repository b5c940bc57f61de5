//! What an owner earns from a booking: the platform's fee, the owner's net, and where that
//! money stands on its way to the owner's bank.
//!
//! The money a driver pays goes to the platform first. Once the booking is over and the
//! settlement delay has passed (so that a cancellation or refund is settled on the platform
//! first), the owner's share can be transferred to them, which needs a payout account able to
//! receive it.

use crate::booking::BookingStatus;
use crate::money::Cents;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The platform's fee unless configured otherwise: 1500 basis points, 15 %.
pub const DEFAULT_PLATFORM_FEE_BPS: u32 = 1500;
/// Hours after a booking ends before its money moves to the owner, unless configured otherwise.
pub const DEFAULT_SETTLEMENT_HOURS: u32 = 24;
/// Basis points in a whole.
const WHOLE_BPS: u32 = 10_000;

/// The platform's fee as a share of what was kept, in basis points (1 bp = 0.01 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeRate(u32);

/// A fee above 100 %.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a platform fee is at most {WHOLE_BPS} basis points (100 %), not {0}")]
pub struct FeeTooHigh(pub u32);

impl FeeRate {
    /// A rate of `bps` basis points, at most 10,000.
    pub fn new(bps: u32) -> Result<FeeRate, FeeTooHigh> {
        if bps > WHOLE_BPS { Err(FeeTooHigh(bps)) } else { Ok(FeeRate(bps)) }
    }

    /// The rate in basis points.
    pub fn bps(self) -> u32 {
        self.0
    }
}

impl Default for FeeRate {
    fn default() -> FeeRate {
        FeeRate(DEFAULT_PLATFORM_FEE_BPS)
    }
}

/// One booking's money after refunds: what was kept, the platform's fee and the owner's net.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Paid minus refunded.
    pub kept: Cents,
    /// The platform's share.
    pub fee: Cents,
    /// The owner's share: `kept − fee`.
    pub net: Cents,
}

/// Splits what a booking kept (`paid − refunded`, never below zero) between the platform and
/// the owner. The fee is rounded down, in the owner's favour: a cent in doubt is theirs.
pub fn split(paid: Cents, refunded: Cents, rate: FeeRate) -> Split {
    let kept = (paid.0 - refunded.0).max(0);
    let fee = i64::try_from(i128::from(kept) * i128::from(rate.0) / i128::from(WHOLE_BPS)).unwrap_or(kept);
    Split { kept: Cents(kept), fee: Cents(fee), net: Cents(kept - fee) }
}

/// Where a booking's money stands on its way to the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarningState {
    /// The booking has not ended: a cancellation could still change what is kept.
    Upcoming,
    /// Ended, within the settlement delay: refunds and disputes are settled first.
    Settling,
    /// Settled, but the owner has no payout account able to receive it yet: it waits for them.
    WaitingForOnboarding,
    /// Sent to the owner's payout account.
    Transferred,
    /// Sent, then (partly) taken back because of a later refund.
    Reversed,
}

impl EarningState {
    /// The words shown to the owner.
    pub fn label(self) -> &'static str {
        match self {
            EarningState::Upcoming => "Upcoming",
            EarningState::Settling => "Settling",
            EarningState::WaitingForOnboarding => "Waiting for payout details",
            EarningState::Transferred => "Transferred",
            EarningState::Reversed => "Reversed",
        }
    }

    /// The snake_case name used in the API and in CSV exports.
    pub fn as_str(self) -> &'static str {
        match self {
            EarningState::Upcoming => "upcoming",
            EarningState::Settling => "settling",
            EarningState::WaitingForOnboarding => "waiting_for_onboarding",
            EarningState::Transferred => "transferred",
            EarningState::Reversed => "reversed",
        }
    }
}

/// Where an owner's payout account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// No payout account yet.
    None,
    /// Onboarding started and not finished.
    Onboarding,
    /// The provider needs more before it pays out.
    Restricted,
    /// Able to receive transfers and pay out.
    Active,
}

impl AccountStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::None => "none",
            AccountStatus::Onboarding => "onboarding",
            AccountStatus::Restricted => "restricted",
            AccountStatus::Active => "active",
        }
    }

    /// Where a provider's account stands, from what the provider says of it: onboarding until
    /// its details are submitted; active once it pays out and nothing is due; restricted
    /// otherwise (the provider needs more, or has paused payouts).
    pub fn from_provider(details_submitted: bool, payouts_enabled: bool, currently_due: &[String]) -> AccountStatus {
        if !details_submitted {
            AccountStatus::Onboarding
        } else if payouts_enabled && currently_due.is_empty() {
            AccountStatus::Active
        } else {
            AccountStatus::Restricted
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<AccountStatus> {
        [AccountStatus::None, AccountStatus::Onboarding, AccountStatus::Restricted, AccountStatus::Active]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// Where money on its way from an owner's provider balance to their bank stands (Stripe's
/// payout statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Created, not yet sent to the bank.
    Pending,
    /// Sent, not yet arrived.
    InTransit,
    /// Arrived.
    Paid,
    /// The bank refused it; the money is back in the owner's provider balance.
    Failed,
    /// Cancelled before it was sent.
    Canceled,
}

impl PayoutStatus {
    /// Every status, in the order a payout moves through them.
    pub const ALL: [PayoutStatus; 5] = [
        PayoutStatus::Pending,
        PayoutStatus::InTransit,
        PayoutStatus::Paid,
        PayoutStatus::Failed,
        PayoutStatus::Canceled,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::InTransit => "in_transit",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Canceled => "canceled",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<PayoutStatus> {
        PayoutStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// True when its money left the owner's balance for good (or is on its way).
    pub fn took_money(self) -> bool {
        !matches!(self, PayoutStatus::Failed | PayoutStatus::Canceled)
    }
}

/// What was sent to the owner for one booking, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// How much of it was taken back after a later refund.
    pub reversed: Cents,
}

/// Where a booking's money stands: [`state_before_transfer`] until its transfer is made, with
/// a settled booking of an owner whose account is active still `Settling` (its transfer is on
/// its way); then `Transferred`, or `Reversed` once any of it was taken back.
pub fn state(
    status: BookingStatus,
    end: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
    settlement: Duration,
    account: AccountStatus,
    sent: Option<Sent>,
) -> EarningState {
    match sent {
        Some(s) if s.reversed.0 > 0 => EarningState::Reversed,
        Some(_) => EarningState::Transferred,
        None => match state_before_transfer(status, end, updated_at, now, settlement) {
            EarningState::WaitingForOnboarding if account == AccountStatus::Active => EarningState::Settling,
            other => other,
        },
    }
}

/// How much of a transfer to take back after a refund made once it was sent: what the owner
/// still holds (`sent − reversed`) above their share of what the booking now keeps. Never
/// negative, and never more than they still hold.
pub fn reversal_owed(sent: Cents, reversed: Cents, paid: Cents, refunded: Cents, rate: FeeRate) -> Cents {
    let held = (sent.0 - reversed.0).max(0);
    Cents((held - split(paid, refunded, rate).net.0).clamp(0, held))
}

/// True when a booking's money is settled at `now` and may move to its owner.
pub fn is_settled(
    status: BookingStatus,
    end: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
    settlement: Duration,
) -> bool {
    state_before_transfer(status, end, updated_at, now, settlement) == EarningState::WaitingForOnboarding
}

/// Where the money of a booking that ends at `end` stands at `now`, before any transfer was
/// made: upcoming while the booking could still change (it has not ended and is not
/// cancelled), settling for `settlement` after that, then waiting for the owner's payout
/// account. A cancelled booking's kept money settles from its cancellation, which is at or
/// before `now`; `updated_at` stands for it.
pub fn state_before_transfer(
    status: BookingStatus,
    end: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
    settlement: Duration,
) -> EarningState {
    let settled_from = match status {
        BookingStatus::Cancelled => updated_at.min(end),
        _ => end,
    };
    if status != BookingStatus::Cancelled && now < end {
        EarningState::Upcoming
    } else if now < settled_from + settlement {
        EarningState::Settling
    } else {
        EarningState::WaitingForOnboarding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_is_rounded_in_the_owners_favour() {
        let rate = FeeRate::default();
        assert_eq!(split(Cents(1000), Cents(0), rate), Split { kept: Cents(1000), fee: Cents(150), net: Cents(850) });
        // 15 % of 333 is 49.95: the platform takes 49, the owner 284.
        assert_eq!(split(Cents(333), Cents(0), rate), Split { kept: Cents(333), fee: Cents(49), net: Cents(284) });
        // A half refund halves what both keep.
        assert_eq!(split(Cents(1000), Cents(500), rate).net, Cents(425));
        // Never below zero, even when more was refunded than recorded as paid.
        assert_eq!(split(Cents(100), Cents(300), rate), Split { kept: Cents(0), fee: Cents(0), net: Cents(0) });
    }

    #[test]
    fn a_late_refund_takes_back_the_owners_share_of_it_and_never_more_than_was_sent() {
        let rate = FeeRate::default();
        // 1000 paid, 850 sent; a half refund leaves the owner 425.
        assert_eq!(reversal_owed(Cents(850), Cents(0), Cents(1000), Cents(500), rate), Cents(425));
        // Already taken back: nothing more.
        assert_eq!(reversal_owed(Cents(850), Cents(425), Cents(1000), Cents(500), rate), Cents(0));
        // A full refund takes back what is left, never more.
        assert_eq!(reversal_owed(Cents(850), Cents(425), Cents(1000), Cents(1000), rate), Cents(425));
        assert_eq!(reversal_owed(Cents(100), Cents(0), Cents(1000), Cents(1000), rate), Cents(100));
        // No refund: nothing.
        assert_eq!(reversal_owed(Cents(850), Cents(0), Cents(1000), Cents(0), rate), Cents(0));
    }

    #[test]
    fn payout_statuses_read_back_as_stripe_names_them() {
        for p in PayoutStatus::ALL {
            assert_eq!(PayoutStatus::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).expect("json"), serde_json::json!(p.as_str()));
        }
        assert_eq!(PayoutStatus::parse("in-transit"), None);
    }

    #[test]
    fn an_account_is_active_only_when_it_pays_out_and_nothing_is_due() {
        let due = vec!["external_account".to_owned()];
        assert_eq!(AccountStatus::from_provider(false, false, &due), AccountStatus::Onboarding);
        assert_eq!(AccountStatus::from_provider(true, false, &[]), AccountStatus::Restricted);
        assert_eq!(AccountStatus::from_provider(true, true, &due), AccountStatus::Restricted);
        assert_eq!(AccountStatus::from_provider(true, true, &[]), AccountStatus::Active);
    }

    #[test]
    fn every_cent_kept_is_either_the_fee_or_the_owners() {
        for bps in [0, 1, 999, 1500, 3333, 10_000] {
            let rate = FeeRate::new(bps).expect("rate");
            for paid in [0, 1, 7, 99, 12_345, 1_000_000_007] {
                let s = split(Cents(paid), Cents(paid / 3), rate);
                assert_eq!(s.fee.0 + s.net.0, s.kept.0);
                assert!(s.fee.0 >= 0 && s.net.0 >= 0);
                assert!(i128::from(s.fee.0) * 10_000 <= i128::from(s.kept.0) * i128::from(bps), "never above the rate");
            }
        }
        assert_eq!(FeeRate::new(10_001), Err(FeeTooHigh(10_001)));
    }

    #[test]
    fn money_settles_after_the_booking_and_the_delay() {
        let end = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").expect("date").with_timezone(&Utc);
        let day = Duration::hours(i64::from(DEFAULT_SETTLEMENT_HOURS));
        let state = |status, now| state_before_transfer(status, end, end - Duration::days(3), now, day);
        assert_eq!(state(BookingStatus::Confirmed, end - Duration::hours(1)), EarningState::Upcoming);
        assert_eq!(state(BookingStatus::Completed, end + Duration::hours(1)), EarningState::Settling);
        assert_eq!(state(BookingStatus::Completed, end + day), EarningState::WaitingForOnboarding);
        // A booking cancelled three days before its end settles from its cancellation.
        assert_eq!(state(BookingStatus::Cancelled, end - Duration::days(2)), EarningState::WaitingForOnboarding);
        assert_eq!(state(BookingStatus::Cancelled, end - Duration::days(3)), EarningState::Settling);
    }

    #[test]
    fn a_transfer_decides_once_made_and_an_active_account_is_on_its_way() {
        let end = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z").expect("date").with_timezone(&Utc);
        let day = Duration::hours(24);
        let later = end + Duration::days(2);
        let done = BookingStatus::Completed;
        assert_eq!(state(done, end, end, later, day, AccountStatus::None, None), EarningState::WaitingForOnboarding);
        assert_eq!(state(done, end, end, later, day, AccountStatus::Active, None), EarningState::Settling);
        let sent = Some(Sent { reversed: Cents(0) });
        assert_eq!(state(done, end, end, later, day, AccountStatus::Active, sent), EarningState::Transferred);
        let taken_back = Some(Sent { reversed: Cents(100) });
        assert_eq!(state(done, end, end, later, day, AccountStatus::Active, taken_back), EarningState::Reversed);
        assert!(is_settled(done, end, end, later, day));
        assert!(!is_settled(done, end, end, end + Duration::hours(3), day));
        for a in [AccountStatus::None, AccountStatus::Onboarding, AccountStatus::Restricted, AccountStatus::Active] {
            assert_eq!(AccountStatus::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn states_travel_by_their_names() {
        for s in [EarningState::Upcoming, EarningState::WaitingForOnboarding, EarningState::Reversed] {
            assert_eq!(serde_json::to_value(s).expect("JSON"), serde_json::json!(s.as_str()));
        }
    }
}
