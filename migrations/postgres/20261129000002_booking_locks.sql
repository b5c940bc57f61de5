-- A booking names its driveway, its driver and the driveway's owner. As foreign keys, each
-- insert share-locked those three rows (PostgreSQL's referential check takes FOR KEY SHARE):
-- a busy driveway's row and a big owner's row were written by every booking, and under load
-- each booking took new MultiXact ids for them (measured: 1.5 to 2.8 per booking at 32
-- clients). Users and driveways are never deleted (a driveway is only marked deleted), the
-- driver is the signed-in user and the driveway and its owner are read in the booking's own
-- transaction, which shares the driveway's advisory lock against its deletion. SQLite keeps the
-- foreign keys: it has one writer and no row locks.
ALTER TABLE bookings DROP CONSTRAINT bookings_driveway_id_fkey;
ALTER TABLE bookings DROP CONSTRAINT bookings_driver_id_fkey;
ALTER TABLE bookings DROP CONSTRAINT bookings_owner_id_fkey;
