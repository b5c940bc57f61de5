//! One way to run SQL on either engine: pools, transactions and statements that work on SQLite
//! and on PostgreSQL alike.
//!
//! A statement is written once, with `?` placeholders, and its arguments are collected as
//! [`Value`]s; on PostgreSQL the placeholders become `$1, $2, …` when it runs. Rows decode into
//! the same `sqlx::FromRow` structs on both engines (the schemas use the same column types:
//! text ids, 64-bit integer instants and cents). Where the dialects differ, the store function
//! picks between two texts placed side by side, with [`Engine`].

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Acquire, Arguments, Decode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};
use std::borrow::Cow;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One file, one writer: the embedded default.
    Sqlite,
    /// A server shared by several Parkway instances.
    Postgres,
}

/// An argument of a statement.
#[derive(Debug, Clone)]
pub enum Value {
    /// A 64-bit integer (ids of sequences, instants in ms, cents, counts).
    Int(Option<i64>),
    /// A double (coordinates).
    Float(Option<f64>),
    /// Text (uuids, names, JSON).
    Text(Option<String>),
    /// A boolean.
    Bool(Option<bool>),
}

macro_rules! value_from {
    ($variant:ident, $t:ty, |$v:ident| $convert:expr) => {
        impl From<$t> for Value {
            fn from($v: $t) -> Value {
                Value::$variant(Some($convert))
            }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Value {
                Value::$variant(v.map(|$v| $convert))
            }
        }
    };
}

value_from!(Int, i64, |v| v);
value_from!(Float, f64, |v| v);
value_from!(Bool, bool, |v| v);
value_from!(Text, String, |v| v);
value_from!(Text, &str, |v| v.to_owned());
value_from!(Text, &String, |v| v.clone());

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Value {
        Value::Text(v.clone())
    }
}

impl From<uuid::Uuid> for Value {
    fn from(v: uuid::Uuid) -> Value {
        Value::Text(Some(v.to_string()))
    }
}

impl From<Option<uuid::Uuid>> for Value {
    fn from(v: Option<uuid::Uuid>) -> Value {
        Value::Text(v.map(|v| v.to_string()))
    }
}

/// A statement and its arguments, not yet tied to an engine.
#[derive(Debug, Clone)]
pub struct Query {
    sql: Cow<'static, str>,
    args: Vec<Value>,
}

/// A statement with `?` placeholders.
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query { sql: sql.into(), args: Vec::new() }
}

impl Query {
    /// This statement inside a larger one, between `before` and `after`. Its arguments stay
    /// first; `before` must hold no `?`, and those of `after` are bound next.
    pub fn within(self, before: &str, after: &str) -> Query {
        Query { sql: format!("{before}{}{after}", self.sql).into(), args: self.args }
    }

    /// This statement and then `next`, sent as one (SQLite only: PostgreSQL prepares one
    /// statement at a time). SQLite runs them in turn on the connection's thread, so the pair
    /// costs one hand-off to that thread instead of two; a failed statement stops the rest,
    /// but what those before it wrote stays until the transaction (or savepoint) is rolled
    /// back. Rows come back from every statement that returns some, in order.
    pub fn then(self, next: Query) -> Query {
        let mut args = self.args;
        args.extend(next.args);
        Query { sql: format!("{}; {}", self.sql, next.sql).into(), args }
    }

    /// Adds the argument for the next `?`.
    pub fn bind(mut self, value: impl Into<Value>) -> Query {
        self.args.push(value.into());
        self
    }

