//! What the 特別徴収税額決定通知書 prints (contract resident-tax-v1,
//! "Notices and certificates"): the employer (特別徴収義務者) as its reports
//! name it, each employee's twelve monthly amounts, and the notice of a
//! large employer cut into documents the print engine lays out in bounded
//! memory.
//!
//! Pure: the storage reads the assessments and the income records; this
//! module decides what is printed from them.

use kiban_core::{FiscalYear, PostalCode, Yen};
use kiban_print::{SpecialCollectionEmployee, SpecialNoticeSummary};

use crate::domain::income::{IncomeRecord, IncomeSource};
use crate::domain::installments::{MonthlyAmount, collection_months};

/// An employer as its 給与支払報告書 name it: the latest report of the
/// payer that carries an address (`payer_postal_code`, `payer_address`)
/// gives the name and the address the notice is mailed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employer {
    /// 特別徴収義務者指定番号.
    pub payer_number: String,
    /// 名称 (the payer number when no report names it).
    pub name: String,
    /// 所在地, when a report gives it.
    pub address: Option<EmployerAddress>,
}

/// Where an employer's notice is mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployerAddress {
    /// 郵便番号, when given.
    pub postal_code: Option<PostalCode>,
    /// 所在地.
    pub address_line: String,
}

/// Keeps what an employer's reports say, report by report in the order
/// they were recorded (later reports correct earlier ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployerReports {
    employer: Employer,
}

impl EmployerReports {
    /// An employer known only by its number.
    pub fn new(payer_number: &str) -> Self {
        Self {
            employer: Employer {
                payer_number: payer_number.to_owned(),
                name: payer_number.to_owned(),
                address: None,
            },
        }
    }

    /// Takes in the next report of the payer (reports of another payer or
    /// source are ignored).
    pub fn add(&mut self, record: &IncomeRecord) {
        if record.source != IncomeSource::SalaryReport
            || record.payer_number.as_deref() != Some(self.employer.payer_number.as_str())
        {
            return;
        }
        let Some(address) = record.payer_address.as_deref().filter(|a| !a.is_empty()) else {
            if self.employer.address.is_none()
                && let Some(name) = record.payer_name.as_deref().filter(|n| !n.is_empty())
            {
                name.clone_into(&mut self.employer.name);
            }
            return;
        };
        if let Some(name) = record.payer_name.as_deref().filter(|n| !n.is_empty()) {
            name.clone_into(&mut self.employer.name);
        }
        self.employer.address = Some(EmployerAddress {
            postal_code: record
                .payer_postal_code
                .as_deref()
                .and_then(|c| PostalCode::parse(c).ok()),
            address_line: address.to_owned(),
        });
    }

    /// What the reports say.
    pub fn employer(&self) -> &Employer {
        &self.employer
    }

    /// Into what the reports say.
    pub fn into_employer(self) -> Employer {
        self.employer
    }
}

/// The twelve monthly amounts, June of the fiscal year to May of the next,
/// of a version's special collection (months it does not name are zero).
pub fn months_june_to_may(fiscal_year: FiscalYear, monthly: &[MonthlyAmount]) -> [Yen; 12] {
    let months = collection_months(fiscal_year);
    let mut out = [Yen::ZERO; 12];
    for m in monthly {
        if let Some(slot) = months
            .iter()
            .position(|x| *x == m.month)
            .and_then(|i| out.get_mut(i))
        {
            *slot += m.amount;
        }
    }
    out
}

