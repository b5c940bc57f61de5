use super::ahead::{Ahead, HoldsRead, KeyRead};
use super::{BookingRequest, Created};
use crate::error::{AppError, AppResult};
use crate::notices::Draft;
use crate::store::Store;
use crate::store::db::{Engine, Query, Tx, from_ms, query, to_ms, uuid};
use crate::store::idempotency::{self, Claimant, Idempotency};
use crate::store::locks;
use crate::store::notifications::{self, Notice};
use crate::store::payments::{self, PaymentChange};
use crate::store::rows::{
    DrivewayTerms, LIVE_DRIVEWAY, PaymentRow, SELECT_PAYMENT, booking_in, new_booking_terms, unpaid_holds_of,
};
use crate::store::sessions::TokenSession;
use crate::store::vehicles;
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, LatLng};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::{Cents, Currency};
use parkway_core::payment::IntentStatus;
use parkway_core::slot::TimeSlot;
use parkway_core::trust;
use uuid::Uuid;

/// Most conflicts one `slot_taken` answer lists.
const MAX_CONFLICTS: usize = 20;

/// Active bookings of `driveway` overlapping `slot`, other than `except`.
pub(crate) async fn conflicts(
    tx: &mut Tx<'_>,
    driveway: &str,
    slot: &TimeSlot,
    except: Option<&str>,
) -> AppResult<Vec<TimeSlot>> {
    let rows: Vec<(i64, i64)> =
        tx.fetch_all(tx.engine().meeting_slot("start_at, end_at", driveway, slot, except, MAX_CONFLICTS)).await?;
    Ok(rows.into_iter().filter_map(|(s, e)| TimeSlot::new(from_ms(s), from_ms(e)).ok()).collect())
}

/// Takes `driveway`'s calendar until `tx` ends: the bookings in a slot's way are read under it
/// and the booking that takes the slot is written under it (PostgreSQL; SQLite's one writer
/// already orders them). Writers take a booking's row before it and the driver's row after it,
/// so two writers never wait for each other in opposite orders.
pub(super) async fn lock_calendar(tx: &mut Tx<'_>, driveway: &str) -> AppResult<()> {
    locks::exclusive(tx, locks::Subject::Slots(uuid(driveway)?)).await?;
    Ok(())
}

/// How a writer keeps other writers of the driveway off a slot between reading the bookings in
/// its way and committing its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guard {
    /// The driveway's calendar lock, held until the transaction ends: writers of the driveway
    /// decide one after the other. For moves and extensions, which change a stay already there.
    Calendar,
    /// The database alone, for new bookings: an insert that would overlap an active booking
    /// writes nothing (PostgreSQL's exclusion constraint with `ON CONFLICT DO NOTHING`,
    /// SQLite's trigger `bookings_no_overlap`), and only then are the bookings in its way read,
    /// for the answer. On PostgreSQL writers of one driveway run side by side, and of two that
    /// reach overlapping slots at once, the constraint lets one through and the other answers
    /// `slot_taken`; waits on it are bounded (see `batch.rs`).
    Constraint,
}

/// Checks opening hours and conflicts for `slot` and prices it; with [`Guard::Calendar`], the
/// driveway's calendar is held from here until `tx` ends.
pub(super) async fn check_slot(
    tx: &mut Tx<'_>,
    driveway: &str,
    terms: &DrivewayTerms,
    slot: &TimeSlot,
    except: Option<&str>,
    guard: Guard,
) -> AppResult<Cents> {
    if !terms.schedule()?.covers(slot, terms.tz()) {
        return Err(AppError::Api(
            ErrorCode::Unavailable,
            "the driveway is closed during part of that time; check its opening hours".into(),
        ));
    }
    match guard {
        Guard::Calendar => lock_calendar(tx, driveway).await?,
        // The insert meets the bookings in the way; reading them first would only repeat it.
        Guard::Constraint => return Ok(terms.rate().price(slot)),
    }
    let taken = conflicts(tx, driveway, slot, except).await?;
    if !taken.is_empty() {
        return Err(AppError::SlotTaken(taken, None));
    }
    Ok(terms.rate().price(slot))
}

