-- Place search by a driveway's title and address: a full-text index of live driveways (FTS5,
-- its tokenizer folding case and accents), kept by triggers like the spatial index.
CREATE VIRTUAL TABLE driveways_text USING fts5(
    title, address,
    content = 'driveways', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO driveways_text (rowid, title, address)
SELECT seq, title, address FROM driveways WHERE deleted_at IS NULL;

CREATE TRIGGER driveways_text_insert AFTER INSERT ON driveways WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO driveways_text (rowid, title, address) VALUES (new.seq, new.title, new.address);
END;
-- One trigger for edits and deletion, so the old entry always goes before the new one comes.
CREATE TRIGGER driveways_text_update AFTER UPDATE OF title, address, deleted_at ON driveways BEGIN
    INSERT INTO driveways_text (driveways_text, rowid, title, address)
    SELECT 'delete', old.seq, old.title, old.address WHERE old.deleted_at IS NULL;
    INSERT INTO driveways_text (rowid, title, address)
    SELECT new.seq, new.title, new.address WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER driveways_text_delete AFTER DELETE ON driveways WHEN old.deleted_at IS NULL BEGIN
    INSERT INTO driveways_text (driveways_text, rowid, title, address)
    VALUES ('delete', old.seq, old.title, old.address);
END;
