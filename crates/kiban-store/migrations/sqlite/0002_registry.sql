-- Resident registry (住民記録). Movements (異動) are the source of truth and
-- are never updated or deleted; persons and households hold the current
-- state for search and lists, rebuilt from movements when needed.

CREATE TABLE households (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    household_id INTEGER NOT NULL,
    head_person_id INTEGER,
    postal_code TEXT,
    address_line TEXT NOT NULL,
    katagaki TEXT,
    PRIMARY KEY (municipality_code, household_id)
) STRICT;

CREATE TABLE persons (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    person_id INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    resident_record_code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_search TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    kana_key TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    relationship TEXT NOT NULL,
    nationality TEXT NOT NULL,
    status_of_residence TEXT,
    period_of_stay_until TEXT,
    postal_code TEXT,
    address_line TEXT NOT NULL,
    katagaki TEXT,
    status TEXT NOT NULL CHECK (status IN ('resident', 'moved_out', 'deceased')),
    resident_from TEXT NOT NULL,
    removed_on TEXT,
    last_movement_id INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, person_id),
    UNIQUE (municipality_code, resident_record_code),
    FOREIGN KEY (municipality_code, household_id) REFERENCES households (municipality_code, household_id)
) STRICT;
CREATE INDEX persons_kana ON persons (municipality_code, kana_key);
CREATE INDEX persons_birth ON persons (municipality_code, birth_date);
CREATE INDEX persons_household ON persons (municipality_code, household_id);

CREATE TABLE movements (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    movement_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    notified_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    cancels_movement_id INTEGER,
    payload TEXT NOT NULL,
    PRIMARY KEY (municipality_code, movement_id)
) STRICT;

CREATE TABLE movement_persons (
    municipality_code TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    movement_id INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, person_id, movement_id),
    FOREIGN KEY (municipality_code, movement_id) REFERENCES movements (municipality_code, movement_id)
) STRICT;

CREATE TABLE movement_households (
    municipality_code TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    movement_id INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, household_id, movement_id),
    FOREIGN KEY (municipality_code, movement_id) REFERENCES movements (municipality_code, movement_id)
) STRICT;
