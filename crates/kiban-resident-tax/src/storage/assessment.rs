//! Assessments (`resident_tax_assessments`, migration 0018): the annual
//! assessment a range of addressees at a time (the job), reassessment of
//! one person, and the reads.
//!
//! A version is never updated: a reassessment is the next version. Each
//! version is written with its outbox event `resident_tax_assessed`, its
//! review findings and the dependents it took, in one transaction; the
//! notice number (通知書番号) is taken once per person and fiscal year from
//! the municipality's sequence `resident_tax_notice` when the person first
//! owes an ordinary part. The calculation is stored as the calc-v1 input it
//! was made from (`calc_input`); a read answers calc-v1's output for it
//! (`kiban_calc::run`), working included, and checks that its total is the
//! stored one (a year's rule file never changes).
//!
//! The annual assessment is set-based: per range of numbers, one statement
//! for the residents on 1 January (the registry's `residents_between`), one
//! for the effective income records
//! (`storage::income::effective_records_without_numbers`),
//! one for the non-residents among those with records, one for the
//! versions already there, then the calculations in memory and multi-row
//! inserts. Its access-log entry is one per range (a change without a
//! person, naming the run and the range); the versions carry the run's id.

use std::collections::{BTreeMap, BTreeSet};

use kiban_addressee::domain::AddresseeId;
use kiban_audit::{Actor, AuditAction};
use kiban_core::{Date, FiscalYear, Message, Yen};
use kiban_registry::domain::PersonId;
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx};
use kiban_tax_resident::{NonTaxable, ResidentTax, ResidentTaxInput};
use serde_json::{Value, json};

use crate::domain::assessment::{
    self, Collection, Combined, RecordFigures, ReviewFlag, Schedule, Split, TaxFigures,
};
use crate::domain::installments::{Installment, MonthlyAmount, collection_months};
use crate::domain::settings::Settings;
use crate::storage::settings::{SettingsStoreError, in_force};
use crate::wire;

/// The outbox event of a version.
pub const ASSESSED_EVENT: &str = "resident_tax_assessed";
/// The municipality's sequence of notice numbers.
pub const NOTICE_SEQUENCE: &str = "resident_tax_notice";
/// The business code of the resident tax in notice numbers and barcodes.
pub const BUSINESS_CODE: &str = "01";

/// Why an assessment operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    /// The person has no assessment that year (not liable, or not yet
    /// assessed).
    #[error("not assessed")]
    NotAssessed,
    /// The fiscal year has no rule data, or the settings are unusable.
    #[error(transparent)]
    Settings(#[from] SettingsStoreError),
    /// The person's records cannot be calculated.
    #[error("calculation failed: {0}")]
    Calculation(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AssessmentError {
    /// The catalogue's message.
    pub fn message(&self, fiscal_year: FiscalYear) -> Message {
        match self {
            AssessmentError::NotAssessed => Message::ResidentTaxNotAssessed {
                fiscal_year: fiscal_year.start_year().to_string(),
            },
            AssessmentError::Settings(SettingsStoreError::Invalid(e)) => e.message.clone(),
            AssessmentError::Settings(SettingsStoreError::Store(e)) | AssessmentError::Store(e) => {
                e.message()
            }
            AssessmentError::Calculation(detail) => Message::ResidentTaxCalculationFailed {
                detail: detail.clone(),
            },
        }
    }
}

impl From<kiban_registry::storage::RegistryError> for AssessmentError {
    fn from(e: kiban_registry::storage::RegistryError) -> Self {
        match e {
            kiban_registry::storage::RegistryError::Store(e) => AssessmentError::Store(e),
            kiban_registry::storage::RegistryError::Rejected(r) => {
                AssessmentError::Calculation(format!("{r:?}"))
            }
        }
    }
}

/// One stored version of a person's assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentVersion {
    /// 年度.
    pub fiscal_year: FiscalYear,
    /// 宛名番号.
    pub addressee_id: AddresseeId,
    /// 1 for the first assessment, then one more per reassessment.
    pub version: i64,
    /// The day of the (re)assessment.
    pub assessed_on: Date,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// The run that made it, if a job did.
    pub job_id: Option<i64>,
    /// 年税額.
    pub total: Yen,
    /// calc-v1's `non_taxable` (`none`, `income_levy`, `all`).
    pub non_taxable: String,
    /// How it is collected.
    pub schedule: Schedule,
    /// The employer collecting specially.
    pub payer_number: Option<String>,
    /// 通知書番号 (when the person owes an ordinary part).
    pub notice_number: Option<String>,
    /// Review findings.
    pub flags: Vec<ReviewFlag>,
    /// The calc-v1 `resident-tax` input.
    pub calc_input: Value,
}

impl AssessmentVersion {
    /// The calculation of the version made again from its stored calc-v1
    /// input: the input and result in the domain's types and calc-v1's
    /// output object, checked against the stored total (what the screens,
    /// the notices and the certificate show is what was assessed).
    pub fn calculation(&self) -> Result<(ResidentTaxInput, ResidentTax, Value), StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            column: "resident_tax_assessments.calc_input".into(),
            reason,
        };
        let input =
            kiban_calc::resident_tax_input(&self.calc_input).map_err(|e| corrupt(e.message))?;
        let (tax, output) =
            kiban_calc::resident_tax_typed(&input).map_err(|e| corrupt(e.message))?;
        if tax.total != self.total {
            return Err(StoreError::Corrupt {
                column: "resident_tax_assessments.total".into(),
                reason: format!(
                    "the stored total {} is not the calculation's {}",
                    self.total.get(),
                    tax.total.get()
                ),
            });
        }
        Ok((input, tax, output))
    }

    /// The version in the contract's shape (`GET …/assessments/{id}`),
    /// with the calculation made again through calc-v1 from its stored
    /// input ([`AssessmentVersion::calculation`]). Additions:
    /// `non_taxable`, `review` (the findings' codes).
    pub fn to_json(&self) -> Result<Value, StoreError> {
        let (_, _, calculation) = self.calculation()?;
        Ok(json!({
            "fiscal_year": self.fiscal_year.start_year(),
            "addressee_id": self.addressee_id.get(),
            "version": self.version,
            "assessed_on": self.assessed_on.to_string(),
            "collection": self.schedule.collection.code(),
            "calculation": calculation,
            "total": self.total.get(),
            "non_taxable": self.non_taxable,
            "installments": installments_json(&self.schedule.installments, self.notice_number.as_deref()),
            "special_collection": special_json(&self.schedule.monthly, self.payer_number.as_deref()),
            "review": self.flags.iter().map(|f| f.code()).collect::<Vec<_>>(),
        }))
    }

    /// The payload of its outbox event.
    pub fn event_payload(&self) -> Value {
        event_payload(
            self.fiscal_year,
            self.addressee_id,
            self.version,
            &self.schedule,
            self.total,
            self.payer_number.as_deref(),
            self.notice_number.as_deref(),
        )
    }
}

