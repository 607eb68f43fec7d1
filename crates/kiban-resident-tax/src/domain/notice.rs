//! What the resident tax prints (contract resident-tax-v1, "Notices and
//! certificates"): the 課税明細 of an assessment as the forms show it, the
//! names of the tax's two parts, the 納付書 of each period with its
//! convenience-store barcode, and the order of the mail (区分郵便).
//!
//! Pure: the storage reads the assessment, the mailing address and the
//! municipality; this module decides what is printed from them.

use kiban_collection::barcode::{BarcodeFields, Business, ConvenienceStoreBarcode};
use kiban_core::{FiscalYear, PostalCode, Yen};
use kiban_print::{AmountLine, IncomeLine, Levies, Levy, NoticeInstallment, TaxDetails, TaxLabels};
use kiban_tax_resident::{ResidentTax, ResidentTaxInput};

use crate::domain::installments::Installment;

/// The names of the two parts of the tax as the municipality prints them:
/// 特別区民税・都民税 for Tokyo's wards, otherwise 市民税 / 町民税 / 村民税
/// by the municipality's name, and 都民税 / 道民税 / 府民税 / 県民税 by the
/// prefecture's.
pub fn tax_labels(municipality_name: &str, prefecture: &str) -> TaxLabels {
    let municipal = if prefecture == "東京都" && municipality_name.ends_with('区') {
        "特別区民税"
    } else if municipality_name.ends_with('町') {
        "町民税"
    } else if municipality_name.ends_with('村') {
        "村民税"
    } else {
        "市民税"
    };
    let prefectural = if prefecture.ends_with('都') {
        "都民税"
    } else if prefecture.ends_with('道') {
        "道民税"
    } else if prefecture.ends_with('府') {
        "府民税"
    } else {
        "県民税"
    };
    TaxLabels {
        municipal: municipal.to_owned(),
        prefectural: prefectural.to_owned(),
    }
}

fn line(label: &str, amount: Yen) -> Option<AmountLine> {
    (amount.get() != 0).then(|| AmountLine {
        label: label.to_owned(),
        amount,
    })
}

/// The 課税明細 of a calculation: incomes by kind (with the revenue where
/// the kind has one), the deductions that apply, the tax base, the credits
/// and the levies, as on the 納税通知書 and the 課税証明書.
pub fn details(input: &ResidentTaxInput, tax: &ResidentTax) -> TaxDetails {
    let revenues = &input.taxpayer.revenues;
    let income = &tax.income;
    let mut incomes = Vec::new();
    if revenues.salary_revenue.get() > 0 || income.employment_income.get() > 0 {
        incomes.push(IncomeLine {
            kind: "給与所得".into(),
            revenue: Some(revenues.salary_revenue),
            income: income.employment_income,
        });
    }
    if revenues.public_pension_revenue.get() > 0 || income.pension_income.get() > 0 {
        incomes.push(IncomeLine {
            kind: "公的年金等に係る雑所得".into(),
            revenue: Some(revenues.public_pension_revenue),
            income: income.pension_income,
        });
    }
    for (kind, amount) in [
        ("事業所得", income.business_income),
        ("不動産所得", income.real_estate_income),
        ("雑所得（公的年金等以外）", income.misc_income),
    ] {
        if amount.get() != 0 {
            incomes.push(IncomeLine {
                kind: kind.into(),
                revenue: None,
                income: amount,
            });
        }
    }
    let d = &tax.deductions;
    let deductions: Vec<AmountLine> = [
        ("社会保険料控除", d.social_insurance),
        ("小規模企業共済等掛金控除", d.small_business_mutual_aid),
        ("生命保険料控除", d.life_insurance),
        ("地震保険料控除", d.earthquake_insurance),
        ("医療費控除", d.medical_expenses),
        ("配偶者控除", d.spouse),
        ("配偶者特別控除", d.spouse_special),
        ("扶養控除", d.dependents),
        ("特定親族特別控除", d.specified_relative),
        ("障害者控除", d.disability),
        ("寡婦・ひとり親控除", d.widow_single_parent),
        ("勤労学生控除", d.working_student),
        ("基礎控除", d.basic),
    ]
    .into_iter()
    .filter_map(|(label, amount)| line(label, amount))
    .collect();
    let tax_credits: Vec<AmountLine> = [
        (
            "調整控除",
            tax.municipal.adjustment_credit + tax.prefectural.adjustment_credit,
        ),
        (
            "特別税額控除（定額減税）",
            tax.municipal.special_tax_credit + tax.prefectural.special_tax_credit,
        ),
    ]
    .into_iter()
    .filter_map(|(label, amount)| line(label, amount))
    .collect();
    TaxDetails {
        incomes,
        total_income: income.total_income,
        deductions,
        total_deductions: d.total,
        taxable_income: tax.tax_base,
        tax_credits,
        levies: Levies {
            municipal: Levy {
                income_levy: tax.municipal.income_levy,
                per_capita_levy: tax.municipal.per_capita_levy,
            },
            prefectural: Levy {
                income_levy: tax.prefectural.income_levy,
                per_capita_levy: tax.prefectural.per_capita_levy,
            },
            forest_environment_tax: tax.forest_environment_tax,
            total: tax.total,
        },
    }
}

