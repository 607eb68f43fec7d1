-- The addressee master (宛名管理): non-residents (住登外者) and their
-- versions, 名寄せ records, mailing addresses (送付先) per business, and the
-- search index of every addressee (residents' entries kept by the consumer
-- of the registry's events). A non-resident's addressee_id comes from the
-- registry's person counter (`person_id`), so it never equals a resident's.

CREATE TABLE addressees (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    addressee_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'non_resident'),
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, addressee_id)
) STRICT;

-- 宛名基本情報更新履歴: one row per version, never updated.
CREATE TABLE addressee_versions (
    municipality_code TEXT NOT NULL,
    addressee_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    effective_date TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    postal_code TEXT,
    address_line TEXT NOT NULL,
    katagaki TEXT,
    PRIMARY KEY (municipality_code, addressee_id, version_no),
    FOREIGN KEY (municipality_code, addressee_id) REFERENCES addressees (municipality_code, addressee_id)
) STRICT;

-- A non-resident's 個人番号: sealed under the municipality's keys, with a
-- keyed hash to find the addressee by number. One row per version given.
CREATE TABLE addressee_individual_numbers (
    municipality_code TEXT NOT NULL,
    addressee_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    number_hash TEXT NOT NULL,
    sealed BLOB NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, addressee_id, version_no),
    FOREIGN KEY (municipality_code, addressee_id) REFERENCES addressees (municipality_code, addressee_id)
) STRICT;
CREATE INDEX addressee_individual_numbers_hash ON addressee_individual_numbers (municipality_code, number_hash);

-- 名寄せ履歴: merges and unmerges in order; the last record of an
-- addressee is its state.
CREATE TABLE addressee_merges (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    record_no INTEGER NOT NULL,
    addressee_id INTEGER NOT NULL,
    into_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('merge', 'unmerge')),
    reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, record_no)
) STRICT;
CREATE INDEX addressee_merges_addressee ON addressee_merges (municipality_code, addressee_id, record_no);
CREATE INDEX addressee_merges_into ON addressee_merges (municipality_code, into_id, record_no);

-- 送付先・納税管理人・代納人: one row per setting, never updated.
CREATE TABLE mailing_addresses (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    record_no INTEGER NOT NULL,
    addressee_id INTEGER NOT NULL,
    business TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mailing', 'tax_agent', 'payer_proxy')),
    name TEXT NOT NULL,
    postal_code TEXT,
    address_line TEXT NOT NULL,
    katagaki TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, record_no)
) STRICT;
CREATE INDEX mailing_addresses_addressee ON mailing_addresses (municipality_code, addressee_id, record_no);

-- The search index: one row per addressee with its current view (derived:
-- rebuilt from the registry and the tables above).
CREATE TABLE addressee_index (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    addressee_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('resident', 'former_resident', 'non_resident')),
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    postal_code TEXT,
    address_line TEXT NOT NULL,
    katagaki TEXT,
    PRIMARY KEY (municipality_code, addressee_id)
) STRICT;

-- Matching keys of every current and past value (domain::keys), compared
-- by code point: a typed prefix is a range of one B-tree index.
CREATE TABLE addressee_keys (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    field TEXT NOT NULL,
    key TEXT NOT NULL,
    addressee_id INTEGER NOT NULL,
    current INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, field, key, addressee_id)
) STRICT;
CREATE INDEX addressee_keys_addressee ON addressee_keys (municipality_code, addressee_id);
