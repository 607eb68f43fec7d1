//! What the 特別徴収税額決定通知書 job reads (contract resident-tax-v1,
//! "Notices and certificates"): the employers (特別徴収義務者) whose
//! employees' assessments in force have a special part, in the order of
//! the mail, and each employer's notice built from those assessments and
//! the employer's 給与支払報告書. Set-based: a few statements per chunk of
//! employers.
//!
//! The employer's name and address are those of its latest report that
//! carries an address (`payer_address`, Kiban's addition to
//! `income-csv-v1`); an employer none of whose reports gives one cannot be
//! mailed and is reported, not printed. Each employee's address is the
//! address on 1 January the employer itself reported, so that the notice
//! tells the employer nothing it did not write (a 支援措置 address stays
//! withheld).

use std::collections::BTreeMap;

use jiff::civil::Date;
use kiban_addressee::domain::AddresseeId;
use kiban_audit::Actor;
use kiban_core::FiscalYear;
use kiban_print::{MailingBlock, SpecialCollectionEmployee, SpecialCollectionNotice};
use kiban_store::{Arg, StoreError, TenantTx};

use crate::domain::income::IncomeRecord;
use crate::domain::notice::{self, NoticeProblem};
use crate::domain::special_notice::{EmployerReports, months_june_to_may, parts};
use crate::storage::assessment::latest_of;
use crate::storage::income::record_of;
use crate::storage::notices::{Issuer, log_prints};

/// One employer to send a notice to, in the order of the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEmployer {
    /// 特別徴収義務者指定番号.
    pub payer_number: String,
    /// Its employees (the notice has a page for each, and a summary).
    pub employees: usize,
}

/// The latest version of each person by a scalar subquery (one primary-key
/// lookup per row, whatever the statistics), with a special part.
const LATEST_SPECIAL: &str = "FROM resident_tax_assessments a \
     WHERE a.municipality_code = $1 AND a.fiscal_year = $2 AND a.version_no = \
     (SELECT MAX(b.version_no) FROM resident_tax_assessments b WHERE b.municipality_code = $1 \
      AND b.fiscal_year = $2 AND b.addressee_id = a.addressee_id) \
     AND a.special_total > 0 AND a.payer_number IS NOT NULL";

fn year_arg(fiscal_year: FiscalYear) -> Arg {
    Arg::Int(i64::from(fiscal_year.start_year()))
}

/// Every employer with an employee whose assessment in force for
/// `fiscal_year` has a special part (only those of `only` when given), in
/// the order of the mail by the postal code of the employer's address;
/// employers without an address come last (the run reports them).
pub async fn employers(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    only: Option<&[String]>,
) -> Result<Vec<PlannedEmployer>, StoreError> {
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT a.payer_number, COUNT(*) {LATEST_SPECIAL} GROUP BY a.payer_number \
                 ORDER BY a.payer_number"
            ),
            &[year_arg(fiscal_year)],
        )
        .await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        let payer = row.text(0)?;
        if only.is_none_or(|o| o.contains(&payer)) {
            counts.insert(payer, usize::try_from(row.int(1)?).unwrap_or(0));
        }
    }
    // The employers' addresses: only reports that carry one (the key is
    // left out of the stored record when empty).
    let mut reports: BTreeMap<String, EmployerReports> = BTreeMap::new();
    let rows = tx
        .fetch_all(
            "SELECT payer_number, record FROM income_records WHERE municipality_code = $1 \
             AND fiscal_year = $2 AND source = 'salary_report' \
             AND record LIKE '%\"payer_address\"%' ORDER BY record_id",
            &[year_arg(fiscal_year)],
        )
        .await?;
    for row in rows {
        let payer = row.text(0)?;
        if counts.contains_key(&payer) {
            reports
                .entry(payer.clone())
                .or_insert_with(|| EmployerReports::new(&payer))
                .add(&record_of(&row.text(1)?)?);
        }
    }
    let mut keyed: Vec<((String, String, String), PlannedEmployer)> = counts
        .into_iter()
        .map(|(payer, employees)| {
            let address = reports
                .get(&payer)
                .and_then(|r| r.employer().address.clone());
            let key = match address {
                Some(a) => (
                    a.postal_code
                        .as_ref()
                        .map_or_else(|| "~".to_owned(), |p| p.as_str().to_owned()),
                    a.address_line,
                    payer.clone(),
                ),
                None => ("~~".to_owned(), String::new(), payer.clone()),
            };
            (
                key,
                PlannedEmployer {
                    payer_number: payer,
                    employees,
                },
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, e)| e).collect())
}

