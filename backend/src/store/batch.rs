//! How a new booking reaches the database: on SQLite through a group-commit queue, on
//! PostgreSQL in a transaction of its own, run again when it loses a race.
//!
//! SQLite has one writer, and with `synchronous=FULL` every commit waits for the disk. Under
//! load, bookings queue for that one writer anyway, so the queue is made explicit: a single task
//! takes every request waiting (up to [`MAX_BATCH`]), runs each in its own savepoint of one
//! transaction, and commits once. Each request still sees the ones before it in the batch, so
//! overlap checks and idempotency keys behave exactly as with one transaction per request; a
//! refused request rolls back only its savepoint. With a single client a batch is one request.

use super::bookings::create::create_booking_in;
use super::bookings::{BookingRequest, Created};
use super::db::{Tx, is_exclusion_violation, is_retryable};
use super::{Store, Writer};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// Most requests committed together.
pub const MAX_BATCH: usize = 64;

struct Job {
    req: BookingRequest,
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

    /// Creates one booking through the writer and waits for its answer.
    pub async fn submit(&self, req: BookingRequest, now: DateTime<Utc>) -> AppResult<Created> {
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
            Ok(mut savepoint) => match create_booking_in(&mut savepoint, job.req.clone(), job.now).await {
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
                Ok(created) => tx.commit().await.map(|()| created).map_err(AppError::from),
                Err(refused) => {
                    let _ = tx.rollback().await;
                    Err(refused)
                }
            };
            match result {
                Err(AppError::Database(e, _)) if is_exclusion_violation(&e) => {
                    return Err(self.slot_taken(&req.driveway.to_string(), &req.slot, None).await);
                }
                Err(AppError::Database(e, _)) if is_retryable(&e) && attempt < MAX_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }
}
