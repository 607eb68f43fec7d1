-- 印鑑登録: a registration abolished ex officio by a 転出 (or 死亡) that the
-- registry later cancels (取消し) is not silently registered again: its
-- card may have been returned or destroyed at the counter meanwhile. It
-- goes to `restoration_review` (転出取消により復活確認待ち), on the seal
-- clerk's review list, until a clerk restores it or confirms the
-- abolition, each with a reason (the new column `reason`).
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- with the same rows (nothing refers to it).
CREATE TABLE seal_registration_states_new (
    municipality_code TEXT NOT NULL,
    registration_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_reply', 'registered', 'abolished', 'expired', 'restoration_review')),
    change TEXT NOT NULL,
    seal_card_number TEXT,
    reply_due_on TEXT,
    effective_on TEXT NOT NULL,
    source_event_id INTEGER,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (municipality_code, registration_id, version),
    FOREIGN KEY (municipality_code, registration_id) REFERENCES seal_registrations (municipality_code, registration_id)
) STRICT;

INSERT INTO seal_registration_states_new (
    municipality_code, registration_id, version, status, change, seal_card_number,
    reply_due_on, effective_on, source_event_id, recorded_at, recorded_by
)
SELECT municipality_code, registration_id, version, status, change, seal_card_number,
    reply_due_on, effective_on, source_event_id, recorded_at, recorded_by
FROM seal_registration_states;

DROP TABLE seal_registration_states;
ALTER TABLE seal_registration_states_new RENAME TO seal_registration_states;
CREATE INDEX seal_registration_states_card ON seal_registration_states (municipality_code, seal_card_number);
-- The review list: the few states awaiting a clerk's review.
CREATE INDEX seal_registration_states_review ON seal_registration_states (municipality_code, registration_id)
    WHERE status = 'restoration_review';
