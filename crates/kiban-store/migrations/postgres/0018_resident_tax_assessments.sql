-- 個人住民税: the municipality's settings per fiscal year, the assessments
-- (課税) with their versions (更正), the notice numbers and the review list.
-- Nothing here is ever updated: a new setting or a new version is a row
-- of its own.

-- 課税設定: one row per PUT; the latest version is in force. `settings`
-- is the whole settings object (every default filled in) as JSON.
CREATE TABLE resident_tax_settings (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    fiscal_year BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    settings TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, fiscal_year, version_no)
);

-- 課税台帳: one row per version of a person's assessment (1 = 当初課税).
-- calc_input is the calc-v1 `resident-tax` input the tax was calculated
-- from (the calculation and its working are calc-v1's output for it);
-- installments: `period:due_date:amount` joined by `;` (普通徴収);
-- monthly: twelve amounts June to May joined by `,` (特別徴収), empty
-- when none; flags: review codes joined by `,`.
CREATE TABLE resident_tax_assessments (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    fiscal_year BIGINT NOT NULL,
    addressee_id BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    assessed_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    job_id BIGINT,
    collection TEXT NOT NULL CHECK (collection IN ('special', 'ordinary', 'mixed')),
    total BIGINT NOT NULL,
    special_total BIGINT NOT NULL,
    ordinary_total BIGINT NOT NULL,
    non_taxable TEXT NOT NULL,
    payer_number TEXT,
    notice_number TEXT,
    installments TEXT NOT NULL,
    monthly TEXT NOT NULL,
    flags TEXT NOT NULL,
    calc_input TEXT NOT NULL,
    PRIMARY KEY (municipality_code, fiscal_year, addressee_id, version_no)
);
CREATE INDEX resident_tax_assessments_payer ON resident_tax_assessments (municipality_code, fiscal_year, payer_number);

-- 通知書番号: one per person, business and fiscal year (12 digits).
CREATE TABLE resident_tax_notice_numbers (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    fiscal_year BIGINT NOT NULL,
    addressee_id BIGINT NOT NULL,
    notice_number TEXT NOT NULL,
    PRIMARY KEY (municipality_code, fiscal_year, addressee_id),
    UNIQUE (municipality_code, notice_number)
);

-- 扶養親族の記載: the dependents each version took (name key and birth
-- date), to find a dependent claimed by two taxpayers.
CREATE TABLE resident_tax_dependent_claims (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    fiscal_year BIGINT NOT NULL,
    claim_key TEXT NOT NULL,
    addressee_id BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    PRIMARY KEY (municipality_code, fiscal_year, claim_key, addressee_id, version_no)
);

-- 要確認: a version assessed with an inconsistency, one row per finding.
CREATE TABLE resident_tax_reviews (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    fiscal_year BIGINT NOT NULL,
    addressee_id BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    code TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, fiscal_year, addressee_id, version_no, code)
);
