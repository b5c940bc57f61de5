use super::Store;
use super::db::{Engine, Tx, query, to_ms, uuid};
use super::notifications::{self, Notice};
use super::payments;
use super::rows::{BOOKING_COLUMNS, BookingRow, swap_status, terms};
use crate::error::AppResult;
use crate::notices::{About, minutes_until};
use chrono::{DateTime, Duration, Utc};
use parkway_core::api::Booking;
use parkway_core::booking::BookingStatus;

/// Most bookings one job run changes, so a backlog never holds the write lock for long.
const BATCH: i64 = 500;
/// How long idempotency keys are kept (the contract promises at least 24 h).
const KEY_RETENTION_HOURS: i64 = 48;
/// The advisory lock a run of the jobs holds on PostgreSQL (any constant shared by every
/// instance; this one spells "parkjobs" in ASCII).
const JOBS_LOCK: i64 = 0x7061_726b_6a6f_6273;

/// What one run of the jobs did.
#[derive(Debug, Default)]
pub struct JobReport {
    /// Unpaid holds released.
    pub expired: usize,
    /// Requests the owner never answered before the start.
    pub unanswered: usize,
    /// Bookings whose end passed.
    pub completed: usize,
    /// Reminders sent.
    pub reminders: usize,
    /// Notifications to publish.
    pub notices: Vec<Notice>,
    /// Payment intents with a refund or cancellation now owed.
    pub settle: Vec<String>,
}

