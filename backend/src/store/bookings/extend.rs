//! Extending a stay: a new booking that starts where the stay ends now. Being a booking row,
//! it holds its time against every other booking by the same checks (and, on PostgreSQL, the
//! same exclusion constraint); it is paid with its own intent, confirmed when paid (instant
//! book) or by the owner, and cancelled and refunded on its own terms.

use super::Created;
use super::create::{Overlap, conflicts, insert_booking, lock_calendar, unpaid_holds};
use crate::error::{AppError, AppResult};
use crate::store::db::{Tx, from_ms, query, to_ms, uuid};
use crate::store::idempotency::{self, Idempotency};
use crate::store::notifications;
use crate::store::rows::{DrivewayTerms, bookable_terms, booking_in};
use chrono::{DateTime, Duration, Utc};
use parkway_core::api::Booking;
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::extension::{LastPart, check_extendable, extra_price, latest_end};
use parkway_core::money::{Cents, Currency};
use parkway_core::slot::{MAX_DURATION_DAYS, TimeSlot};
use parkway_core::trust;
use uuid::Uuid;

/// A driver's request to make a stay longer, after validation at the edge.
#[derive(Debug, Clone)]
pub struct ExtendRequest {
    /// Who asks (must be the booking's driver).
    pub driver: Uuid,
    /// The booking, or any extension of it.
    pub booking: Uuid,
    /// The stay's new end.
    pub end: DateTime<Utc>,
    /// The extra the client showed.
    pub expected_extra: Option<Cents>,
    /// The retry key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// Unpaid pending bookings the driver may hold at once (0 = no limit); an extension
    /// waiting for its payment is one.
    pub max_unpaid_holds: u32,
}

/// Where the stay of `first` ends now: its latest extension that holds or held its time, or
/// the booking itself.
async fn last_part(tx: &mut Tx<'_>, first: &Booking) -> AppResult<LastPart> {
    let latest: Option<(String, i64)> = tx
        .fetch_optional(
            query(
                "SELECT status, end_at FROM bookings WHERE extension_of = ? \
                 AND status IN ('pending', 'confirmed', 'completed') ORDER BY end_at DESC LIMIT 1",
            )
            .bind(first.id),
        )
        .await?;
    Ok(match latest {
        Some((status, end)) => LastPart {
            status: status.parse().map_err(|_| anyhow::anyhow!("bad status in bookings"))?,
            end: from_ms(end),
        },
        None => LastPart { status: first.status, end: first.end_time },
    })
}

/// `409 slot_taken` for an extension from `from`: what is in the way of `wanted`, and the
/// furthest end that would fit (the next booking's start or the closing time, whichever comes
/// first), so the driver can be offered that instead.
async fn taken(tx: &mut Tx<'_>, driveway: &str, terms: &DrivewayTerms, wanted: &TimeSlot) -> AppResult<AppError> {
    let from = wanted.start();
    let in_the_way = conflicts(tx, driveway, wanted, None).await?;
    let next: Option<i64> = tx
        .scalar(
            query(format!(
                "SELECT MIN(start_at) FROM bookings WHERE driveway_id = ? AND status IN ('pending', 'confirmed') AND {}",
                tx.engine().meets("")
            ))
            .bind(driveway)
            .bind(to_ms(from))
            // No stay reaches further, so a booking starting later does not matter here.
            .bind(to_ms(from + Duration::days(MAX_DURATION_DAYS))),
        )
        .await?;
    let open = terms.schedule()?.open_until(from, from + Duration::days(MAX_DURATION_DAYS), terms.tz());
    Ok(AppError::SlotTaken(in_the_way, latest_end(from, next.map(from_ms), Some(open))))
}

/// Extends inside `tx` (one savepoint of a group commit, or a transaction of its own): the
/// key lookup, the rules, the hold and the owner's notice.
pub(crate) async fn extend_in(tx: &mut Tx<'_>, req: &ExtendRequest, now: DateTime<Utc>) -> AppResult<Created> {
    if let Some(idem) = &req.idempotency
        && let Some((_, body)) = idempotency::claim(tx, req.driver, idem, now).await?
    {
        let booking = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
        return Ok(Created { booking, replayed: true, notices: Vec::new() });
    }
    let (asked, owner) =
        booking_in(tx, &req.booking.to_string()).await?.ok_or_else(|| AppError::not_found("booking"))?;
    if asked.driver != req.driver {
        return Err(AppError::not_found("booking"));
    }
    // An extension's id stands for its whole stay; the stay's first booking is locked, so
    // two extensions of one stay are decided one after the other.
    let first = match asked.extension_of {
        None => asked,
        Some(first) => booking_in(tx, &first.to_string()).await?.ok_or_else(|| AppError::not_found("booking"))?.0,
    };
    let last = last_part(tx, &first).await?;
    check_extendable(last, req.end, now)?;
    let slot = TimeSlot::new(last.end, req.end)?;
    slot.check_bookable(now)?;
    let driveway = first.driveway.to_string();
    let terms = bookable_terms(tx, first.driveway).await?;
    lock_calendar(tx, &driveway).await?;
    if !terms.schedule()?.covers(&slot, terms.tz()) || !conflicts(tx, &driveway, &slot, None).await?.is_empty() {
        return Err(taken(tx, &driveway, &terms, &slot).await?);
    }
    let extra = extra_price(&terms.rate(), first.start_time, last.end, req.end);
    trust::check_expected_price(req.expected_extra, extra, first.currency.clone())?;
    if extra > Cents::ZERO && req.max_unpaid_holds > 0 {
        trust::check_hold(unpaid_holds(tx, req.driver).await?, req.max_unpaid_holds)?;
    }
    // Under a daily cap the extra time can cost nothing: there is nothing to pay, and an
    // instant-book driveway confirms it at once.
    let free = extra == Cents::ZERO;
    let extension = Booking {
        id: Uuid::new_v4(),
        driveway: first.driveway,
        driver: first.driver,
        start_time: slot.start(),
        end_time: slot.end(),
        total_cents: extra,
        currency: Currency::parse(&terms.currency).unwrap_or(first.currency.clone()),
        status: if free && terms.instant_book { BookingStatus::Confirmed } else { BookingStatus::Pending },
        payment_status: if free { PaymentStatus::Paid } else { PaymentStatus::Pending },
        stripe_payment_id: None,
        special_requests: None,
        driver_location: None,
        vehicle: first.vehicle.clone(),
        extension_of: Some(first.id),
        created_at: now,
        updated_at: now,
    };
    let about = terms.about(&extension);
    let requested = about.extension_requested(uuid(&owner)?, terms.instant_book);
    let mut notices = vec![insert_booking(tx, &extension, &owner, requested, now, Overlap::Fail, None).await?];
    if extension.status == BookingStatus::Confirmed {
        notices.push(notifications::insert(tx, about.confirmed(extension.driver), now).await?);
    }
    if let Some(idem) = &req.idempotency {
        let body = serde_json::to_string(&extension).map_err(anyhow::Error::from)?;
        idempotency::complete(tx, req.driver, idem, 201, &body).await?;
    }
    Ok(Created { booking: extension, replayed: false, notices })
}
