-- Sessions: a login opens one; access tokens name it, so ending it ends them at once on every
-- instance. Refresh tokens are stored as SHA-256 hashes only; each is spent by one refresh.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    user_agent    TEXT,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,      -- the refresh token's hard end (30 days from login)
    ended_at      INTEGER,               -- logout, password change, replay, or ended from the list
    ended_reason  TEXT
);
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE refresh_tokens (
    hash        TEXT PRIMARY KEY,      -- hex SHA-256 of the token
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    created_at  INTEGER NOT NULL,
    spent_at    INTEGER                  -- a second use of a spent token ends its session
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);

-- Wrong passwords per account, from every address together (one row each; old rows are
-- removed by the background job).
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    account  TEXT NOT NULL,            -- the normalised email tried
    at       INTEGER NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, at);

-- Money that arrived where it should not: a payment for another amount than its booking's
-- total, or an intent that is no longer its booking's. Each is refunded and recorded here.
CREATE TABLE payment_anomalies (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    intent_id       TEXT NOT NULL,
    booking_id      TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('amount_mismatch', 'orphaned')),
    amount_cents    INTEGER NOT NULL,
    expected_cents  INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (intent_id, kind)
);

-- Unpaid holds per driver (the hoarding limit counts them on every booking).
CREATE INDEX bookings_driver_pending ON bookings(driver_id) WHERE status = 'pending';
