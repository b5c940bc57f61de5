//! How a new booking (or an extension of a stay) reaches the database: on SQLite through a
//! group-commit queue, on PostgreSQL in a transaction of its own, run again when it loses a race.
//!
//! SQLite has one writer, and with `synchronous=FULL` every commit waits for the disk. Under
//! load, bookings queue for that one writer anyway, so the queue is made explicit: a single task
//! takes every request waiting (up to [`MAX_BATCH`]), runs each in its own savepoint of one
//! transaction, and commits once. Each request still sees the ones before it in the batch, so
//! overlap checks and idempotency keys behave exactly as with one transaction per request; a
//! refused request rolls back only its savepoint. With a single client a batch is one request.

use super::bookings::create::create_booking_in;
use super::bookings::extend::extend_in;
use super::bookings::{BookingRequest, Created, ExtendRequest};
use super::db::{Tx, is_exclusion_violation, is_lock_timeout, is_retryable};
use super::{Store, Writer};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// Most requests committed together.
pub const MAX_BATCH: usize = 64;

/// What the writer is asked to do: both make a booking row under the same rules.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new booking.
    Create(BookingRequest),
    /// An extension of a stay.
    Extend(ExtendRequest),
}

impl Request {
    /// Runs the request inside `tx` (a savepoint of a batch, or a transaction of its own).
    async fn run_in(self, tx: &mut Tx<'_>, now: DateTime<Utc>) -> AppResult<Created> {
        match self {
            Request::Create(req) => create_booking_in(tx, req, now).await,
            Request::Extend(req) => extend_in(tx, &req, now).await,
        }
    }
}

struct Job {
    req: Request,
    now: DateTime<Utc>,
    reply: oneshot::Sender<AppResult<Created>>,
}

/// The queue in front of the booking writer.
#[derive(Debug, Clone)]
pub struct BookingQueue {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl BookingQueue {
    /// Starts the writer task on `write`, the single write connection's pool.
    pub fn start(write: SqlitePool) -> BookingQueue {
        let (jobs, mut queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                run_batch(&write, batch).await;
            }
        });
        BookingQueue { jobs }
    }

    /// Runs one request through the writer and waits for its answer.
    pub async fn submit(&self, req: Request, now: DateTime<Utc>) -> AppResult<Created> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { req, now, reply })
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the booking writer has stopped")))?;
        answer.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the booking writer dropped a request")))?
    }
}

async fn run_batch(write: &SqlitePool, batch: Vec<Job>) {
    let mut tx = match write.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => Tx::Sqlite(tx),
        Err(e) => {
            let message = format!("could not start a write transaction: {e}");
            for job in batch {
                let _ = job.reply.send(Err(AppError::Internal(anyhow::anyhow!(message.clone()))));
            }
            return;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        let result = match tx.savepoint().await {
            Err(e) => Err(AppError::from(e)),
            Ok(mut savepoint) => match job.req.clone().run_in(&mut savepoint, job.now).await {
                Ok(created) => savepoint.commit().await.map(|()| created).map_err(AppError::from),
                Err(refused) => {
                    let _ = savepoint.rollback().await;
                    Err(refused)
                }
            },
        };
        results.push(result);
    }
    let committed = tx.commit().await;
    for (job, result) in batch.into_iter().zip(results) {
        let answer = match (&committed, result) {
            (Ok(()), result) => result,
            // Nothing of the batch is stored: a success must not be reported.
            (Err(e), Ok(_)) => Err(AppError::Internal(anyhow::anyhow!("commit failed: {e}"))),
            (Err(_), Err(refused)) => Err(refused),
        };
        let _ = job.reply.send(answer);
    }
}

/// How often a booking transaction that lost a race (deadlock, serialization failure, a wait
/// cut short) is run again before the request fails.
const MAX_ATTEMPTS: u32 = 8;

/// The longest a new booking waits for a lock on PostgreSQL. Two inserts of overlapping slots
/// each wait in the exclusion constraint for the other to finish, and PostgreSQL's deadlock
/// check would only part them after a second; cut short, one of them runs again at once, reads
/// the other's booking (or finds the slot free) and answers. An honest wait (a deletion of the
/// driveway, a catch-up of the owner's inbox) is far shorter; one that is not is run again too.
const BOOKING_LOCK_WAIT: &str = "50ms";

impl Store {
    /// Creates a pending booking that holds its slot, or replays the answer to an earlier
    /// request with the same idempotency key. The checks and the insert run in one write
    /// transaction, so of several concurrent requests for overlapping slots exactly one wins.
    pub async fn create_booking(&self, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
        self.write_booking(Request::Create(req), now).await
    }

    /// Extends a stay (see `bookings::extend`): through the same writer as new bookings.
    pub async fn extend_booking(&self, req: ExtendRequest, now: DateTime<Utc>) -> AppResult<Created> {
        self.write_booking(Request::Extend(req), now).await
    }

    async fn write_booking(&self, req: Request, now: DateTime<Utc>) -> AppResult<Created> {
        match &self.write {
            Writer::Sqlite { bookings, .. } => bookings.submit(req, now).await,
            Writer::Postgres { .. } => self.write_alone(req, now).await,
        }
    }

    /// One transaction for one request (PostgreSQL). Concurrent requests for overlapping slots,
    /// on this instance or another, may all pass the conflict check; the exclusion constraint
    /// lets exactly one insert through, and the others fail with SQLSTATE 23P01 once it has
    /// committed (or, waiting on each other, one is cut short by [`BOOKING_LOCK_WAIT`] and runs
    /// again). A new booking then answers `slot_taken` with the conflicts read after that
    /// commit; an extension runs once more, and its check finds the winner and says how far
    /// the stay can still go.
    async fn write_alone(&self, req: Request, now: DateTime<Utc>) -> AppResult<Created> {
        let mut attempt = 1;
        loop {
            let wait = matches!(req, Request::Create(_)).then_some(BOOKING_LOCK_WAIT);
            let mut tx = self.begin_write_waiting(wait).await?;
            let result = match req.clone().run_in(&mut tx, now).await {
                Ok(created) => tx.commit().await.map(|()| created).map_err(AppError::from),
                Err(refused) => {
                    let _ = tx.rollback().await;
                    Err(refused)
                }
            };
            match (result, &req) {
                (Err(AppError::Database(e, _)), Request::Create(create)) if is_exclusion_violation(&e) => {
                    return Err(self.slot_taken(&create.driveway.to_string(), &create.slot, None).await);
                }
                (Err(AppError::Database(e, _)), _)
                    if (is_retryable(&e) || is_exclusion_violation(&e) || is_lock_timeout(&e))
                        && attempt < MAX_ATTEMPTS =>
                {
                    // Apart, so that two that parted do not meet again at once.
                    let pause = rand::random_range(0..(1u64 << attempt.min(6)));
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    attempt += 1
                }
                (other, _) => return other,
            }
        }
    }
}
