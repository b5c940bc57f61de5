-- Login and register attempts per client address, shared by every server instance (SQLite
-- deployments run one instance and count in memory). One row per address: GCRA's theoretical
-- arrival time in ms (see backend/src/store/ratelimit.rs).
CREATE TABLE auth_attempts (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