/// The employees of one employer cut into the documents of its notice:
/// the first with the summary of all of them, then continuations, each
/// with at most `per_document` employees' pages (a whole notice when they
/// fit in one).
pub fn parts(
    employees: Vec<SpecialCollectionEmployee>,
    per_document: usize,
) -> Vec<(SpecialNoticeSummary, Vec<SpecialCollectionEmployee>)> {
    let per_document = per_document.max(1);
    if employees.len() <= per_document {
        return vec![(SpecialNoticeSummary::TheseEmployees, employees)];
    }
    let mut totals = [Yen::ZERO; 12];
    for e in &employees {
        for (sum, amount) in totals.iter_mut().zip(e.monthly) {
            *sum += amount;
        }
    }
    let count = employees.len();
    let mut out = Vec::new();
    let mut rest = employees.into_iter().peekable();
    while rest.peek().is_some() {
        let part: Vec<_> = rest.by_ref().take(per_document).collect();
        let summary = if out.is_empty() {
            SpecialNoticeSummary::AllEmployees {
                employee_count: count,
                monthly_totals: totals,
            }
        } else {
            SpecialNoticeSummary::Continuation
        };
        out.push((summary, part));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::income::CollectionMethod;
    use kiban_print::{Levies, Levy, TaxDetails};

    fn year() -> FiscalYear {
        FiscalYear::new(2026).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn record(payer: &str, name: &str, address: Option<&str>) -> IncomeRecord {
        let csv = format!(
            "source,payer_number,payer_name,payer_postal_code,payer_address,collection,name,name_kana,birth_date,address_on_jan1\n\
             salary_report,{payer},{name},{},{},special,新潟 太郎,ニイガタ タロウ,1980-01-01,新潟市\n",
            if address.is_some() { "9518501" } else { "" },
            address.unwrap_or("")
        );
        crate::domain::income::parse_income_csv(csv.as_bytes())
            .unwrap_or_else(|e| panic!("{e:?}"))
            .remove(0)
    }

    #[test]
    fn the_latest_report_with_an_address_names_the_employer() {
        let mut reports = EmployerReports::new("0000012345");
        assert_eq!(reports.employer().name, "0000012345");
        reports.add(&record("0000012345", "株式会社旧名", None));
        assert_eq!(reports.employer().name, "株式会社旧名");
        assert_eq!(reports.employer().address, None);
        reports.add(&record(
            "0000012345",
            "株式会社新潟",
            Some("新潟市中央区学校町通1番町602番地1"),
        ));
        // A later report without an address keeps the name with the address.
        reports.add(&record("0000012345", "株式会社ほか", None));
        // Another payer's report is not this employer's.
        reports.add(&record("0000099999", "別会社", Some("東京都")));
        let employer = reports.into_employer();
        assert_eq!(employer.name, "株式会社新潟");
        let address = employer.address.unwrap_or_else(|| panic!("address"));
        assert_eq!(address.address_line, "新潟市中央区学校町通1番町602番地1");
        assert_eq!(
            address.postal_code.map(|p| p.hyphenated()),
            Some("951-8501".into())
        );
        let mut ordinary = record("0000012345", "x", Some("y"));
        ordinary.source = IncomeSource::PensionReport;
        ordinary.collection = CollectionMethod::Ordinary;
        let mut reports = EmployerReports::new("0000012345");
        reports.add(&ordinary);
        assert_eq!(reports.employer().address, None);
    }

    #[test]
    fn months_run_from_june_to_may() {
        let month = |y, m, amount| MonthlyAmount {
            month: kiban_core::YearMonth::new(y, m).unwrap_or_else(|e| panic!("{e:?}")),
            amount: Yen::new(amount),
        };
        let months = months_june_to_may(
            year(),
            &[
                month(2026, 6, 16_300),
                month(2026, 7, 16_200),
                month(2027, 5, 16_200),
                month(2027, 6, 1),
            ],
        );
        assert_eq!(months[0], Yen::new(16_300));
        assert_eq!(months[1], Yen::new(16_200));
        assert_eq!(months[11], Yen::new(16_200));
        assert_eq!(months.iter().copied().sum::<Yen>(), Yen::new(48_700));
    }

    fn no_details() -> TaxDetails {
        let levy = Levy {
            income_levy: Yen::ZERO,
            per_capita_levy: Yen::ZERO,
        };
        TaxDetails {
            incomes: Vec::new(),
            total_income: Yen::ZERO,
            deductions: Vec::new(),
            total_deductions: Yen::ZERO,
            taxable_income: Yen::ZERO,
            tax_credits: Vec::new(),
            levies: Levies {
                municipal: levy,
                prefectural: levy,
                forest_environment_tax: Yen::ZERO,
                total: Yen::ZERO,
            },
        }
    }

    fn employee(n: i64) -> SpecialCollectionEmployee {
        let mut monthly = [Yen::new(100); 12];
        monthly[0] = Yen::new(n);
        SpecialCollectionEmployee {
            addressee_id: n.to_string(),
            employee_number: None,
            name: format!("職員{n}"),
            address: "デモ市".into(),
            details: no_details(),
            monthly,
        }
    }

    #[test]
    fn a_large_employer_is_cut_into_a_summary_and_continuations() {
        let small = parts((1..=3).map(employee).collect(), 3);
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].0, SpecialNoticeSummary::TheseEmployees);
        let large = parts((1..=7).map(employee).collect(), 3);
        let sizes: Vec<usize> = large.iter().map(|p| p.1.len()).collect();
        assert_eq!(sizes, [3, 3, 1]);
        let mut june = Yen::ZERO;
        for n in 1..=7 {
            june += Yen::new(n);
        }
        let mut totals = [Yen::new(700); 12];
        totals[0] = june;
        assert_eq!(
            large[0].0,
            SpecialNoticeSummary::AllEmployees {
                employee_count: 7,
                monthly_totals: totals
            }
        );
        assert_eq!(large[1].0, SpecialNoticeSummary::Continuation);
        assert_eq!(large[2].1[0].addressee_id, "7");
    }
}
