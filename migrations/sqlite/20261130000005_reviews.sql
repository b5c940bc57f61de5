-- Reviews of completed stays: one a booking, by its driver; the owner answers once. Each
-- driveway keeps the sum and count of its stars, written in the review's transaction, so a
-- search can show and filter by rating without reading the reviews.
CREATE TABLE reviews (
    booking_id  TEXT PRIMARY KEY NOT NULL REFERENCES bookings(id),
    driveway_id TEXT NOT NULL REFERENCES driveways(id),
    driver_id   TEXT NOT NULL REFERENCES users(id),
    owner_id    TEXT NOT NULL REFERENCES users(id),
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text        TEXT,
    reply       TEXT,
    replied_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX reviews_driveway ON reviews(driveway_id, created_at);

ALTER TABLE driveways ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE driveways ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0;
