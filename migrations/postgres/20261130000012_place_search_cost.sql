-- With a LIMIT, the planner believed a prefix such as 'oak:*' matches 2 % of driveways and chose
-- to read driveways in order, computing each one's words until enough matched. A word no
-- driveway has then walked the whole table, computing unaccent and to_tsvector on every row:
-- 2.6 s at a million driveways, for each keystroke of a place search. Saying what the function
-- costs makes the GIN index the cheaper plan: 0.2 ms for such a word, about 50-70 ms for a
-- word every driveway shares.
ALTER FUNCTION parkway_search_text(text, text) COST 1000;
