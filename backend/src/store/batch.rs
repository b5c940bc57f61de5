//! How a new booking (or an extension of a stay) reaches the database: through a group-commit
//! queue, whose writers each take every request waiting (up to a batch's size), run them one
//! after another in one transaction, and commit once.
//!
//! A commit that waits for the disk is the dearest part of a booking on either engine: SQLite's
//! `synchronous=FULL` and PostgreSQL's `fsync` each make every commit wait for it (on the
//! machines measured, the flush and the wake-ups around it were a third of PostgreSQL's CPU per
//! booking). Under load, bookings queue for the disk anyway, so the queue is made explicit. Each
//! request still sees the ones before it in the batch, so overlap checks and idempotency keys
//! behave exactly as with one transaction per request; a refused request leaves nothing behind,
//! and its neighbours commit (see [`run_batch`]). With a single client a batch is one request.
//!
//! SQLite has one writer. PostgreSQL has a few, each on its own connection, so that both the
//! database's CPUs work: two batches that reach overlapping slots meet in the exclusion
//! constraint, where a wait is cut short after [`BOOKING_LOCK_WAIT`] and the request that
//! waited goes into its writer's next batch, which finds the other's booking (or the slot free)
//! and answers. Extensions on PostgreSQL keep a transaction of their own: they take the
//! driveway's calendar lock and wait for it honestly.

use super::bookings::ahead::{Ahead, Ask, read_ahead};
use super::bookings::create::{Plan, Planned, create_booking_in, plan_booking_in, write_planned_together};
use super::bookings::extend::extend_in;
use super::bookings::{BookingRequest, Created, ExtendRequest};
use super::db::{Engine, Tx, is_exclusion_violation, is_lock_timeout, is_malformed, is_retryable, query};
use super::held::{HeldConnection, is_connection_lost};
use super::{Store, Writer};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use sqlx::{PgPool, SqlitePool};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most requests SQLite commits together.
pub const MAX_BATCH: usize = 64;
/// Most requests PostgreSQL commits together. Each savepoint that wrote has a transaction id of
/// its own, and past 64 of them in one transaction every other session's snapshot has to look
/// them up on disk.
const MAX_POSTGRES_BATCH: usize = 32;

/// How often a booking that lost a race (deadlock, serialization failure, a wait cut short) is
/// run again before the request fails.
const MAX_ATTEMPTS: u32 = 8;

/// The longest a booking waits for a lock on PostgreSQL. Two batches inserting overlapping
/// slots each wait in the exclusion constraint for the other to commit, and PostgreSQL's
/// deadlock check would only part them after a second; cut short, the request that waited runs
/// again in its writer's next batch. An honest wait (a deletion of the driveway, a catch-up of
/// the owner's inbox) is far shorter; one that is not is run again too.
const BOOKING_LOCK_WAIT: &str = "50ms";

/// How long a PostgreSQL writer keeps a transaction open for work that has not come.
const READY_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// What the writer is asked to do: both make a booking row under the same rules.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new booking.
    Create(BookingRequest),
    /// An extension of a stay.
    Extend(ExtendRequest),
}

impl Request {
    /// Who asks.
    fn driver(&self) -> uuid::Uuid {
        match self {
            Request::Create(req) => req.driver,
            Request::Extend(req) => req.driver,
        }
    }

    /// Whether the request can be refused after writing something it cannot give back itself,
    /// so that it needs a savepoint of its own.
    fn writes_before_refusing(&self) -> bool {
        match self {
            Request::Create(req) => req.writes_before_refusing(),
            // Extensions (in a batch only on SQLite) claim their key before their checks.
            Request::Extend(_) => true,
        }
    }

    /// Runs the request inside `tx` (a savepoint of a batch, or a transaction of its own), with
    /// what the batch read for it already.
    async fn run_in(self, tx: &mut Tx<'_>, ahead: Ahead, now: DateTime<Utc>) -> AppResult<Created> {
        match self {
            Request::Create(req) => create_booking_in(tx, req, ahead, now).await,
            Request::Extend(req) => extend_in(tx, &req, now).await,
        }
    }
}

