-- Reminders already sent, so each is sent once even across restarts and with several servers.
CREATE TABLE reminders_sent (
    booking_id TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- driver_start, owner_start, driver_end
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (booking_id, kind)
) WITHOUT ROWID;
CREATE INDEX bookings_confirmed_start ON bookings(start_at) WHERE status = 'confirmed';
CREATE INDEX bookings_confirmed_end ON bookings(end_at) WHERE status = 'confirmed';