    fn sqlite_args(&self) -> Result<SqliteArguments<'static>, sqlx::Error> {
        let mut out = SqliteArguments::default();
        for v in &self.args {
            match v.clone() {
                Value::Int(v) => out.add(v),
                Value::Float(v) => out.add(v),
                Value::Text(v) => out.add(v),
                Value::Bool(v) => out.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }

    fn postgres_args(&self) -> Result<PgArguments, sqlx::Error> {
        let mut out = PgArguments::default();
        for v in &self.args {
            match v.clone() {
                Value::Int(v) => out.add(v),
                Value::Float(v) => out.add(v),
                Value::Text(v) => out.add(v),
                Value::Bool(v) => out.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }

    /// The text with `?` numbered as PostgreSQL wants (`$1`, `$2`, …), leaving quoted text and
    /// identifiers alone. The lexer knows quotes and nothing else, so what it cannot read
    /// safely is refused rather than numbered wrongly: comments, `$` (dollar quoting, numbered
    /// placeholders), PostgreSQL's `?|`, `?&`, `?-` and `?#` operators, an unclosed quote, and
    /// a count of placeholders other than the count of arguments. Both engines check, so a
    /// statement refused on one is refused on the other.
    fn numbered(&self) -> Result<String, sqlx::Error> {
        let refuse = |why: &str| Err(sqlx::Error::InvalidArgument(format!("statement not run: {why}")));
        let mut out = String::with_capacity(self.sql.len() + 8);
        let mut n = 0;
        let mut quote: Option<char> = None;
        let mut chars = self.sql.chars().peekable();
        while let Some(c) = chars.next() {
            let next = chars.peek().copied();
            match (quote, c) {
                (None, '\'' | '"') => {
                    quote = Some(c);
                    out.push(c);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    out.push(c);
                }
                (None, '-') if next == Some('-') => return refuse("a comment"),
                (None, '/') if next == Some('*') => return refuse("a comment"),
                (None, '$') => return refuse("a `$` outside quotes"),
                (None, '?') if matches!(next, Some('|' | '&' | '-' | '#')) => return refuse("a `?` operator"),
                (None, '?') => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            }
        }
        if quote.is_some() {
            return refuse("an unclosed quote");
        }
        if n != self.args.len() {
            return refuse(&format!("{n} placeholders for {} arguments", self.args.len()));
        }
        Ok(out)
    }
}

/// A row type both engines can decode.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single-column value both engines can decode.
pub trait Scalar:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> + Send + Unpin
{
}

/// Where a statement runs: a pool or an open transaction, of either engine.
enum Conn<'a> {
    SqlitePool(&'a SqlitePool),
    Sqlite(&'a mut sqlx::SqliteConnection),
    PostgresPool(&'a PgPool),
    Postgres(&'a mut sqlx::PgConnection),
}

/// Runs `$body` with `$ex` bound to the executor, `$sql` to the engine's text and `$args` to
/// its arguments. The body is the same for both engines; the types differ, hence a macro.
macro_rules! on_engine {
    ($conn:expr, $q:expr, |$ex:ident, $sql:ident, $args:ident| $body:expr) => {{
        let q: &Query = &$q;
        match $conn {
            Conn::SqlitePool($ex) => {
                q.numbered()?;
                let ($sql, $args) = (&*q.sql, q.sqlite_args()?);
                $body
            }
            Conn::Sqlite($ex) => {
                q.numbered()?;
                let ($sql, $args) = (&*q.sql, q.sqlite_args()?);
                $body
            }
            Conn::PostgresPool($ex) => {
                let text = q.numbered()?;
                let ($sql, $args) = (text.as_str(), q.postgres_args()?);
                $body
            }
            Conn::Postgres($ex) => {
                let text = q.numbered()?;
                let ($sql, $args) = (text.as_str(), q.postgres_args()?);
                $body
            }
        }
    }};
}

impl Conn<'_> {
    async fn execute(self, q: Query) -> Result<u64, sqlx::Error> {
        Ok(on_engine!(self, q, |ex, sql, args| sqlx::query_with(sql, args).execute(ex).await?.rows_affected()))
    }

    async fn fetch_all<T: Row>(self, q: Query) -> Result<Vec<T>, sqlx::Error> {
        on_engine!(self, q, |ex, sql, args| sqlx::query_as_with(sql, args).fetch_all(ex).await)
    }

    async fn fetch_optional<T: Row>(self, q: Query) -> Result<Option<T>, sqlx::Error> {
        on_engine!(self, q, |ex, sql, args| sqlx::query_as_with(sql, args).fetch_optional(ex).await)
    }

    async fn scalars<T: Scalar>(self, q: Query) -> Result<Vec<T>, sqlx::Error> {
        on_engine!(self, q, |ex, sql, args| sqlx::query_scalar_with(sql, args).fetch_all(ex).await)
    }

    async fn scalar_optional<T: Scalar>(self, q: Query) -> Result<Option<T>, sqlx::Error> {
        on_engine!(self, q, |ex, sql, args| sqlx::query_scalar_with(sql, args).fetch_optional(ex).await)
    }
}

/// The statements every place that runs SQL offers (a pool, a transaction).
macro_rules! runs_statements {
    ($($mutable:tt)?) => {
        /// Runs a statement; the number of rows it changed.
        pub async fn execute(&$($mutable)? self, q: Query) -> Result<u64, sqlx::Error> {
            self.conn().execute(q).await
        }

        /// Every row of a query.
        pub async fn fetch_all<T: Row>(&$($mutable)? self, q: Query) -> Result<Vec<T>, sqlx::Error> {
            self.conn().fetch_all(q).await
        }

        /// The first row of a query, if any.
        pub async fn fetch_optional<T: Row>(&$($mutable)? self, q: Query) -> Result<Option<T>, sqlx::Error> {
            self.conn().fetch_optional(q).await
        }

        /// The first row of a query, which must exist.
        pub async fn fetch_one<T: Row>(&$($mutable)? self, q: Query) -> Result<T, sqlx::Error> {
            self.conn().fetch_optional(q).await?.ok_or(sqlx::Error::RowNotFound)
        }

        /// The first column of every row.
        pub async fn scalars<T: Scalar>(&$($mutable)? self, q: Query) -> Result<Vec<T>, sqlx::Error> {
            self.conn().scalars(q).await
        }

        /// The first column of the first row, if any.
        pub async fn scalar_optional<T: Scalar>(&$($mutable)? self, q: Query) -> Result<Option<T>, sqlx::Error> {
            self.conn().scalar_optional(q).await
        }

        /// The first column of the first row, which must exist.
        pub async fn scalar<T: Scalar>(&$($mutable)? self, q: Query) -> Result<T, sqlx::Error> {
            self.conn().scalar_optional(q).await?.ok_or(sqlx::Error::RowNotFound)
        }
    };
}

/// A pool of either engine (cheap to clone).
#[derive(Debug, Clone)]
pub enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

impl Pool {
    /// The engine behind it.
    pub fn engine(&self) -> Engine {
        match self {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    fn conn(&self) -> Conn<'_> {
        match self {
            Pool::Sqlite(p) => Conn::SqlitePool(p),
            Pool::Postgres(p) => Conn::PostgresPool(p),
        }
    }

    /// Waits for open connections and closes them.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    runs_statements!();
}

/// An open transaction (or savepoint) of either engine; rolled back when dropped uncommitted.
#[derive(Debug)]
pub enum Tx<'c> {
    /// SQLite.
    Sqlite(Transaction<'c, Sqlite>),
    /// PostgreSQL.
    Postgres(Transaction<'c, Postgres>),
    /// PostgreSQL, on a connection a booking writer keeps (no savepoints: see `held`).
    Held(super::held::HeldTx),
}

impl Tx<'_> {
    /// The engine behind it.
    pub fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(_) => Engine::Sqlite,
            Tx::Postgres(_) | Tx::Held(_) => Engine::Postgres,
        }
    }

    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::Sqlite(tx),
            Tx::Postgres(tx) => Conn::Postgres(tx),
            Tx::Held(tx) => Conn::Postgres(tx.conn()),
        }
    }

    /// A savepoint inside this transaction (not on a booking writer's connection on
    /// PostgreSQL, whose batches write their savepoints themselves).
    pub async fn savepoint(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => Tx::Sqlite(tx.begin().await?),
            Tx::Postgres(tx) => Tx::Postgres(tx.begin().await?),
            // sqlx does not know the transaction is open, and would send `BEGIN`.
            Tx::Held(_) => return Err(sqlx::Error::Protocol("no savepoint on a booking writer's connection".into())),
        })
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
            Tx::Held(tx) => tx.commit().await,
        }
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
            Tx::Held(tx) => tx.rollback().await,
        }
    }

    runs_statements!(mut);
}

