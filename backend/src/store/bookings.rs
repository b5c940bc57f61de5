use super::db::{Engine, Tx, is_exclusion_violation, is_retryable, query};
use super::idempotency::{self, Idempotency};
use super::locks::{self, Subject};
use super::notifications::{self, Notice};
use super::payments::{self, PaymentChange, PaymentRow};
use super::{Store, Writer, from_ms, to_ms, uuid};
use crate::error::{AppError, AppResult};
use crate::notices::About;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, LatLng};
use parkway_core::availability::WeeklySchedule;
use parkway_core::booking::{BookingEvent, BookingStatus, PaymentStatus};
use parkway_core::geo::Point;
use parkway_core::money::{Cents, Currency, format_amount};
use parkway_core::pricing::Rate;
use parkway_core::refund::{CancelledBy, refund_amount};
use parkway_core::slot::TimeSlot;
use parkway_core::trust::{self, MoneyState};
use uuid::Uuid;

/// Most bookings one page lists.
pub const MAX_PAGE: i64 = 200;

/// A booking request after validation at the edge.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// Who books.
    pub driver: Uuid,
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
    /// The retry key, if the client sent one.
    pub idempotency: Option<Idempotency>,
    /// Unpaid pending bookings the driver may hold at once (0 = no limit).
    pub max_unpaid_holds: u32,
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
    /// A payment intent with a refund or cancellation now owed.
    pub settle: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct BookingRow {
    id: String,
    driveway_id: String,
    driver_id: String,
    pub(crate) owner_id: String,
    start_at: i64,
    end_at: i64,
    total_cents: i64,
    currency: String,
    status: String,
    payment_status: String,
    stripe_payment_id: Option<String>,
    special_requests: Option<String>,
    driver_lat: Option<f64>,
    driver_lng: Option<f64>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const BOOKING_COLUMNS: &str = "b.id, b.driveway_id, b.driver_id, b.owner_id, b.start_at, b.end_at, \
    b.total_cents, b.currency, b.status, b.payment_status, b.stripe_payment_id, b.special_requests, b.driver_lat, \
    b.driver_lng, b.created_at, b.updated_at";

impl TryFrom<BookingRow> for Booking {
    type Error = sqlx::Error;
    fn try_from(r: BookingRow) -> Result<Booking, sqlx::Error> {
        let bad = |what: &str| sqlx::Error::Decode(format!("bad {what} in bookings").into());
        Ok(Booking {
            id: uuid(&r.id)?,
            driveway: uuid(&r.driveway_id)?,
            driver: uuid(&r.driver_id)?,
            start_time: from_ms(r.start_at),
            end_time: from_ms(r.end_at),
            total_cents: Cents(r.total_cents),
            currency: Currency::parse(&r.currency).map_err(|_| bad("currency"))?,
            status: r.status.parse().map_err(|_| bad("status"))?,
            payment_status: r.payment_status.parse().map_err(|_| bad("payment status"))?,
            stripe_payment_id: r.stripe_payment_id,
            special_requests: r.special_requests,
            driver_location: r.driver_lat.zip(r.driver_lng).map(|(lat, lng)| LatLng { lat, lng }),
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        })
    }
}

/// What a booking needs to know about its driveway.
#[derive(sqlx::FromRow)]
pub(crate) struct DrivewayTerms {
    pub(crate) owner_id: String,
    pub(crate) title: String,
    price_per_hour_cents: i64,
    price_per_day_cents: Option<i64>,
    currency: String,
    pub(crate) timezone: String,
    pub(crate) instant_book: bool,
    availability: String,
}

impl DrivewayTerms {
    fn rate(&self) -> Rate {
        Rate { per_hour: Cents(self.price_per_hour_cents), per_day: self.price_per_day_cents.map(Cents) }
    }

    fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    fn schedule(&self) -> Result<WeeklySchedule, sqlx::Error> {
        serde_json::from_str(&self.availability).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    fn about<'a>(&'a self, booking: &'a Booking) -> About<'a> {
        About { booking, driveway_title: &self.title, timezone: &self.timezone }
    }
}

pub(crate) async fn terms(tx: &mut Tx<'_>, driveway: &str) -> AppResult<Option<DrivewayTerms>> {
    Ok(tx
        .fetch_optional(
            query(
                "SELECT owner_id, title, price_per_hour_cents, price_per_day_cents, currency, timezone, instant_book, \
                 availability FROM driveways WHERE id = ? AND deleted_at IS NULL",
            )
            .bind(driveway),
        )
        .await?)
}

/// The terms of a live driveway that a booking is being made on or moved on. The driveway's
/// lock is shared first and the row read after, so that a concurrent deletion (which takes the
/// lock exclusively and then checks for bookings) waits for this transaction, or makes this one
/// find the driveway gone. Sharing a row lock instead wrote the busy driveway's row on every
/// booking, and under load a new MultiXact id each time.
async fn bookable_terms(tx: &mut Tx<'_>, driveway: Uuid) -> AppResult<DrivewayTerms> {
    locks::share(tx, Subject::Driveway(driveway)).await?;
    tx.fetch_optional(
        query(
            "SELECT owner_id, title, price_per_hour_cents, price_per_day_cents, currency, timezone, instant_book, \
             availability FROM driveways WHERE id = ? AND deleted_at IS NULL",
        )
        .bind(driveway),
    )
    .await?
    .ok_or_else(|| AppError::not_found("driveway"))
}

/// Active bookings of one driveway meeting a slot `[s, e)` (other than `except`), at most
/// `limit` of them, oldest first.
///
/// On PostgreSQL the condition is the exclusion constraint's own range overlap, so its GiST index
/// narrows on the driveway and the time together. On SQLite, active bookings of one driveway
/// never overlap one another (its single writer checks every change), so ordered by their end
/// they are also ordered by their start: those meeting `[s, e)` are the first ones ending after
/// `s`, up to the first that starts at or after `e`, and the inner query reads just those from
/// the index on `(driveway_id, end_at)`.
///
/// Written as `end_at > s AND start_at < e` on PostgreSQL, the check could read every later
/// booking of the driveway, and the planner was seen to answer it from the GiST index by driveway
/// alone (a driveway busy since the last ANALYZE looks nearly empty to it), reading all of a busy
/// driveway's bookings on each check: every booking slower than the last.
pub(crate) fn meeting_slot(
    engine: Engine,
    columns: &str,
    driveway: &str,
    slot: &TimeSlot,
    except: Option<&str>,
    limit: usize,
) -> super::db::Query {
    let (start, end) = (to_ms(slot.start()), to_ms(slot.end()));
    match engine {
        Engine::Postgres => query(format!(
            "SELECT {columns} FROM bookings WHERE driveway_id = ? AND status IN ('pending', 'confirmed') \
             AND int8range(start_at, end_at) && int8range(?, ?) AND id != ? ORDER BY start_at LIMIT {limit}"
        ))
        .bind(driveway)
        .bind(start)
        .bind(end)
        .bind(except.unwrap_or("")),
        Engine::Sqlite => query(format!(
            "SELECT {columns} FROM (SELECT {columns} FROM bookings WHERE driveway_id = ? \
             AND status IN ('pending', 'confirmed') AND end_at > ? AND id != ? ORDER BY end_at LIMIT {limit}) meeting \
             WHERE start_at < ? ORDER BY start_at"
        ))
        .bind(driveway)
        .bind(start)
        .bind(except.unwrap_or(""))
        .bind(end),
    }
}

/// Most conflicts one `slot_taken` answer lists.
const MAX_CONFLICTS: usize = 20;

/// Active bookings of `driveway` overlapping `slot`, other than `except`.
async fn conflicts(tx: &mut Tx<'_>, driveway: &str, slot: &TimeSlot, except: Option<&str>) -> AppResult<Vec<TimeSlot>> {
    let rows: Vec<(i64, i64)> =
        tx.fetch_all(meeting_slot(tx.engine(), "start_at, end_at", driveway, slot, except, MAX_CONFLICTS)).await?;
    Ok(rows.into_iter().filter_map(|(s, e)| TimeSlot::new(from_ms(s), from_ms(e)).ok()).collect())
}

/// Checks opening hours and conflicts for `slot` and prices it.
async fn check_slot(
    tx: &mut Tx<'_>,
    driveway: &str,
    terms: &DrivewayTerms,
    slot: &TimeSlot,
    except: Option<&str>,
) -> AppResult<Cents> {
    if !terms.schedule()?.covers(slot, terms.tz()) {
        return Err(AppError::Api(
            ErrorCode::Unavailable,
            "the driveway is closed during part of that time; check its opening hours".into(),
        ));
    }
    let taken = conflicts(tx, driveway, slot, except).await?;
    if !taken.is_empty() {
        return Err(AppError::SlotTaken(taken));
    }
    Ok(terms.rate().price(slot))
}

/// A booking and its owner, its row locked against other writers until `tx` ends.
pub(crate) async fn booking_in(tx: &mut Tx<'_>, id: &str) -> AppResult<Option<(Booking, String)>> {
    let lock = tx.for_update();
    let row: Option<BookingRow> = tx
        .fetch_optional(query(format!("SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.id = ?{lock}")).bind(id))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let owner = r.owner_id.clone();
            Ok(Some((Booking::try_from(r)?, owner)))
        }
    }
}

