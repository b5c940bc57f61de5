-- Type-ahead asks for words by their first letters. FTS5 answers a prefix from an index of
-- prefixes of that very length, lazily; without one it gathers every row of every word that
-- starts so (20–60 ms at a million driveways for a word most of them share, such as "street").
-- Prefixes of 2 to 6 letters are indexed; place search asks for longer words by their first
-- six letters and checks the rest itself.
DROP TABLE driveways_text;
CREATE VIRTUAL TABLE driveways_text USING fts5(
    title, address,
    content = 'driveways', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4 5 6'
);
INSERT INTO driveways_text (rowid, title, address)
SELECT seq, title, address FROM driveways WHERE deleted_at IS NULL;
