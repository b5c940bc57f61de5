use super::Store;
use super::db::{Engine, Query, Tx, from_ms, query, to_ms};
use super::locks::{self, Subject};
use crate::error::{AppError, AppResult};
use crate::notices::Draft;
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::Notification;
use parkway_core::notification::NotificationType;
use uuid::Uuid;

/// Most notifications one catch-up call returns.
pub const MAX_PAGE: i64 = 500;

/// How long a catch-up waits for the user's notifications still being written before it gives
/// up (and the client retries). Shorter than PostgreSQL's deadlock check, so that a catch-up
/// caught in a wait cycle steps aside before a writer would be chosen to fail.
const CATCH_UP_WAIT: &str = "500ms";

/// A notification written to the inbox, with the user it is for, ready to publish.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Whose inbox.
    pub user: Uuid,
    /// The stored notification.
    pub notification: Notification,
}

/// Writes `draft` into the inbox inside `tx`, so it commits or rolls back with the change it
/// reports.
///
/// Catching up with `after=<id>` must never skip a notification. Ids come from one sequence, so
/// on PostgreSQL two transactions writing to one inbox can commit out of id order, and a reader
/// between the two commits would see the higher id and move past the lower. So a writer holds
/// the inbox's lock in shared mode from before it takes its id until it commits (writers never
/// wait for each other), and a catch-up takes it exclusively first: it reads only once every
/// id already handed out for that inbox is committed or gone. SQLite's single writer commits
/// in id order already.
pub async fn insert(tx: &mut Tx<'_>, draft: Draft, now: DateTime<Utc>) -> AppResult<Notice> {
    // On PostgreSQL the lock is taken in the statement that takes the id, one round trip instead
    // of two: the row to insert comes out of the locking subquery, and the id's default is
    // computed only once that row exists, so always under the lock.
    let statement = match tx.engine() {
        Engine::Sqlite => sqlite_statement(""),
        Engine::Postgres => format!("WITH {}", postgres_statement(&format!(" FROM ({}) AS inbox", locks::share_sql()))),
    };
    let insert = with_draft(tx.engine(), query(statement), &draft, now);
    let id: i64 = tx.scalar(insert).await?;
    Ok(notice(draft, id, now))
}

/// Writes `first` (an `INSERT` with no `RETURNING`) and then, if it wrote a row, `draft`;
/// `None` when it wrote none. On PostgreSQL both go in one statement, `first` as a
/// data-modifying `WITH` whose row the notification's comes from, under the inbox's lock as in
/// [`insert`]: one round trip instead of two. SQLite has no such `WITH`: there `first` (which
/// may be several statements, the last of them writing one row or none) is sent with the
/// notification's insert as one ([`Query::then`]), which writes only if `first`'s last
/// statement wrote a row.
pub async fn insert_after(
    tx: &mut Tx<'_>,
    first: Query,
    draft: Draft,
    now: DateTime<Utc>,
) -> AppResult<Option<Notice>> {
    match tx.engine() {
        Engine::Sqlite => {
            let id: Option<i64> = tx.scalar_optional(first.then(sqlite_after(&draft, now))).await?;
            Ok(id.map(|id| notice(draft, id, now)))
        }
        Engine::Postgres => {
            let source = format!(" FROM first, ({}) AS inbox", locks::share_sql());
            let both = first.within("WITH first AS (", &format!(" RETURNING 1), {}", postgres_statement(&source)));
            let id: Option<i64> = tx.scalar_optional(with_draft(Engine::Postgres, both, &draft, now)).await?;
            Ok(id.map(|id| notice(draft, id, now)))
        }
    }
}

/// The insert of `draft` (SQLite) to send right after a statement ([`Query::then`]): written
/// only if that statement wrote a row. It answers the notification's id.
pub fn sqlite_after(draft: &Draft, now: DateTime<Utc>) -> Query {
    with_draft(Engine::Sqlite, query(sqlite_statement(" WHERE changes() = 1")), draft, now)
}

/// The notification's insert (SQLite), written only where `condition` (a `WHERE` clause, or
/// nothing) holds. A trigger queues its pushes: on SQLite it costs no round trip.
fn sqlite_statement(condition: &str) -> String {
    format!(
        "INSERT INTO notifications (user_id, type, title, message, data, created_at) \
         SELECT ?, ?, ?, ?, ?, ?{condition} RETURNING id"
    )
}

/// The notification's insert (PostgreSQL), its row selected from `source` (a `FROM` clause),
/// as the last parts of a `WITH`: it also queues a push to each of the user's devices, unless
/// they muted its kind, so the pushes commit with the notification. (A PL/pgSQL trigger did
/// that before, at a few percent of the database's CPU for every booking.) Every notification
/// is written here or by [`postgres_statement_for_each`].
fn postgres_statement(source: &str) -> String {
    format!(
        "note AS (INSERT INTO notifications (user_id, type, title, message, data, created_at) \
         SELECT ?, ?, ?, ?, ?, ?{source} RETURNING id, user_id, type, created_at), {PUSHES} SELECT id FROM note"
    )
}

/// Queues the pushes of the notifications in the `note` part of a `WITH`.
const PUSHES: &str = "pushes AS (INSERT INTO push_queue (notification_id, device_id, due_at) \
     SELECT note.id, d.id, note.created_at FROM note JOIN devices d ON d.user_id = note.user_id \
     WHERE NOT EXISTS (SELECT 1 FROM push_muted m WHERE m.user_id = note.user_id AND m.kind = note.type))";

