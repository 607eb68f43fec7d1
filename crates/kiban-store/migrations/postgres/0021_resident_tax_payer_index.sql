-- The employer index of the assessments covers only the rows that have an
-- employer (特別徴収). As a full index on (municipality, year, payer) it
-- shared its first two columns with the primary key, and a planner with
-- statistics taken before the year's assessments were written (the annual
-- job writes them all at once) took it for statements by addressee,
-- filtering every assessment of the year for each one (a quadratic review
-- of dependents claimed twice). Partial, it serves only statements that
-- name an employer.
DROP INDEX resident_tax_assessments_payer;
CREATE INDEX resident_tax_assessments_payer ON resident_tax_assessments (municipality_code, fiscal_year, payer_number)
    WHERE payer_number IS NOT NULL;