/// The driver's pending bookings whose money is neither authorised nor collected. On
/// PostgreSQL the driver's row is locked first, so two concurrent requests of one driver count
/// one after the other. SQLite's single writer already does that, and there the read would
/// lock nothing and only cost a statement's hand-off to the connection's thread.
pub(super) async fn unpaid_holds(tx: &mut Tx<'_>, driver: Uuid) -> AppResult<i64> {
    if tx.engine() == Engine::Postgres {
        tx.execute(query("SELECT id FROM users WHERE id = ? FOR UPDATE").bind(driver)).await?;
    }
    counted_holds(tx, driver).await
}

/// The driver's unpaid holds, counted without locking anything: for a transaction that holds
/// the driver's row already.
async fn counted_holds(tx: &mut Tx<'_>, driver: Uuid) -> AppResult<i64> {
    Ok(tx.scalar(query(unpaid_holds_of("?")).bind(driver)).await?)
}

/// The refusal of a booking whose driver holds `max` unpaid bookings already, counted in a
/// transaction that holds the driver's row; `None` below the limit.
async fn hold_refusal(tx: &mut Tx<'_>, driver: Uuid, max: u32) -> AppResult<Option<AppError>> {
    Ok(trust::check_hold(counted_holds(tx, driver).await?, max).err().map(AppError::from))
}

/// Creates a booking inside `tx` (part of a group commit): the idempotency lookup, every rule,
/// the insert, the owner's notification and the stored answer.
///
/// Until its insert, a new booking writes nothing but its key's claim, which a refusal gives
/// back itself: on PostgreSQL a request needs no savepoint of its own unless it pays ahead
/// (see [`BookingRequest::writes_before_refusing`]), and its neighbours in the batch never lose
/// theirs.
///
/// `ahead` is what the batch read and claimed for the booking already ([`ahead`](super::ahead)):
/// the driveway's terms with its lock shared and the session checked, and the key's claim.
pub(crate) async fn create_booking_in(
    tx: &mut Tx<'_>,
    req: BookingRequest,
    ahead: Ahead,
    now: DateTime<Utc>,
) -> AppResult<Created> {
    match plan_booking_in(tx, req, ahead, now).await? {
        Plan::Replayed(created) => Ok(created),
        Plan::Write(planned) => write_planned(tx, planned).await,
    }
}

/// What [`plan_booking_in`] decided. (One per request, moved once: its size is no concern.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Plan {
    /// An earlier request with the same key answered: this is its answer again.
    Replayed(Created),
    /// Every rule passed: the booking waits for its insert.
    Write(Planned),
}

/// A new booking that passed every rule, its key (if any) claimed, waiting for its insert:
/// alone ([`write_planned`]) or with others of its batch ([`write_planned_together`]).
pub(crate) struct Planned {
    booking: Booking,
    owner: String,
    notice: Draft,
    prepaid: Option<PaymentRow>,
    /// The driver and the key claimed for the booking, answered or given back with it.
    claimed: Option<(Uuid, Idempotency)>,
    /// The driver and a key found free under SQLite's one writer, stored with its answer by
    /// the insert's own command (and by nothing if the booking is refused).
    free_key: Option<(Uuid, Idempotency)>,
    /// The limit of unpaid holds still to check, under the driver's row lock that the batch's
    /// read took (PostgreSQL): the insert of several counts them in its own statement and
    /// writes nothing at the limit; a booking written alone counts them first.
    hold_limit: Option<u32>,
    now: DateTime<Utc>,
}

impl Planned {
    /// Whether the checks of `req` would read this booking once written: the same driver's
    /// count of unpaid holds, or the same driver's key claimed again.
    pub(crate) fn seen_by(&self, req: &BookingRequest) -> bool {
        let same_key = match (self.claimed.as_ref().or(self.free_key.as_ref()), &req.idempotency) {
            (Some((_, mine)), Some(theirs)) => mine.key == theirs.key,
            _ => false,
        };
        self.booking.driver == req.driver && (req.counts_holds() || same_key)
    }
}

