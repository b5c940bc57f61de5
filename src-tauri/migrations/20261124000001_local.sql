-- The app's own database: the offline booking outbox, cached searches and bookings, settings.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY NOT NULL,   -- client UUID, also the Idempotency-Key
    payload         TEXT NOT NULL,               -- the booking request (JSON)
    state           TEXT NOT NULL,               -- queued, syncing, synced, conflict, failed, expired, cancelled
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,            -- ms since the epoch
    booking         TEXT,                        -- the server's booking once synced (JSON)
    alternatives    TEXT,                        -- free driveways nearby after a conflict (JSON)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox(created_at) WHERE state IN ('queued', 'syncing');

CREATE TABLE search_cache (
    key        TEXT PRIMARY KEY NOT NULL,        -- the query, normalised
    lat        REAL NOT NULL,
    lng        REAL NOT NULL,
    answer     TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);

CREATE TABLE bookings_cache (
    id         TEXT PRIMARY KEY NOT NULL,
    booking    TEXT NOT NULL,
    driveway   TEXT,                             -- with access instructions once confirmed
    updated_at INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
