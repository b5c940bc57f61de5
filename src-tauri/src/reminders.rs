//! Booking reminders scheduled on the phone itself: 30 minutes before a confirmed booking
//! starts and 15 minutes before it ends. A phone may have no signal in a car park, so the
//! reminder must not depend on the server reaching it then. On desktop the server's reminder
//! notifications arrive over the WebSocket instead and nothing is scheduled here.
//!
//! Each reminder has an id derived from its booking and kind, so scheduling again replaces it
//! rather than adding a second one, and a reminder whose booking was cancelled is withdrawn.

use chrono::{DateTime, Duration, Utc};
use parkway_core::api::Booking;
use parkway_core::booking::BookingStatus;
use parkway_core::extension::continued;

/// Minutes before the start the driver is reminded.
pub const BEFORE_START_MIN: i64 = 30;
/// Minutes before the end the driver is reminded.
pub const BEFORE_END_MIN: i64 = 15;

/// One reminder to show at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// The platform's notification id: the same booking and kind always give the same id.
    pub id: i32,
    /// When to show it.
    pub at: DateTime<Utc>,
    /// Bold first line.
    pub title: String,
    /// The sentence.
    pub body: String,
    /// The booking it is about.
    pub booking: uuid::Uuid,
    /// True for a stay ending soon: the notification offers Extend.
    pub offers_extend: bool,
}

/// A stable id for a booking's reminder of `kind` (0: start, 1: end): 30 bits of the booking id
/// and the kind in the lowest bit, always positive (the platforms take an `i32`).
fn reminder_id(booking: &Booking, kind: u8) -> i32 {
    let bytes = booking.id.as_bytes();
    let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x3fff_ffff;
    ((n.max(1) << 1) | u32::from(kind)) as i32
}

/// The reminders still to come for these bookings (the driver's own, as cached): only confirmed
/// bookings, only times after `now`, and for a stay made longer by extensions one start and one
/// end reminder. `title_of` names a booking's driveway when it is known.
pub fn plan(bookings: &[Booking], title_of: impl Fn(&Booking) -> Option<String>, now: DateTime<Utc>) -> Vec<Reminder> {
    let mut out = Vec::new();
    for b in bookings.iter().filter(|b| b.status == BookingStatus::Confirmed) {
        let place = title_of(b).map(|t| format!(" at {t}")).unwrap_or_default();
        let start = b.start_time - Duration::minutes(BEFORE_START_MIN);
        if start > now && b.extension_of.is_none() {
            out.push(Reminder {
                id: reminder_id(b, 0),
                at: start,
                title: "Parking starts soon".into(),
                body: format!("Your parking{place} starts in {BEFORE_START_MIN} minutes."),
                booking: b.id,
                offers_extend: false,
            });
        }
        let end = b.end_time - Duration::minutes(BEFORE_END_MIN);
        // A booking shorter than the warning gets only the start reminder.
        if end > now && end > b.start_time && !continued(b, bookings) {
            out.push(Reminder {
                id: reminder_id(b, 1),
                at: end,
                title: "Parking ends soon".into(),
                body: format!(
                    "Your parking{place} ends in {BEFORE_END_MIN} minutes; please move your car by then, or extend your stay."
                ),
                booking: b.id,
                offers_extend: true,
            });
        }
    }
    out.sort_by_key(|r| r.at);
    out
}

/// Ids scheduled before and no longer planned: their bookings were cancelled or are over.
pub fn withdrawn(before: &[i32], planned: &[Reminder]) -> Vec<i32> {
    before.iter().copied().filter(|id| !planned.iter().any(|r| r.id == *id)).collect()
}

/// Bookings whose reminders this phone schedules itself, so that the server's reminders for
/// them are not shown a second time (they still reach the UI's inbox).
#[cfg(mobile)]
static COVERED: std::sync::Mutex<Vec<uuid::Uuid>> = std::sync::Mutex::new(Vec::new());

/// True when this phone reminds the driver of this booking itself.
#[cfg(mobile)]
pub fn covers(booking_id: &str) -> bool {
    let Ok(id) = uuid::Uuid::parse_str(booking_id) else { return false };
    COVERED.lock().map(|c| c.contains(&id)).unwrap_or(false)
}

