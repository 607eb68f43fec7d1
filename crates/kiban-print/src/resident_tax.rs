//! The printed side of the individual resident tax (個人住民税, contract
//! `resident-tax-v1`): the 納税通知書 with its 納付書, the
//! 特別徴収税額決定通知書 for employers, and the 課税（所得）証明書 /
//! 非課税証明書.
//!
//! As for the certificates, every struct holds what is printed, dates and
//! years already formatted (和暦) by the caller; amounts are [`Yen`] and are
//! printed with thousands separators.

use kiban_collection::barcode::ConvenienceStoreBarcode;
use kiban_core::money::group_thousands;
use kiban_core::{PostalCode, Yen};
use serde::Serialize;

use crate::documents::{Issuance, Preparer, WireDocument, WireIssuance};
use crate::error::PrintError;
use crate::fonts::FontRole;
use crate::gs1_128::Gs1_128;

/// The names of the two parts of the tax, as the municipality prints them,
/// e.g. `市民税` and `県民税`, `特別区民税` and `都民税`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLabels {
    /// The municipal part (市町村民税), e.g. `市民税`, `町民税`, `特別区民税`.
    pub municipal: String,
    /// The prefectural part (道府県民税), e.g. `県民税`, `都民税`, `府民税`.
    pub prefectural: String,
}

/// 宛名: the block read through the window of the envelope (窓空き封筒):
/// postal code, address, name with the honorific the layout adds (様 for a
/// person, 御中 for an employer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailingBlock {
    /// 郵便番号; `None` for an address without one (abroad).
    pub postal_code: Option<PostalCode>,
    /// 住所 (the mailing address for the business, 送付先).
    pub address: String,
    /// 方書 (building, room, c/o), on a line of its own; may be empty.
    pub address_line2: String,
    /// 氏名 or name of the organisation, without honorific.
    pub name: String,
}

/// One kind of income (所得の種類) of the 課税明細.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeLine {
    /// The kind, e.g. `給与所得`, `公的年金等に係る雑所得`, `事業所得`.
    pub kind: String,
    /// 収入金額, when the kind has one (salary, pension); `None` prints a dash.
    pub revenue: Option<Yen>,
    /// 所得金額.
    pub income: Yen,
}

/// A labelled amount: one deduction (所得控除) or tax credit (税額控除).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountLine {
    /// What it is, e.g. `社会保険料控除`, `基礎控除`, `調整控除`.
    pub label: String,
    /// The amount.
    pub amount: Yen,
}

/// 所得割 and 均等割 of one part of the tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levy {
    /// 所得割額 (after tax credits).
    pub income_levy: Yen,
    /// 均等割額.
    pub per_capita_levy: Yen,
}

/// The tax of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levies {
    /// 市町村民税.
    pub municipal: Levy,
    /// 道府県民税.
    pub prefectural: Levy,
    /// 森林環境税 (国税, levied with the per-capita levy).
    pub forest_environment_tax: Yen,
    /// 年税額: everything above.
    pub total: Yen,
}

/// 課税明細: the working of one person's tax, summarised as on the forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxDetails {
    /// The incomes by kind, in the order printed.
    pub incomes: Vec<IncomeLine>,
    /// 総所得金額等.
    pub total_income: Yen,
    /// The deductions (所得控除), in the order printed; zero ones may be left out.
    pub deductions: Vec<AmountLine>,
    /// 所得控除額合計.
    pub total_deductions: Yen,
    /// 課税標準額 (課税総所得金額等, after the 1,000-yen truncation).
    pub taxable_income: Yen,
    /// The tax credits (税額控除), e.g. 調整控除; may be empty.
    pub tax_credits: Vec<AmountLine>,
    /// The tax.
    pub levies: Levies,
}

/// One installment (期別) of ordinary collection and its 納付書.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeInstallment {
    /// 期別: 1, 2, … (printed `第1期`).
    pub period: u8,
    /// 納期限, already formatted, e.g. `令和8年6月30日`.
    pub due_date: String,
    /// The amount of the period.
    pub amount: Yen,
    /// The convenience-store barcode of the slip; `None` when the amount is
    /// above 300,000 yen (the slip then says it cannot be paid at a
    /// convenience store). When present, its notice number, period and
    /// amount must be the installment's.
    pub barcode: Option<ConvenienceStoreBarcode>,
}

