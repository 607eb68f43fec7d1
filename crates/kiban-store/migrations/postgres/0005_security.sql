-- Security: each municipality's keys (stored only wrapped by the service's
-- master key, which is never in the database), the 個人番号 sealed with
-- them, and the second factor (TOTP) of staff accounts.

-- Per-municipality data key (XChaCha20-Poly1305) and keyed-hash key
-- (HMAC-SHA256), each wrapped by the master key.
CREATE TABLE tenant_keys (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    key_version BIGINT NOT NULL,
    wrapped_data_key BYTEA NOT NULL,
    wrapped_index_key BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, key_version)
);

-- 個人番号: sealed under the municipality's data key, bound to
-- (municipality_code, person_id, version) through the associated data, and
-- searchable only through its keyed hash. A new number is a new version; no
-- row is ever updated.
CREATE TABLE individual_numbers (
    municipality_code TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    movement_id BIGINT NOT NULL,
    sealed_number BYTEA NOT NULL,
    number_hash TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, person_id, version),
    FOREIGN KEY (municipality_code, person_id) REFERENCES persons (municipality_code, person_id),
    FOREIGN KEY (municipality_code, movement_id) REFERENCES movements (municipality_code, movement_id)
);
CREATE INDEX individual_numbers_hash ON individual_numbers (municipality_code, number_hash);

-- TOTP second factor: the secret sealed like a 個人番号; the last time step
-- accepted, so that a code cannot be used twice.
ALTER TABLE staff_accounts ADD COLUMN totp_sealed_secret BYTEA;
ALTER TABLE staff_accounts ADD COLUMN totp_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff_accounts ADD COLUMN totp_last_step BIGINT;

-- A session that has passed the password but still has to enrol its second
-- factor: it opens the enrolment screen and nothing else.
ALTER TABLE staff_tokens ADD COLUMN enrolment_only BIGINT NOT NULL DEFAULT 0;
