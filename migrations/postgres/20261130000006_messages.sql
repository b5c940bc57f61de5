-- Messages between a stay's driver and its driveway's owner, one thread a stay (named by its
-- first booking). `id` increases, so a client catches up with `?after=`.
CREATE TABLE messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id   TEXT NOT NULL REFERENCES bookings(id),
    sender_id    TEXT NOT NULL REFERENCES users(id),
    recipient_id TEXT NOT NULL REFERENCES users(id),
    text         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    read_at      BIGINT
);
CREATE INDEX messages_thread ON messages(booking_id, id);
CREATE INDEX messages_unread ON messages(recipient_id, booking_id) WHERE read_at IS NULL;