impl Store {
    /// Releases unpaid holds older than `hold`, cancels requests still pending at their start,
    /// completes confirmed bookings whose end has passed, and forgets old idempotency keys.
    /// Every change is a compare-and-swap, so running this twice at once changes nothing twice.
    ///
    /// With several instances on PostgreSQL, a run first takes a transaction-scoped advisory
    /// lock: while one instance runs the jobs, another's run finds the lock taken and does
    /// nothing, so each item is done by one instance (and the compare-and-swap still holds if
    /// a run ever overlapped another).
    pub async fn run_jobs(&self, now: DateTime<Utc>, hold: Duration) -> AppResult<JobReport> {
        let mut report = JobReport::default();
        let mut tx = self.begin_write().await?;
        if tx.engine() == Engine::Postgres {
            let ours: bool = tx.scalar(query("SELECT pg_try_advisory_xact_lock(?)").bind(JOBS_LOCK)).await?;
            if !ours {
                return Ok(report);
            }
        }

        let stale: Vec<BookingRow> = tx
            .fetch_all(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.status = 'pending' \
                     AND b.payment_status IN ('pending', 'failed') AND b.created_at < ? \
                     AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id \
                                     AND p.status IN ('requires_capture', 'processing', 'succeeded')) \
                     ORDER BY b.created_at LIMIT ?"
                ))
                .bind(to_ms(now - hold))
                .bind(BATCH),
            )
            .await?;
        for row in stale {
            let owner = row.owner_id.clone();
            let mut b = Booking::try_from(row)?;
            if swap_status(&mut tx, &b.id.to_string(), BookingStatus::Pending, BookingStatus::Cancelled, now).await? {
                b.status = BookingStatus::Cancelled;
                report.expired += 1;
                let reason = "it was not paid within the hold time, so the slot was released";
                report
                    .settle
                    .extend(payments::settle_cancellation_in(&mut tx, &b.id.to_string(), |paid| paid, now).await?);
                for to in [b.driver, uuid(&owner)?] {
                    report.notices.push(cancel_notice(&mut tx, &b, to, reason, now).await?);
                }
            }
        }

        let unanswered: Vec<BookingRow> = tx
            .fetch_all(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.status = 'pending' AND b.start_at <= ? LIMIT ?"
                ))
                .bind(to_ms(now))
                .bind(BATCH),
            )
            .await?;
        for row in unanswered {
            let owner = row.owner_id.clone();
            let mut b = Booking::try_from(row)?;
            if swap_status(&mut tx, &b.id.to_string(), BookingStatus::Pending, BookingStatus::Cancelled, now).await? {
                b.status = BookingStatus::Cancelled;
                report.unanswered += 1;
                let reason = "the owner did not confirm it before the start";
                report
                    .settle
                    .extend(payments::settle_cancellation_in(&mut tx, &b.id.to_string(), |paid| paid, now).await?);
                for to in [b.driver, uuid(&owner)?] {
                    report.notices.push(cancel_notice(&mut tx, &b, to, reason, now).await?);
                }
            }
        }

        let done = tx
            .execute(
                query(
                    "UPDATE bookings SET status = 'completed', updated_at = ? WHERE status = 'confirmed' AND id IN \
                     (SELECT id FROM bookings WHERE status = 'confirmed' AND end_at <= ? LIMIT ?)",
                )
                .bind(to_ms(now))
                .bind(to_ms(now))
                .bind(BATCH),
            )
            .await?;
        report.completed = done as usize;

        report.reminders = send_reminders(&mut tx, now, &mut report.notices).await?;

        tx.execute(
            query("DELETE FROM idempotency_keys WHERE created_at < ?")
                .bind(to_ms(now - Duration::hours(KEY_RETENTION_HOURS))),
        )
        .await?;
        let guesses = Duration::minutes(super::sessions::GUESS_WINDOW_MINUTES);
        tx.execute(query("DELETE FROM login_failures WHERE at < ?").bind(to_ms(now - guesses))).await?;
        if tx.engine() == Engine::Postgres {
            super::ratelimit::forget_idle(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

async fn cancel_notice(
    tx: &mut Tx<'_>,
    b: &Booking,
    to: uuid::Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<Notice> {
    let t = terms(tx, &b.driveway.to_string()).await?;
    let title = t.as_ref().map_or("your driveway", |t| t.title.as_str());
    let timezone = t.as_ref().map_or("UTC", |t| t.timezone.as_str());
    let about = About { booking: b, driveway_title: title, timezone };
    notifications::insert(tx, about.cancelled(to, reason), now).await
}

/// The reminders: who gets one, about which instant, how long before it.
const REMINDERS: [(&str, Who, Edge, i64); 3] = [
    ("driver_start", Who::Driver, Edge::Start, 30),
    ("owner_start", Who::Owner, Edge::Start, 15),
    ("driver_end", Who::Driver, Edge::End, 15),
];

#[derive(Clone, Copy)]
enum Who {
    Driver,
    Owner,
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

/// Sends each due reminder of confirmed bookings once: the `reminders_sent` row and the
/// notification are written in the same transaction, under a primary key.
async fn send_reminders(tx: &mut Tx<'_>, now: DateTime<Utc>, notices: &mut Vec<Notice>) -> AppResult<usize> {
    let mut sent = 0;
    for (kind, who, edge, minutes) in REMINDERS {
        let column = match edge {
            Edge::Start => "start_at",
            Edge::End => "end_at",
        };
        // A stay made of a booking and its extensions starts once and ends once: no start
        // reminder for an extension, no end reminder for a part that another continues.
        let whole_stay = match edge {
            Edge::Start => "b.extension_of IS NULL",
            Edge::End => {
                "NOT EXISTS (SELECT 1 FROM bookings x WHERE x.extension_of = COALESCE(b.extension_of, b.id) \
                 AND x.start_at = b.end_at AND x.status IN ('pending', 'confirmed'))"
            }
        };
        let due: Vec<BookingRow> = tx
            .fetch_all(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.status = 'confirmed' AND b.{column} > ? \
                     AND b.{column} <= ? AND {whole_stay} AND NOT EXISTS \
                     (SELECT 1 FROM reminders_sent r WHERE r.booking_id = b.id AND r.kind = ?) LIMIT ?"
                ))
                .bind(to_ms(now))
                .bind(to_ms(now + Duration::minutes(minutes)))
                .bind(kind)
                .bind(BATCH),
            )
            .await?;
        for row in due {
            let owner = row.owner_id.clone();
            let b = Booking::try_from(row)?;
            let first = tx
                .execute(
                    query(
                        "INSERT INTO reminders_sent (booking_id, kind, sent_at) VALUES (?, ?, ?) \
                         ON CONFLICT (booking_id, kind) DO NOTHING",
                    )
                    .bind(b.id)
                    .bind(kind)
                    .bind(to_ms(now)),
                )
                .await?;
            if first == 0 {
                continue;
            }
            let t = terms(tx, &b.driveway.to_string()).await?;
            let title = t.as_ref().map_or("Your parking", |t| t.title.as_str());
            let timezone = t.as_ref().map_or("UTC", |t| t.timezone.as_str());
            let about = About { booking: &b, driveway_title: title, timezone };
            let draft = match (who, edge) {
                (Who::Driver, Edge::Start) => about.reminder(
                    b.driver,
                    &format!("your parking starts in {} minutes", minutes_until(now, b.start_time)),
                ),
                (Who::Owner, _) => about.reminder(
                    uuid(&owner)?,
                    &format!("a driver arrives in {} minutes", minutes_until(now, b.start_time)),
                ),
                (Who::Driver, Edge::End) => about.ending_soon(b.driver, minutes_until(now, b.end_time)),
            };
            notices.push(notifications::insert(tx, draft, now).await?);
            sent += 1;
        }
    }
    Ok(sent)
}