/// Why a notice cannot be printed for a person (a subject error of the
/// run, named by its code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeProblem {
    /// Stable code: `no_notice_number`, `barcode`.
    pub code: &'static str,
    /// What is wrong, in Japanese.
    pub text: String,
}

/// The 納付書 of each period with an amount, each with its barcode (none
/// above the convenience stores' limit of 300,000 yen).
pub fn slips(
    fiscal_year: FiscalYear,
    agency_code: &str,
    notice_number: Option<&str>,
    installments: &[Installment],
) -> Result<Vec<NoticeInstallment>, NoticeProblem> {
    let Some(notice_number) = notice_number else {
        return Err(NoticeProblem {
            code: "no_notice_number",
            text: "普通徴収の税額があるのに通知書番号がありません".into(),
        });
    };
    let mut out = Vec::new();
    for installment in installments.iter().filter(|i| i.amount.get() > 0) {
        let period = u8::try_from(installment.period).map_err(|_| NoticeProblem {
            code: "barcode",
            text: format!("期別 {} は納付書に印字できません", installment.period),
        })?;
        let barcode = ConvenienceStoreBarcode::new(&BarcodeFields {
            agency_code: agency_code.to_owned(),
            fiscal_year,
            business: Business::ResidentTax,
            notice_number: notice_number.to_owned(),
            period,
            reissue_count: 0,
            due_date: installment.due_date,
            amount: installment.amount,
        })
        .map_err(|e| NoticeProblem {
            code: "barcode",
            text: format!("第{period}期の納付書のバーコード: {e}"),
        })?;
        out.push(NoticeInstallment {
            period,
            due_date: kiban_core::wareki::format_ja(installment.due_date),
            amount: installment.amount,
            barcode,
        });
    }
    Ok(out)
}

/// The order of the mail for the postal discount (区分郵便): by postal
/// code (letters without one, abroad, last), then address, then number, so
/// that the same data always gives the same order.
pub fn mail_order_key(
    postal_code: Option<&PostalCode>,
    address: &str,
    addressee_id: u64,
) -> (String, String, u64) {
    (
        postal_code.map_or_else(|| "~".to_owned(), |p| p.as_str().to_owned()),
        address.to_owned(),
        addressee_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_municipality_and_prefecture() {
        let l = tax_labels("葛飾区", "東京都");
        assert_eq!(
            (l.municipal.as_str(), l.prefectural.as_str()),
            ("特別区民税", "都民税")
        );
        let l = tax_labels("デモ市", "東京都");
        assert_eq!(
            (l.municipal.as_str(), l.prefectural.as_str()),
            ("市民税", "都民税")
        );
        let l = tax_labels("ニセコ町", "北海道");
        assert_eq!(
            (l.municipal.as_str(), l.prefectural.as_str()),
            ("町民税", "道民税")
        );
        let l = tax_labels("大阪市", "大阪府");
        assert_eq!(l.prefectural, "府民税");
        let l = tax_labels("檜原村", "東京都");
        assert_eq!(l.municipal, "村民税");
        let l = tax_labels("新潟市", "新潟県");
        assert_eq!(
            (l.municipal.as_str(), l.prefectural.as_str()),
            ("市民税", "県民税")
        );
    }

    #[test]
    fn slips_carry_valid_barcodes_and_none_above_the_limit() {
        let year = FiscalYear::new(2026).unwrap_or_else(|e| panic!("{e:?}"));
        let due = |m, d| jiff::civil::date(2026, m, d);
        let installments = [
            Installment {
                period: 1,
                due_date: due(6, 30),
                amount: Yen::new(25_300),
            },
            Installment {
                period: 2,
                due_date: due(8, 31),
                amount: Yen::new(0),
            },
            Installment {
                period: 3,
                due_date: due(11, 2),
                amount: Yen::new(300_001),
            },
        ];
        let slips = slips(year, "12345", Some("202600000001"), &installments)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(slips.len(), 2);
        let first = slips[0]
            .barcode
            .as_ref()
            .unwrap_or_else(|| panic!("barcode"));
        let parsed =
            ConvenienceStoreBarcode::parse(first.as_str()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(parsed.fields().amount, Yen::new(25_300));
        assert_eq!(parsed.fields().period, 1);
        assert_eq!(slips[0].due_date, "令和8年6月30日");
        assert!(slips[1].barcode.is_none());
        assert_eq!(
            super::slips(year, "12345", None, &installments).map_err(|e| e.code),
            Err("no_notice_number")
        );
    }

    #[test]
    fn the_mail_is_ordered_by_postal_code_with_letters_abroad_last() {
        let a = PostalCode::parse("1250062").unwrap_or_else(|e| panic!("{e:?}"));
        let b = PostalCode::parse("1000001").unwrap_or_else(|e| panic!("{e:?}"));
        let mut keys = [
            mail_order_key(None, "ドイツ", 1),
            mail_order_key(Some(&a), "葛飾区", 2),
            mail_order_key(Some(&b), "千代田区", 3),
        ];
        keys.sort();
        assert_eq!(keys.map(|k| k.2), [3, 2, 1]);
    }
}