struct Job {
    req: Request,
    now: DateTime<Utc>,
    /// Runs so far that lost a race.
    attempts: u32,
    reply: oneshot::Sender<AppResult<Created>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// Where the writers open their batches' transactions.
#[derive(Debug, Clone)]
pub enum Database {
    /// SQLite's single write connection.
    Sqlite(SqlitePool),
    /// PostgreSQL's pool.
    Postgres(PgPool),
}

impl Database {
    /// What one more writer writes through: on PostgreSQL a connection of its own, which it
    /// keeps while it has work (see [`held`](super::held)).
    fn for_writer(&self) -> WriterDb {
        match self {
            Database::Sqlite(pool) => WriterDb::Sqlite(pool.clone()),
            Database::Postgres(pool) => WriterDb::Postgres(HeldConnection::new(pool.clone())),
        }
    }
}

/// Where one writer opens its batches' transactions.
#[derive(Debug)]
enum WriterDb {
    Sqlite(SqlitePool),
    Postgres(HeldConnection),
}

impl WriterDb {
    async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            WriterDb::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            WriterDb::Postgres(held) => {
                Tx::Held(held.begin(&format!("BEGIN; SET LOCAL lock_timeout = '{BOOKING_LOCK_WAIT}'")).await?)
            }
        })
    }

    /// Whether a writer opens its next transaction before work comes (see [`write_batches`]).
    /// Not SQLite's: its `BEGIN IMMEDIATE` takes the write lock, and costs no round trip.
    fn begins_ahead(&self) -> bool {
        matches!(self, WriterDb::Postgres(_))
    }

    /// The writer has had no work for a while: what it holds goes back to the pool.
    fn idle(&self) {
        if let WriterDb::Postgres(held) = self {
            held.release();
        }
    }

    fn max_batch(&self) -> usize {
        match self {
            WriterDb::Sqlite(_) => MAX_BATCH,
            WriterDb::Postgres(_) => MAX_POSTGRES_BATCH,
        }
    }
}

/// The queue in front of the booking writers.
#[derive(Debug, Clone)]
pub struct BookingQueue {
    jobs: mpsc::Sender<Job>,
}

impl BookingQueue {
    /// Starts `writers` writer tasks on `database` (SQLite: one, its only write connection).
    pub fn start(database: Database, writers: usize) -> BookingQueue {
        let (jobs, queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(database.for_writer(), queue.clone()));
        }
        BookingQueue { jobs }
    }

    /// Runs one request through a writer and waits for its answer.
    pub async fn submit(&self, req: Request, now: DateTime<Utc>) -> AppResult<Created> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { req, now, attempts: 1, reply })
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the booking writer has stopped")))?;
        answer.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the booking writer dropped a request")))?
    }
}

/// One writer: takes what waits in the queue (one writer at a time takes), runs it as a batch,
/// and carries the requests that lost a race into its next batch.
///
/// On PostgreSQL a writer that runs out of work opens its next transaction at once, so that a
/// request that comes finds it begun: with one client, that takes the `BEGIN` off every
/// booking's path. The transaction has no id and no snapshot until its first statement, so
/// waiting open holds nothing back; after [`READY_FOR`] without work it is closed anyway.
async fn write_batches(database: WriterDb, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let max = database.max_batch();
    let mut batch: Vec<Job> = Vec::new();
    let mut ready: Option<Tx<'static>> = None;
    loop {
        if batch.is_empty() {
            if database.begins_ahead() && ready.is_none() {
                ready = database.begin().await.ok();
            }
            let mut queue = queue.lock().await;
            let first = match ready.take() {
                None => queue.recv().await,
                Some(open) => match tokio::time::timeout(READY_FOR, queue.recv()).await {
                    Ok(first) => {
                        ready = Some(open);
                        first
                    }
                    Err(_) => {
                        let _ = open.rollback().await;
                        database.idle();
                        queue.recv().await
                    }
                },
            };
            match first {
                Some(job) => batch.push(job),
                None => return,
            }
            take_waiting(&mut queue, &mut batch, max);
        } else if let Ok(mut queue) = queue.try_lock() {
            // Requests to run again go at once, with whatever else is waiting; another writer
            // waiting on an empty queue must not hold them up.
            take_waiting(&mut queue, &mut batch, max);
        }
        batch = run_batch(&database, ready.take(), batch).await;
    }
}

