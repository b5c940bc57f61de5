-- PostgreSQL drops the foreign keys from bookings to their driveway and its owner here (their checks
-- share-locked those rows for every booking). SQLite's one writer takes no such locks, and its
-- foreign keys stay: nothing to change.
SELECT 1;