fn installments_json(items: &[Installment], notice_number: Option<&str>) -> Value {
    Value::Array(
        items
            .iter()
            .map(|i| {
                json!({
                    "period": i.period,
                    "due_date": i.due_date.to_string(),
                    "amount": i.amount.get(),
                    "notice_number": notice_number,
                })
            })
            .collect(),
    )
}

fn special_json(months: &[MonthlyAmount], payer_number: Option<&str>) -> Value {
    if months.is_empty() {
        return Value::Null;
    }
    json!({
        "payer_number": payer_number,
        "monthly": months.iter().map(|m| json!({"month": m.month.to_string(), "amount": m.amount.get()})).collect::<Vec<_>>(),
    })
}

fn event_payload(
    fiscal_year: FiscalYear,
    addressee_id: AddresseeId,
    version: i64,
    schedule: &Schedule,
    total: Yen,
    payer_number: Option<&str>,
    notice_number: Option<&str>,
) -> Value {
    json!({
        "fiscal_year": fiscal_year.start_year(),
        "addressee_id": addressee_id.get(),
        "addressee_ids": [addressee_id.get()],
        "version": version,
        "collection": schedule.collection.code(),
        "total": total.get(),
        "installments": installments_json(&schedule.installments, notice_number),
        "special_collection": special_json(&schedule.monthly, payer_number),
    })
}

/// `period:due_date:amount` joined by `;`.
fn encode_installments(items: &[Installment]) -> String {
    items
        .iter()
        .map(|i| format!("{}:{}:{}", i.period, i.due_date, i.amount.get()))
        .collect::<Vec<_>>()
        .join(";")
}

pub(crate) fn decode_installments(text: &str) -> Result<Vec<Installment>, StoreError> {
    let bad = || StoreError::Corrupt {
        column: "resident_tax_assessments.installments".into(),
        reason: text.chars().take(80).collect(),
    };
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(';')
        .map(|item| {
            let mut parts = item.split(':');
            let period = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
            let due_date = parts
                .next()
                .and_then(|d| kiban_core::date::parse_iso(d).ok())
                .ok_or_else(bad)?;
            let amount = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
            Ok(Installment {
                period,
                due_date,
                amount: Yen::new(amount),
            })
        })
        .collect()
}

