-- 収納・滞納 (collection-v1): one receivable ledger per municipality.
-- Nothing here is ever updated or deleted: a charge's new amount is a row
-- of collection_charge_amounts, money moves by new allocations (negative
-- where it leaves a target), and every file and payment stays as received.

-- 調定: one installment of one business for one addressee. A late fee
-- (business `late_fee`) names the charge it arose from (origin_charge_id)
-- and carries its fiscal year, notice number and period.
CREATE TABLE collection_charges (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    charge_id INTEGER NOT NULL,
    addressee_id INTEGER NOT NULL,
    business TEXT NOT NULL CHECK (business IN ('resident_tax', 'fixed_asset_tax', 'light_vehicle_tax', 'nhi_tax', 'late_fee')),
    fiscal_year INTEGER NOT NULL,
    notice_number TEXT NOT NULL,
    period INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    origin_charge_id INTEGER,
    source_event_id INTEGER,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, charge_id),
    FOREIGN KEY (municipality_code, origin_charge_id) REFERENCES collection_charges (municipality_code, charge_id)
) STRICT;
CREATE INDEX collection_charges_addressee ON collection_charges (municipality_code, addressee_id);
CREATE INDEX collection_charges_notice ON collection_charges (municipality_code, notice_number, period);

-- 調定額: every amount a charge has had; the highest version is in force.
CREATE TABLE collection_charge_amounts (
    municipality_code TEXT NOT NULL,
    charge_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    effective_on TEXT NOT NULL,
    source_event_id INTEGER,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, charge_id, version_no),
    FOREIGN KEY (municipality_code, charge_id) REFERENCES collection_charges (municipality_code, charge_id)
) STRICT;

-- The versions of the businesses' assessments the ledger applied (one row
-- per version), so that an event handled again changes nothing.
CREATE TABLE collection_assessments (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    business TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    addressee_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, business, fiscal_year, addressee_id, version_no)
) STRICT;

-- 収納ファイル: one row per payments file imported (its SHA-256 unique).
CREATE TABLE collection_payment_files (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    file_id INTEGER NOT NULL,
    format TEXT NOT NULL,
    digest TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, file_id),
    UNIQUE (municipality_code, digest)
) STRICT;

-- 収納: money received. fingerprint identifies a record for the duplicate
-- check (barcode or notice number and period, day, store or channel,
-- amount); raw is the record as received.
CREATE TABLE collection_payments (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    payment_id INTEGER NOT NULL,
    file_id INTEGER,
    record_no INTEGER,
    paid_on TEXT NOT NULL,
    amount INTEGER NOT NULL,
    channel TEXT NOT NULL,
    store_code TEXT,
    fingerprint TEXT NOT NULL,
    raw TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, payment_id),
    FOREIGN KEY (municipality_code, file_id) REFERENCES collection_payment_files (municipality_code, file_id)
) STRICT;
CREATE INDEX collection_payments_fingerprint ON collection_payments (municipality_code, fingerprint);

-- 過誤納金: what a payment brought beyond what its charges could take.
CREATE TABLE collection_overpayments (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    overpayment_id INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    addressee_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, overpayment_id),
    FOREIGN KEY (municipality_code, payment_id) REFERENCES collection_payments (municipality_code, payment_id)
) STRICT;
CREATE INDEX collection_overpayments_addressee ON collection_overpayments (municipality_code, addressee_id);

-- 未消込: a payment whose charge could not be found, with the reason.
CREATE TABLE collection_suspense (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    suspense_id INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, suspense_id),
    FOREIGN KEY (municipality_code, payment_id) REFERENCES collection_payments (municipality_code, payment_id)
) STRICT;

-- 消込: an amount of a payment put to a charge, an overpayment or
-- suspense (target_kind, target_id); negative where it leaves it again.
CREATE TABLE collection_allocations (
    municipality_code TEXT NOT NULL,
    payment_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('charge', 'overpayment', 'suspense')),
    target_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, payment_id, line_no),
    FOREIGN KEY (municipality_code, payment_id) REFERENCES collection_payments (municipality_code, payment_id)
) STRICT;
CREATE INDEX collection_allocations_target ON collection_allocations (municipality_code, target_kind, target_id);

-- 充当: an amount of an overpayment applied to a charge (negative where a
-- reduced charge gives it back).
CREATE TABLE collection_appropriations (
    municipality_code TEXT NOT NULL,
    overpayment_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    charge_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, overpayment_id, line_no),
    FOREIGN KEY (municipality_code, overpayment_id) REFERENCES collection_overpayments (municipality_code, overpayment_id),
    FOREIGN KEY (municipality_code, charge_id) REFERENCES collection_charges (municipality_code, charge_id)
) STRICT;
CREATE INDEX collection_appropriations_charge ON collection_appropriations (municipality_code, charge_id);