fn take_waiting(queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>, max: usize) {
    while batch.len() < max {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// What becomes of one request of a batch. (A batch holds a few dozen at most: the size of an
/// answer is no concern.)
#[allow(clippy::large_enum_variant)]
enum Outcome {
    /// Its answer, given once the batch's commit is known.
    Answer(AppResult<Created>),
    /// It runs again in the writer's next batch: it lost a race (`lost`), or a neighbour's
    /// failure on PostgreSQL took the transaction it had written in.
    Again { lost: bool },
    /// Its rules passed, and its insert waits to go with others' (see [`Inserts`]).
    Waiting,
}

/// New bookings of a batch whose rules passed, waiting to be inserted together in one round
/// trip ([`write_planned_together`]) rather than one each.
///
/// A request's checks must see every booking before it in the batch, as they would alone.
/// The overlap check is the insert's own: rows go in in order, and each meets those before it
/// in PostgreSQL's exclusion constraint or SQLite's trigger. The others read a driver's own
/// bookings: the unpaid holds, and a key claimed again. So the waiting inserts go in before a
/// request that would read one of them that way, and before any request that does not wait
/// with them.
#[derive(Default)]
struct Inserts {
    /// Each booking's place in the batch, and what it writes.
    waiting: Vec<(usize, Planned)>,
}

impl Inserts {
    fn must_go_before(&self, job: &Job, joins: bool) -> bool {
        match &job.req {
            _ if self.waiting.is_empty() => false,
            Request::Create(req) if joins => self.waiting.iter().any(|(_, planned)| planned.seen_by(req)),
            _ => true,
        }
    }
}

/// The transaction of a batch on its way, and what happened to each request so far.
struct Run<'a> {
    database: &'a WriterDb,
    tx: Option<Tx<'static>>,
    outcomes: Vec<Outcome>,
    /// What the batch read and claimed ahead for its new bookings, by position; only for the
    /// transaction that read it, which holds the locks and the claims it took.
    reads: Vec<Ahead>,
    inserts: Inserts,
}

impl Run<'_> {
    /// A statement failed and took the transaction with it: what had succeeded in it runs
    /// again, and the rest of the batch goes on in a new one (whose locks it reads again).
    async fn abandon(&mut self) {
        if let Some(lost) = self.tx.take() {
            let _ = lost.rollback().await;
        }
        for outcome in self.outcomes.iter_mut().filter(|o| matches!(o, Outcome::Answer(Ok(_)) | Outcome::Waiting)) {
            *outcome = Outcome::Again { lost: false };
        }
        self.inserts.waiting.clear();
        self.reads.iter_mut().for_each(|read| *read = Ahead::default());
    }

    /// Inserts the waiting bookings. When the statement fails, they lost a race together and
    /// each runs again on its own (see [`joins_others`]).
    async fn insert_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.inserts.waiting);
        let Some(tx) = self.tx.as_mut().filter(|_| !waiting.is_empty()) else { return };
        let (places, plans): (Vec<usize>, Vec<Planned>) = waiting.into_iter().unzip();
        match write_planned_together(tx, plans).await {
            Ok(answers) => {
                for (place, answer) in places.into_iter().zip(answers) {
                    self.outcomes[place] = Outcome::Answer(answer);
                }
            }
            Err(failed) => {
                tracing::debug!(error = %failed, "a batch's insert failed");
                for &place in &places {
                    self.outcomes[place] = Outcome::Again { lost: true };
                }
                self.abandon().await;
            }
        }
    }
}

