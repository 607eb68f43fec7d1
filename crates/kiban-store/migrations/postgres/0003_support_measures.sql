-- 支援措置 (support measures for victims of domestic violence, stalking,
-- child abuse and similar): a platform rule that every business consults
-- before it shows a person's address or issues a certificate. Rows are never
-- updated or deleted: a measure is recorded with its period, and ending it
-- early is a second, separate record.

CREATE TABLE support_measures (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    measure_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('domestic_violence', 'stalking', 'child_abuse', 'other')),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, measure_id),
    FOREIGN KEY (municipality_code, person_id) REFERENCES persons (municipality_code, person_id)
);
CREATE INDEX support_measures_person ON support_measures (municipality_code, person_id);

CREATE TABLE support_measure_ends (
    municipality_code TEXT NOT NULL,
    measure_id BIGINT NOT NULL,
    ended_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, measure_id),
    FOREIGN KEY (municipality_code, measure_id) REFERENCES support_measures (municipality_code, measure_id)
);
