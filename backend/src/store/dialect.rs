//! Where SQLite and PostgreSQL differ, in one place. Statements are written once with `?`
//! placeholders against [`super::db`]; the pieces of text that differ between the two engines
//! come from here, so porting the store to a third engine starts by reading this file.
//!
//! Whole statements that differ are here too: the slot-overlap query (GiST range overlap
//! against an ordered index prefix), the map search (R*Tree virtual table against a GiST
//! index), and the owner metrics. What differs in behaviour rather than text stays beside its
//! reason: the catch-up's lock wait (`notifications`), the advisory locks ([`super::locks`],
//! PostgreSQL only, since SQLite's single writer already orders every write), and what only
//! PostgreSQL has ([`super::PostgresStore`]).

use super::db::{Engine, Query, query, to_ms};
use parkway_core::geo::BoundingBox;
use parkway_core::slot::TimeSlot;

/// The longest prefix SQLite's full-text index of driveways holds (its `prefix` option).
pub const FTS_PREFIX: usize = 6;

/// The most rows of PostgreSQL's word index one place search reads: the bound on its work
/// when the longest word typed is shared by many driveways and the others rule most out.
pub const WORD_CANDIDATES: i64 = 2_000;

/// The first string after every string that starts with `prefix`, in byte order ("C"
/// collation): `prefix` with its last byte raised. Folded words are ASCII letters and digits,
/// so the raised byte is still ASCII.
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    String::from_utf8_lossy(&end).into_owned()
}