/// Moves a booking to `to` if it is still in `from` (compare-and-swap). False if it moved on.
pub(crate) async fn swap_status(
    tx: &mut Tx<'_>,
    id: &str,
    from: BookingStatus,
    to: BookingStatus,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let done = tx
        .execute(
            query("UPDATE bookings SET status = ?, updated_at = ? WHERE id = ? AND status = ?")
                .bind(to.as_str())
                .bind(to_ms(now))
                .bind(id)
                .bind(from.as_str()),
        )
        .await?;
    Ok(done == 1)
}

/// The driver's pending bookings whose money is neither authorised nor collected. On
/// PostgreSQL the driver's row is locked first, so two concurrent requests of one driver count
/// one after the other (SQLite's single writer already does that).
async fn unpaid_holds(tx: &mut Tx<'_>, driver: Uuid) -> AppResult<i64> {
    let lock = tx.for_update();
    tx.execute(query(format!("SELECT id FROM users WHERE id = ?{lock}")).bind(driver)).await?;
    Ok(tx
        .scalar(
            query(
                "SELECT COUNT(*) FROM bookings b WHERE b.driver_id = ? AND b.status = 'pending' AND NOT EXISTS \
                 (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status IN ('requires_capture', 'succeeded'))",
            )
            .bind(driver),
        )
        .await?)
}