/// PostgreSQL's SQLSTATE for a violated exclusion constraint.
const EXCLUSION_VIOLATION: &str = "23P01";
/// PostgreSQL's SQLSTATEs for a transaction that lost a race and may simply be run again.
const RETRYABLE: [&str; 2] = ["40001", "40P01"];

fn sqlstate(e: &sqlx::Error) -> Option<Cow<'_, str>> {
    match e {
        sqlx::Error::Database(db) => db.code(),
        _ => None,
    }
}

/// True when an exclusion constraint refused the change (an overlapping active booking).
pub fn is_exclusion_violation(e: &sqlx::Error) -> bool {
    sqlstate(e).is_some_and(|c| c == EXCLUSION_VIOLATION)
}

/// True when a lock was not granted within the transaction's `lock_timeout` (SQLSTATE 55P03).
pub fn is_lock_timeout(e: &sqlx::Error) -> bool {
    sqlstate(e).is_some_and(|c| c == "55P03")
}

/// True for a serialization failure or a deadlock: the transaction can be run again.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    sqlstate(e).is_some_and(|c| RETRYABLE.contains(&c.as_ref()))
}

/// Milliseconds since the epoch, as stored.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant stored as milliseconds since the epoch.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Parses a UUID stored as text; stored ids were written by us, so a bad one is corruption.
pub fn uuid(s: &str) -> Result<uuid::Uuid, sqlx::Error> {
    uuid::Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// True when PostgreSQL refused a statement as written (SQLSTATE class 42: a syntax error, an
/// unknown column, a type that does not match): a mistake in the code, never a race.
pub fn is_malformed(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some_and(|pg| pg.code().starts_with("42"))
        }
        _ => false,
    }
}

/// True for a UNIQUE constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        let q = query("SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?)").bind(1_i64).bind(2_i64).bind(3_i64);
        assert_eq!(q.numbered().expect("lexed"), "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)");
        let q = query("SELECT 'it''s -- not a comment', $$ FROM t WHERE a = ?".replace("$$", "'$'")).bind(1_i64);
        assert_eq!(q.numbered().expect("lexed"), "SELECT 'it''s -- not a comment', '$' FROM t WHERE a = $1");
    }

    #[test]
    fn what_the_lexer_cannot_read_is_refused_not_renumbered() {
        for sql in [
            "SELECT 1 -- is this ? a placeholder",
            "SELECT /* ? */ 1",
            "SELECT $$?$$",
            "SELECT a FROM t WHERE a = $1",
            "SELECT data ?| array['a'] FROM t",
            "SELECT data ?& array['a'] FROM t",
            "SELECT 'unclosed ?",
        ] {
            assert!(
                matches!(query(sql).bind(1_i64).numbered(), Err(sqlx::Error::InvalidArgument(_))),
                "{sql} was numbered"
            );
        }
        assert!(query("SELECT ?, ?").bind(1_i64).numbered().is_err(), "a missing argument went unnoticed");
        assert!(query("SELECT ?").bind(1_i64).bind(2_i64).numbered().is_err(), "an extra argument went unnoticed");
    }
}