/// Whether a request's insert waits to go with others' in one round trip: a new booking with
/// no savepoint of its own, on its first run. One that runs again (after a failed statement of
/// several) goes alone, so that it cannot fail with others twice.
fn joins_others(job: &Job, alone: bool) -> bool {
    !alone && job.attempts == 1 && matches!(job.req, Request::Create(_))
}

/// Runs `batch` in one transaction (`ready`, if one is open already) and answers it; returns
/// the requests to run again.
///
/// A request takes a savepoint of its own only if it can be refused after writing
/// ([`Request::writes_before_refusing`]): a savepoint costs a round trip on PostgreSQL, and on
/// SQLite two statements, each a hand-off to the connection's thread. The others write last,
/// and a refusal leaves nothing behind. Their inserts wait, and go in together (see
/// [`Inserts`]): one statement on PostgreSQL, one command of several on SQLite. A failed
/// statement aborts the whole transaction on PostgreSQL, and on SQLite may leave part of a
/// command written: either way, what had succeeded in the transaction runs again, and the
/// rest of the batch goes on in a new one.
async fn run_batch(database: &WriterDb, ready: Option<Tx<'static>>, batch: Vec<Job>) -> Vec<Job> {
    let mut run = Run {
        database,
        tx: ready,
        outcomes: Vec::with_capacity(batch.len()),
        reads: batch.iter().map(|_| Ahead::default()).collect(),
        inserts: Inserts::default(),
    };
    let mut reads_ahead = true;
    for (i, job) in batch.iter().enumerate() {
        if run.tx.is_none() {
            match database.begin().await {
                Ok(opened) => run.tx = Some(opened),
                Err(e) => {
                    let failed = anyhow::anyhow!("could not start a write transaction: {e}");
                    run.outcomes.push(Outcome::Answer(Err(AppError::Internal(failed))));
                    continue;
                }
            }
        }
        if std::mem::take(&mut reads_ahead)
            && let Some(open) = run.tx.as_mut()
            && let Err(e) = read_terms_ahead(open, &batch[i..], &mut run.reads[i..]).await
        {
            // The transaction is aborted: the batch goes on in a new one, each booking
            // reading for itself. That is for a race (a lock wait cut short); a statement the
            // database cannot run would make every batch slow without failing one, so the
            // tests' builds stop at it.
            debug_assert!(
                !matches!(&e, AppError::Database(e, _) if is_malformed(e)),
                "the batch's read is malformed: {e:?}"
            );
            tracing::debug!(error = %e, "the batch's read of its driveways failed");
            if let Some(lost) = run.tx.take() {
                let _ = lost.rollback().await;
            }
            run.tx = run.database.begin().await.ok();
        }
        let alone = job.req.writes_before_refusing();
        let joins = joins_others(job, alone);
        if run.inserts.must_go_before(job, joins) {
            run.insert_waiting().await;
            if run.tx.is_none() {
                run.tx = run.database.begin().await.ok();
            }
        }
        let Some(open) = run.tx.as_mut() else {
            let failed = anyhow::anyhow!("could not start a write transaction");
            run.outcomes.push(Outcome::Answer(Err(AppError::Internal(failed))));
            continue;
        };
        let read = std::mem::take(&mut run.reads[i]);
        let result = match (&job.req, joins) {
            (Request::Create(req), true) => match plan_booking_in(open, req.clone(), read, job.now).await {
                Ok(Plan::Replayed(created)) => Ok(created),
                // Not paid ahead (that would need a savepoint): nothing to write after the insert.
                Ok(Plan::Write(planned)) => {
                    run.inserts.waiting.push((i, planned));
                    run.outcomes.push(Outcome::Waiting);
                    continue;
                }
                Err(refused) => Err(refused),
            },
            _ if alone => in_savepoint(open, job, read).await,
            _ => job.req.clone().run_in(open, read, job.now).await,
        };
        let aborted = !alone && matches!(result, Err(AppError::Database(..)));
        run.outcomes.push(settle(result));
        if aborted {
            let failed = run.outcomes.pop();
            run.abandon().await;
            run.outcomes.extend(failed);
        }
    }
    run.insert_waiting().await;
    let committed = match run.tx {
        Some(tx) => tx.commit().await,
        None => Ok(()),
    };
    // The requests that lost a race go first in the next batch, so that if one fails again,
    // nothing that succeeded before it in that transaction is undone with it.
    let (mut again, mut undone) = (Vec::new(), Vec::new());
    for (job, outcome) in batch.into_iter().zip(run.outcomes) {
        let answer = match (&committed, outcome) {
            (_, Outcome::Again { lost }) if job.attempts < MAX_ATTEMPTS => {
                let rerun = Job { attempts: job.attempts + 1, ..job };
                if lost {
                    again.push(rerun)
                } else {
                    undone.push(rerun)
                }
                continue;
            }
            (_, Outcome::Again { .. }) => Err(busy()),
            (_, Outcome::Waiting) => Err(AppError::Internal(anyhow::anyhow!("a booking's insert was never run"))),
            (Ok(()), Outcome::Answer(result)) => result,
            // Nothing of the batch is stored: a success must not be reported.
            (Err(e), Outcome::Answer(Ok(_))) => Err(AppError::Internal(anyhow::anyhow!("commit failed: {e}"))),
            (Err(_), Outcome::Answer(Err(refused))) => Err(refused),
        };
        let _ = job.reply.send(answer);
    }
    again.append(&mut undone);
    again
}

