-- Search of the resident registry (住民検索): prefix ranges on the kana key,
-- the name and the address line each use an index. Each index also
-- carries person_id, the tie-breaker of the result order, so a search
-- reads its first rows in order and stops at the limit.

DROP INDEX persons_kana;
CREATE INDEX persons_kana ON persons (municipality_code, kana_key, person_id);
CREATE INDEX persons_name ON persons (municipality_code, name_search, person_id);
CREATE INDEX persons_address ON persons (municipality_code, address_line, person_id);