/// The columns, in order, of a row of drafts for [`postgres_statement_for_each`]: the
/// notification's, then its inbox lock's key, as bound by [`bind_draft`].
pub const DRAFT_COLUMNS: [&str; 7] = ["user_id", "type", "title", "message", "data", "created_at", "inbox"];

/// The last parts of a `WITH` (PostgreSQL) writing a notification, and its pushes, for each row
/// of `drafts`: a `FROM` item with an `ord` column and the [`DRAFT_COLUMNS`]. The statement
/// answers each written row's `ord` with its notification's id. As in [`insert`], each
/// notification's id is taken only once its inbox's lock is held: every lock is taken in
/// `held`, which is read in full before the first id is.
pub fn postgres_statement_for_each(drafts: &str) -> String {
    format!(
        "held AS MATERIALIZED (SELECT *, pg_advisory_xact_lock_shared(inbox)::text AS lock FROM {drafts}), \
         ids AS MATERIALIZED (SELECT ord, nextval(pg_get_serial_sequence('notifications', 'id')) AS id \
         FROM held WHERE lock IS NOT NULL ORDER BY ord), \
         note AS (INSERT INTO notifications (id, user_id, type, title, message, data, created_at) \
         OVERRIDING SYSTEM VALUE SELECT ids.id, h.user_id, h.type, h.title, h.message, h.data, h.created_at \
         FROM ids JOIN held h USING (ord) RETURNING id, user_id, type, created_at), \
         {PUSHES} SELECT ord, id FROM ids"
    )
}

/// Binds a row of [`DRAFT_COLUMNS`] for `draft` (PostgreSQL).
pub fn bind_draft(q: Query, draft: &Draft, now: DateTime<Utc>) -> Query {
    with_draft(Engine::Postgres, q, draft, now)
}

/// Binds the notification's columns, then (PostgreSQL) the inbox lock's key.
fn with_draft(engine: Engine, q: Query, draft: &Draft, now: DateTime<Utc>) -> Query {
    let q = q
        .bind(draft.user)
        .bind(draft.kind.as_str())
        .bind(&draft.title)
        .bind(&draft.message)
        .bind(draft.data.to_string())
        .bind(to_ms(now));
    match engine {
        Engine::Sqlite => q,
        Engine::Postgres => q.bind(Subject::Inbox(draft.user).key()),
    }
}

/// The notice of `draft`, written with `id`.
pub fn notice(draft: Draft, id: i64, now: DateTime<Utc>) -> Notice {
    Notice {
        user: draft.user,
        notification: Notification {
            id,
            kind: draft.kind,
            title: draft.title,
            message: draft.message,
            data: draft.data,
            created_at: now,
            read_at: None,
        },
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    #[sqlx(rename = "type")]
    kind: String,
    title: String,
    message: String,
    data: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl NotificationRow {
    fn into_notification(self) -> Option<Notification> {
        Some(Notification {
            id: self.id,
            kind: NotificationType::parse(&self.kind)?,
            title: self.title,
            message: self.message,
            data: serde_json::from_str(&self.data).unwrap_or_default(),
            created_at: from_ms(self.created_at),
            read_at: self.read_at.map(from_ms),
        })
    }
}

impl Store {
    /// The user's notifications with id greater than `after`, oldest first. Nothing with a
    /// lower id than one returned can appear later (see [`insert`]).
    pub async fn notifications_after(&self, user: Uuid, after: i64, limit: i64) -> AppResult<Vec<Notification>> {
        let page = query(
            "SELECT id, type, title, message, data, created_at, read_at FROM notifications \
             WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(user)
        .bind(after)
        .bind(limit.clamp(1, MAX_PAGE));
        let rows: Vec<NotificationRow> = match self.reader().engine() {
            Engine::Sqlite => self.reader().fetch_all(page).await?,
            Engine::Postgres => {
                let mut tx = self.begin_write().await?;
                tx.execute(query(format!("SET LOCAL lock_timeout = '{CATCH_UP_WAIT}'"))).await?;
                let locked = locks::exclusive(&mut tx, Subject::Inbox(user)).await;
                if let Err(e) = locked {
                    let _ = tx.rollback().await;
                    return Err(if super::db::is_lock_timeout(&e) {
                        AppError::Api(
                            ErrorCode::Unavailable503,
                            "new notifications are being written; try again in a moment".into(),
                        )
                    } else {
                        AppError::from(e)
                    });
                }
                // Read after the lock is held: READ COMMITTED takes a new snapshot per statement.
                let rows = tx.fetch_all(page).await?;
                tx.commit().await?;
                rows
            }
        };
        Ok(rows.into_iter().filter_map(NotificationRow::into_notification).collect())
    }

    /// One of the user's notifications by id (for a fan-out message that carried only the id).
    pub async fn notification(&self, user: Uuid, id: i64) -> AppResult<Option<Notification>> {
        let row: Option<NotificationRow> = self
            .reader()
            .fetch_optional(
                query(
                    "SELECT id, type, title, message, data, created_at, read_at FROM notifications \
                     WHERE user_id = ? AND id = ?",
                )
                .bind(user)
                .bind(id),
            )
            .await?;
        Ok(row.and_then(NotificationRow::into_notification))
    }

    /// Marks one of the user's notifications read; false when it is not theirs.
    pub async fn mark_read(&self, user: Uuid, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = tx
            .execute(
                query("UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?")
                    .bind(to_ms(now))
                    .bind(id)
                    .bind(user),
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }
}
