-- Place type-ahead reads driveways by the words of their title and address. The GIN index over
-- those words could not stop early: a prefix such as 'dr:*' gathered every matching row into a
-- bitmap before the first one was returned, about 100 ms at a million driveways for a word
-- they all share ("driveway", "street"). A b-tree of (word, driveway) is read in order and
-- stops as soon as enough are found, however many driveways share the word.
--
-- One row per distinct word of each live driveway, the words exactly as the GIN index held
-- them (parkway_search_text: 'simple' configuration, accents removed). "C" collation: a prefix
-- is then the range [prefix, prefix with its last byte raised).
CREATE TABLE driveway_words (
    word TEXT COLLATE "C" NOT NULL,
    seq  BIGINT NOT NULL,
    PRIMARY KEY (word, seq)
);

-- Kept by the driveways themselves, so no writer can forget it. A deleted driveway's words go
-- (by the words its old text had, through the primary key: no second index by driveway).
CREATE FUNCTION parkway_driveway_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL THEN
        DELETE FROM driveway_words
         WHERE seq = OLD.seq
           AND word = ANY (tsvector_to_array(parkway_search_text(OLD.title, OLD.address))::text[] COLLATE "C");
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL THEN
        INSERT INTO driveway_words (word, seq)
        SELECT w, NEW.seq FROM unnest(tsvector_to_array(parkway_search_text(NEW.title, NEW.address))) AS w
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER driveway_words
    AFTER INSERT OR DELETE OR UPDATE OF title, address, deleted_at ON driveways
    FOR EACH ROW EXECUTE FUNCTION parkway_driveway_words();

INSERT INTO driveway_words (word, seq)
SELECT DISTINCT w, seq
  FROM driveways, unnest(tsvector_to_array(parkway_search_text(title, address))) AS w
 WHERE deleted_at IS NULL;
-- The planner reads the word index in order only when it knows how many rows a word has.
ANALYZE driveway_words;

-- Nothing reads the GIN index any more; every driveway write paid for it.
DROP INDEX driveways_text;
