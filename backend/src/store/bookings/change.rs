use super::Changed;
use super::create::{Guard, check_slot};
use crate::error::{AppError, AppResult};
use crate::store::Store;
use crate::store::db::{Tx, is_exclusion_violation, query, to_ms, uuid};
use crate::store::notifications::{self, Notice};
use crate::store::payments;
use crate::store::rows::{BOOKING_COLUMNS, BookingRow, bookable_terms, booking_in, listing, swap_status};
use crate::store::vehicles;
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::Booking;
use parkway_core::booking::{BookingEvent, BookingStatus};
use parkway_core::extension::check_movable;
use parkway_core::money::Cents;
use parkway_core::payment::IntentStatus;
use parkway_core::refund::{CancelledBy, refund_amount};
use parkway_core::slot::TimeSlot;
use parkway_core::trust::{self, MoneyState};
use uuid::Uuid;

/// Where the booking's money stands for the trust rules, from its live intent read inside
/// `tx` after the booking was locked.
async fn money_state(tx: &mut Tx<'_>, booking: &Booking) -> AppResult<MoneyState> {
    let live: Option<String> = tx
        .scalar_optional(
            query("SELECT status FROM payments WHERE booking_id = ? AND status != 'canceled'").bind(booking.id),
        )
        .await?;
    let live = live.map(|s| s.parse::<IntentStatus>()).transpose().map_err(anyhow::Error::from)?;
    Ok(MoneyState::of(booking.payment_status, live))
}

/// Extensions of `first` that still hold their time.
async fn live_extensions(tx: &mut Tx<'_>, first: &str) -> AppResult<i64> {
    Ok(tx
        .scalar(
            query("SELECT COUNT(*) FROM bookings WHERE extension_of = ? AND status IN ('pending', 'confirmed')")
                .bind(first),
        )
        .await?)
}

/// How much of a payment for `booking` goes back when it is cancelled at `now`: the driver's
/// policy (with `shown` saying whether the access instructions were visible), or everything
/// when the owner cancels.
fn refund_policy(booking: &Booking, shown: bool, by_driver: bool, now: DateTime<Utc>) -> impl Fn(i64) -> i64 + use<> {
    let (booked_at, start) = (booking.created_at, booking.start_time);
    move |paid: i64| {
        if by_driver {
            trust::driver_refund(Cents(paid), booked_at, start, now, shown).0
        } else {
            refund_amount(Cents(paid), CancelledBy::Owner, booked_at, start, now).0
        }
    }
}

impl Store {
    /// The owner confirms a pending request. Overlapping pending requests for the same
    /// driveway are declined in the same transaction.
    pub async fn confirm_booking(&self, owner: Uuid, id: Uuid, now: DateTime<Utc>) -> AppResult<Changed> {
        let mut tx = self.begin_write().await?;
        let ids = id.to_string();
        let (mut booking, booking_owner) =
            booking_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("booking"))?;
        if booking_owner != owner.to_string() {
            return Err(AppError::not_found("booking"));
        }
        let next = booking.status.transition(BookingEvent::Confirm)?;
        trust::check_confirmable(booking.end_time, now)?;
        let money = money_state(&mut tx, &booking).await?;
        trust::check_paid_before_confirm(money)?;
        if !swap_status(&mut tx, &ids, booking.status, next, now).await? {
            return Err(AppError::invalid_transition("this booking changed meanwhile; reload it"));
        }
        booking.status = next;
        booking.updated_at = now;
        let driveway = booking.driveway.to_string();
        let listing = listing(&mut tx, booking.driveway, "your driveway").await?;
        let mut notices =
            vec![notifications::insert(&mut tx, listing.about(&booking).confirmed(booking.driver), now).await?];

