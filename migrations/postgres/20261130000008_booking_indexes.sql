-- A new booking wrote ten index entries; two of them served nothing the others do not.
-- `seq` only breaks ties after `created_at` in lists, and an identity column is unique by
-- itself, so its unique index was written for nothing. The exclusion constraint's GiST index
-- answers every question about a driveway's active bookings in a span of time (the store asks
-- them as range overlaps on PostgreSQL), so the b-tree on (driveway_id, end_at) goes too.
ALTER TABLE bookings DROP CONSTRAINT bookings_seq_key;
DROP INDEX bookings_active;
