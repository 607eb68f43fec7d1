-- The income records of one payer (特別徴収義務者) in a fiscal year, in the
-- order they were recorded: the 特別徴収税額決定通知書 job reads each
-- employer's reports (its address, its employees' addresses on 1 January)
-- by this index.
CREATE INDEX income_records_payer ON income_records
    (municipality_code, fiscal_year, payer_number, record_id);