/// 納税通知書 (`tax_notice`): the ordinary-collection notice of the individual
/// resident tax (個人住民税・普通徴収), with its 課税明細, the table of
/// installments, and one 納付書 per period with its barcode. The first page
/// is the notice (the addressee block placed for a window envelope), the
/// following pages carry the slips, three to a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxNotice {
    /// The municipality's name as printed, e.g. `葛飾区`.
    pub municipality_name: String,
    /// The issuer's title, e.g. `葛飾区長`.
    pub mayor_title: String,
    /// The issuer's name.
    pub mayor_name: String,
    /// 通知日, already formatted.
    pub issued_on: String,
    /// 年度, already formatted, e.g. `令和8年度`.
    pub fiscal_year: String,
    /// The names of the tax's two parts.
    pub tax_labels: TaxLabels,
    /// 通知書番号: twelve digits, shared by every period's slip.
    pub notice_number: String,
    /// 宛名番号, as printed.
    pub addressee_id: String,
    /// Where the notice is mailed (the mailing address for the resident tax).
    pub mailing: MailingBlock,
    /// 納税義務者: the name …
    pub taxpayer_name: String,
    /// … and the address on 1 January (賦課期日).
    pub taxpayer_address: String,
    /// 課税明細.
    pub details: TaxDetails,
    /// The part the employer withholds (特別徴収税額) when the collection is
    /// mixed; `None` when everything is collected by the slips.
    pub special_collection_amount: Option<Yen>,
    /// The periods of ordinary collection, in order (at least one). Their
    /// sum is printed as 普通徴収税額.
    pub installments: Vec<NoticeInstallment>,
    /// 問い合わせ先, e.g. `葛飾区 税務課 課税係　電話 03-3695-1111`.
    pub contact: String,
}

/// One employee (納税義務者) of a [`SpecialCollectionNotice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialCollectionEmployee {
    /// 宛名番号, as printed.
    pub addressee_id: String,
    /// 受給者番号 (the employer's number of the employee), when reported.
    pub employee_number: Option<String>,
    /// 氏名.
    pub name: String,
    /// 住所 (on 1 January).
    pub address: String,
    /// 課税明細.
    pub details: TaxDetails,
    /// The amounts withheld month by month, June to May (12 entries).
    pub monthly: [Yen; 12],
}

/// 特別徴収税額決定通知書 (`special_collection_notice`) for one employer
/// (特別徴収義務者): a summary page (指定番号, employer, number of employees,
/// totals by month June–May), then one page per employee with the monthly
/// amounts (特別徴収税額の決定通知書・納税義務者用).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialCollectionNotice {
    /// The municipality's name as printed.
    pub municipality_name: String,
    /// The issuer's title, e.g. `葛飾区長`.
    pub mayor_title: String,
    /// The issuer's name.
    pub mayor_name: String,
    /// 通知日, already formatted.
    pub issued_on: String,
    /// 年度, already formatted, e.g. `令和8年度`.
    pub fiscal_year: String,
    /// The names of the tax's two parts.
    pub tax_labels: TaxLabels,
    /// 特別徴収義務者指定番号.
    pub designation_number: String,
    /// The employer's name (特別徴収義務者).
    pub employer_name: String,
    /// Where the notice is mailed (the employer's address), printed 御中.
    pub mailing: MailingBlock,
    /// The employees, in the order printed (at least one).
    pub employees: Vec<SpecialCollectionEmployee>,
    /// What the summary page sums up, or none for a continuation.
    pub summary: SpecialNoticeSummary,
    /// 問い合わせ先.
    pub contact: String,
}

