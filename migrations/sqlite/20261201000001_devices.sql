-- Devices a user's notifications are pushed to: a phone's FCM or APNs token, or a browser's
-- Web Push endpoint with its keys. A device belongs to one user: registered again by someone
-- else (a shared phone, another account), it moves to them.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id),
    platform    TEXT NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    address     TEXT NOT NULL,   -- the FCM or APNs token, or the Web Push endpoint
    p256dh      TEXT,            -- Web Push: the browser's public key, base64url
    auth        TEXT,            -- Web Push: the authentication secret, base64url
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    turn        INTEGER NOT NULL,   -- the user's registrations in order: the newest is the highest
    UNIQUE (platform, address)
);
CREATE INDEX devices_user ON devices(user_id, turn);

-- The kinds of notification a user does not want pushed (every kind is, unless named here).
CREATE TABLE push_muted (
    user_id  TEXT NOT NULL REFERENCES users(id),
    kind     TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