/// The first half of [`create_booking_in`]: claims the key unless its batch claimed it or
/// found it free (or replays its answer) and checks every rule, writing nothing else. A
/// refusal gives a claimed key back.
pub(crate) async fn plan_booking_in(
    tx: &mut Tx<'_>,
    req: BookingRequest,
    mut ahead: Ahead,
    now: DateTime<Utc>,
) -> AppResult<Plan> {
    let token = req.token();
    let Some(idem) = req.idempotency.clone() else {
        return plan_checked(tx, req, ahead, token, now).await.map(Plan::Write);
    };
    let free = matches!(ahead.key, KeyRead::Free);
    let stored = match std::mem::take(&mut ahead.key) {
        KeyRead::NotRead => idempotency::claim_as(tx, Claimant::Token(token), &idem, now).await?,
        KeyRead::Stored(stored) => Some(stored.replay(&idem)?),
        KeyRead::Claimed | KeyRead::Free => None,
    };
    if let Some((_, body)) = stored {
        let booking = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
        return Ok(Plan::Replayed(Created { booking, replayed: true, notices: Vec::new() }));
    }
    let mine = Some((token.user, idem));
    let (claimed, free_key) = if free { (None, mine) } else { (mine, None) };
    match plan_checked(tx, req, ahead, token, now).await {
        Ok(planned) => Ok(Plan::Write(Planned { claimed, free_key, ..planned })),
        Err(refused) => answered(tx, claimed, Err(refused)).await,
    }
}

