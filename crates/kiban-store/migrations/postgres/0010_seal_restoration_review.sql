-- 印鑑登録: a registration abolished ex officio by a 転出 (or 死亡) that the
-- registry later cancels (取消し) is not silently registered again: its
-- card may have been returned or destroyed at the counter meanwhile. It
-- goes to `restoration_review` (転出取消により復活確認待ち), on the seal
-- clerk's review list, until a clerk restores it or confirms the
-- abolition, each with a reason (the new column `reason`).
ALTER TABLE seal_registration_states DROP CONSTRAINT seal_registration_states_status_check;
ALTER TABLE seal_registration_states ADD CONSTRAINT seal_registration_states_status_check
    CHECK (status IN ('awaiting_reply', 'registered', 'abolished', 'expired', 'restoration_review'));
ALTER TABLE seal_registration_states ADD COLUMN reason TEXT;
-- The review list: the few states awaiting a clerk's review.
CREATE INDEX seal_registration_states_review ON seal_registration_states (municipality_code, registration_id)
    WHERE status = 'restoration_review';
