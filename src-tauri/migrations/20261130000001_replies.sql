-- Messages written without a network: each waits on the device with its idempotency key and is
-- sent, in the order written, when the network is back. A sent one is deleted (the server has it).
CREATE TABLE replies (
    id              TEXT PRIMARY KEY NOT NULL,   -- client UUID, also the Idempotency-Key
    user_id         TEXT NOT NULL,               -- who wrote it: only their session sends it
    booking_id      TEXT NOT NULL,               -- the thread, as the UI named it
    text            TEXT NOT NULL,
    state           TEXT NOT NULL,               -- queued, syncing, failed, expired
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,            -- ms since the epoch
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX replies_user ON replies(user_id, created_at);
