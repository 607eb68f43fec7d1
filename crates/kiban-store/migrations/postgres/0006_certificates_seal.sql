-- Certificates (証明書の交付履歴) and seal registration (印鑑登録).
-- Nothing here is updated or deleted: a seal registration's changes of
-- state are new rows of seal_registration_states, and every issued
-- certificate is one row of certificates.

-- Who certifies the municipality's certificates (認証者): the mayor's
-- title and name, and the image of the official seal (公印). History is
-- kept: the row with the highest version is in force.
CREATE TABLE certifier_settings (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    version BIGINT NOT NULL,
    mayor_title TEXT NOT NULL,
    mayor_name TEXT NOT NULL,
    official_seal_png BYTEA,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, version)
);

-- 交付履歴: one row per issued certificate.
CREATE TABLE certificates (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    certificate_id BIGINT NOT NULL,
    number_year BIGINT NOT NULL,
    number_serial BIGINT NOT NULL,
    certificate_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_by_role TEXT NOT NULL,
    household_id BIGINT,
    seal_registration_id BIGINT,
    items TEXT NOT NULL,
    purpose TEXT,
    verification_code TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    page_count BIGINT NOT NULL,
    PRIMARY KEY (municipality_code, certificate_id),
    UNIQUE (municipality_code, number_year, number_serial),
    UNIQUE (municipality_code, verification_code)
);

-- For whom a certificate was issued, in the order printed.
CREATE TABLE certificate_persons (
    municipality_code TEXT NOT NULL,
    certificate_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    PRIMARY KEY (municipality_code, certificate_id, position),
    FOREIGN KEY (municipality_code, certificate_id) REFERENCES certificates (municipality_code, certificate_id)
);
CREATE INDEX certificate_persons_person ON certificate_persons (municipality_code, person_id);

-- 印鑑登録: one row per application, with the impression (印影) as PNG.
CREATE TABLE seal_registrations (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    registration_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    procedure TEXT NOT NULL CHECK (procedure IN ('identity_verified', 'inquiry')),
    impression_png BYTEA NOT NULL,
    impression_sha256 TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, registration_id)
);
CREATE INDEX seal_registrations_person ON seal_registrations (municipality_code, person_id);

-- The states of a registration, one row per change (never updated).
CREATE TABLE seal_registration_states (
    municipality_code TEXT NOT NULL,
    registration_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_reply', 'registered', 'abolished', 'expired')),
    change TEXT NOT NULL,
    seal_card_number TEXT,
    reply_due_on TEXT,
    effective_on TEXT NOT NULL,
    source_event_id BIGINT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, registration_id, version),
    FOREIGN KEY (municipality_code, registration_id) REFERENCES seal_registrations (municipality_code, registration_id)
);
CREATE INDEX seal_registration_states_card ON seal_registration_states (municipality_code, seal_card_number);

-- 成年被後見人: whether a person may not register a seal, as recorded from
-- the notices received (one row per change; the highest version is in force).
CREATE TABLE seal_capacity_records (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    person_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    adult_ward BIGINT NOT NULL CHECK (adult_ward IN (0, 1)),
    effective_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, person_id, version)
);
