-- Photos of driveways. The files live in the media store under content-addressed names; a row
-- per photo keeps its place in the gallery. Each driveway also keeps its gallery as the JSON
-- its answers carry, written in the same transaction, so searches and cards show photos
-- without reading this table.
CREATE TABLE driveway_photos (
    id          TEXT PRIMARY KEY NOT NULL,
    driveway_id TEXT NOT NULL REFERENCES driveways(id),
    position    INTEGER NOT NULL,
    photo_key   TEXT NOT NULL,
    thumb_key   TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX driveway_photos_driveway ON driveway_photos(driveway_id, position);
CREATE INDEX driveway_photos_key ON driveway_photos(photo_key);

ALTER TABLE driveways ADD COLUMN photos TEXT NOT NULL DEFAULT '[]';
