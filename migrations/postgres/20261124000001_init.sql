-- Parkway's schema on PostgreSQL, the same tables as on SQLite (migrations/sqlite/) with the
-- same column meanings: instants are BIGINT milliseconds since the Unix epoch (UTC); money is
-- BIGINT minor units; ids are UUID text. Keeping the types alike lets one store code read both.

-- For the exclusion constraint on bookings: GiST over text equality and ranges together.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,           -- comma-separated: driver,owner
    created_at    BIGINT NOT NULL
);

CREATE TABLE driveways (
    seq                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                   TEXT NOT NULL UNIQUE,
    owner_id             TEXT NOT NULL REFERENCES users(id),
    title                TEXT NOT NULL,
    address              TEXT NOT NULL,
    lat                  DOUBLE PRECISION NOT NULL,
    lng                  DOUBLE PRECISION NOT NULL,
    -- The position as a point (x = lng, y = lat), for the spatial index.
    position             POINT GENERATED ALWAYS AS (point(lng, lat)) STORED,
    price_per_hour_cents BIGINT NOT NULL CHECK (price_per_hour_cents > 0),
    price_per_day_cents  BIGINT CHECK (price_per_day_cents IS NULL OR price_per_day_cents > 0),
    currency             TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    instant_book         BOOLEAN NOT NULL DEFAULT FALSE,
    access_instructions  TEXT,
    availability         TEXT NOT NULL DEFAULT '[]',  -- JSON weekly schedule
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    deleted_at           BIGINT                        -- kept for the bookings that name it
);
CREATE INDEX driveways_owner ON driveways(owner_id) WHERE deleted_at IS NULL;

-- GiST over live driveways' points (SQLite uses an R*Tree): a search reads only the points
-- inside its box, and with `seq` included it never visits the table for them.
CREATE INDEX driveways_position ON driveways USING gist (position) INCLUDE (seq) WHERE deleted_at IS NULL;

CREATE TABLE bookings (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,  -- insertion order, for stable lists
    id                TEXT PRIMARY KEY,
    driveway_id       TEXT NOT NULL REFERENCES driveways(id),
    driver_id         TEXT NOT NULL REFERENCES users(id),
    owner_id          TEXT NOT NULL REFERENCES users(id),  -- the driveway's owner when booked
    start_at          BIGINT NOT NULL,
    end_at            BIGINT NOT NULL CHECK (end_at > start_at),
    total_cents       BIGINT NOT NULL CHECK (total_cents >= 0),
    refunded_cents    BIGINT NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed')),
    payment_status    TEXT NOT NULL CHECK (payment_status IN ('pending', 'paid', 'failed', 'refunded')),
    stripe_payment_id TEXT,
    special_requests  TEXT,
    driver_lat        DOUBLE PRECISION,
    driver_lng        DOUBLE PRECISION,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    -- Double booking is impossible in the database itself, whichever instance writes: two
    -- bookings that hold a slot ([start, end) in ms) never overlap on one driveway.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist
        (driveway_id WITH =, int8range(start_at, end_at) WITH &&)
        WHERE (status IN ('pending', 'confirmed'))
);
-- Overlap checks read only the bookings that still hold a slot and have not ended.
CREATE INDEX bookings_active ON bookings(driveway_id, end_at) WHERE status IN ('pending', 'confirmed');
CREATE INDEX bookings_driver ON bookings(driver_id, created_at);
CREATE INDEX bookings_owner ON bookings(owner_id, created_at);
CREATE INDEX bookings_status ON bookings(status, created_at);
CREATE INDEX bookings_payment ON bookings(stripe_payment_id) WHERE stripe_payment_id IS NOT NULL;

-- Answers to requests that carried an Idempotency-Key, replayed for retries. A request claims
-- its key by inserting the row first, so concurrent duplicates wait on the primary key.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);

-- The inbox: every notification is written here first, then pushed to connected clients.
CREATE TABLE notifications (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT NOT NULL,
    type       TEXT NOT NULL,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, id);
