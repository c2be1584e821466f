-- Disclosure control (issue 16): a unit's restricted value hidden so that a prikket group of the
-- same unit, indicator and school year (a kjønn half under "all") cannot be worked out by
-- subtraction. Decided by domain::protect_unit_groups whenever values are written.
ALTER TABLE indicator_values ADD COLUMN complementary BOOLEAN NOT NULL DEFAULT FALSE;
