-- Receipts. A booking's receipt number is handed out the first time its receipt is asked for
-- and kept: `year` is the year of issue (UTC), `seq` runs from 1 within it, and `number` is
-- the two as printed (2026-000042).
--
-- The year's counter row is raised in the same transaction that inserts the receipt: its row
-- lock orders concurrent issuers on every instance, and a request that loses the race to issue
-- a booking's receipt rolls back and gives its number back, so the sequence has no gaps.
-- UNIQUE (year, seq) keeps that true in the database itself.
CREATE TABLE receipt_counters (
    year      BIGINT PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

CREATE TABLE receipts (
    booking_id  TEXT PRIMARY KEY REFERENCES bookings(id),
    year        BIGINT NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    number      TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    UNIQUE (year, seq)
);