/// Twelve amounts June to May joined by `,` (empty when none).
fn encode_monthly(fiscal_year: FiscalYear, months: &[MonthlyAmount]) -> String {
    if months.is_empty() {
        return String::new();
    }
    collection_months(fiscal_year)
        .into_iter()
        .map(|m| {
            months
                .iter()
                .find(|x| x.month == m)
                .map_or(0, |x| x.amount.get())
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_monthly(fiscal_year: FiscalYear, text: &str) -> Result<Vec<MonthlyAmount>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || StoreError::Corrupt {
        column: "resident_tax_assessments.monthly".into(),
        reason: text.chars().take(80).collect(),
    };
    let amounts: Vec<i64> = text
        .split(',')
        .map(|a| a.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let months = collection_months(fiscal_year);
    if amounts.len() != months.len() {
        return Err(bad());
    }
    Ok(months
        .into_iter()
        .zip(amounts)
        .filter(|(_, a)| *a > 0)
        .map(|(month, a)| MonthlyAmount {
            month,
            amount: Yen::new(a),
        })
        .collect())
}

fn non_taxable_code(n: NonTaxable) -> &'static str {
    match n {
        NonTaxable::None => "none",
        NonTaxable::IncomeLevy => "income_levy",
        NonTaxable::All => "all",
    }
}

/// The notice number of a person: the fiscal year's last two digits, the
/// business code and eight digits of the municipality's sequence.
fn notice_number(fiscal_year: FiscalYear, sequence: i64) -> String {
    format!(
        "{:02}{BUSINESS_CODE}{:08}",
        fiscal_year.start_year().rem_euclid(100),
        sequence.rem_euclid(100_000_000)
    )
}

/// The columns an assessment version is written with (after the
/// municipality code), in the order of its rows.
pub const ASSESSMENT_COLUMNS: [&str; 18] = [
    "fiscal_year",
    "addressee_id",
    "version_no",
    "assessed_on",
    "recorded_at",
    "recorded_by",
    "job_id",
    "collection",
    "total",
    "special_total",
    "ordinary_total",
    "non_taxable",
    "payer_number",
    "notice_number",
    "installments",
    "monthly",
    "flags",
    "calc_input",
];

const COLUMNS: &str = "addressee_id, version_no, assessed_on, recorded_at, job_id, collection, total, \
     non_taxable, payer_number, notice_number, installments, monthly, flags, calc_input";

fn read_version(fiscal_year: FiscalYear, row: &Row) -> Result<AssessmentVersion, StoreError> {
    let corrupt = |column: &str, reason: String| StoreError::Corrupt {
        column: format!("resident_tax_assessments.{column}"),
        reason,
    };
    let collection_code = row.text(5)?;
    let collection = Collection::parse(&collection_code)
        .ok_or_else(|| corrupt("collection", collection_code.clone()))?;
    let flags_text = row.text(12)?;
    let flags = flags_text
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| ReviewFlag::from_code(c).ok_or_else(|| corrupt("flags", c.to_owned())))
        .collect::<Result<Vec<_>, _>>()?;
    let calc_text = row.text(13)?;
    let calc_input: Value =
        serde_json::from_str(&calc_text).map_err(|e| corrupt("calc_input", e.to_string()))?;
    let installments = decode_installments(&row.text(10)?)?;
    let monthly = decode_monthly(fiscal_year, &row.text(11)?)?;
    Ok(AssessmentVersion {
        fiscal_year,
        addressee_id: AddresseeId::new(u64::try_from(row.int(0)?).unwrap_or(0)),
        version: row.int(1)?,
        assessed_on: kiban_core::date::parse_iso(&row.text(2)?)
            .map_err(|e| corrupt("assessed_on", e.to_string()))?,
        recorded_at: row.text(3)?,
        job_id: row.opt_int(4)?,
        total: Yen::new(row.int(6)?),
        non_taxable: row.text(7)?,
        payer_number: row.opt_text(8)?,
        notice_number: row.opt_text(9)?,
        schedule: Schedule {
            collection,
            installments,
            monthly,
            overpayment: Yen::ZERO,
        },
        flags,
        calc_input,
    })
}

/// A version about to be written.
struct NewVersion {
    version: AssessmentVersion,
    dependent_keys: Vec<String>,
}

/// Calculates one person: combined records, the tax, the split and the
/// schedule (the first, or a reassessment of `previous` on `day`).
fn calculate(
    fiscal_year: FiscalYear,
    settings: &Settings,
    birth_date: Option<Date>,
    records: &[RecordFigures],
    previous: Option<&AssessmentVersion>,
    day: Date,
) -> Result<(Combined, ResidentTax, Schedule), (String, String)> {
    let combined = assessment::combine(fiscal_year, settings, birth_date, records)
        .map_err(|e| (e.code().to_owned(), e.text().to_owned()))?;
    let tax = kiban_tax_resident::calculate(&combined.input)
        .map_err(|e| ("calculation_failed".to_owned(), e.message().text()))?;
    let fixed = tax.municipal.per_capita_levy
        + tax.prefectural.per_capita_levy
        + tax.forest_environment_tax;
    let figures = TaxFigures {
        total: tax.total,
        income_levy: (tax.total - fixed).at_least_zero(),
        employment_income: tax.income.employment_income,
        total_income: tax.income.total_income,
        salary_revenue: combined.input.taxpayer.revenues.salary_revenue,
    };
    let split: Split = assessment::split(figures, combined.special_salary_revenue);
    let schedule = match previous {
        None => assessment::first_schedule(fiscal_year, settings, split),
        Some(p) => assessment::reassessed_schedule(
            fiscal_year,
            settings,
            tax.total,
            split,
            &p.schedule,
            day,
        ),
    };
    Ok((combined, tax, schedule))
}

/// Writes versions with their notice numbers, events, findings and
/// dependents: multi-row statements, numbers taken once for the lot.
async fn write_versions(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    versions: &mut [NewVersion],
    recorded_by: &str,
) -> Result<(), StoreError> {
    if versions.is_empty() {
        return Ok(());
    }
    let year = i64::from(fiscal_year.start_year());
    // Notice numbers: those the persons have, then new ones for those who
    // now owe an ordinary part for the first time.
    let needing: Vec<usize> = (0..versions.len())
        .filter(|&i| {
            versions[i].version.notice_number.is_none()
                && !versions[i].version.schedule.installments.is_empty()
        })
        .collect();
    if !needing.is_empty() {
        let known = notice_numbers_of(
            tx,
            fiscal_year,
            &needing
                .iter()
                .map(|&i| versions[i].version.addressee_id)
                .collect::<Vec<_>>(),
        )
        .await?;
        let mut fresh = Vec::new();
        for &i in &needing {
            match known.get(&versions[i].version.addressee_id) {
                Some(n) => versions[i].version.notice_number = Some(n.clone()),
                None => fresh.push(i),
            }
        }
        if !fresh.is_empty() {
            let count = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
            let first = tx.next_numbers(NOTICE_SEQUENCE, count).await?;
            let mut rows = Vec::with_capacity(fresh.len());
            for (n, &i) in fresh.iter().enumerate() {
                let number = notice_number(fiscal_year, first + i64::try_from(n).unwrap_or(0));
                rows.push(vec![
                    Arg::Int(year),
                    Arg::Int(id_int(versions[i].version.addressee_id)),
                    Arg::Text(number.clone()),
                ]);
                versions[i].version.notice_number = Some(number);
            }
            tx.insert_rows(
                "resident_tax_notice_numbers",
                &["fiscal_year", "addressee_id", "notice_number"],
                &rows,
            )
            .await?;
        }
    }
    let recorded_at = kiban_store::now_text();
    let mut rows = Vec::with_capacity(versions.len());
    let mut claims = Vec::new();
    let mut reviews = Vec::new();
    let mut events = Vec::with_capacity(versions.len());
    for nv in versions.iter_mut() {
        let v = &mut nv.version;
        v.recorded_at.clone_from(&recorded_at);
        let id = id_int(v.addressee_id);
        rows.push(vec![
            Arg::Int(year),
            Arg::Int(id),
            Arg::Int(v.version),
            Arg::Text(v.assessed_on.to_string()),
            Arg::Text(recorded_at.clone()),
            Arg::Text(recorded_by.to_owned()),
            v.job_id.map_or(Arg::NullInt, Arg::Int),
            Arg::from(v.schedule.collection.code()),
            Arg::Int(v.total.get()),
            Arg::Int(v.schedule.special_total().get()),
            Arg::Int(v.schedule.ordinary_total().get()),
            Arg::Text(v.non_taxable.clone()),
            Arg::from(v.payer_number.clone()),
            Arg::from(v.notice_number.clone()),
            Arg::Text(encode_installments(&v.schedule.installments)),
            Arg::Text(encode_monthly(fiscal_year, &v.schedule.monthly)),
            Arg::Text(
                v.flags
                    .iter()
                    .map(|f| f.code())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Arg::Text(v.calc_input.to_string()),
        ]);
        for key in &nv.dependent_keys {
            claims.push(vec![
                Arg::Int(year),
                Arg::Text(key.clone()),
                Arg::Int(id),
                Arg::Int(v.version),
            ]);
        }
        for flag in &v.flags {
            reviews.push(vec![
                Arg::Int(year),
                Arg::Int(id),
                Arg::Int(v.version),
                Arg::from(flag.code()),
                Arg::Text(recorded_at.clone()),
            ]);
        }
        events.push(v.event_payload().to_string());
    }
    tx.insert_rows("resident_tax_assessments", &ASSESSMENT_COLUMNS, &rows)
        .await?;
    tx.insert_rows(
        "resident_tax_dependent_claims",
        &["fiscal_year", "claim_key", "addressee_id", "version_no"],
        &claims,
    )
    .await?;
    tx.insert_rows(
        "resident_tax_reviews",
        &[
            "fiscal_year",
            "addressee_id",
            "version_no",
            "code",
            "recorded_at",
        ],
        &reviews,
    )
    .await?;
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let first = tx
        .next_numbers(kiban_registry::storage::OUTBOX_SEQUENCE, count)
        .await?;
    let outbox: Vec<Vec<Arg>> = events
        .into_iter()
        .enumerate()
        .map(|(n, payload)| {
            vec![
                Arg::Int(first + i64::try_from(n).unwrap_or(0)),
                Arg::from(ASSESSED_EVENT),
                Arg::NullInt,
                Arg::Text(payload),
                Arg::Text(recorded_at.clone()),
            ]
        })
        .collect();
    tx.insert_rows(
        "outbox",
        &[
            "event_id",
            "event_kind",
            "movement_id",
            "payload",
            "created_at",
        ],
        &outbox,
    )
    .await?;
    Ok(())
}

fn id_int(id: AddresseeId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

/// `IN (…)` of numbers written as literals (integers, never text).
pub fn in_literal(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s
}

/// The notice numbers stored for `ids`: one range statement from the
/// least to the greatest of them (the primary key's range, whatever the
/// statistics: an `IN` list was filtered over the whole year's numbers by
/// a planner that had not yet seen them), kept here for `ids`.
async fn notice_numbers_of(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, String>, StoreError> {
    let mut out = BTreeMap::new();
    let wanted: BTreeSet<i64> = ids.iter().map(|i| id_int(*i)).collect();
    let (Some(&low), Some(&high)) = (wanted.first(), wanted.last()) else {
        return Ok(out);
    };
    for row in tx
        .fetch_all(
            "SELECT addressee_id, notice_number FROM resident_tax_notice_numbers \
             WHERE municipality_code = $1 AND fiscal_year = $2 AND addressee_id >= $3 \
             AND addressee_id <= $4",
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(low),
                Arg::Int(high),
            ],
        )
        .await?
    {
        let id = row.int(0)?;
        if wanted.contains(&id) {
            out.insert(
                AddresseeId::new(u64::try_from(id).unwrap_or(0)),
                row.text(1)?,
            );
        }
    }
    Ok(out)
}

/// The latest version of each of `ids` that was assessed in `fiscal_year`
/// (review findings not read), by number. No access-log entry: the caller
/// logs what it uses.
pub async fn latest_of(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, AssessmentVersion>, StoreError> {
    let mut out = BTreeMap::new();
    let ints: Vec<i64> = ids.iter().map(|i| id_int(*i)).collect();
    for chunk in ints.chunks(kiban_store::IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT {COLUMNS} FROM resident_tax_assessments a WHERE a.municipality_code = $1 \
             AND a.fiscal_year = $2 AND a.addressee_id IN ({}) ORDER BY a.addressee_id, a.version_no",
            in_literal(chunk)
        );
        for row in tx
            .fetch_all(&sql, &[Arg::Int(i64::from(fiscal_year.start_year()))])
            .await?
        {
            let v = read_version(fiscal_year, &row)?;
            out.insert(v.addressee_id, v);
        }
    }
    Ok(out)
}

/// The latest version of every person assessed in `from..until`.
async fn latest_in_range(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: i64,
    until: i64,
) -> Result<BTreeMap<AddresseeId, AssessmentVersion>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM resident_tax_assessments a WHERE a.municipality_code = $1 \
         AND a.fiscal_year = $2 AND a.addressee_id >= $3 AND a.addressee_id < $4 \
         ORDER BY a.addressee_id, a.version_no"
    );
    let mut out = BTreeMap::new();
    for row in tx
        .fetch_all(
            &sql,
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(from),
                Arg::Int(until),
            ],
        )
        .await?
    {
        let v = read_version(fiscal_year, &row)?;
        out.insert(v.addressee_id, v);
    }
    Ok(out)
}

