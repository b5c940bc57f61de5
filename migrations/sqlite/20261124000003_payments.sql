-- Payment intents, whichever provider made them (Stripe, or the simulated one of the demo).
CREATE TABLE payments (
    intent_id         TEXT PRIMARY KEY NOT NULL,
    booking_id        TEXT,               -- NULL for a direct intent until a booking links it
    user_id           TEXT NOT NULL,      -- the payer
    driveway_id       TEXT NOT NULL,
    start_at          INTEGER NOT NULL,
    end_at            INTEGER NOT NULL,
    amount_cents      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    capture_method    TEXT NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
    status            TEXT NOT NULL,      -- the provider's intent status
    client_secret     TEXT NOT NULL,
    refunded_cents    INTEGER NOT NULL DEFAULT 0,
    refund_due_cents  INTEGER NOT NULL DEFAULT 0,  -- owed back and not yet accepted by the provider
    refunds           INTEGER NOT NULL DEFAULT 0,  -- refunds requested so far (names idempotency keys)
    cancel_due        INTEGER NOT NULL DEFAULT 0,  -- the intent should be cancelled at the provider
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
-- One live intent per booking.
CREATE UNIQUE INDEX payments_booking_live ON payments(booking_id) WHERE booking_id IS NOT NULL AND status != 'canceled';
CREATE INDEX payments_user ON payments(user_id, created_at);
CREATE INDEX payments_due ON payments(updated_at) WHERE refund_due_cents > 0 OR cancel_due = 1;

-- Every webhook event received, so each is processed once.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY NOT NULL,
    type        TEXT NOT NULL,
    intent_id   TEXT,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;