/// Stores the answer for a claimed key, or gives the key back after a refusal, so that a
/// retry books.
async fn answered<T>(tx: &mut Tx<'_>, claimed: Option<(Uuid, Idempotency)>, result: AppResult<Created>) -> AppResult<T>
where
    T: From<Created>,
{
    match (claimed, result) {
        (None, result) => result.map(T::from),
        (Some((user, idem)), Ok(created)) => {
            let body = serde_json::to_string(&created.booking).map_err(anyhow::Error::from)?;
            idempotency::complete(tx, user, &idem, 201, &body).await?;
            Ok(T::from(created))
        }
        // A failed statement took the transaction (or savepoint) and the claim with it.
        (Some(_), Err(failed @ AppError::Database(..))) => Err(failed),
        (Some((user, idem)), Err(refused)) => {
            idempotency::release(tx, user, &idem).await?;
            Err(refused)
        }
    }
}

impl From<Created> for Plan {
    fn from(created: Created) -> Plan {
        Plan::Replayed(created)
    }
}

/// The rules of [`plan_booking_in`], once the key is claimed (or there is none).
async fn plan_checked(
    tx: &mut Tx<'_>,
    req: BookingRequest,
    ahead: Ahead,
    token: TokenSession,
    now: DateTime<Utc>,
) -> AppResult<Planned> {
    req.slot.check_bookable(now)?;
    let driveway = req.driveway.to_string();
    let (terms, default_vehicle) = match ahead.terms {
        Some(read) => read,
        None => new_booking_terms(tx, req.driveway, token, now).await?,
    };
    trust::check_not_self(req.driver, uuid(&terms.owner_id)?)?;
    let total = check_slot(tx, &driveway, &terms, &req.slot, None, Guard::Constraint).await?;
    // The driver's row last: after the driveway's lock (and, for moves and extensions, its
    // calendar), the order every booking writer takes them in.
    let mut hold_limit = None;
    if req.counts_holds() {
        match ahead.holds {
            HoldsRead::Counted(holds) => trust::check_hold(holds, req.max_unpaid_holds)?,
            HoldsRead::Locked => hold_limit = Some(req.max_unpaid_holds),
            HoldsRead::NotRead => trust::check_hold(unpaid_holds(tx, req.driver).await?, req.max_unpaid_holds)?,
        }
    }
    let currency = Currency::parse(&terms.currency).unwrap_or_default();
    trust::check_expected_price(req.expected_total.map(Cents), total, currency.clone())?;
    let prepaid = match &req.stripe_payment_id {
        None => None,
        Some(intent) => Some(check_prepayment(tx, intent, &req, &driveway, total).await?),
    };
    let vehicle = match req.vehicle_id {
        None => default_vehicle,
        named => vehicles::snapshot_for(tx, req.driver, named).await?,
    };
    let booking = Booking {
        id: Uuid::new_v4(),
        driveway: req.driveway,
        driver: req.driver,
        start_time: req.slot.start(),
        end_time: req.slot.end(),
        total_cents: total,
        currency,
        status: BookingStatus::Pending,
        payment_status: PaymentStatus::Pending,
        stripe_payment_id: req.stripe_payment_id.clone(),
        special_requests: req.special_requests.clone(),
        driver_location: req.driver_location.map(|p| LatLng { lat: p.lat(), lng: p.lng() }),
        vehicle,
        extension_of: None,
        created_at: now,
        updated_at: now,
    };
    let notice = terms.about(&booking).created(uuid(&terms.owner_id)?, terms.instant_book);
    Ok(Planned { booking, owner: terms.owner_id, notice, prepaid, claimed: None, free_key: None, hold_limit, now })
}

/// The second half of [`create_booking_in`]: the insert, the payment made ahead, and the key's
/// answer.
pub(crate) async fn write_planned(tx: &mut Tx<'_>, planned: Planned) -> AppResult<Created> {
    if let Some(max) = planned.hold_limit
        && let Some(refused) = hold_refusal(tx, planned.booking.driver, max).await?
    {
        return answered(tx, planned.claimed, Err(refused)).await;
    }
    // A key found free goes in with the booking's answer, in the insert's own command (a
    // booking paid ahead claims its key instead: see `batch.rs`); a claimed one is answered
    // after, or given back.
    let answer = if planned.free_key.is_some() { key_answer_after(&planned)? } else { None };
    let Planned { booking, owner, notice, prepaid, claimed, now, .. } = planned;
    let written = write_with_payment(tx, booking, &owner, notice, prepaid, answer, now).await;
    answered(tx, claimed, written).await
}

async fn write_with_payment(
    tx: &mut Tx<'_>,
    mut booking: Booking,
    owner: &str,
    notice: Draft,
    prepaid: Option<PaymentRow>,
    answer: Option<Query>,
    now: DateTime<Utc>,
) -> AppResult<Created> {
    let inserted = insert_booking(tx, &booking, owner, notice, now, Overlap::Answer, answer).await?;
    let mut notices = vec![inserted];
    if let Some(p) = prepaid {
        tx.execute(
            query("UPDATE payments SET booking_id = ?, updated_at = ? WHERE intent_id = ?")
                .bind(booking.id)
                .bind(to_ms(now))
                .bind(&p.intent_id),
        )
        .await?;
        if let Some(change) = PaymentChange::from_status(p.status).filter(|c| *c != PaymentChange::Canceled) {
            notices.extend(payments::apply_in(tx, None, &p.intent_id, &change, now).await?);
            if let Some((now_booking, _)) = booking_in(tx, &booking.id.to_string()).await? {
                booking = now_booking;
            }
        }
    }
    Ok(Created { booking, replayed: false, notices })
}

/// Writes several planned bookings, none paid ahead, in one round trip (one statement on
/// PostgreSQL, one command on SQLite): each booking row with its owner's notification and
/// pushes and its key's answer, as [`insert_booking`] does for one. Rows go in in the order
/// given, and one that overlaps a booking before it (or another writer's) writes nothing and
/// answers `slot_taken`, as it would have alone.
///
/// The answers are in the order given; an error means a statement failed, and the transaction
/// must be rolled back (PostgreSQL aborted it; on SQLite the bookings before the failed
/// statement are written).
pub(crate) async fn write_planned_together(tx: &mut Tx<'_>, plans: Vec<Planned>) -> AppResult<Vec<AppResult<Created>>> {
    debug_assert!(plans.iter().all(|p| p.prepaid.is_none()), "a booking paid ahead is written alone");
    let ids = insert_bookings_together(tx, &plans).await?;
    let mut answers = Vec::with_capacity(plans.len());
    // The statement stored the answer of each key whose booking it wrote; the key of one it
    // did not write is given back (as `answered` does for one).
    for (planned, id) in plans.into_iter().zip(ids) {
        let Planned { booking, notice, claimed, hold_limit, now, .. } = planned;
        answers.push(match id {
            Some(id) => Ok(Created { booking, replayed: false, notices: vec![notifications::notice(notice, id, now)] }),
            None => {
                let refused = not_written(tx, &booking, hold_limit).await?;
                match answered(tx, claimed, Err(refused)).await {
                    // Giving the key back failed, and took the transaction with it.
                    Err(failed @ AppError::Database(..)) => return Err(failed),
                    refused => refused,
                }
            }
        });
    }
    Ok(answers)
}

/// The columns a new booking's insert writes, in the order [`bind_booking`] binds them.
const INSERTED: &str = "id, driveway_id, driver_id, owner_id, start_at, end_at, total_cents, currency, status, \
     payment_status, stripe_payment_id, special_requests, driver_lat, driver_lng, vehicle_plate, vehicle_label, \
     extension_of, created_at, updated_at";

fn bind_booking(q: Query, booking: &Booking, owner: &str) -> Query {
    q.bind(booking.id)
        .bind(booking.driveway)
        .bind(booking.driver)
        .bind(owner)
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
        .bind(booking.vehicle.as_ref().map(|v| v.plate.clone()))
        .bind(booking.vehicle.as_ref().and_then(|v| v.label.clone()))
        .bind(booking.extension_of)
        .bind(to_ms(booking.created_at))
        .bind(to_ms(booking.updated_at))
}

/// Inserts for [`write_planned_together`], and answers the notification's id of each booking
/// written, by position.
async fn insert_bookings_together(tx: &mut Tx<'_>, plans: &[Planned]) -> AppResult<Vec<Option<i64>>> {
    let insert = match tx.engine() {
        Engine::Postgres => postgres_inserts_together(plans)?,
        Engine::Sqlite => sqlite_inserts_together(plans)?,
    };
    let written: Vec<Written> = tx.fetch_all(insert).await?;
    let mut ids = vec![None; plans.len()];
    for Written { ord, id } in written {
        if let Some(slot) = usize::try_from(ord).ok().and_then(|ord| ids.get_mut(ord)) {
            *slot = Some(id);
        }
    }
    Ok(ids)
}

/// A booking written by [`insert_bookings_together`]: its position, and its notification's id.
#[derive(sqlx::FromRow)]
struct Written {
    ord: i64,
    id: i64,
}

/// SQLite's [`insert_bookings_together`]: for each booking, its insert (which the trigger
/// `bookings_no_overlap` skips when the slot is taken, as [`LIVE_DRIVEWAY`] does when the
/// driveway is gone), its key's answer and its owner's notification, each written only if the
/// statement before it wrote a row, all sent as one ([`Query::then`]).
fn sqlite_inserts_together(plans: &[Planned]) -> AppResult<Query> {
    let mut together: Option<Query> = None;
    for (ord, planned) in plans.iter().enumerate() {
        // Under SQLite's one writer the batch's read counted the holds already.
        if planned.hold_limit.is_some() {
            return Err(AppError::Internal(anyhow::anyhow!("SQLite's insert does not count unpaid holds")));
        }
        let mut one = booking_row(Engine::Sqlite, &planned.booking, &planned.owner, Overlap::Answer);
        if let Some(answer) = key_answer_after(planned)? {
            one = one.then(answer);
        }
        let note = notifications::sqlite_after(&planned.notice, planned.now).within("", ", ? AS ord");
        let one = one.then(note.bind(ord as i64));
        together = Some(match together {
            None => one,
            Some(before) => before.then(one),
        });
    }
    together.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no booking to insert")))
}

/// The statement storing a planned booking's key with its answer, sent right after the
/// booking's insert (SQLite): the answer filled in for a key claimed, or the key stored with
/// it for one found free.
fn key_answer_after(planned: &Planned) -> AppResult<Option<Query>> {
    let body = || serde_json::to_string(&planned.booking).map_err(anyhow::Error::from);
    Ok(match (&planned.claimed, &planned.free_key) {
        (Some((user, idem)), _) => Some(idempotency::complete_after(*user, idem, 201, &body()?)),
        (None, Some((user, idem))) => Some(idempotency::store_after(*user, idem, 201, &body()?, planned.now)),
        (None, None) => None,
    })
}

/// PostgreSQL's [`insert_bookings_together`], one statement: a `VALUES` row per booking (its
/// position, its columns, its notification's, its claimed key and the answer to store for it,
/// and its driver's limit of unpaid holds if it is still to check), the bookings inserted from
/// them as long as their driveway is live (as [`LIVE_DRIVEWAY`] checks for one) and their
/// driver is below the limit, a notification for each row written, and the answer stored of
/// each key whose booking was written.
///
/// The statement counts holds after the lock on the driver's row (taken by the batch's read),
/// so it sees every hold committed; it does not see the rows it inserts itself, which is why
/// a driver's next request that counts holds waits for the insert before it (`batch.rs`).
fn postgres_inserts_together(plans: &[Planned]) -> AppResult<Query> {
    let columns = INSERTED.split(',').count() + notifications::DRAFT_COLUMNS.len() + 4;
    let row = format!("({})", vec!["?"; columns].join(", "));
    let drafts = notifications::DRAFT_COLUMNS.map(|c| format!("note_{c}"));
    let named = notifications::DRAFT_COLUMNS.map(|c| format!("v.note_{c} AS {c}"));
    let statement = format!(
        "WITH v (ord, {INSERTED}, {}, claimed, answer, hold_limit) AS (VALUES {}), \
         first AS (INSERT INTO bookings ({INSERTED}) SELECT {INSERTED} FROM v \
         WHERE EXISTS (SELECT 1 FROM driveways d WHERE d.id = v.driveway_id AND d.deleted_at IS NULL) \
         AND (v.hold_limit IS NULL OR ({}) < v.hold_limit) \
         ORDER BY ord ON CONFLICT DO NOTHING RETURNING id), \
         answered AS (UPDATE idempotency_keys k SET status = 201, body = v.answer FROM v JOIN first USING (id) \
         WHERE k.user_id = v.driver_id AND k.key = v.claimed), {}",
        drafts.join(", "),
        vec![row; plans.len()].join(", "),
        unpaid_holds_of("v.driver_id"),
        notifications::postgres_statement_for_each(&format!(
            "(SELECT v.ord, {} FROM v JOIN first USING (id)) AS drafts",
            named.join(", ")
        )),
    );
    let mut insert = query(statement);
    for (ord, planned) in plans.iter().enumerate() {
        let row = bind_booking(insert.bind(ord as i64), &planned.booking, &planned.owner);
        let row = notifications::bind_draft(row, &planned.notice, planned.now);
        let row = match &planned.claimed {
            None => row.bind(None::<String>).bind(None::<String>),
            Some((_, idem)) => {
                row.bind(idem.key.as_str()).bind(serde_json::to_string(&planned.booking).map_err(anyhow::Error::from)?)
            }
        };
        insert = row.bind(planned.hold_limit.map(i64::from));
    }
    Ok(insert)
}

/// What an insert does when the database finds its slot taken (see [`Guard::Constraint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overlap {
    /// Fails, and the transaction with it: for a writer that runs again (an extension on
    /// PostgreSQL; on SQLite an extension checks the calendar first, under the one writer).
    Fail,
    /// Writes nothing, and the answer is `slot_taken` with the bookings in the way, read in
    /// the same transaction; the transaction goes on (a new booking).
    Answer,
}