/// The persons assessed in `from..until` (numbers only).
async fn assessed_in_range(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: i64,
    until: i64,
) -> Result<BTreeSet<AddresseeId>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT DISTINCT addressee_id FROM resident_tax_assessments WHERE municipality_code = $1 \
             AND fiscal_year = $2 AND addressee_id >= $3 AND addressee_id < $4",
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(from),
                Arg::Int(until),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(AddresseeId::new(u64::try_from(r.int(0)?).unwrap_or(0))))
        .collect()
}

/// The birth dates of the non-residents (住登外者) among `ids` (their
/// latest version).
async fn non_residents(
    tx: &mut TenantTx,
    ids: &[i64],
) -> Result<BTreeMap<AddresseeId, Date>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(kiban_store::IN_LIST_CHUNK) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT v.addressee_id, v.birth_date FROM addressee_versions v \
             JOIN addressees a ON a.municipality_code = v.municipality_code AND a.addressee_id = v.addressee_id \
             WHERE v.municipality_code = $1 AND v.addressee_id IN ({}) ORDER BY v.addressee_id, v.version_no",
            in_literal(chunk)
        );
        for row in tx.fetch_all(&sql, &[]).await? {
            let id = AddresseeId::new(u64::try_from(row.int(0)?).unwrap_or(0));
            let birth =
                kiban_core::date::parse_iso(&row.text(1)?).map_err(|e| StoreError::Corrupt {
                    column: "addressee_versions.birth_date".into(),
                    reason: e.to_string(),
                })?;
            out.insert(id, birth);
        }
    }
    Ok(out)
}

