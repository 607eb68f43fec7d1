-- 口座振替 (collection-v1, "Direct debit"): the municipality's consignor
-- data for the 全銀協 files and the addressees' bank accounts, and the
-- demands (督促). Never updated: a change is a new version, the highest in
-- force; a demand is issued once.

-- 収納の設定: the municipality's 委託者 data (委託者コード, 委託者名 in
-- half-width kana, its bank account) and the 督促手数料.
CREATE TABLE collection_settings (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    version_no BIGINT NOT NULL,
    consignor_code TEXT NOT NULL,
    consignor_name_kana TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    bank_name_kana TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    branch_name_kana TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    demand_fee BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, version_no)
);

-- 口座振替の口座: an addressee's account from valid_from for the listed
-- businesses (space-separated; empty: direct debit ended). On a day, the
-- registration with the latest valid_from not after it (then the highest
-- version) is in force.
CREATE TABLE collection_bank_accounts (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    addressee_id BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    bank_code TEXT NOT NULL,
    bank_name_kana TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    branch_name_kana TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    businesses TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, addressee_id, version_no)
);

-- 督促: the demand (督促状) issued for a charge, once: its day and the
-- demand fee of the settings then in force. A charge's demanded_on.
CREATE TABLE collection_demands (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    charge_id BIGINT NOT NULL,
    demanded_on TEXT NOT NULL,
    demand_fee BIGINT NOT NULL,
    balance BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, charge_id),
    FOREIGN KEY (municipality_code, charge_id) REFERENCES collection_charges (municipality_code, charge_id)
);

-- The charges of one due date (the transfer request, the demands).
CREATE INDEX collection_charges_due ON collection_charges (municipality_code, due_date);