/// The documents of one employer's notice (one, or a first with the
/// summary and continuations for a large employer).
pub type EmployerNotice = (String, Vec<SpecialCollectionNotice>);

/// The notices of the employers `payers` (in that order) as of
/// `issued_on`, each cut into documents of at most `per_document`
/// employees, and the employers that cannot get one with the reason.
/// Writes one `print` access-log entry per employee printed, in `tx`.
pub async fn special_notices(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    issuer: &Issuer,
    payers: &[String],
    issued_on: Date,
    per_document: usize,
    actor: &Actor,
) -> Result<(Vec<EmployerNotice>, Vec<(String, NoticeProblem)>), StoreError> {
    let mut args = vec![year_arg(fiscal_year)];
    args.extend(payers.iter().map(|p| Arg::Text(p.clone())));
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT a.addressee_id, a.payer_number {LATEST_SPECIAL} \
                 AND a.payer_number IN ({}) ORDER BY a.addressee_id",
                kiban_store::in_list(3, payers.len())
            ),
            &args,
        )
        .await?;
    let mut by_payer: BTreeMap<String, Vec<AddresseeId>> = BTreeMap::new();
    for row in rows {
        let id = AddresseeId::new(u64::try_from(row.int(0)?).unwrap_or(0));
        by_payer.entry(row.text(1)?).or_default().push(id);
    }
    let ids: Vec<AddresseeId> = by_payer.values().flatten().copied().collect();
    let versions = latest_of(tx, fiscal_year, &ids).await?;
    let views = kiban_addressee::storage::views_of(tx, &ids).await?;
    // The payers' reports in the order recorded: the employer's name and
    // address, and each employee's latest report from this employer.
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT addressee_id, payer_number, record FROM income_records \
                 WHERE municipality_code = $1 AND fiscal_year = $2 AND source = 'salary_report' \
                 AND payer_number IN ({}) ORDER BY record_id",
                kiban_store::in_list(3, payers.len())
            ),
            &args,
        )
        .await?;
    let mut reports: BTreeMap<String, EmployerReports> = payers
        .iter()
        .map(|p| (p.clone(), EmployerReports::new(p)))
        .collect();
    let mut reported: BTreeMap<(String, AddresseeId), IncomeRecord> = BTreeMap::new();
    for row in rows {
        let payer = row.text(1)?;
        let record = record_of(&row.text(2)?)?;
        if let Some(r) = reports.get_mut(&payer) {
            r.add(&record);
        }
        if let Some(id) = row.opt_int(0)? {
            let id = AddresseeId::new(u64::try_from(id).unwrap_or(0));
            reported.insert((payer, id), record);
        }
    }

    let mut made = Vec::new();
    let mut problems = Vec::new();
    let mut printed: Vec<AddresseeId> = Vec::new();
    for payer in payers {
        let employer = reports
            .remove(payer)
            .unwrap_or_else(|| EmployerReports::new(payer))
            .into_employer();
        let Some(address) = employer.address.clone() else {
            problems.push((
                payer.clone(),
                NoticeProblem {
                    code: "no_employer_address",
                    text: format!(
                        "特別徴収義務者 {payer} の所在地がありません（給与支払報告書の payer_address・payer_postal_code で届けてください）"
                    ),
                },
            ));
            continue;
        };
        let mut employees: Vec<(String, AddresseeId, SpecialCollectionEmployee)> = Vec::new();
        let mut failed = None;
        for id in by_payer.get(payer).map(Vec::as_slice).unwrap_or_default() {
            let record = reported.get(&(payer.clone(), *id));
            match employee(fiscal_year, *id, versions.get(id), record, views.get(id)) {
                Ok(e) => employees.push((
                    record.map(|r| r.name_kana.clone()).unwrap_or_default(),
                    *id,
                    e,
                )),
                Err(p) => {
                    failed = Some(NoticeProblem {
                        code: p.code,
                        text: format!("宛名番号 {id}: {}", p.text),
                    });
                    break;
                }
            }
        }
        if let Some(p) = failed {
            problems.push((payer.clone(), p));
            continue;
        }
        if employees.is_empty() {
            continue;
        }
        // In the order of the readings, as employers file their staff.
        employees.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        printed.extend(employees.iter().map(|(_, id, _)| *id));
        let documents = parts(
            employees.into_iter().map(|(_, _, e)| e).collect(),
            per_document,
        )
        .into_iter()
        .map(|(summary, employees)| SpecialCollectionNotice {
            municipality_name: issuer.municipality_name.clone(),
            mayor_title: issuer.mayor_title.clone(),
            mayor_name: issuer.mayor_name.clone(),
            issued_on: kiban_core::wareki::format_ja(issued_on),
            fiscal_year: kiban_core::wareki::format_fiscal_year_ja(fiscal_year),
            tax_labels: issuer.labels.clone(),
            designation_number: payer.clone(),
            employer_name: employer.name.clone(),
            mailing: MailingBlock {
                postal_code: address.postal_code.clone(),
                address: address.address_line.clone(),
                address_line2: String::new(),
                name: employer.name.clone(),
            },
            employees,
            summary,
            contact: format!("{} 税務担当（個人住民税）", issuer.municipality_name),
        })
        .collect();
        made.push((payer.clone(), documents));
    }
    let detail = format!(
        "resident_tax special_collection_notice {} issued {issued_on}",
        fiscal_year.start_year()
    );
    log_prints(tx, actor, printed.into_iter(), &detail).await?;
    Ok((made, problems))
}