/// Writes a new booking row (an extension names the booking it extends) and the notification
/// telling its owner, as long as its driveway is live; `404` when it was deleted meanwhile.
/// `answer` (SQLite only, from [`idempotency::store_after`]) goes in the same command, right
/// after the booking's row.
pub(super) async fn insert_booking(
    tx: &mut Tx<'_>,
    booking: &Booking,
    owner: &str,
    notice: Draft,
    now: DateTime<Utc>,
    overlap: Overlap,
    answer: Option<Query>,
) -> AppResult<Notice> {
    let row = booking_row(tx.engine(), booking, owner, overlap);
    let row = match answer {
        None => row,
        Some(answer) if tx.engine() == Engine::Sqlite => row.then(answer),
        Some(_) => return Err(AppError::Internal(anyhow::anyhow!("a key is stored with its answer only on SQLite"))),
    };
    if let Some(written) = notifications::insert_after(tx, row, notice, now).await? {
        return Ok(written);
    }
    if overlap == Overlap::Answer {
        return Err(not_written(tx, booking, None).await?);
    }
    Err(AppError::not_found("driveway"))
}

/// The insert of a booking row, as long as its driveway is live.
fn booking_row(engine: Engine, booking: &Booking, owner: &str, overlap: Overlap) -> Query {
    let row = query(format!(
        "INSERT INTO bookings ({INSERTED}) SELECT {} WHERE {LIVE_DRIVEWAY}{}",
        vec!["?"; INSERTED.split(',').count()].join(", "),
        if overlap == Overlap::Answer { engine.insert_or_skip_overlap() } else { "" }
    ));
    bind_booking(row, booking, owner).bind(booking.driveway)
}

