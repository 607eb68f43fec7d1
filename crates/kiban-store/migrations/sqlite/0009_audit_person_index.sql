-- The access log's index by person (利用履歴の本人別索引), kept apart from
-- the log and filled in sorted chunks.
--
-- An index on audit_log (municipality_code, person_id, entry_id) put every
-- new entry on a random page of the index: a batch of a few hundred
-- entries (the reads of the moment, see kiban_audit's group commit) wrote
-- a few hundred pages to SQLite's log, most of the batch's cost.
-- Now the log is appended alone, and its entries are added to this index
-- a chunk at a time, sorted by person, so that the entries about one
-- person in a chunk share a page (kiban_audit's index_if_due).
-- audit_log_indexed holds how far each municipality's log is indexed; the
-- entries after that point are read from the log itself, found by entry
-- number. The rows are copied from audit_log, whose municipality_code
-- already refers to municipalities: no foreign key here, whose check
-- would cost a lookup per entry.
CREATE TABLE audit_log_persons (
    municipality_code TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, person_id, entry_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log_indexed (
    municipality_code TEXT NOT NULL PRIMARY KEY REFERENCES municipalities (municipality_code),
    through_entry_id INTEGER NOT NULL
) STRICT;

INSERT INTO audit_log_persons (municipality_code, person_id, entry_id)
SELECT municipality_code, person_id, entry_id FROM audit_log
WHERE person_id IS NOT NULL
ORDER BY municipality_code, person_id, entry_id;

INSERT INTO audit_log_indexed (municipality_code, through_entry_id)
SELECT municipality_code, MAX(entry_id) FROM audit_log GROUP BY municipality_code;

DROP INDEX audit_log_person;
