-- This phone as a push target: the server's id for it and the account it was registered for,
-- so that signing out removes it from the server (DELETE /api/devices/{id}) while the session
-- still allows it. One row at most: the app holds one session at a time.
CREATE TABLE push_device (
    only_one      INTEGER PRIMARY KEY CHECK (only_one = 1),
    device_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    registered_at INTEGER NOT NULL
);
