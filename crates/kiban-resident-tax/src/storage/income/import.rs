//! Importing an `income-csv-v1` file: parsed (every problem, or nothing),
//! refused when the same bytes were imported before, each row matched to
//! an addressee, stored with the file in one transaction, and an access-log
//! entry for every person a row was recorded about.

use kiban_addressee::domain::AddresseeId;
use kiban_addressee::storage::{
    BasicKeys, addressees_matching, addressees_with_individual_numbers,
};
use kiban_audit::{Actor, AuditAction};
use kiban_core::{FiscalYear, IndividualNumber, Message};
use kiban_store::{Arg, StoreError, TenantDb, TenantTx};
use kiban_tax_resident::ResidentTaxError;
use sha2::{Digest, Sha256};

use crate::domain::income::{IncomeFileError, IncomeRecord, parse_income_csv};
use crate::domain::matching::{MatchOutcome, decide, needs_basic_info};

use super::{FILE_SEQUENCE, MatchStatus, NewRow, insert_rows};

/// Rows matched per round of look-ups (bounds the size of each statement
/// and of what is held at once besides the records).
const MATCH_CHUNK: usize = 5_000;

/// One row of the report that did not match exactly one addressee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    /// The row in the file (the first data row is 1).
    pub row: usize,
    /// `unmatched` or `ambiguous`.
    pub code: &'static str,
    /// The addressees it matched (ambiguous), in number order.
    pub candidates: Vec<AddresseeId>,
    /// The stored record (its number in the 突合 queue).
    pub record_id: i64,
}

/// What an import did (the contract's report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The file's number.
    pub file_id: i64,
    /// The fiscal year imported into.
    pub fiscal_year: FiscalYear,
    /// The SHA-256 of the file, hex.
    pub digest: String,
    /// Rows read (every one stored).
    pub rows: usize,
    /// Rows matched to one addressee.
    pub matched: usize,
    /// Rows that matched nobody.
    pub unmatched: usize,
    /// Rows that matched several addressees.
    pub ambiguous: usize,
    /// The unmatched and ambiguous rows, in file order.
    pub issues: Vec<ImportIssue>,
}

