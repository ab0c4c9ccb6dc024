-- A scored pair keeps its per-field explanation only below the match probability, where
-- it may go to a steward: links are never reviewed. At a hundred thousand customers 3,396
-- of 127,091 kept pairs are below it, and writing every pair's explanation (800 bytes
-- each) took a third of the scoring.
ALTER TABLE core.match_pair ALTER COLUMN explanation DROP NOT NULL;

-- The match probability below which a record's pairs were explained: pairs are scored
-- again, explained, when it changes. Records scored before it was kept are scored again.
ALTER TABLE core.match_record ADD COLUMN explained_below DOUBLE PRECISION;
