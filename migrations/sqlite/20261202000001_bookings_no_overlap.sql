-- A new booking that would overlap an active booking of its driveway is not written: the
-- insert writes no row and goes on (`changes()` is 0), as PostgreSQL's exclusion constraint
-- does for `INSERT ... ON CONFLICT DO NOTHING`. A booking writer can then send several
-- bookings' inserts as one command and learn which went in, instead of reading the bookings in
-- each one's way before it. Its single writer already keeps active bookings from overlapping,
-- so ordered by their end they are ordered by their start too: the one to look at is the first
-- active booking ending after the new one starts (the index on (driveway_id, end_at)).
CREATE TRIGGER bookings_no_overlap BEFORE INSERT ON bookings
WHEN NEW.status IN ('pending', 'confirmed') AND EXISTS (
    SELECT 1 FROM (
        SELECT start_at FROM bookings
         WHERE driveway_id = NEW.driveway_id AND status IN ('pending', 'confirmed') AND end_at > NEW.start_at
         ORDER BY end_at LIMIT 1
    ) WHERE start_at < NEW.end_at
)
BEGIN
    SELECT RAISE(IGNORE);
END;
