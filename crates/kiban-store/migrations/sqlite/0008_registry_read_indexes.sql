-- The persons and households a movement concerns, found from the movement.
-- A search as of a date checks its candidates against the few movements
-- dated after it (planned 転出): from those movements to their persons and
-- households, instead of from each candidate to all of their movements.
CREATE INDEX movement_persons_movement ON movement_persons (municipality_code, movement_id, person_id);
CREATE INDEX movement_households_movement ON movement_households (municipality_code, movement_id, household_id);

-- The support measures (支援措置) in force on a day, found without reading
-- the ones that ended long ago: every read of a person's address checks
-- them.
CREATE INDEX support_measures_ends_on ON support_measures (municipality_code, ends_on);