/// Schedules the driver's reminders with the notification plugin (phones only).
#[cfg(mobile)]
pub async fn reschedule(app: &tauri::AppHandle, store: &crate::local::LocalStore, user: Option<uuid::Uuid>) {
    use tauri_plugin_notification::{NotificationExt, Schedule};
    const KEY: &str = "scheduled_reminders";

    let cached = match user {
        Some(user) => store.cached_bookings(user).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let bookings: Vec<Booking> = cached.iter().filter_map(|v| serde_json::from_value(v.clone()).ok()).collect();
    let title_of = |b: &Booking| {
        cached
            .iter()
            .find(|v| v["id"].as_str() == Some(b.id.to_string().as_str()))
            .and_then(|v| v["drivewayDetail"]["title"].as_str().map(str::to_owned))
    };
    let planned = plan(&bookings, title_of, Utc::now());
    let before: Vec<i32> = store
        .setting(KEY)
        .await
        .ok()
        .flatten()
        .map(|s| s.split(',').filter_map(|id| id.parse().ok()).collect())
        .unwrap_or_default();
    let notifications = app.notification();
    let gone = withdrawn(&before, &planned);
    if !gone.is_empty()
        && let Err(e) = notifications.cancel(gone)
    {
        tracing::warn!(error = %e, "could not withdraw reminders");
    }
    let mut scheduled = Vec::new();
    for r in &planned {
        let Ok(date) = time::OffsetDateTime::from_unix_timestamp(r.at.timestamp()) else { continue };
        let mut builder = notifications.builder().id(r.id).title(&r.title).body(&r.body).schedule(Schedule::At {
            date,
            repeating: false,
            allow_while_idle: true,
        });
        if r.offers_extend {
            builder = crate::actions::offer_extend(builder, &r.booking.to_string());
        }
        let shown = builder.show();
        match shown {
            Ok(()) => scheduled.push(r.id.to_string()),
            Err(e) => tracing::warn!(error = %e, "could not schedule a reminder"),
        }
    }
    if let Ok(mut covered) = COVERED.lock() {
        *covered = bookings.iter().filter(|b| b.status == BookingStatus::Confirmed).map(|b| b.id).collect();
    }
    if let Err(e) = store.set_setting(KEY, Some(&scheduled.join(","))).await {
        tracing::warn!(error = %e, "could not remember the scheduled reminders");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parkway_core::booking::PaymentStatus;
    use uuid::Uuid;

    fn booking(id: u128, status: BookingStatus, start: DateTime<Utc>, minutes: i64) -> Booking {
        Booking {
            id: Uuid::from_u128(id),
            driveway: Uuid::from_u128(7),
            driver: Uuid::from_u128(8),
            start_time: start,
            end_time: start + Duration::minutes(minutes),
            total_cents: parkway_core::Cents(500),
            currency: parkway_core::Currency::default(),
            status,
            payment_status: PaymentStatus::Paid,
            stripe_payment_id: None,
            special_requests: None,
            driver_location: None,
            vehicle: None,
            extension_of: None,
            created_at: start - Duration::days(1),
            updated_at: start - Duration::days(1),
        }
    }

    #[test]
    fn confirmed_bookings_get_a_start_and_an_end_reminder() {
        let now = Utc::now();
        let b = booking(1, BookingStatus::Confirmed, now + Duration::hours(2), 120);
        let planned = plan(std::slice::from_ref(&b), |_| Some("Sunny driveway".into()), now);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].at, b.start_time - Duration::minutes(30));
        assert_eq!(planned[1].at, b.end_time - Duration::minutes(15));
        assert!(planned[0].body.contains("at Sunny driveway starts in 30 minutes"));
        assert_ne!(planned[0].id, planned[1].id);
        assert!(planned.iter().all(|r| r.id > 0));
        // Planning again gives the same ids, so the platform replaces instead of duplicating.
        assert_eq!(
            plan(&[b], |_| None, now).iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![planned[0].id, planned[1].id]
        );
    }

    #[test]
    fn only_future_reminders_of_confirmed_bookings() {
        let now = Utc::now();
        let pending = booking(1, BookingStatus::Pending, now + Duration::hours(2), 60);
        let cancelled = booking(2, BookingStatus::Cancelled, now + Duration::hours(2), 60);
        let started = booking(3, BookingStatus::Confirmed, now - Duration::minutes(10), 60);
        let short = booking(4, BookingStatus::Confirmed, now + Duration::hours(1), 10);
        let planned = plan(&[pending, cancelled, started, short], |_| None, now);
        let kinds: Vec<(&str, i32)> = planned.iter().map(|r| (r.title.as_str(), r.id & 1)).collect();
        // The 10-minute one warns only before its start (in 30 min); the started one still warns
        // before its end (in 35 min).
        assert_eq!(kinds, vec![("Parking starts soon", 0), ("Parking ends soon", 1)]);
    }

    #[test]
    fn an_extended_stay_starts_once_and_ends_once_with_an_offer_to_extend() {
        let now = Utc::now();
        let first = booking(1, BookingStatus::Confirmed, now + Duration::hours(2), 60);
        let mut extension = booking(2, BookingStatus::Confirmed, first.end_time, 60);
        extension.extension_of = Some(first.id);
        let planned = plan(&[first.clone(), extension.clone()], |_| None, now);
        let kinds: Vec<(Uuid, &str, bool)> =
            planned.iter().map(|r| (r.booking, r.title.as_str(), r.offers_extend)).collect();
        assert_eq!(kinds, vec![(first.id, "Parking starts soon", false), (extension.id, "Parking ends soon", true)]);
        // A cancelled extension gives the end back to the first booking.
        extension.status = BookingStatus::Cancelled;
        let planned = plan(&[first.clone(), extension], |_| None, now);
        assert_eq!(planned.last().map(|r| (r.booking, r.offers_extend)), Some((first.id, true)));
    }

    #[test]
    fn reminders_of_cancelled_bookings_are_withdrawn() {
        let now = Utc::now();
        let kept = booking(1, BookingStatus::Confirmed, now + Duration::hours(2), 60);
        let planned = plan(&[kept], |_| None, now);
        let before = vec![planned[0].id, 12_345_678];
        assert_eq!(withdrawn(&before, &planned), vec![12_345_678]);
    }
}