/// Reads (and on PostgreSQL claims) ahead for the new bookings in `jobs` in one statement,
/// into `reads` (see [`read_ahead`]).
///
/// What the read finds must stay true until the booking's turn, so some parts are asked for
/// only where no request before it in the batch can change them:
/// - A key that comes twice in the batch (a retry of one driver sent before the first
///   answered) is asked for only for the first: the second then claims it in its own turn,
///   after the first's insert (see [`Inserts`]). Nor is the key of a booking that runs in a
///   savepoint asked for here: rolling its savepoint back would undo the release of its key,
///   but not a claim made before it.
/// - A driver's unpaid holds are counted only for their first request in the batch.
async fn read_terms_ahead(tx: &mut Tx<'_>, jobs: &[Job], reads: &mut [Ahead]) -> AppResult<()> {
    let mut places = Vec::new();
    let mut asks: Vec<Ask<'_>> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    let mut drivers = std::collections::HashSet::new();
    for (i, job) in jobs.iter().enumerate() {
        let first_of_driver = drivers.insert(job.req.driver());
        let Request::Create(req) = &job.req else { continue };
        let first_of_key = req.idempotency.as_ref().is_some_and(|idem| keys.insert((req.driver, idem.key.as_str())));
        let key = req.idempotency.as_ref().filter(|_| first_of_key && !req.writes_before_refusing());
        places.push(i);
        asks.push(Ask {
            driveway: req.driveway,
            token: req.token(),
            key,
            holds: first_of_driver && req.counts_holds(),
        });
    }
    let Some(now) = jobs.first().map(|job| job.now) else { return Ok(()) };
    let found = read_ahead(tx, &asks, now).await?;
    for (i, read) in places.into_iter().zip(found) {
        reads[i] = read;
    }
    Ok(())
}

