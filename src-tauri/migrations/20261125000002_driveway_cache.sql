-- Driveways the driver has opened, so that their page (and its booking form) works offline.
CREATE TABLE driveway_cache (
    id         TEXT PRIMARY KEY NOT NULL,        -- the driveway's id
    answer     TEXT NOT NULL,                    -- GET /api/driveways/:id (JSON)
    fetched_at INTEGER NOT NULL
);
