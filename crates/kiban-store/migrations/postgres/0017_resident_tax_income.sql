-- Income records of the resident tax (所得情報, contract resident-tax-v1
-- "Income records"): the files imported and their rows, matched to
-- addressees. Nothing here is ever updated: a clerk's assignment of an
-- unmatched row (突合) is a row of its own that points at the row it
-- assigns (origin_id), and a corrected report (same person, source and
-- payer_number) is a later row that takes precedence when reading.

-- One row per income-csv-v1 file imported; the SHA-256 of its bytes
-- refuses the same file a second time.
CREATE TABLE income_files (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    file_id BIGINT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    digest TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, file_id),
    UNIQUE (municipality_code, digest)
);

-- One row per income record, or per assignment of one. record_id orders
-- the rows; origin_id is the record_id of the report row this row carries
-- (itself for a row of a file or of an entry, the assigned row for an
-- assignment), and orders reports for the replacement rule. addressee_id
-- is NULL while unmatched; status: matched, unmatched, ambiguous
-- (candidates: the addressee numbers, space-separated) or assigned.
-- payer_number is '' when none was given. The 個人番号 is sealed
-- (aad `income_record_number:M:ID`) with a keyed hash; record is the
-- IncomeRecord as JSON without it.
CREATE TABLE income_records (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    record_id BIGINT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    origin_id BIGINT NOT NULL,
    file_id BIGINT,
    row_no BIGINT,
    addressee_id BIGINT,
    status TEXT NOT NULL CHECK (status IN ('matched', 'unmatched', 'ambiguous', 'assigned')),
    candidates TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('salary_report', 'pension_report', 'declaration')),
    payer_number TEXT NOT NULL,
    number_hash TEXT,
    number_sealed BYTEA,
    record TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT,
    PRIMARY KEY (municipality_code, record_id),
    FOREIGN KEY (municipality_code, file_id) REFERENCES income_files (municipality_code, file_id)
);
CREATE INDEX income_records_addressee ON income_records
    (municipality_code, fiscal_year, addressee_id, source, payer_number, origin_id);
CREATE INDEX income_records_origin ON income_records (municipality_code, origin_id, record_id);
CREATE INDEX income_records_status ON income_records (municipality_code, fiscal_year, status, record_id);
