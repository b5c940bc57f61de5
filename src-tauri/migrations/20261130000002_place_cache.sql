-- Place searches answered online, so the map's search box still finds those places offline.
CREATE TABLE place_cache (
    query      TEXT PRIMARY KEY NOT NULL,        -- the words searched, folded to lower case
    answer     TEXT NOT NULL,                    -- GET /api/places (JSON)
    fetched_at INTEGER NOT NULL
);
