-- Stripe Connect: transfers are written before they are sent and retried until the provider
-- accepts them; refunds after a transfer take back part of it; payouts to owners' banks are
-- recorded from the provider's events.

-- How many times the job asked the provider for this transfer; after the first, it looks for
-- one already made (by its transfer group) before asking again.
ALTER TABLE transfers ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX transfers_unsent ON transfers(created_at) WHERE transfer_id IS NULL;

-- Part of a transfer taken back after a later refund. Keyed by the booking and its refunded
-- total at the time, so two runs or two instances seeing the same refund write one row.
CREATE TABLE transfer_reversals (
    booking_id      TEXT NOT NULL REFERENCES transfers(booking_id),
    refunded_cents  BIGINT NOT NULL,
    amount_cents    BIGINT NOT NULL,
    reversal_id     TEXT,                        -- trr_… once the provider accepted it
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (booking_id, refunded_cents)
);
CREATE INDEX transfer_reversals_unsent ON transfer_reversals(created_at) WHERE reversal_id IS NULL;

-- Money leaving an owner's provider balance for their bank.
CREATE TABLE payouts (
    payout_id       TEXT PRIMARY KEY,            -- po_… (po_sim_… simulated)
    account_id      TEXT NOT NULL,
    amount_cents    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,               -- pending | in_transit | paid | failed | canceled
    failure_message TEXT,                        -- the provider's reason, for a failed one
    arrival_at      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX payouts_account ON payouts(account_id, created_at);
