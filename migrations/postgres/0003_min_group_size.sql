-- Disclosure control (issue 16): an aggregate of restricted data shown to a caller who may not read
-- every member on its own must rest on at least this many counted members.
ALTER TABLE data_sources ADD COLUMN min_group_size BIGINT NOT NULL DEFAULT 3 CHECK (min_group_size >= 1);
