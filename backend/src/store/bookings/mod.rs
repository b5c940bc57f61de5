//! Bookings: the requests and answers of the booking workflow, and reading bookings back.
//!
//! Creating one is in [`create`] (every rule, then the insert, in one transaction) and reaches
//! the database through [`super::batch`]; its later changes (confirm, cancel, move) are in
//! [`change`].

/// What a batch reads (and on PostgreSQL claims) for its new bookings in one statement.
pub(crate) mod ahead;
/// Confirming, cancelling and moving a booking.
mod change;
/// Creating a booking: the rules, the insert, the owner's notice and the stored answer.
pub(crate) mod create;
/// Extending a stay with a booking for the extra time.
pub(crate) mod extend;

pub use extend::ExtendRequest;

use super::Store;
use super::db::query;
use super::idempotency::Idempotency;
use super::notifications::Notice;
use super::rows::{BOOKING_COLUMNS, BookingRow};
use crate::error::{AppError, AppResult};
use parkway_core::api::Booking;
use parkway_core::booking::BookingStatus;
use parkway_core::geo::Point;
use parkway_core::slot::TimeSlot;
use uuid::Uuid;

/// Most bookings one page lists.
pub const MAX_PAGE: i64 = 200;

/// A booking request after validation at the edge.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// Who books.
    pub driver: Uuid,
    /// The session of the driver's token, which the booking's transaction checks is open.
    pub session: Uuid,
    /// Which driveway.
    pub driveway: Uuid,
    /// When (already checked against the slot rules).
    pub slot: TimeSlot,
    /// Notes for the owner.
    pub special_requests: Option<String>,
    /// Where the driver is.
    pub driver_location: Option<Point>,
    /// The price the driver saw.
    pub expected_total: Option<i64>,
    /// A payment made before the booking.
    pub stripe_payment_id: Option<String>,
    /// The driver's vehicle that parks (else their default).
    pub vehicle_id: Option<Uuid>,
    /// The retry key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// Unpaid pending bookings the driver may hold at once (0 = no limit).
    pub max_unpaid_holds: u32,
}

impl BookingRequest {
    /// The driver's token session, which the booking's transaction checks is open.
    pub fn token(&self) -> crate::store::sessions::TokenSession {
        crate::store::sessions::TokenSession { user: self.driver, session: self.session }
    }

    /// Whether the request can be refused after it has written something it cannot give back
    /// itself: a booking paid ahead links its payment after the insert. Such a request runs in
    /// a savepoint of its own (`store/batch.rs`).
    pub fn writes_before_refusing(&self) -> bool {
        self.stripe_payment_id.is_some()
    }

    /// Whether the booking is refused when the driver holds too many unpaid bookings: one not
    /// paid ahead, where a limit is set.
    pub fn counts_holds(&self) -> bool {
        self.stripe_payment_id.is_none() && self.max_unpaid_holds > 0
    }
}

/// The result of a create: the booking, whether it is a replay, and whom to tell.
#[derive(Debug)]
pub struct Created {
    /// The booking as first answered.
    pub booking: Booking,
    /// True when this answer is a replay of an earlier request with the same key.
    pub replayed: bool,
    /// Notifications written with it.
    pub notices: Vec<Notice>,
}

/// A booking after a state change, and whom to tell.
#[derive(Debug)]
pub struct Changed {
    /// The booking now.
    pub booking: Booking,
    /// Notifications written with the change.
    pub notices: Vec<Notice>,
    /// Payment intents with a refund or cancellation now owed.
    pub settle: Vec<String>,
}

impl Store {
    /// A booking visible to `user` (its driver or its driveway's owner).
    pub async fn booking_for(&self, user: Uuid, id: Uuid) -> AppResult<Booking> {
        let row: Option<BookingRow> = self
            .reader()
            .fetch_optional(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.id = ? AND (b.driver_id = ? OR b.owner_id = ?)"
                ))
                .bind(id)
                .bind(user)
                .bind(user),
            )
            .await?;
        row.map(Booking::try_from).transpose()?.ok_or_else(|| AppError::not_found("booking"))
    }

    /// A booking on one of `owner`'s driveways; anyone else's answers 404.
    pub async fn booking_as_owner(&self, owner: Uuid, id: Uuid) -> AppResult<Booking> {
        let row: Option<BookingRow> = self
            .reader()
            .fetch_optional(
                query(format!("SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.id = ? AND b.owner_id = ?"))
                    .bind(id)
                    .bind(owner),
            )
            .await?;
        row.map(Booking::try_from).transpose()?.ok_or_else(|| AppError::not_found("booking"))
    }

    /// The user's bookings as driver (or, with `as_owner`, on their driveways), newest first.
    pub async fn list_bookings(
        &self,
        user: Uuid,
        as_owner: bool,
        status: Option<BookingStatus>,
        limit: i64,
        offset: i64,
    ) -> AppResult<Vec<Booking>> {
        let who = if as_owner { "b.owner_id" } else { "b.driver_id" };
        let with_status = if status.is_some() { " AND b.status = ?" } else { "" };
        // Insertion order breaks ties between bookings made in the same millisecond.
        let inserted = self.engine().insertion_order("b");
        let mut q = query(format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE {who} = ?{with_status} \
             ORDER BY b.created_at DESC, {inserted} DESC LIMIT ? OFFSET ?"
        ))
        .bind(user);
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        let rows: Vec<BookingRow> =
            self.reader().fetch_all(q.bind(limit.clamp(1, MAX_PAGE)).bind(offset.max(0))).await?;
        Ok(rows.into_iter().map(Booking::try_from).collect::<Result<_, _>>()?)
    }
}