/// What the annual assessment of a range did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeOutcome {
    /// Liable persons looked at.
    pub liable: u64,
    /// Versions written.
    pub written: u64,
    /// Persons that could not be assessed: (宛名番号, code, message).
    pub errors: Vec<(AddresseeId, String, String)>,
}

/// How a run assesses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Make a new version for persons already assessed whose calculation
    /// changed (`reassess=true`); otherwise they are left as they are.
    pub reassess: bool,
    /// The day of the assessment.
    pub assessed_on: Date,
    /// The run.
    pub job_id: Option<i64>,
    /// Who runs it (the access log's actor).
    pub actor: Actor,
}

/// The effective income records of the addressees in `from..until`, as
/// the figures the assessment uses, by addressee.
async fn records_between(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: i64,
    until: i64,
) -> Result<BTreeMap<AddresseeId, Vec<RecordFigures>>, StoreError> {
    let records = crate::storage::income::effective_records_without_numbers(
        tx,
        fiscal_year,
        AddresseeId::new(u64::try_from(from).unwrap_or(0)),
        AddresseeId::new(u64::try_from(until).unwrap_or(0)),
    )
    .await?;
    let mut out: BTreeMap<AddresseeId, Vec<RecordFigures>> = BTreeMap::new();
    for (id, record) in &records {
        out.entry(*id)
            .or_default()
            .push(assessment::figures(record));
    }
    Ok(out)
}