/// Why a new booking's insert wrote nothing, as read in its transaction: the driver's limit of
/// unpaid holds reached (where the insert counted them, checked first as when counted before
/// it), `slot_taken` with the bookings in its way, or `404` when its driveway was deleted.
async fn not_written(tx: &mut Tx<'_>, booking: &Booking, hold_limit: Option<u32>) -> AppResult<AppError> {
    if let Some(max) = hold_limit
        && let Some(refused) = hold_refusal(tx, booking.driver, max).await?
    {
        return Ok(refused);
    }
    let slot = TimeSlot::new(booking.start_time, booking.end_time)?;
    let taken = conflicts(tx, &booking.driveway.to_string(), &slot, None).await?;
    Ok(if taken.is_empty() { AppError::not_found("driveway") } else { AppError::SlotTaken(taken, None) })
}

impl Store {
    /// `409 slot_taken` with the active bookings now in the way of `slot`.
    pub(crate) async fn slot_taken(&self, driveway: &str, slot: &TimeSlot, except: Option<&str>) -> AppError {
        let reader = self.reader();
        let meeting = reader.engine().meeting_slot("start_at, end_at", driveway, slot, except, MAX_CONFLICTS);
        match reader.fetch_all::<(i64, i64)>(meeting).await {
            Ok(rows) => AppError::SlotTaken(
                rows.into_iter().filter_map(|(s, e)| TimeSlot::new(from_ms(s), from_ms(e)).ok()).collect(),
                None,
            ),
            Err(e) => AppError::from(e),
        }
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
    let lock = tx.engine().for_update();
    let p = tx
        .fetch_optional::<PaymentRow>(query(format!("{} WHERE intent_id = ?{lock}", SELECT_PAYMENT)).bind(intent))
        .await?
        .filter(|p| p.user_id == req.driver.to_string())
        .ok_or_else(|| AppError::validation("stripePaymentId does not name a payment of yours"))?;
    if p.booking_id.is_some() {
        return Err(AppError::invalid_transition("that payment already belongs to a booking"));
    }
    if p.cancel_due || p.refund_due_cents > 0 || p.refunds > 0 || p.status == IntentStatus::Canceled {
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
