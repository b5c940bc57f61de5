-- Extending a booking. An extension is a booking of its own (its own hold, payment,
-- confirmation and refund), starting where the stay it extends ends; it names that first
-- booking here. Being an ordinary booking row, its time is guarded against double booking by
-- the same checks as any booking's. Like the bookings' other references on PostgreSQL, this one
-- is not a foreign key (see 20261129000002_booking_locks.sql): the first booking is read, locked,
-- in the extension's own transaction, and bookings are never deleted.
ALTER TABLE bookings ADD COLUMN extension_of TEXT;
CREATE INDEX bookings_extensions ON bookings(extension_of, end_at) WHERE extension_of IS NOT NULL;
