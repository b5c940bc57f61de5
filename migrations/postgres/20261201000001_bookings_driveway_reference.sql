-- A booking's driveway and its owner are no longer foreign keys on PostgreSQL. Driveways and
-- users are never deleted (deleting a driveway sets `deleted_at`), so these references only
-- ever cost: for every booking, each check share-locked the driveway's row and its owner's, and
-- on a busy driveway those share locks piled up into MultiXacts that slowed every later booking
-- of it. Bookings and the deletion of their driveway are ordered by an advisory lock on the
-- driveway instead (see `store/locks.rs`), and a booking only ever names the driveway, and the
-- owner, that the same transaction has just read as listed. The driver's reference stays: one
-- driver's bookings do not crowd one row.
ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_driveway_id_fkey;
ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_owner_id_fkey;