/// Where the booking's money stands for the trust rules: its live intent's progress, read
/// inside `tx` after the booking was locked.
async fn money_state(tx: &mut Tx<'_>, booking: &Booking) -> AppResult<MoneyState> {
    let live: Option<String> = tx
        .scalar_optional(
            query("SELECT status FROM payments WHERE booking_id = ? AND status != 'canceled'").bind(booking.id),
        )
        .await?;
    Ok(match (live.as_deref(), booking.payment_status) {
        (_, PaymentStatus::Paid | PaymentStatus::Refunded) | (Some("requires_capture" | "succeeded"), _) => {
            MoneyState::Held
        }
        // After a decline the next card gets a fresh intent, priced anew.
        (Some(_), PaymentStatus::Pending) => MoneyState::Started,
        _ => MoneyState::None,
    })
}

/// How often a booking transaction that lost a race (deadlock, serialization failure) is run
/// again before the request fails.
const MAX_ATTEMPTS: u32 = 3;

impl Store {
    /// Creates a pending booking that holds its slot, or replays the answer to an earlier
    /// request with the same idempotency key. The checks and the insert run in one write
    /// transaction, so of several concurrent requests for overlapping slots exactly one wins.
    pub async fn create_booking(&self, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
        match &self.write {
            Writer::Sqlite { bookings, .. } => bookings.submit(req, now).await,
            Writer::Postgres { .. } => self.create_booking_alone(req, now).await,
        }
    }

