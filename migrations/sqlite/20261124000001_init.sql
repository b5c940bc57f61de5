-- Parkway's schema on SQLite. Instants are integer milliseconds since the Unix epoch (UTC);
-- money is integer minor units; ids are UUID text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL,           -- comma-separated: driver,owner
    created_at    INTEGER NOT NULL
);

CREATE TABLE driveways (
    seq                  INTEGER PRIMARY KEY,  -- the spatial index's key
    id                   TEXT NOT NULL UNIQUE,
    owner_id             TEXT NOT NULL REFERENCES users(id),
    title                TEXT NOT NULL,
    address              TEXT NOT NULL,
    lat                  REAL NOT NULL,
    lng                  REAL NOT NULL,
    price_per_hour_cents INTEGER NOT NULL CHECK (price_per_hour_cents > 0),
    price_per_day_cents  INTEGER CHECK (price_per_day_cents IS NULL OR price_per_day_cents > 0),
    currency             TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    instant_book         INTEGER NOT NULL DEFAULT 0,
    access_instructions  TEXT,
    availability         TEXT NOT NULL DEFAULT '[]',  -- JSON weekly schedule
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    deleted_at           INTEGER                        -- kept for the bookings that name it
);
CREATE INDEX driveways_owner ON driveways(owner_id) WHERE deleted_at IS NULL;

-- R*Tree over live driveways: a search reads only the points inside its box.
CREATE VIRTUAL TABLE driveways_rtree USING rtree(seq, min_lat, max_lat, min_lng, max_lng);

CREATE TRIGGER driveways_rtree_insert AFTER INSERT ON driveways WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO driveways_rtree VALUES (new.seq, new.lat, new.lat, new.lng, new.lng);
END;
CREATE TRIGGER driveways_rtree_move AFTER UPDATE OF lat, lng ON driveways WHEN new.deleted_at IS NULL BEGIN
    UPDATE driveways_rtree SET min_lat = new.lat, max_lat = new.lat, min_lng = new.lng, max_lng = new.lng
    WHERE seq = new.seq;
END;
CREATE TRIGGER driveways_rtree_delete AFTER UPDATE OF deleted_at ON driveways WHEN new.deleted_at IS NOT NULL BEGIN
    DELETE FROM driveways_rtree WHERE seq = new.seq;
END;

CREATE TABLE bookings (
    id                TEXT PRIMARY KEY NOT NULL,
    driveway_id       TEXT NOT NULL REFERENCES driveways(id),
    driver_id         TEXT NOT NULL REFERENCES users(id),
    owner_id          TEXT NOT NULL REFERENCES users(id),  -- the driveway's owner when booked
    start_at          INTEGER NOT NULL,
    end_at            INTEGER NOT NULL CHECK (end_at > start_at),
    total_cents       INTEGER NOT NULL CHECK (total_cents >= 0),
    refunded_cents    INTEGER NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed')),
    payment_status    TEXT NOT NULL CHECK (payment_status IN ('pending', 'paid', 'failed', 'refunded')),
    stripe_payment_id TEXT,
    special_requests  TEXT,
    driver_lat        REAL,
    driver_lng        REAL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
-- Overlap checks read only the bookings that still hold a slot and have not ended.
CREATE INDEX bookings_active ON bookings(driveway_id, end_at) WHERE status IN ('pending', 'confirmed');
CREATE INDEX bookings_driver ON bookings(driver_id, created_at);
CREATE INDEX bookings_owner ON bookings(owner_id, created_at);
CREATE INDEX bookings_status ON bookings(status, created_at);
CREATE INDEX bookings_payment ON bookings(stripe_payment_id) WHERE stripe_payment_id IS NOT NULL;

-- Answers to requests that carried an Idempotency-Key, replayed for retries.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);

-- The inbox: every notification is written here first, then pushed to connected clients.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    type       TEXT NOT NULL,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);