/// The summary page (特別徴収義務者用) of a [`SpecialCollectionNotice`].
///
/// An employer with more employees than one compilation should lay out is
/// printed as several documents: the first with the summary of all its
/// employees ([`SpecialNoticeSummary::AllEmployees`]) and its first
/// employees' pages, the others with further employees' pages only
/// ([`SpecialNoticeSummary::Continuation`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SpecialNoticeSummary {
    /// The summary of this notice's own employees (the whole notice).
    #[default]
    TheseEmployees,
    /// The summary of all the employer's employees, of which this notice
    /// holds the first.
    AllEmployees {
        /// 納税義務者数.
        employee_count: usize,
        /// The monthly totals, June to May.
        monthly_totals: [Yen; 12],
    },
    /// No summary page: further employees' pages of the employer's notice.
    Continuation,
}

/// Whether a person was taxed that year, which decides the certificate's
/// title and wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxationStatus {
    /// 課税（所得）証明書.
    Taxable,
    /// 非課税証明書: neither 所得割 nor 均等割 was levied.
    NonTaxable,
}

/// 課税（所得）証明書 or 非課税証明書 (`taxation_certificate`): a person's
/// income by kind, deductions, tax base and levies of one fiscal year.
#[derive(Debug, Clone)]
pub struct TaxationCertificate {
    /// Number, date, certifier, seal, verification.
    pub issuance: Issuance,
    /// 年度, already formatted, e.g. `令和8年度`.
    pub fiscal_year: String,
    /// The year of the income (所得の年), e.g. `令和7年分`.
    pub income_year: String,
    /// The names of the tax's two parts.
    pub tax_labels: TaxLabels,
    /// 課税 or 非課税.
    pub status: TaxationStatus,
    /// 氏名.
    pub name: String,
    /// 生年月日, already formatted.
    pub birth_date: String,
    /// 住所 (on 1 January of the fiscal year).
    pub address: String,
    /// 課税明細.
    pub details: TaxDetails,
}

/// Yen as printed in the tables: `1,234,567`.
pub(crate) fn yen(amount: Yen) -> String {
    group_thousands(amount.get())
}

fn total(amounts: impl Iterator<Item = Yen>) -> Yen {
    Yen::new(amounts.map(Yen::get).sum())
}

/// The months of special collection, June to May.
const MONTHS: [&str; 12] = [
    "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月", "4月", "5月",
];

/// The height of the printed bars, in modules (about 12 mm at 0.254 mm a module).
const BAR_HEIGHT_MODULES: usize = 47;