impl ImportReport {
    /// The report as the contract writes it (`rows`, `matched`,
    /// `unmatched`, `ambiguous`, `issues` of `row`, `code`, `candidates`),
    /// with the file's number, fiscal year and digest and each issue's
    /// `record_id` added.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file_id": self.file_id,
            "fiscal_year": self.fiscal_year.start_year(),
            "digest": self.digest,
            "rows": self.rows,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "issues": self.issues.iter().map(|i| serde_json::json!({
                "row": i.row,
                "code": i.code,
                "candidates": i.candidates.iter().map(|c| c.get()).collect::<Vec<_>>(),
                "record_id": i.record_id,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Why an income file was not imported (nothing of it is stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No rule data for the fiscal year (the calculation could not use it).
    #[error(transparent)]
    NoRules(#[from] ResidentTaxError),
    /// The file is malformed: every problem, with row and column.
    #[error(transparent)]
    Malformed(#[from] IncomeFileError),
    /// The same file (same bytes) was imported before.
    #[error("the same income file was imported before as file {file_id}")]
    Duplicate {
        /// The earlier import's file number.
        file_id: i64,
        /// The fiscal year it went into.
        fiscal_year: i64,
        /// When.
        imported_at: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// The catalogue's message.
    pub fn message(&self) -> Message {
        match self {
            ImportError::NoRules(e) => e.message(),
            ImportError::Malformed(e) => Message::IncomeFileMalformed {
                count: e.total.to_string(),
                first: e
                    .issues
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            },
            ImportError::Duplicate {
                file_id,
                fiscal_year,
                imported_at,
            } => Message::IncomeFileDuplicate {
                file_id: file_id.to_string(),
                fiscal_year: fiscal_year.to_string(),
                imported_at: imported_at.clone(),
            },
            ImportError::Store(e) => e.message(),
        }
    }
}

/// Refuses a fiscal year for which the calculation has no rule data (the
/// resident tax's or the income's).
pub fn check_rules(fiscal_year: FiscalYear) -> Result<(), ResidentTaxError> {
    kiban_tax_resident::RESIDENT_TAX_RULES.for_year(fiscal_year.start_year())?;
    kiban_income::rules_for(fiscal_year)?;
    Ok(())
}

/// Imports an `income-csv-v1` file into `fiscal_year` (所得情報の取込):
/// all rows or none, in one transaction.
pub async fn import_income_file(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    bytes: &[u8],
) -> Result<ImportReport, ImportError> {
    check_rules(fiscal_year)?;
    let records = parse_income_csv(bytes)?;
    let digest = hex::encode(Sha256::digest(bytes));
    let mut tx = tenant.begin().await?;
    if let Some(earlier) = tx
        .fetch_optional(
            "SELECT file_id, fiscal_year, imported_at FROM income_files \
             WHERE municipality_code = $1 AND digest = $2",
            &[Arg::Text(digest.clone())],
        )
        .await?
    {
        let error = ImportError::Duplicate {
            file_id: earlier.int(0)?,
            fiscal_year: earlier.int(1)?,
            imported_at: earlier.text(2)?,
        };
        tx.rollback().await?;
        return Err(error);
    }
    let outcomes = match_records(&mut tx, &records).await?;
    let file_id = tx.next_numbers(FILE_SEQUENCE, 1).await?;
    tx.insert_rows(
        "income_files",
        &[
            "file_id",
            "fiscal_year",
            "digest",
            "row_count",
            "imported_at",
            "imported_by",
        ],
        &[vec![
            Arg::Int(file_id),
            Arg::Int(i64::from(fiscal_year.start_year())),
            Arg::Text(digest.clone()),
            Arg::Int(i64::try_from(records.len()).unwrap_or(i64::MAX)),
            Arg::Text(kiban_store::now_text()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    let rows: Vec<NewRow<'_>> = records
        .iter()
        .zip(&outcomes)
        .enumerate()
        .map(|(i, (record, outcome))| {
            let (addressee, status) = match outcome {
                MatchOutcome::Matched(id) => (Some(*id), MatchStatus::Matched),
                MatchOutcome::Unmatched => (None, MatchStatus::Unmatched),
                MatchOutcome::Ambiguous(ids) => (None, MatchStatus::Ambiguous(ids.clone())),
            };
            NewRow {
                row_no: Some(i + 1),
                addressee,
                status,
                origin: None,
                record,
            }
        })
        .collect();
    let ids = insert_rows(&mut tx, fiscal_year, Some(file_id), &rows, None).await?;
    let mut report = ImportReport {
        file_id,
        fiscal_year,
        digest,
        rows: records.len(),
        matched: 0,
        unmatched: 0,
        ambiguous: 0,
        issues: Vec::new(),
    };
    let mut entries = Vec::new();
    for (i, (outcome, record_id)) in outcomes.iter().zip(&ids).enumerate() {
        match outcome {
            MatchOutcome::Matched(id) => {
                report.matched += 1;
                entries.push(actor.entry(
                    AuditAction::Change,
                    i64::try_from(id.get()).ok(),
                    format!("resident_tax income_record {record_id} file {file_id}"),
                ));
            }
            MatchOutcome::Unmatched => report.unmatched += 1,
            MatchOutcome::Ambiguous(_) => report.ambiguous += 1,
        }
        if let MatchOutcome::Unmatched | MatchOutcome::Ambiguous(_) = outcome {
            report.issues.push(ImportIssue {
                row: i + 1,
                code: outcome.code(),
                candidates: match outcome {
                    MatchOutcome::Ambiguous(ids) => ids.clone(),
                    _ => Vec::new(),
                },
                record_id: *record_id,
            });
        }
    }
    if report.unmatched + report.ambiguous > 0 {
        entries.push(actor.entry(
            AuditAction::Change,
            None,
            format!(
                "resident_tax income_file {file_id} unmatched {} ambiguous {}",
                report.unmatched, report.ambiguous
            ),
        ));
    }
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(report)
}

/// Matches every record (by 個人番号 when it has one and it finds someone,
/// else by フリガナ, 生年月日 and the address on 1 January), in order.
pub(crate) async fn match_records(
    tx: &mut TenantTx,
    records: &[IncomeRecord],
) -> Result<Vec<MatchOutcome>, StoreError> {
    let mut out = Vec::with_capacity(records.len());
    for chunk in records.chunks(MATCH_CHUNK) {
        let numbered: Vec<(usize, IndividualNumber)> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.individual_number.clone().map(|n| (i, n)))
            .collect();
        let numbers: Vec<IndividualNumber> = numbered.iter().map(|(_, n)| n.clone()).collect();
        let found = addressees_with_individual_numbers(tx, &numbers).await?;
        let mut by_number: Vec<Option<Vec<AddresseeId>>> = vec![None; chunk.len()];
        for ((i, _), ids) in numbered.iter().zip(found) {
            if let Some(slot) = by_number.get_mut(*i) {
                *slot = Some(ids);
            }
        }
        let wanted: Vec<usize> = (0..chunk.len())
            .filter(|i| needs_basic_info(by_number.get(*i).and_then(|v| v.as_deref())))
            .collect();
        let queries: Vec<BasicKeys<'_>> = wanted
            .iter()
            .filter_map(|i| chunk.get(*i))
            .map(|r| BasicKeys {
                name_kana: &r.name_kana,
                birth_date: r.birth_date,
                address_line: &r.address_on_jan1,
            })
            .collect();
        let matched = addressees_matching(tx, &queries).await?;
        let mut by_basic: Vec<Vec<AddresseeId>> = vec![Vec::new(); chunk.len()];
        for (i, ids) in wanted.iter().zip(matched) {
            if let Some(slot) = by_basic.get_mut(*i) {
                *slot = ids;
            }
        }
        for (number, basic) in by_number.iter().zip(&by_basic) {
            out.push(decide(number.as_deref(), basic));
        }
    }
    Ok(out)
}

/// What an entered record (住民税申告 at the counter) became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    /// The stored record's number.
    pub record_id: i64,
    /// How it matched.
    pub outcome: MatchOutcome,
}

/// Records one income record entered by a clerk (住民税申告の入力),
/// matched like a row of a file, in one transaction, with a `change` entry
/// about the person when it matched (else one without a person, and the
/// record waits in the 突合 queue).
pub async fn enter_record(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    record: &IncomeRecord,
) -> Result<Entered, ImportError> {
    check_rules(fiscal_year)?;
    let mut tx = tenant.begin().await?;
    let outcome = match_records(&mut tx, std::slice::from_ref(record))
        .await?
        .into_iter()
        .next()
        .unwrap_or(MatchOutcome::Unmatched);
    let (addressee, status) = match &outcome {
        MatchOutcome::Matched(id) => (Some(*id), MatchStatus::Matched),
        MatchOutcome::Unmatched => (None, MatchStatus::Unmatched),
        MatchOutcome::Ambiguous(ids) => (None, MatchStatus::Ambiguous(ids.clone())),
    };
    let ids = insert_rows(
        &mut tx,
        fiscal_year,
        None,
        &[NewRow {
            row_no: None,
            addressee,
            status,
            origin: None,
            record,
        }],
        Some(&actor.login),
    )
    .await?;
    let record_id = ids.first().copied().unwrap_or(0);
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            addressee.and_then(|id| i64::try_from(id.get()).ok()),
            format!("resident_tax income_record {record_id} entered"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Entered { record_id, outcome })
}