/// 名寄せ: a number merged into another is the same person, assessed once,
/// under the surviving number. Its income records count for the survivor,
/// and so does its liability (a resident on 1 January, or a non-resident
/// with income here). `records` and `liable` hold the range's numbers;
/// afterwards a merged number of the range is in neither, its records and
/// liability moved to its survivor when the survivor is in the range (the
/// survivor's range takes them otherwise), and a survivor of the range
/// has those of its merged numbers outside the range too.
async fn follow_merges(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    jan1: Date,
    from: i64,
    until: i64,
    records: &mut BTreeMap<AddresseeId, Vec<RecordFigures>>,
    liable: &mut BTreeMap<AddresseeId, Option<Date>>,
) -> Result<(), StoreError> {
    let ids: Vec<AddresseeId> = records
        .keys()
        .chain(liable.keys())
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let links = kiban_addressee::storage::links_of(tx, &ids).await?;
    let in_range = |id: AddresseeId| (from..until).contains(&id_int(id));
    for (merged, survivor) in links {
        let (moved, birth) = if in_range(merged) {
            (
                records.remove(&merged).unwrap_or_default(),
                liable.remove(&merged).flatten(),
            )
        } else if in_range(survivor) {
            let number = id_int(merged);
            let moved = records_between(tx, fiscal_year, number, number + 1)
                .await?
                .remove(&merged)
                .unwrap_or_default();
            let resident = kiban_registry::storage::statistics::residents_between(
                tx,
                jan1,
                PersonId::new(merged.get()),
                PersonId::new(merged.get() + 1),
            )
            .await?;
            let birth = match resident.first() {
                Some((_, birth)) => Some(*birth),
                None if !moved.is_empty() => {
                    non_residents(tx, &[number]).await?.get(&merged).copied()
                }
                None => None,
            };
            (moved, birth)
        } else {
            continue;
        };
        if !in_range(survivor) {
            continue;
        }
        if !moved.is_empty() {
            records.entry(survivor).or_default().extend(moved);
        }
        if let Some(birth) = birth {
            liable.entry(survivor).or_insert(Some(birth));
        }
    }
    Ok(())
}

/// Assesses every liable person with a number in `from..until` (see the
/// module) inside `tx`; a number merged into another (名寄せ) under its
/// survivor ([`follow_merges`]).
pub async fn assess_range(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: i64,
    until: i64,
    options: &RunOptions,
) -> Result<RangeOutcome, AssessmentError> {
    let settings = in_force(tx, fiscal_year).await?;
    let jan1 = fiscal_year.assessment_date();
    let residents = kiban_registry::storage::statistics::residents_between(
        tx,
        jan1,
        PersonId::new(u64::try_from(from).unwrap_or(0)),
        PersonId::new(u64::try_from(until).unwrap_or(0)),
    )
    .await?;
    let mut records = records_between(tx, fiscal_year, from, until).await?;
    let mut liable: BTreeMap<AddresseeId, Option<Date>> = residents
        .iter()
        .map(|(p, birth)| (AddresseeId::new(p.get()), Some(*birth)))
        .collect();
    let others: Vec<i64> = records
        .keys()
        .filter(|id| !liable.contains_key(id))
        .map(|id| id_int(*id))
        .collect();
    for (id, birth) in non_residents(tx, &others).await? {
        liable.insert(id, Some(birth));
    }
    follow_merges(
        tx,
        fiscal_year,
        jan1,
        from,
        until,
        &mut records,
        &mut liable,
    )
    .await?;
    let mut outcome = RangeOutcome {
        liable: u64::try_from(liable.len()).unwrap_or(0),
        ..RangeOutcome::default()
    };
    let previous = if options.reassess {
        latest_in_range(tx, fiscal_year, from, until).await?
    } else {
        BTreeMap::new()
    };
    let assessed = if options.reassess {
        previous.keys().copied().collect()
    } else {
        assessed_in_range(tx, fiscal_year, from, until).await?
    };
    let mut versions = Vec::new();
    for (id, birth) in liable {
        if assessed.contains(&id) && !options.reassess {
            continue;
        }
        let person_records = records.remove(&id).unwrap_or_default();
        let before = previous.get(&id);
        match calculate(
            fiscal_year,
            &settings,
            birth,
            &person_records,
            before,
            options.assessed_on,
        ) {
            Err((code, message)) => outcome.errors.push((id, code, message)),
            Ok((combined, tax, schedule)) => {
                let calc_input = wire::calc_input(&combined.input);
                if let Some(b) = before
                    && b.calc_input == calc_input
                {
                    // Nothing changed since the latest version.
                    continue;
                }
                versions.push(NewVersion {
                    version: AssessmentVersion {
                        fiscal_year,
                        addressee_id: id,
                        version: before.map_or(1, |b| b.version + 1),
                        assessed_on: options.assessed_on,
                        recorded_at: String::new(),
                        job_id: options.job_id,
                        total: tax.total,
                        non_taxable: non_taxable_code(tax.non_taxable).to_owned(),
                        payer_number: combined
                            .payer_number
                            .clone()
                            .filter(|_| !schedule.monthly.is_empty())
                            .or_else(|| {
                                before
                                    .and_then(|b| b.payer_number.clone())
                                    .filter(|_| !schedule.monthly.is_empty())
                            }),
                        notice_number: before.and_then(|b| b.notice_number.clone()),
                        schedule,
                        flags: combined.flags.clone(),
                        calc_input,
                    },
                    dependent_keys: combined.dependent_keys,
                });
            }
        }
    }
    outcome.written = u64::try_from(versions.len()).unwrap_or(0);
    write_versions(tx, fiscal_year, &mut versions, &options.actor.login).await?;
    if !versions.is_empty() {
        kiban_audit::append(
            tx,
            &options.actor.entry(
                AuditAction::Change,
                None,
                format!(
                    "resident_tax assessment {} addressees {from}-{until}: {} versions{}",
                    fiscal_year.start_year(),
                    versions.len(),
                    options
                        .job_id
                        .map(|j| format!(" (job {j})"))
                        .unwrap_or_default()
                ),
            ),
        )
        .await?;
    }
    Ok(outcome)
}

