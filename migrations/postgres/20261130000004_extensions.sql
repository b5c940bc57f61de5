-- Extending a booking. An extension is a booking of its own (its own hold, payment,
-- confirmation and refund), starting where the stay it extends ends; it names that first
-- booking here. Being an ordinary booking row, its time is guarded against double booking by
-- the same checks as any booking's.
ALTER TABLE bookings ADD COLUMN extension_of TEXT REFERENCES bookings(id);
CREATE INDEX bookings_extensions ON bookings(extension_of, end_at) WHERE extension_of IS NOT NULL;