impl Engine {
    /// What a read that precedes a write in the same transaction appends to lock the rows it
    /// read: `FOR UPDATE` on PostgreSQL, where other instances write concurrently; nothing on
    /// SQLite, whose write transactions already hold the database's one write lock.
    pub fn for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }

    /// What a queue's claiming read appends: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that
    /// instances claiming at once each take other rows instead of waiting for one another;
    /// nothing on SQLite, whose single writer claims one batch at a time.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// What makes an insert of a booking that overlaps an active one write nothing and go on,
    /// rather than fail: PostgreSQL's exclusion constraint fails it unless told `ON CONFLICT
    /// DO NOTHING`; on SQLite the trigger `bookings_no_overlap` skips it always.
    pub fn insert_or_skip_overlap(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " ON CONFLICT DO NOTHING",
        }
    }

    /// The larger of two values: SQLite's two-argument `MAX`, PostgreSQL's `GREATEST`.
    pub fn greatest(self) -> &'static str {
        match self {
            Engine::Sqlite => "MAX",
            Engine::Postgres => "GREATEST",
        }
    }

    /// A condition on a boolean column, written as the engine's partial indexes write it
    /// (`column = 1` on SQLite, whose booleans are integers), so that the planner uses them.
    pub fn is_true(self, column: &str) -> String {
        match self {
            Engine::Sqlite => format!("{column} = 1"),
            Engine::Postgres => column.to_owned(),
        }
    }

    /// The column giving a table's rows in insertion order: SQLite's implicit `rowid`, the
    /// `seq` identity column on PostgreSQL. `alias` is the table's alias in the statement.
    pub fn insertion_order(self, alias: &str) -> String {
        match self {
            Engine::Sqlite => format!("{alias}.rowid"),
            Engine::Postgres => format!("{alias}.seq"),
        }
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
    pub fn meeting_slot(
        self,
        columns: &str,
        driveway: &str,
        slot: &TimeSlot,
        except: Option<&str>,
        limit: usize,
    ) -> Query {
        let (start, end) = (to_ms(slot.start()), to_ms(slot.end()));
        match self {
            Engine::Postgres => query(format!(
                "SELECT {columns} FROM bookings WHERE driveway_id = ? AND status IN ('pending', 'confirmed') \
                 AND {} AND id != ? ORDER BY start_at LIMIT {limit}",
                self.meets("")
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

    /// The condition "the booking (columns prefixed by `alias`, such as `b.`) meets the span
    /// `[?, ?)`", its two parameters the span's start and end in ms. On PostgreSQL it is the
    /// exclusion constraint's own range overlap, answered by its GiST index for the driveway and
    /// the span together (there is no other index of a driveway's active bookings there); on
    /// SQLite, plain comparisons that its index on `(driveway_id, end_at)` answers.
    pub fn meets(self, alias: &str) -> String {
        match self {
            Engine::Postgres => format!("int8range({alias}start_at, {alias}end_at) && int8range(?, ?)"),
            Engine::Sqlite => format!("{alias}end_at > ? AND {alias}start_at < ?"),
        }
    }

    /// Positions (and, with `priced`, hourly prices) of the live driveways in a box, straight
    /// from the spatial index, at most `limit`: `(seq, lat, lng, price)`. SQLite reads its
    /// R*Tree (single-precision, rounded outwards, so within about a metre); PostgreSQL's
    /// `position` is point(lng, lat), and `<@ box` is answered by the partial GiST index.
    pub fn driveways_in_box(self, b: &BoundingBox, priced: bool, limit: i64) -> Query {
        match self {
            Engine::Sqlite => {
                let price = if priced {
                    "(SELECT d.price_per_hour_cents FROM driveways d WHERE d.seq = r.seq)"
                } else {
                    "NULL"
                };
                query(format!(
                    "SELECT r.seq, (r.min_lat + r.max_lat) / 2, (r.min_lng + r.max_lng) / 2, {price} \
                     FROM driveways_rtree r \
                     WHERE r.max_lat >= ? AND r.min_lat <= ? AND r.max_lng >= ? AND r.min_lng <= ? LIMIT ?"
                ))
                .bind(b.min_lat)
                .bind(b.max_lat)
                .bind(b.min_lng)
                .bind(b.max_lng)
                .bind(limit)
            }
            Engine::Postgres => {
                let price = if priced { "price_per_hour_cents" } else { "NULL::bigint" };
                query(format!(
                    "SELECT seq, position[1], position[0], {price} FROM driveways \
                     WHERE position <@ box(point(?, ?), point(?, ?)) AND deleted_at IS NULL LIMIT ?"
                ))
                .bind(b.min_lng)
                .bind(b.min_lat)
                .bind(b.max_lng)
                .bind(b.max_lat)
                .bind(limit)
            }
        }
    }

    /// Live driveways whose title and address hold a word starting with each of `words`
    /// (folded ASCII, letters and digits only), at most `limit`: `(title, address, lat, lng)`.
    /// On SQLite each word is cut to [`FTS_PREFIX`] letters, so callers check whole words.
    /// SQLite reads its FTS5 index, PostgreSQL its b-tree of the same words; both fold case
    /// and accents themselves. On PostgreSQL a driveway may come twice (two of its words start
    /// with the longest word). No ranking: the caller scores the few it gets.
    pub fn driveways_matching(self, words: &[&str], limit: i64) -> Query {
        match self {
            Engine::Sqlite => {
                // FTS5: "word"* is a prefix query; words side by side must all match. Its index
                // holds prefixes of up to FTS_PREFIX letters: a longer word is asked by those,
                // and the caller checks the rest.
                let pattern = words
                    .iter()
                    .map(|w| format!("\"{}\"*", w.get(..FTS_PREFIX).unwrap_or(w)))
                    .collect::<Vec<_>>()
                    .join(" ");
                query(
                    "SELECT d.title, d.address, d.lat, d.lng FROM driveways_text t \
                     JOIN driveways d ON d.seq = t.rowid \
                     WHERE driveways_text MATCH ? AND d.deleted_at IS NULL LIMIT ?",
                )
                .bind(pattern)
                .bind(limit)
            }
            Engine::Postgres => {
                // The words' b-tree (`driveway_words`), read in order from the longest word's
                // prefix: the likeliest to be rare. Reading stops once `limit` driveways are
                // found, and after WORD_CANDIDATES rows whatever happens, so a word every
                // driveway shares costs as little as one none has. The other words are checked
                // on those candidates.
                let Some(driver) = words.iter().rev().max_by_key(|w| w.len()) else {
                    return query("SELECT title, address, lat, lng FROM driveways WHERE false");
                };
                let others: Vec<String> = words.iter().filter(|w| *w != driver).map(|w| format!("{w}:*")).collect();
                let check = if others.is_empty() {
                    ""
                } else {
                    " AND parkway_search_text(d.title, d.address) @@ to_tsquery('simple', ?)"
                };
                let q = query(format!(
                    "SELECT d.title, d.address, d.lat, d.lng FROM \
                     (SELECT seq FROM driveway_words WHERE word >= ? AND word < ? ORDER BY word, seq LIMIT ?) w \
                     JOIN driveways d ON d.seq = w.seq WHERE d.deleted_at IS NULL{check} LIMIT ?"
                ))
                .bind(driver.to_string())
                .bind(prefix_end(driver))
                .bind(WORD_CANDIDATES);
                let q = if others.is_empty() { q } else { q.bind(others.join(" & ")) };
                q.bind(limit)
            }
        }
    }

    /// Appends to a statement over `driveways d` the condition "no active booking meets
    /// `slot`", with its arguments. The same conditions as [`Engine::meeting_slot`], for the
    /// same reasons: on SQLite the first active booking to end after the start decides (free
    /// when it begins at or after the end, or there is none).
    pub fn free_during(self, sql: &mut String, args: &mut Vec<i64>, slot: &TimeSlot) {
        let (start, end) = (to_ms(slot.start()), to_ms(slot.end()));
        match self {
            Engine::Postgres => {
                sql.push_str(&format!(
                    " AND NOT EXISTS (SELECT 1 FROM bookings k WHERE k.driveway_id = d.id \
                     AND k.status IN ('pending', 'confirmed') AND {})",
                    self.meets("k.")
                ));
                args.extend([start, end]);
            }
            Engine::Sqlite => {
                sql.push_str(
                    " AND COALESCE((SELECT k.start_at FROM bookings k WHERE k.driveway_id = d.id \
                     AND k.status IN ('pending', 'confirmed') AND k.end_at > ? ORDER BY k.end_at LIMIT 1), ?) >= ?",
                );
                args.extend([start, end, end]);
            }
        }
    }

    /// The owner's figures over every booking of theirs, one row: `bookings, confirmed,
    /// cancelled, completed, revenue, fees, paid, minutes`; its arguments are the fee in basis
    /// points, then the owner. `fees` sums each booking's fee rounded down, as
    /// `parkway_core::earnings::split` computes it (the API tests hold the two equal). SQLite sums booleans; PostgreSQL counts
    /// with a filter, and its sums and averages come back as numerics unless cast.
    pub fn owner_metrics(self) -> &'static str {
        match self {
            Engine::Sqlite => {
                "SELECT COUNT(*) AS bookings, \
                   COALESCE(SUM(status = 'confirmed'), 0) AS confirmed, \
                   COALESCE(SUM(status = 'cancelled'), 0) AS cancelled, \
                   COALESCE(SUM(status = 'completed'), 0) AS completed, \
                   COALESCE(SUM(CASE WHEN payment_status IN ('paid', 'refunded') THEN total_cents - refunded_cents ELSE 0 END), 0) AS revenue, \
                   COALESCE(SUM(CASE WHEN payment_status IN ('paid', 'refunded') THEN (MAX(0, total_cents - refunded_cents) * ?) / 10000 ELSE 0 END), 0) AS fees, \
                   COALESCE(SUM(payment_status IN ('paid', 'refunded')), 0) AS paid, \
                   COALESCE(AVG((end_at - start_at) / 60000.0), 0.0) AS minutes \
                 FROM bookings WHERE owner_id = ?"
            }
            Engine::Postgres => {
                "SELECT COUNT(*) AS bookings, \
                   COUNT(*) FILTER (WHERE status = 'confirmed') AS confirmed, \
                   COUNT(*) FILTER (WHERE status = 'cancelled') AS cancelled, \
                   COUNT(*) FILTER (WHERE status = 'completed') AS completed, \
                   COALESCE(SUM(total_cents - refunded_cents) FILTER (WHERE payment_status IN ('paid', 'refunded')), 0)::BIGINT AS revenue, \
                   COALESCE(SUM((GREATEST(0, total_cents - refunded_cents) * ?) / 10000) FILTER (WHERE payment_status IN ('paid', 'refunded')), 0)::BIGINT AS fees, \
                   COUNT(*) FILTER (WHERE payment_status IN ('paid', 'refunded')) AS paid, \
                   COALESCE(AVG((end_at - start_at) / 60000.0), 0.0)::DOUBLE PRECISION AS minutes \
                 FROM bookings WHERE owner_id = ?"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_locks_rows_it_reads() {
        assert_eq!(Engine::Sqlite.for_update(), "");
        assert_eq!(Engine::Postgres.for_update(), " FOR UPDATE");
        assert_eq!(Engine::Sqlite.is_true("cancel_due"), "cancel_due = 1");
        assert_eq!(Engine::Postgres.insertion_order("b"), "b.seq");
    }
}