impl Preparer<'_> {
    fn labels(&self, labels: &TaxLabels) -> Result<WireLabels, PrintError> {
        use FontRole::Text;
        Ok(WireLabels {
            municipal: self.required("tax_labels.municipal", Text, &labels.municipal)?,
            prefectural: self.required("tax_labels.prefectural", Text, &labels.prefectural)?,
        })
    }

    pub(crate) fn mailing(
        &self,
        at: &str,
        mailing: &MailingBlock,
    ) -> Result<WireMailing, PrintError> {
        use FontRole::NameOrAddress;
        Ok(WireMailing {
            postal_code: mailing.postal_code.as_ref().map(PostalCode::hyphenated),
            address: self.required(&format!("{at}.address"), NameOrAddress, &mailing.address)?,
            address_line2: self.text(
                &format!("{at}.address_line2"),
                NameOrAddress,
                &mailing.address_line2,
            )?,
            name: self.required(&format!("{at}.name"), NameOrAddress, &mailing.name)?,
        })
    }

    fn details(&self, at: &str, details: &TaxDetails) -> Result<WireDetails, PrintError> {
        use FontRole::Text;
        let incomes = details
            .incomes
            .iter()
            .enumerate()
            .map(|(index, line)| {
                Ok(WireIncome {
                    kind: self.required(
                        &format!("{at}.incomes[{index}].kind"),
                        Text,
                        &line.kind,
                    )?,
                    revenue: line.revenue.map(yen),
                    income: yen(line.income),
                })
            })
            .collect::<Result<Vec<_>, PrintError>>()?;
        let amounts = |name: &str, lines: &[AmountLine]| {
            lines
                .iter()
                .enumerate()
                .map(|(index, line)| {
                    Ok(WireAmount {
                        label: self.required(
                            &format!("{at}.{name}[{index}].label"),
                            Text,
                            &line.label,
                        )?,
                        amount: yen(line.amount),
                    })
                })
                .collect::<Result<Vec<_>, PrintError>>()
        };
        let levies = &details.levies;
        Ok(WireDetails {
            incomes,
            total_income: yen(details.total_income),
            deductions: amounts("deductions", &details.deductions)?,
            total_deductions: yen(details.total_deductions),
            taxable_income: yen(details.taxable_income),
            tax_credits: amounts("tax_credits", &details.tax_credits)?,
            municipal_income: yen(levies.municipal.income_levy),
            municipal_per_capita: yen(levies.municipal.per_capita_levy),
            prefectural_income: yen(levies.prefectural.income_levy),
            prefectural_per_capita: yen(levies.prefectural.per_capita_levy),
            income_levy: yen(levies.municipal.income_levy + levies.prefectural.income_levy),
            per_capita_levy: yen(
                levies.municipal.per_capita_levy + levies.prefectural.per_capita_levy
            ),
            municipal_total: yen(levies.municipal.income_levy + levies.municipal.per_capita_levy),
            prefectural_total: yen(
                levies.prefectural.income_levy + levies.prefectural.per_capita_levy
            ),
            levy_total: yen(levies.municipal.income_levy
                + levies.municipal.per_capita_levy
                + levies.prefectural.income_levy
                + levies.prefectural.per_capita_levy),
            forest: yen(levies.forest_environment_tax),
            total: yen(levies.total),
        })
    }

    /// The digits of a slip, checked against the notice they are printed on.
    fn slip_barcode(
        &self,
        at: &str,
        notice_number: &str,
        installment: &NoticeInstallment,
    ) -> Result<Option<WireBarcode>, PrintError> {
        let Some(barcode) = &installment.barcode else {
            return Ok(None);
        };
        let fields = barcode.fields();
        let disagreement = if fields.notice_number != notice_number {
            Some(format!(
                "通知書番号 {} が通知書の {notice_number} と異なります",
                fields.notice_number
            ))
        } else if fields.period != installment.period {
            Some(format!(
                "期別 {} が第{}期と異なります",
                fields.period, installment.period
            ))
        } else if fields.amount != installment.amount {
            Some(format!(
                "金額 {} が納付額 {} と異なります",
                yen(fields.amount),
                yen(installment.amount)
            ))
        } else {
            None
        };
        if let Some(detail) = disagreement {
            return Err(PrintError::Inconsistent {
                field: self.field(&format!("{at}.barcode")),
                detail,
            });
        }
        let symbol = Gs1_128::new(barcode.as_str()).map_err(|error| PrintError::Inconsistent {
            field: self.field(&format!("{at}.barcode")),
            detail: error.to_string(),
        })?;
        Ok(Some(WireBarcode {
            svg: symbol.svg(BAR_HEIGHT_MODULES),
            modules: symbol.modules() + 2 * crate::gs1_128::QUIET_ZONE,
            text: barcode.human_readable(),
        }))
    }

    fn notice_number(&self, value: &str) -> Result<String, PrintError> {
        if value.len() != 12 || !value.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(PrintError::Inconsistent {
                field: self.field("notice_number"),
                detail: format!("通知書番号は12桁の数字です（{value}）"),
            });
        }
        Ok(value.to_string())
    }

    pub(crate) fn tax_notice(&mut self, notice: &TaxNotice) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let notice_number = self.notice_number(&notice.notice_number)?;
        if notice.installments.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("installments"),
            });
        }
        let mut installments = Vec::with_capacity(notice.installments.len());
        for (index, installment) in notice.installments.iter().enumerate() {
            let at = format!("installments[{index}]");
            installments.push(WireInstallment {
                period: installment.period,
                due_date: self.required(&format!("{at}.due_date"), Text, &installment.due_date)?,
                amount: yen(installment.amount),
                barcode: self.slip_barcode(&at, &notice_number, installment)?,
            });
        }
        let ordinary = total(notice.installments.iter().map(|i| i.amount));
        Ok(WireDocument::TaxNotice(WireTaxNotice {
            kind: "tax_notice",
            municipality: self.required("municipality_name", Text, &notice.municipality_name)?,
            mayor_title: self.required("mayor_title", Text, &notice.mayor_title)?,
            mayor_name: self.required("mayor_name", NameOrAddress, &notice.mayor_name)?,
            issued_on: self.required("issued_on", Text, &notice.issued_on)?,
            fiscal_year: self.required("fiscal_year", Text, &notice.fiscal_year)?,
            labels: self.labels(&notice.tax_labels)?,
            notice_number,
            addressee_id: self.required("addressee_id", Text, &notice.addressee_id)?,
            mailing: self.mailing("mailing", &notice.mailing)?,
            taxpayer_name: self.required("taxpayer_name", NameOrAddress, &notice.taxpayer_name)?,
            taxpayer_address: self.required(
                "taxpayer_address",
                NameOrAddress,
                &notice.taxpayer_address,
            )?,
            details: self.details("details", &notice.details)?,
            special: notice.special_collection_amount.map(yen),
            ordinary: yen(ordinary),
            installments,
            contact: self.required("contact", Text, &notice.contact)?,
        }))
    }

    pub(crate) fn special_collection_notice(
        &mut self,
        notice: &SpecialCollectionNotice,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        if notice.employees.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("employees"),
            });
        }
        let mut monthly_totals = [Yen::ZERO; 12];
        let mut employees = Vec::with_capacity(notice.employees.len());
        for (index, employee) in notice.employees.iter().enumerate() {
            let at = format!("employees[{index}]");
            for (sum, amount) in monthly_totals.iter_mut().zip(employee.monthly) {
                *sum += amount;
            }
            employees.push(WireEmployee {
                addressee_id: self.required(
                    &format!("{at}.addressee_id"),
                    Text,
                    &employee.addressee_id,
                )?,
                employee_number: self.optional(
                    &format!("{at}.employee_number"),
                    Text,
                    employee.employee_number.as_deref(),
                )?,
                name: self.required(&format!("{at}.name"), NameOrAddress, &employee.name)?,
                address: self.required(
                    &format!("{at}.address"),
                    NameOrAddress,
                    &employee.address,
                )?,
                details: self.details(&format!("{at}.details"), &employee.details)?,
                monthly: employee.monthly.map(yen).to_vec(),
                annual: yen(total(employee.monthly.into_iter())),
            });
        }
        let (with_summary, employee_count) = match &notice.summary {
            SpecialNoticeSummary::TheseEmployees => (true, employees.len()),
            SpecialNoticeSummary::AllEmployees {
                employee_count,
                monthly_totals: totals,
            } => {
                monthly_totals = *totals;
                (true, *employee_count)
            }
            SpecialNoticeSummary::Continuation => (false, employees.len()),
        };
        Ok(WireDocument::SpecialCollectionNotice(
            WireSpecialCollectionNotice {
                with_summary,
                kind: "special_collection_notice",
                municipality: self.required(
                    "municipality_name",
                    Text,
                    &notice.municipality_name,
                )?,
                mayor_title: self.required("mayor_title", Text, &notice.mayor_title)?,
                mayor_name: self.required("mayor_name", NameOrAddress, &notice.mayor_name)?,
                issued_on: self.required("issued_on", Text, &notice.issued_on)?,
                fiscal_year: self.required("fiscal_year", Text, &notice.fiscal_year)?,
                labels: self.labels(&notice.tax_labels)?,
                designation_number: self.required(
                    "designation_number",
                    Text,
                    &notice.designation_number,
                )?,
                employer_name: self.required(
                    "employer_name",
                    NameOrAddress,
                    &notice.employer_name,
                )?,
                mailing: self.mailing("mailing", &notice.mailing)?,
                months: MONTHS.to_vec(),
                monthly_totals: monthly_totals.map(yen).to_vec(),
                annual_total: yen(total(monthly_totals.into_iter())),
                employee_count,
                employees,
                contact: self.required("contact", Text, &notice.contact)?,
            },
        ))
    }

    pub(crate) fn taxation_certificate(
        &mut self,
        certificate: &TaxationCertificate,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        let issuance: WireIssuance = self.issuance(&certificate.issuance)?;
        Ok(WireDocument::TaxationCertificate(WireTaxationCertificate {
            kind: "taxation_certificate",
            municipality: issuance.municipality.clone(),
            issuance,
            fiscal_year: self.required("fiscal_year", Text, &certificate.fiscal_year)?,
            income_year: self.required("income_year", Text, &certificate.income_year)?,
            labels: self.labels(&certificate.tax_labels)?,
            non_taxable: certificate.status == TaxationStatus::NonTaxable,
            name: self.required("name", NameOrAddress, &certificate.name)?,
            birth_date: self.required("birth_date", Text, &certificate.birth_date)?,
            address: self.required("address", NameOrAddress, &certificate.address)?,
            details: self.details("details", &certificate.details)?,
        }))
    }
}

