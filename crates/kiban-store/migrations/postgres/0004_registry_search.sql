-- Search of the resident registry (住民検索): prefix ranges on the kana key,
-- the name and the address line each use an index. Each index also
-- carries person_id, the tie-breaker of the result order, so a search
-- reads its first rows in order and stops at the limit.
--
-- The three search columns compare by code point (COLLATE "C") whatever
-- the database's default collation: a prefix search is then a range
-- (`>= 'x' AND < 'x' || U+10FFFF`, or `LIKE 'x%'`) that a plain B-tree
-- index answers, and results sort the same on both engines.

DROP INDEX persons_kana;
ALTER TABLE persons
    ALTER COLUMN kana_key TYPE TEXT COLLATE "C",
    ALTER COLUMN name_search TYPE TEXT COLLATE "C",
    ALTER COLUMN address_line TYPE TEXT COLLATE "C";
CREATE INDEX persons_kana ON persons (municipality_code, kana_key, person_id);
CREATE INDEX persons_name ON persons (municipality_code, name_search, person_id);
CREATE INDEX persons_address ON persons (municipality_code, address_line, person_id);
