-- The paths an analysis reads values by (issue 15): the values of the units shown (an owner's
-- units, found through units_owner, then each unit's values of the indicators, school year and
-- group asked), and every unit's values of an indicator whose national figure Varde computes,
-- in one group without reading the other groups' rows.
CREATE INDEX indicator_values_unit_year
    ON indicator_values (unit_id, school_year, indicator_id, group_code)
    WHERE unit_id IS NOT NULL;
DROP INDEX indicator_values_level;
CREATE INDEX indicator_values_level
    ON indicator_values (subject_level, indicator_id, school_year, group_code);