/// Flags every version that took a dependent another taxpayer's latest
/// version took too (`dependent_claimed_twice`), once per version: the
/// claims of the latest versions read by one statement, grouped here (a
/// `GROUP BY … HAVING` joined back to itself let PostgreSQL's planner pick
/// quadratic nested loops on fresh statistics), and one multi-row insert;
/// with `keys`, only those dependents are looked at (a reassessment's).
/// Returns the versions flagged now.
pub async fn flag_double_claims(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    keys: Option<&[String]>,
) -> Result<u64, StoreError> {
    let year = Arg::Int(i64::from(fiscal_year.start_year()));
    let mut args = vec![year.clone()];
    let only = match keys {
        None => String::new(),
        Some([]) => return Ok(0),
        Some(keys) => {
            let keys = &keys[..keys.len().min(kiban_store::IN_LIST_CHUNK)];
            args.extend(keys.iter().map(|k| Arg::Text(k.clone())));
            format!(
                " AND c.claim_key IN ({})",
                kiban_store::in_list(3, keys.len())
            )
        }
    };
    // The claims of each person's latest version (a scalar subquery: one
    // primary-key lookup per claim, whatever the statistics).
    let latest = format!(
        "SELECT c.claim_key, c.addressee_id, c.version_no FROM resident_tax_dependent_claims c \
         WHERE c.municipality_code = $1 AND c.fiscal_year = $2{only} AND c.version_no = \
         (SELECT MAX(a.version_no) FROM resident_tax_assessments a WHERE a.municipality_code = $1 \
          AND a.fiscal_year = $2 AND a.addressee_id = c.addressee_id) \
         ORDER BY c.claim_key, c.addressee_id"
    );
    let mut claimants: BTreeMap<String, BTreeSet<(i64, i64)>> = BTreeMap::new();
    for row in tx.fetch_all(&latest, &args).await? {
        claimants
            .entry(row.text(0)?)
            .or_default()
            .insert((row.int(1)?, row.int(2)?));
    }
    let mut twice: BTreeSet<(i64, i64)> = BTreeSet::new();
    for versions in claimants.into_values() {
        let persons: BTreeSet<i64> = versions.iter().map(|(id, _)| *id).collect();
        if persons.len() > 1 {
            twice.extend(versions);
        }
    }
    if twice.is_empty() {
        return Ok(0);
    }
    for row in tx
        .fetch_all(
            "SELECT addressee_id, version_no FROM resident_tax_reviews WHERE municipality_code = $1 \
             AND fiscal_year = $2 AND code = $3",
            &[year.clone(), Arg::from(ReviewFlag::DependentClaimedTwice.code())],
        )
        .await?
    {
        twice.remove(&(row.int(0)?, row.int(1)?));
    }
    let recorded_at = kiban_store::now_text();
    let mut inserts = Vec::with_capacity(twice.len());
    for (addressee, version) in twice {
        inserts.push(vec![
            year.clone(),
            Arg::Int(addressee),
            Arg::Int(version),
            Arg::from(ReviewFlag::DependentClaimedTwice.code()),
            Arg::Text(recorded_at.clone()),
        ]);
    }
    tx.insert_rows(
        "resident_tax_reviews",
        &[
            "fiscal_year",
            "addressee_id",
            "version_no",
            "code",
            "recorded_at",
        ],
        &inserts,
    )
    .await
}

/// The review findings of a person's version (the stored flags and those
/// found across taxpayers).
async fn reviews_of(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    id: AddresseeId,
    version: i64,
) -> Result<Vec<ReviewFlag>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT code FROM resident_tax_reviews WHERE municipality_code = $1 AND fiscal_year = $2 \
             AND addressee_id = $3 AND version_no = $4 ORDER BY code",
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(id_int(id)),
                Arg::Int(version),
            ],
        )
        .await?;
    let mut flags: Vec<ReviewFlag> = rows
        .iter()
        .filter_map(|r| r.text(0).ok())
        .filter_map(|c| ReviewFlag::from_code(&c))
        .collect();
    flags.sort();
    flags.dedup();
    Ok(flags)
}

async fn versions_in(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    id: AddresseeId,
) -> Result<Vec<AssessmentVersion>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM resident_tax_assessments WHERE municipality_code = $1 \
         AND fiscal_year = $2 AND addressee_id = $3 ORDER BY version_no"
    );
    let rows = tx
        .fetch_all(
            &sql,
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(id_int(id)),
            ],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut v = read_version(fiscal_year, row)?;
        v.flags = reviews_of(tx, fiscal_year, id, v.version).await?;
        out.push(v);
    }
    Ok(out)
}