#[derive(Serialize)]
struct WireLabels {
    municipal: String,
    prefectural: String,
}

#[derive(Serialize)]
pub(crate) struct WireMailing {
    postal_code: Option<String>,
    address: String,
    address_line2: String,
    name: String,
}

#[derive(Serialize)]
struct WireIncome {
    kind: String,
    revenue: Option<String>,
    income: String,
}

#[derive(Serialize)]
struct WireAmount {
    label: String,
    amount: String,
}

#[derive(Serialize)]
struct WireDetails {
    incomes: Vec<WireIncome>,
    total_income: String,
    deductions: Vec<WireAmount>,
    total_deductions: String,
    taxable_income: String,
    tax_credits: Vec<WireAmount>,
    municipal_income: String,
    municipal_per_capita: String,
    prefectural_income: String,
    prefectural_per_capita: String,
    income_levy: String,
    per_capita_levy: String,
    municipal_total: String,
    prefectural_total: String,
    levy_total: String,
    forest: String,
    total: String,
}

#[derive(Serialize)]
struct WireBarcode {
    /// The bars as SVG, one unit a module.
    svg: String,
    /// The width of the SVG in modules (quiet zones included).
    modules: usize,
    /// The digits in groups, printed under the bars.
    text: String,
}

#[derive(Serialize)]
struct WireInstallment {
    period: u8,
    due_date: String,
    amount: String,
    barcode: Option<WireBarcode>,
}