fn employee(
    fiscal_year: FiscalYear,
    id: AddresseeId,
    version: Option<&crate::storage::assessment::AssessmentVersion>,
    record: Option<&IncomeRecord>,
    view: Option<&kiban_addressee::storage::AddresseeView>,
) -> Result<SpecialCollectionEmployee, NoticeProblem> {
    let version = version.ok_or_else(|| NoticeProblem {
        code: "not_assessed",
        text: "この年度の課税がありません".into(),
    })?;
    let (input, tax, _) = version.calculation().map_err(|e| NoticeProblem {
        code: "calculation_failed",
        text: e.to_string(),
    })?;
    let name = view
        .map(|v| v.name.clone())
        .or_else(|| record.map(|r| r.name.clone()))
        .unwrap_or_default();
    let address = record
        .map(|r| r.address_on_jan1.clone())
        .unwrap_or_default();
    if name.is_empty() || address.is_empty() {
        return Err(NoticeProblem {
            code: "no_employee_report",
            text: "この特別徴収義務者の給与支払報告書（氏名・1月1日の住所）がありません".into(),
        });
    }
    Ok(SpecialCollectionEmployee {
        addressee_id: id.get().to_string(),
        employee_number: None,
        name,
        address,
        details: notice::details(&input, &tax),
        monthly: months_june_to_may(fiscal_year, &version.schedule.monthly),
    })
}

/// The index of a run's notices: `payer_number,file,first_page,pages`.
pub const SPECIAL_INDEX_HEADER: &str = "payer_number,file,first_page,pages\n";