/// Every version of a person's assessment, oldest first (empty when the
/// person has none that year), with its `read` access-log entry.
pub async fn versions(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    id: AddresseeId,
) -> Result<Vec<AssessmentVersion>, StoreError> {
    let mut tx = tenant.begin().await?;
    let out = versions_in(&mut tx, fiscal_year, id).await?;
    if !out.is_empty() {
        kiban_audit::append(
            &mut tx,
            &actor.entry(
                AuditAction::Read,
                Some(id_int(id)),
                format!(
                    "resident_tax assessment {} versions",
                    fiscal_year.start_year()
                ),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// The person's assessment in force (the latest version), with its `read`
/// access-log entry; `None` when not liable or not assessed.
pub async fn read(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    id: AddresseeId,
) -> Result<Option<AssessmentVersion>, StoreError> {
    let mut tx = tenant.begin().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM resident_tax_assessments WHERE municipality_code = $1 \
         AND fiscal_year = $2 AND addressee_id = $3 ORDER BY version_no DESC LIMIT 1"
    );
    let row = tx
        .fetch_optional(
            &sql,
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(id_int(id)),
            ],
        )
        .await?;
    let Some(row) = row else {
        tx.commit().await?;
        return Ok(None);
    };
    let mut v = read_version(fiscal_year, &row)?;
    v.flags = reviews_of(&mut tx, fiscal_year, id, v.version).await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Read,
            Some(id_int(id)),
            format!(
                "resident_tax assessment {} version {}",
                fiscal_year.start_year(),
                v.version
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(v))
}

/// A list's filter and page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this collection.
    pub collection: Option<Collection>,
    /// Only this employer.
    pub payer_number: Option<String>,
    /// Only numbers above this (the page's cursor).
    pub after: Option<AddresseeId>,
    /// At most this many.
    pub limit: u32,
}

/// The assessments in force matching the filter, by number, one page;
/// each listed person's `read` access-log entry written with it.
pub async fn list(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    filter: &ListFilter,
) -> Result<Vec<AssessmentVersion>, StoreError> {
    let mut tx = tenant.begin().await?;
    let mut args = vec![
        Arg::Int(i64::from(fiscal_year.start_year())),
        Arg::Int(filter.after.map_or(0, id_int)),
    ];
    let mut conditions = String::new();
    if let Some(c) = filter.collection {
        args.push(Arg::from(c.code()));
        conditions.push_str(&format!(" AND a.collection = ${}", args.len() + 1));
    }
    if let Some(p) = &filter.payer_number {
        args.push(Arg::Text(p.clone()));
        conditions.push_str(&format!(" AND a.payer_number = ${}", args.len() + 1));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM resident_tax_assessments a WHERE a.municipality_code = $1 \
         AND a.fiscal_year = $2 AND a.addressee_id > $3{conditions} \
         AND NOT EXISTS (SELECT 1 FROM resident_tax_assessments b WHERE b.municipality_code = $1 \
           AND b.fiscal_year = $2 AND b.addressee_id = a.addressee_id AND b.version_no > a.version_no) \
         ORDER BY a.addressee_id LIMIT {}",
        filter.limit.clamp(1, 1000)
    );
    let rows = tx.fetch_all(&sql, &args).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(read_version(fiscal_year, row)?);
    }
    let entries: Vec<_> = out
        .iter()
        .map(|v| {
            actor.entry(
                AuditAction::Read,
                Some(id_int(v.addressee_id)),
                format!("resident_tax assessment {} list", fiscal_year.start_year()),
            )
        })
        .collect();
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(out)
}

/// The birth date of an addressee: the registry's, else the addressee
/// master's (a non-resident).
async fn birth_date_of(tx: &mut TenantTx, id: AddresseeId) -> Result<Option<Date>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT birth_date FROM persons WHERE municipality_code = $1 AND person_id = $2",
            &[Arg::Int(id_int(id))],
        )
        .await?;
    if let Some(row) = row {
        return Ok(kiban_core::date::parse_iso(&row.text(0)?).ok());
    }
    Ok(non_residents(tx, &[id_int(id)]).await?.get(&id).copied())
}

/// 更正: recalculates an assessed person with their effective records and
/// the settings in force, as a new version on `day` (see
/// [`crate::domain::installments`] for what happens to the periods), with
/// its event, in one transaction. [`AssessmentError::NotAssessed`] when
/// the person has no version that year.
pub async fn reassess(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    id: AddresseeId,
    day: Date,
) -> Result<AssessmentVersion, AssessmentError> {
    let mut tx = tenant.begin().await?;
    let settings = in_force(&mut tx, fiscal_year).await?;
    let history = versions_in(&mut tx, fiscal_year, id).await?;
    let Some(previous) = history.last() else {
        tx.commit().await?;
        return Err(AssessmentError::NotAssessed);
    };
    let from = id_int(id);
    let mut records = records_between(&mut tx, fiscal_year, from, from + 1).await?;
    let person_records = records.remove(&id).unwrap_or_default();
    let birth = birth_date_of(&mut tx, id).await?;
    let (combined, tax, schedule) = calculate(
        fiscal_year,
        &settings,
        birth,
        &person_records,
        Some(previous),
        day,
    )
    .map_err(|(_, message)| AssessmentError::Calculation(message))?;
    let calc_input = wire::calc_input(&combined.input);
    let payer_number = combined
        .payer_number
        .clone()
        .or_else(|| previous.payer_number.clone())
        .filter(|_| !schedule.monthly.is_empty());
    let mut versions = vec![NewVersion {
        version: AssessmentVersion {
            fiscal_year,
            addressee_id: id,
            version: previous.version + 1,
            assessed_on: day,
            recorded_at: String::new(),
            job_id: None,
            total: tax.total,
            non_taxable: non_taxable_code(tax.non_taxable).to_owned(),
            payer_number,
            notice_number: previous.notice_number.clone(),
            schedule,
            flags: combined.flags.clone(),
            calc_input,
        },
        dependent_keys: combined.dependent_keys,
    }];
    let keys = versions[0].dependent_keys.clone();
    write_versions(&mut tx, fiscal_year, &mut versions, &actor.login).await?;
    flag_double_claims(&mut tx, fiscal_year, Some(&keys)).await?;
    let mut version = versions.remove(0).version;
    version.flags = reviews_of(&mut tx, fiscal_year, id, version.version).await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            Some(from),
            format!(
                "resident_tax reassessment {} version {}",
                fiscal_year.start_year(),
                version.version
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}
