//! The words people read on their lock screens when something happens to a booking.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use parkway_core::api::Booking;
use parkway_core::money::format_amount;
use parkway_core::notification::NotificationType;
use uuid::Uuid;

/// What to write: the kind, who gets it, and its texts.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Whose inbox.
    pub user: Uuid,
    /// The kind.
    pub kind: NotificationType,
    /// Short title.
    pub title: String,
    /// A sentence.
    pub message: String,
    /// `bookingId`, `drivewayId` and anything else useful.
    pub data: serde_json::Value,
}

/// The facts about a booking that the texts mention.
#[derive(Debug, Clone)]
pub struct About<'a> {
    /// The booking.
    pub booking: &'a Booking,
    /// The driveway's title.
    pub driveway_title: &'a str,
    /// The driveway's time zone, for local times.
    pub timezone: &'a str,
}

impl About<'_> {
    fn when(&self) -> String {
        let tz: Tz = self.timezone.parse().unwrap_or(Tz::UTC);
        let s = self.booking.start_time.with_timezone(&tz);
        let e = self.booking.end_time.with_timezone(&tz);
        if s.date_naive() == e.date_naive() {
            format!("{} {}–{}", s.format("%a %-d %b"), s.format("%H:%M"), e.format("%H:%M"))
        } else {
            format!("{} {} – {} {}", s.format("%a %-d %b"), s.format("%H:%M"), e.format("%a %-d %b"), e.format("%H:%M"))
        }
    }

    fn draft(&self, user: Uuid, kind: NotificationType, title: &str, message: String) -> Draft {
        let mut data = serde_json::json!({
            "bookingId": self.booking.id,
            "drivewayId": self.booking.driveway,
            "status": self.booking.status,
            "paymentStatus": self.booking.payment_status,
            "startTime": self.booking.start_time,
            "endTime": self.booking.end_time,
        });
        if let Some(first) = self.booking.extension_of {
            data["extensionOf"] = serde_json::json!(first);
        }
        Draft { user, kind, title: title.to_owned(), message, data }
    }

    /// " Vehicle: AB12CD (Blue hatchback)." when the booking names one.
    fn vehicle(&self) -> String {
        self.booking.vehicle.as_ref().map(|v| format!(" Vehicle: {}.", v.describe())).unwrap_or_default()
    }

    /// To the owner: a driver booked.
    pub fn created(&self, owner: Uuid, instant: bool) -> Draft {
        let total = format_amount(self.booking.total_cents, &self.booking.currency);
        let (title, tail) = if instant {
            ("New booking", "It is confirmed automatically once paid.")
        } else {
            ("New booking request", "Confirm or decline it in Parkway.")
        };
        self.draft(
            owner,
            NotificationType::BookingCreated,
            title,
            format!("{} requested for {} ({total}).{} {tail}", self.driveway_title, self.when(), self.vehicle()),
        )
    }

    /// To the owner: a driver asks to stay longer (this booking is the extra time).
    pub fn extension_requested(&self, owner: Uuid, instant: bool) -> Draft {
        let total = format_amount(self.booking.total_cents, &self.booking.currency);
        let (title, tail) = if instant {
            ("Stay extended", "It is confirmed automatically once paid.")
        } else {
            ("Extension request", "Confirm or decline it in Parkway.")
        };
        self.draft(
            owner,
            NotificationType::BookingCreated,
            title,
            format!(
                "The driver at {} asks to stay longer: {} ({total}).{} {tail}",
                self.driveway_title,
                self.when(),
                self.vehicle()
            ),
        )
    }

    /// To the owner: the driver switched the vehicle that parks.
    pub fn vehicle_changed(&self, owner: Uuid) -> Draft {
        let now = match &self.booking.vehicle {
            Some(v) => format!("{} now parks", v.describe()),
            None => "No vehicle is named any more".to_owned(),
        };
        self.draft(
            owner,
            NotificationType::BookingUpdated,
            "Vehicle changed",
            format!("{now} at {} for {}.", self.driveway_title, self.when()),
        )
    }

    /// To the driver: the owner confirmed.
    pub fn confirmed(&self, driver: Uuid) -> Draft {
        self.draft(
            driver,
            NotificationType::BookingConfirmed,
            "Booking confirmed",
            format!(
                "Your spot at {} is confirmed for {}. Access instructions are in your booking.",
                self.driveway_title,
                self.when()
            ),
        )
    }

    /// To `to`: the booking was cancelled, with the reason.
    pub fn cancelled(&self, to: Uuid, reason: &str) -> Draft {
        self.draft(
            to,
            NotificationType::BookingCancelled,
            "Booking cancelled",
            format!("The booking at {} for {} was cancelled: {reason}.", self.driveway_title, self.when()),
        )
    }

    /// To the driver: a reminder before the start or end.
    pub fn reminder(&self, to: Uuid, text: &str) -> Draft {
        self.draft(
            to,
            NotificationType::BookingReminder,
            "Parking reminder",
            format!("{} — {}.", self.driveway_title, text),
        )
    }

    /// To the driver: the stay ends soon, with an offer to extend it (`data.action` is
    /// `"extend"`, which the apps show as a button).
    pub fn ending_soon(&self, driver: Uuid, minutes: i64) -> Draft {
        let mut draft =
            self.reminder(driver, &format!("your parking ends in {minutes} minutes; need longer? Extend it"));
        draft.data["action"] = serde_json::json!("extend");
        draft
    }
}

/// Minutes from `now` to `t`, for reminder texts.
pub fn minutes_until(now: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    ((t - now).num_seconds() + 59) / 60
}

impl About<'_> {
    /// To the driver or the owner: the payment went through.
    pub fn paid(&self, to: Uuid, to_owner: bool) -> Draft {
        let total = format_amount(self.booking.total_cents, &self.booking.currency);
        let message = if to_owner {
            format!("The driver paid {total} for {} on {}.", self.driveway_title, self.when())
        } else {
            format!("We received {total} for {} on {}.", self.driveway_title, self.when())
        };
        self.draft(to, NotificationType::PaymentSucceeded, "Payment received", message)
    }

    /// To the driver: the payment failed.
    pub fn payment_failed(&self, driver: Uuid, reason: &str) -> Draft {
        self.draft(
            driver,
            NotificationType::PaymentFailed,
            "Payment failed",
            format!(
                "Your payment for {} on {} did not go through ({reason}). Try another card before the hold ends.",
                self.driveway_title,
                self.when()
            ),
        )
    }
}
