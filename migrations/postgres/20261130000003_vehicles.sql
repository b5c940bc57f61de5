-- Drivers' vehicles, and the vehicle each booking was made with. The booking keeps a copy of
-- the plate and label, so editing or deleting a vehicle never changes what the owner was told.
CREATE TABLE vehicles (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id),
    plate       TEXT NOT NULL,               -- normalised: upper case, letters and digits
    label       TEXT,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (user_id, plate)
);
CREATE INDEX vehicles_user ON vehicles(user_id, created_at);
-- At most one default per driver.
CREATE UNIQUE INDEX vehicles_one_default ON vehicles(user_id) WHERE is_default;

ALTER TABLE bookings ADD COLUMN vehicle_plate TEXT;
ALTER TABLE bookings ADD COLUMN vehicle_label TEXT;
