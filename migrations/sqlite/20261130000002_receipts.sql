-- Receipts. A booking's receipt number is handed out the first time its receipt is asked for
-- and kept: `year` is the year of issue (UTC), `seq` runs from 1 within it, and `number` is
-- the two as printed (2026-000042).
--
-- The year's counter row is raised in the same transaction that inserts the receipt, so two
-- requests never take the same number, and a request that loses the race to issue a booking's
-- receipt rolls back and gives its number back: the sequence has no gaps. UNIQUE (year, seq)
-- keeps that true in the database itself.
CREATE TABLE receipt_counters (
    year      INTEGER PRIMARY KEY NOT NULL,
    last_seq  INTEGER NOT NULL
);

CREATE TABLE receipts (
    booking_id  TEXT PRIMARY KEY NOT NULL REFERENCES bookings(id),
    year        INTEGER NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq > 0),
    number      TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    UNIQUE (year, seq)
) WITHOUT ROWID;
