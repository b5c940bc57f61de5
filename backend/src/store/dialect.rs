//! Where SQLite and PostgreSQL differ, in one place. Statements are written once with `?`
//! placeholders against [`super::db`]; the pieces of text that differ between the two engines
//! come from here, so porting the store to a third engine starts by reading this file.
//!
//! The differences that are more than a word live beside their statement, as a `match` on
//! [`Engine`], each with the reason: the slot-overlap query ([`super::rows::meeting_slot`]:
//! GiST range overlap against an ordered index prefix), the map search (R*Tree virtual table
//! against a GiST index, in `driveways`), the owner metrics, the catch-up's lock wait
//! (`notifications`), and the advisory locks ([`super::locks`], PostgreSQL only, since SQLite's
//! single writer already orders every write).

use super::db::Engine;

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
