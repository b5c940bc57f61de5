-- SQLite's full-text index gained prefixes of 2 to 6 letters in this version. PostgreSQL's GIN
-- index finds words by their start as they are: nothing changes here.
SELECT 1;