#[derive(Serialize)]
pub(crate) struct WireTaxNotice {
    kind: &'static str,
    municipality: String,
    mayor_title: String,
    mayor_name: String,
    issued_on: String,
    fiscal_year: String,
    labels: WireLabels,
    notice_number: String,
    addressee_id: String,
    mailing: WireMailing,
    taxpayer_name: String,
    taxpayer_address: String,
    details: WireDetails,
    special: Option<String>,
    ordinary: String,
    installments: Vec<WireInstallment>,
    contact: String,
}

#[derive(Serialize)]
struct WireEmployee {
    addressee_id: String,
    employee_number: Option<String>,
    name: String,
    address: String,
    details: WireDetails,
    monthly: Vec<String>,
    annual: String,
}

#[derive(Serialize)]
pub(crate) struct WireSpecialCollectionNotice {
    kind: &'static str,
    with_summary: bool,
    municipality: String,
    mayor_title: String,
    mayor_name: String,
    issued_on: String,
    fiscal_year: String,
    labels: WireLabels,
    designation_number: String,
    employer_name: String,
    mailing: WireMailing,
    months: Vec<&'static str>,
    monthly_totals: Vec<String>,
    annual_total: String,
    employee_count: usize,
    employees: Vec<WireEmployee>,
    contact: String,
}

#[derive(Serialize)]
pub(crate) struct WireTaxationCertificate {
    kind: &'static str,
    municipality: String,
    issuance: WireIssuance,
    fiscal_year: String,
    income_year: String,
    labels: WireLabels,
    non_taxable: bool,
    name: String,
    birth_date: String,
    address: String,
    details: WireDetails,
}