/// Runs one request of a batch in a savepoint of its own, which its refusal rolls back.
async fn in_savepoint(tx: &mut Tx<'_>, job: &Job, read: Ahead) -> AppResult<Created> {
    if tx.engine() == Engine::Sqlite {
        let mut savepoint = tx.savepoint().await?;
        return match job.req.clone().run_in(&mut savepoint, read, job.now).await {
            Ok(created) => savepoint.commit().await.map(|()| created).map_err(AppError::from),
            Err(refused) => {
                let _ = savepoint.rollback().await;
                Err(refused)
            }
        };
    }
    // On PostgreSQL a savepoint that succeeded is left as it is rather than released: the next
    // one nests inside it, and the batch's commit ends them all. That saves a round trip a
    // booking; a rollback goes back to the latest savepoint of that name, this request's.
    tx.execute(query("SAVEPOINT booking")).await?;
    match job.req.clone().run_in(tx, read, job.now).await {
        Ok(created) => Ok(created),
        Err(refused) => {
            let _ = tx.execute(query("ROLLBACK TO SAVEPOINT booking")).await;
            Err(refused)
        }
    }
}

/// The answer to a request that lost its race [`MAX_ATTEMPTS`] times: the service is busy, and
/// a retry may well succeed. Not a 500: nothing is broken.
fn busy() -> AppError {
    AppError::Api(ErrorCode::Unavailable503, "the booking could not be written in a busy moment; try again".into())
}

/// Turns what the database says about a race into an answer or a second run: a wait cut
/// short, a deadlock, a serialization failure or an extension refused by the exclusion
/// constraint (its own check finds the winner next time, and says how far the stay can go) run
/// again, until [`MAX_ATTEMPTS`]; the last run that loses answers [`busy`] (`run_batch`).
fn settle(result: AppResult<Created>) -> Outcome {
    let lost_race = match &result {
        // A connection lost before the commit (one opened ahead and closed by the server while
        // it waited) took nothing with it: the request runs again on another.
        Err(AppError::Database(e, _)) => {
            is_retryable(e) || is_exclusion_violation(e) || is_lock_timeout(e) || is_connection_lost(e)
        }
        _ => false,
    };
    if lost_race { Outcome::Again { lost: true } } else { Outcome::Answer(result) }
}

impl Store {
    /// Creates a pending booking that holds its slot, or replays the answer to an earlier
    /// request with the same idempotency key. The checks and the insert run in a batch's
    /// transaction, so of several concurrent requests for overlapping slots exactly one wins.
    ///
    /// The booking's transaction checks the driver's session (see `TokenSession`), in its
    /// batch's read.
    pub async fn create_booking(&self, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
        self.bookings.submit(Request::Create(req), now).await
    }

    /// Extends a stay (see `bookings::extend`): through the same writer as new bookings on
    /// SQLite, in a transaction of its own on PostgreSQL.
    pub async fn extend_booking(&self, req: ExtendRequest, now: DateTime<Utc>) -> AppResult<Created> {
        match &self.write {
            Writer::Sqlite { .. } => self.bookings.submit(Request::Extend(req), now).await,
            Writer::Postgres { .. } => self.extend_alone(req, now).await,
        }
    }

    /// One transaction for one extension (PostgreSQL), run again when it loses a race.
    async fn extend_alone(&self, req: ExtendRequest, now: DateTime<Utc>) -> AppResult<Created> {
        let mut attempt = 1;
        loop {
            let mut tx = self.begin_write().await?;
            let result = match extend_in(&mut tx, &req, now).await {
                Ok(created) => tx.commit().await.map(|()| created).map_err(AppError::from),
                Err(refused) => {
                    let _ = tx.rollback().await;
                    Err(refused)
                }
            };
            match result {
                Err(AppError::Database(e, _))
                    if is_retryable(&e) || is_exclusion_violation(&e) || is_lock_timeout(&e) =>
                {
                    if attempt == MAX_ATTEMPTS {
                        return Err(busy());
                    }
                    // Apart, so that two that parted do not meet again at once.
                    let pause = rand::random_range(0..(1u64 << attempt.min(6)));
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    attempt += 1
                }
                other => return other,
            }
        }
    }
}
