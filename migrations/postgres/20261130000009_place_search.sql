-- Place search by a driveway's title and address: a GIN index over their words, with case
-- folded by the 'simple' configuration and accents by unaccent (shipped with PostgreSQL's
-- contrib modules; a trusted extension, so the database's owner may create it).
CREATE EXTENSION IF NOT EXISTS unaccent;

-- IMMUTABLE so that an index may use it; the SQL-standard body binds unaccent and its
-- dictionary when the function is created, whatever the search_path is later.
CREATE FUNCTION parkway_search_text(title text, address text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN to_tsvector('simple'::regconfig, unaccent('unaccent'::regdictionary, title || ' ' || address));

CREATE INDEX driveways_text ON driveways USING gin (parkway_search_text(title, address))
    WHERE deleted_at IS NULL;