    /// One transaction for one request (PostgreSQL). Concurrent requests for overlapping slots,
    /// on this instance or another, may all pass the conflict check; the exclusion constraint
    /// lets exactly one insert through, and the others fail with SQLSTATE 23P01 once it has
    /// committed. They answer `slot_taken` with the conflicts read after that commit.
    async fn create_booking_alone(&self, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
        let mut attempt = 1;
        loop {
            let mut tx = self.begin_write().await?;
            let result = create_booking_in(&mut tx, req.clone(), now).await;
            let result = match result {
                Ok(created) => tx.commit().await.map(|()| created).map_err(AppError::Database),
                Err(refused) => {
                    let _ = tx.rollback().await;
                    Err(refused)
                }
            };
            match result {
                Err(AppError::Database(e)) if is_exclusion_violation(&e) => {
                    return Err(self.slot_taken(&req.driveway.to_string(), &req.slot, None).await);
                }
                Err(AppError::Database(e)) if is_retryable(&e) && attempt < MAX_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    /// `409 slot_taken` with the active bookings now in the way of `slot`.
    async fn slot_taken(&self, driveway: &str, slot: &TimeSlot, except: Option<&str>) -> AppError {
        let reader = self.reader();
        let meeting = meeting_slot(reader.engine(), "start_at, end_at", driveway, slot, except, MAX_CONFLICTS);
        match reader.fetch_all::<(i64, i64)>(meeting).await {
            Ok(rows) => AppError::SlotTaken(
                rows.into_iter().filter_map(|(s, e)| TimeSlot::new(from_ms(s), from_ms(e)).ok()).collect(),
            ),
            Err(e) => AppError::Database(e),
        }
    }
}

/// Creates a booking inside `tx` (one savepoint of a group commit): the idempotency lookup,
/// every rule, the insert, the owner's notification and the stored answer.
pub(crate) async fn create_booking_in(tx: &mut Tx<'_>, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
    if let Some(idem) = &req.idempotency
        && let Some((_, body)) = idempotency::claim(tx, req.driver, idem, now).await?
    {
        let booking = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
        return Ok(Created { booking, replayed: true, notices: Vec::new() });
    }
    req.slot.check_bookable(now)?;
    let driveway = req.driveway.to_string();
    let terms = bookable_terms(tx, req.driveway).await?;
    trust::check_not_self(req.driver, uuid(&terms.owner_id)?)?;
    if req.stripe_payment_id.is_none() && req.max_unpaid_holds > 0 {
        trust::check_hold(unpaid_holds(tx, req.driver).await?, req.max_unpaid_holds)?;
    }
    let total = check_slot(tx, &driveway, &terms, &req.slot, None).await?;
    if let Some(expected) = req.expected_total
        && expected != total.0
    {
        let currency = Currency::parse(&terms.currency).unwrap_or_default();
        return Err(AppError::Api(
            ErrorCode::PriceMismatch,
            format!(
                "the price for this slot is {}, not {}; please review it and book again",
                format_amount(total, &currency),
                format_amount(Cents(expected), &currency)
            ),
        ));
    }
    let prepaid = match &req.stripe_payment_id {
        None => None,
        Some(intent) => Some(check_prepayment(tx, intent, &req, &driveway, total).await?),
    };
    let booking = Booking {
        id: Uuid::new_v4(),
        driveway: req.driveway,
        driver: req.driver,
        start_time: req.slot.start(),
        end_time: req.slot.end(),
        total_cents: total,
        currency: Currency::parse(&terms.currency).unwrap_or_default(),
        status: BookingStatus::Pending,
        payment_status: PaymentStatus::Pending,
        stripe_payment_id: req.stripe_payment_id.clone(),
        special_requests: req.special_requests.clone(),
        driver_location: req.driver_location.map(|p| LatLng { lat: p.lat(), lng: p.lng() }),
        created_at: now,
        updated_at: now,
    };
    tx.execute(
        query(
            "INSERT INTO bookings (id, driveway_id, driver_id, owner_id, start_at, end_at, total_cents, currency, \
             status, payment_status, stripe_payment_id, special_requests, driver_lat, driver_lng, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(booking.id)
        .bind(&driveway)
        .bind(booking.driver)
        .bind(&terms.owner_id)
        .bind(to_ms(booking.start_time))
        .bind(to_ms(booking.end_time))
        .bind(booking.total_cents.0)
        .bind(booking.currency.as_str())
        .bind(booking.status.as_str())
        .bind(booking.payment_status.as_str())
        .bind(&booking.stripe_payment_id)
        .bind(&booking.special_requests)
        .bind(booking.driver_location.map(|l| l.lat))
        .bind(booking.driver_location.map(|l| l.lng))
        .bind(to_ms(now))
        .bind(to_ms(now)),
    )
    .await?;
    let owner = uuid(&terms.owner_id)?;
    let notice = notifications::insert(tx, terms.about(&booking).created(owner, terms.instant_book), now).await?;
    let mut notices = vec![notice];
    let mut booking = booking;
    if let Some(p) = prepaid {
        tx.execute(
            query("UPDATE payments SET booking_id = ?, updated_at = ? WHERE intent_id = ?")
                .bind(booking.id)
                .bind(to_ms(now))
                .bind(&p.intent_id),
        )
        .await?;
        let change = match p.status.as_str() {
            "succeeded" => Some(PaymentChange::Succeeded),
            "requires_capture" => Some(PaymentChange::Authorized),
            _ => None,
        };
        if let Some(change) = change {
            notices.extend(payments::apply_in(tx, None, &p.intent_id, &change, now).await?);
            if let Some((now_booking, _)) = booking_in(tx, &booking.id.to_string()).await? {
                booking = now_booking;
            }
        }
    }
    if let Some(idem) = &req.idempotency {
        let body = serde_json::to_string(&booking).map_err(anyhow::Error::from)?;
        idempotency::complete(tx, req.driver, idem, 201, &body).await?;
    }
    Ok(Created { booking, replayed: false, notices })
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
        let inserted = match self.engine() {
            Engine::Sqlite => "b.rowid",
            Engine::Postgres => "b.seq",
        };
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
        if booking.end_time <= now {
            return Err(AppError::invalid_transition("this booking's time has already passed"));
        }
        let authorised: bool = tx
            .scalar(
                query(
                    "SELECT EXISTS (SELECT 1 FROM payments WHERE booking_id = ? \
                     AND status IN ('requires_capture', 'succeeded'))",
                )
                .bind(&ids),
            )
            .await?;
        let money = if booking.payment_status == PaymentStatus::Paid || authorised {
            MoneyState::Held
        } else {
            MoneyState::None
        };
        trust::check_paid_before_confirm(money)?;
        if !swap_status(&mut tx, &ids, booking.status, next, now).await? {
            return Err(AppError::invalid_transition("this booking changed meanwhile; reload it"));
        }
        booking.status = next;
        booking.updated_at = now;
        let driveway = booking.driveway.to_string();
        let terms = terms(&mut tx, &driveway).await?;
        let title = terms.as_ref().map_or("your driveway", |t| t.title.as_str()).to_owned();
        let timezone = terms.as_ref().map_or("UTC", |t| t.timezone.as_str()).to_owned();
        let about = About { booking: &booking, driveway_title: &title, timezone: &timezone };
        let mut notices = vec![notifications::insert(&mut tx, about.confirmed(booking.driver), now).await?];

        // On PostgreSQL the exclusion constraint means there are none; SQLite data written
        // outside the API could hold some.
        let slot = TimeSlot::new(booking.start_time, booking.end_time)?;
        let rivals: Vec<BookingRow> = tx
            .fetch_all(
                query(format!(
                    "SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.driveway_id = ? AND b.status = 'pending' \
                     AND b.end_at > ? AND b.start_at < ? AND b.id != ?"
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
                let about = About { booking: &rival, driveway_title: &title, timezone: &timezone };
                let draft = about.cancelled(rival.driver, "the owner accepted another request for that time");
                notices.push(notifications::insert(&mut tx, draft, now).await?);
            }
        }
        tx.commit().await?;
        Ok(Changed { booking, notices, settle: None })
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
        let driveway = booking.driveway.to_string();
        let terms = terms(&mut tx, &driveway).await?;
        let title = terms.as_ref().map_or("the driveway", |t| t.title.as_str()).to_owned();
        let timezone = terms.as_ref().map_or("UTC", |t| t.timezone.as_str()).to_owned();
        let about = About { booking: &booking, driveway_title: &title, timezone: &timezone };
        let draft = if by_driver {
            about.cancelled(uuid(&owner)?, "the driver cancelled it")
        } else {
            about.cancelled(booking.driver, "the owner cancelled it")
        };
        let notices = vec![notifications::insert(&mut tx, draft, now).await?];
        let (booked_at, start) = (booking.created_at, booking.start_time);
        let refund = |paid: i64| {
            if by_driver {
                trust::driver_refund(Cents(paid), booked_at, start, now, shown).0
            } else {
                refund_amount(Cents(paid), CancelledBy::Owner, booked_at, start, now).0
            }
        };
        let settle = payments::settle_cancellation_in(&mut tx, &ids, refund, now).await?;
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
        now: DateTime<Utc>,
    ) -> AppResult<Booking> {
        let mut tx = self.begin_write().await?;
        let ids = id.to_string();
        let (mut booking, _) = booking_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("booking"))?;
        if booking.driver != driver {
            return Err(AppError::not_found("booking"));
        }
        if !booking.status.holds_slot() {
            return Err(AppError::invalid_transition(format!("a {} booking cannot be changed", booking.status)));
        }
        if booking.start_time <= now {
            return Err(AppError::invalid_transition("a booking cannot be changed once it has started"));
        }
        if let Some(slot) = slot.filter(|s| s.start() != booking.start_time || s.end() != booking.end_time) {
            slot.check_bookable(now)?;
            let money = money_state(&mut tx, &booking).await?;
            let current = (booking.start_time, booking.end_time);
            trust::check_move(money, booking.status, booking.created_at, current, slot.start(), now)?;
            let driveway = booking.driveway.to_string();
            let terms = bookable_terms(&mut tx, booking.driveway).await?;
            let total = check_slot(&mut tx, &driveway, &terms, &slot, Some(&ids)).await?;
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
        booking.updated_at = now;
        let moved = tx
            .execute(
                query(
                    "UPDATE bookings SET start_at = ?, end_at = ?, total_cents = ?, special_requests = ?, \
                     status = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'confirmed')",
                )
                .bind(to_ms(booking.start_time))
                .bind(to_ms(booking.end_time))
                .bind(booking.total_cents.0)
                .bind(&booking.special_requests)
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
        tx.commit().await?;
        Ok(booking)
    }
}

/// Checks that a payment made before the booking (a direct intent) is the driver's, unused,
/// and for exactly this driveway, slot and price.
async fn check_prepayment(
    tx: &mut Tx<'_>,
    intent: &str,
    req: &BookingRequest,
    driveway: &str,
    total: Cents,
) -> AppResult<PaymentRow> {
    let lock = tx.for_update();
    let p = tx
        .fetch_optional::<PaymentRow>(query(format!("{} WHERE intent_id = ?{lock}", payments::SELECT)).bind(intent))
        .await?
        .filter(|p| p.user_id == req.driver.to_string())
        .ok_or_else(|| AppError::validation("stripePaymentId does not name a payment of yours"))?;
    if p.booking_id.is_some() {
        return Err(AppError::invalid_transition("that payment already belongs to a booking"));
    }
    if p.cancel_due || p.refund_due_cents > 0 || p.refunds > 0 || p.status == "canceled" {
        return Err(AppError::invalid_transition("that payment was given back; pay again for this booking"));
    }
    if p.driveway_id != driveway
        || p.start_at != to_ms(req.slot.start())
        || p.end_at != to_ms(req.slot.end())
        || p.amount_cents != total.0
    {
        return Err(AppError::Api(
            ErrorCode::PriceMismatch,
            "that payment was made for a different driveway, time or price".into(),
        ));
    }
    Ok(p)
}
