-- Owners get paid. An owner's payout account (a Stripe Connect account, or the simulated one
-- of the embedded default), and one transfer per booking of the owner's share once the
-- booking's money is settled.
CREATE TABLE payout_accounts (
    owner_id          TEXT PRIMARY KEY REFERENCES users(id),
    account_id        TEXT NOT NULL UNIQUE,      -- acct_… at the provider (acct_sim_… simulated)
    status            TEXT NOT NULL,             -- onboarding | restricted | active
    payouts_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    requirements_due  TEXT NOT NULL DEFAULT '[]',  -- JSON array of what the provider still needs
    link_token        TEXT,                      -- the simulated onboarding page's one-time token (SHA-256 hex)
    link_expires_at   BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- The owner's share of one booking, sent once: the primary key is the booking, so two
-- instances or two runs of the job cannot send it twice.
CREATE TABLE transfers (
    booking_id      TEXT PRIMARY KEY REFERENCES bookings(id),
    owner_id        TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    amount_cents    BIGINT NOT NULL,            -- the owner's net
    fee_cents       BIGINT NOT NULL,            -- the platform's fee kept
    currency        TEXT NOT NULL,
    transfer_id     TEXT,                        -- tr_… once the provider accepted it
    reversed_cents  BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX transfers_owner ON transfers(owner_id, created_at);
