-- Reads of the registry as of a date: the movements dated after a day are
-- found by one range of this index (few: only a planned 転出 is dated in
-- the future). A search lists a person from the `persons` projection when
-- none of them concerns the person, and folds the history otherwise.
CREATE INDEX movements_event_date ON movements (municipality_code, event_date, movement_id);