        // On PostgreSQL the exclusion constraint means there are none; SQLite data written
        // outside the API could hold some.
        let slot = TimeSlot::new(booking.start_time, booking.end_time)?;
        let rivals: Vec<BookingRow> = tx
            .fetch_all(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.driveway_id = ? AND b.status = 'pending' \
                     AND {} AND b.id != ?",
                    tx.engine().meets("b.")
                ))
                .bind(&driveway)
                .bind(to_ms(slot.start()))
                .bind(to_ms(slot.end()))
                .bind(&ids),
            )
            .await?;
        for row in rivals {
            let mut rival = Booking::try_from(row)?;
            if swap_status(&mut tx, &rival.id.to_string(), BookingStatus::Pending, BookingStatus::Cancelled, now)
                .await?
            {
                rival.status = BookingStatus::Cancelled;
                let draft =
                    listing.about(&rival).cancelled(rival.driver, "the owner accepted another request for that time");
                notices.push(notifications::insert(&mut tx, draft, now).await?);
            }
        }
        tx.commit().await?;
        Ok(Changed { booking, notices, settle: Vec::new() })
    }

    /// The driver or the owner cancels. The other party is told.
    pub async fn cancel_booking(&self, user: Uuid, id: Uuid, now: DateTime<Utc>) -> AppResult<Changed> {
        let mut tx = self.begin_write().await?;
        let ids = id.to_string();
        let (mut booking, owner) = booking_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("booking"))?;
        let by_driver = booking.driver == user;
        if !by_driver && owner != user.to_string() {
            return Err(AppError::not_found("booking"));
        }
        let next = booking.status.transition(BookingEvent::Cancel)?;
        if !swap_status(&mut tx, &ids, booking.status, next, now).await? {
            return Err(AppError::invalid_transition("this booking changed meanwhile; reload it"));
        }
        let shown = trust::instructions_visible(booking.status, booking.start_time, booking.end_time, now);
        booking.status = next;
        booking.updated_at = now;
        let listing = listing(&mut tx, booking.driveway, "the driveway").await?;
        let about = listing.about(&booking);
        let draft = if by_driver {
            about.cancelled(uuid(&owner)?, "the driver cancelled it")
        } else {
            about.cancelled(booking.driver, "the owner cancelled it")
        };
        let notices = vec![notifications::insert(&mut tx, draft, now).await?];
        let mut settle: Vec<String> =
            payments::settle_cancellation_in(&mut tx, &ids, refund_policy(&booking, shown, by_driver, now), now)
                .await?
                .into_iter()
                .collect();
        if booking.extension_of.is_none() {
            // The stay goes with its first booking: its extensions are cancelled too, each
            // refunded on its own terms (when it was booked, when its time starts).
            let lock = tx.engine().for_update();
            let extensions: Vec<BookingRow> = tx
                .fetch_all(
                    query(format!(
                        "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.extension_of = ? \
                         AND b.status IN ('pending', 'confirmed'){lock}"
                    ))
                    .bind(&ids),
                )
                .await?;
            for row in extensions {
                let extension = Booking::try_from(row)?;
                let eid = extension.id.to_string();
                if swap_status(&mut tx, &eid, extension.status, BookingStatus::Cancelled, now).await? {
                    let shown =
                        trust::instructions_visible(extension.status, extension.start_time, extension.end_time, now);
                    let refund = refund_policy(&extension, shown, by_driver, now);
                    settle.extend(payments::settle_cancellation_in(&mut tx, &eid, refund, now).await?);
                }
            }
        }
        tx.commit().await?;
        Ok(Changed { booking, notices, settle })
    }

    /// The driver changes times or notes of a booking that has not started. The new slot is
    /// checked like a new booking (except against itself) and priced again.
    pub async fn update_booking(
        &self,
        driver: Uuid,
        id: Uuid,
        slot: Option<TimeSlot>,
        special_requests: Option<Option<String>>,
        vehicle: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> AppResult<(Booking, Vec<Notice>)> {
        let mut tx = self.begin_write().await?;
        let ids = id.to_string();
        let (mut booking, owner) = booking_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("booking"))?;
        if booking.driver != driver {
            return Err(AppError::not_found("booking"));
        }
        trust::check_changeable(booking.status, booking.start_time, now)?;
        if let Some(slot) = slot.filter(|s| s.start() != booking.start_time || s.end() != booking.end_time) {
            check_movable(booking.extension_of.is_some(), live_extensions(&mut tx, &ids).await?)?;
            slot.check_bookable(now)?;
            let money = money_state(&mut tx, &booking).await?;
            let current = (booking.start_time, booking.end_time);
            trust::check_move(money, booking.status, booking.created_at, current, slot.start(), now)?;
            let driveway = booking.driveway.to_string();
            let terms = bookable_terms(&mut tx, booking.driveway).await?;
            let total = check_slot(&mut tx, &driveway, &terms, &slot, Some(&ids), Guard::Calendar).await?;
            trust::check_price_change(money, booking.total_cents, total)?;
            // The owner agreed to the old time only: a moved request goes back to them,
            // keeping its payment.
            if booking.status == BookingStatus::Confirmed && !terms.instant_book {
                booking.status = BookingStatus::Pending;
            }
            booking.start_time = slot.start();
            booking.end_time = slot.end();
            booking.total_cents = total;
        }
        if let Some(notes) = special_requests {
            booking.special_requests = notes;
        }
        // Another vehicle parks: only before the stay starts (the owner checks the plate at
        // arrival), and the owner is told.
        let mut vehicle_changed = false;
        if let Some(vehicle) = vehicle {
            if now >= booking.start_time {
                return Err(AppError::Api(
                    ErrorCode::InvalidTransition,
                    "the vehicle can be changed only before the booking starts".into(),
                ));
            }
            let snapshot = vehicles::snapshot_for(&mut tx, driver, Some(vehicle)).await?;
            vehicle_changed = snapshot != booking.vehicle;
            booking.vehicle = snapshot;
        }
        booking.updated_at = now;
        let moved = tx
            .execute(
                query(
                    "UPDATE bookings SET start_at = ?, end_at = ?, total_cents = ?, special_requests = ?, \
                     vehicle_plate = ?, vehicle_label = ?, status = ?, updated_at = ? \
                     WHERE id = ? AND status IN ('pending', 'confirmed')",
                )
                .bind(to_ms(booking.start_time))
                .bind(to_ms(booking.end_time))
                .bind(booking.total_cents.0)
                .bind(&booking.special_requests)
                .bind(booking.vehicle.as_ref().map(|v| v.plate.clone()))
                .bind(booking.vehicle.as_ref().and_then(|v| v.label.clone()))
                .bind(booking.status.as_str())
                .bind(to_ms(now))
                .bind(&ids),
            )
            .await;
        match moved {
            // Another instance booked the new time after the check above (PostgreSQL).
            Err(e) if is_exclusion_violation(&e) => {
                let _ = tx.rollback().await;
                let slot = TimeSlot::new(booking.start_time, booking.end_time)?;
                return Err(self.slot_taken(&booking.driveway.to_string(), &slot, Some(&ids)).await);
            }
            moved => moved?,
        };
        let mut notices = Vec::new();
        if vehicle_changed {
            let listing = listing(&mut tx, booking.driveway, "your driveway").await?;
            let draft = listing.about(&booking).vehicle_changed(uuid(&owner)?);
            notices.push(notifications::insert(&mut tx, draft, now).await?);
        }
        tx.commit().await?;
        Ok((booking, notices))
    }
}
