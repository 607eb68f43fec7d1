//! The 督促状 (collection-v1 "Demands"): its text as printed.

use kiban_core::Yen;
use kiban_print::{DemandLine, DemandNotice, Document, MailingBlock};

use crate::common::{assert_contains, engine, pdf_pages, pdf_text_joined};

fn notice(lines: usize) -> DemandNotice {
    DemandNotice {
        municipality_name: "デモ市".into(),
        mayor_title: "デモ市長".into(),
        mayor_name: "見本　太郎".into(),
        issued_on: "令和8年7月20日".into(),
        addressee_id: "17".into(),
        mailing: MailingBlock {
            postal_code: Some(kiban_core::PostalCode::parse("1250062").unwrap()),
            address: "東京都葛飾区青戸三丁目1番1号".into(),
            address_line2: String::new(),
            name: "葛飾　太郎".into(),
        },
        charges: (0..lines)
            .map(|i| DemandLine {
                business: "個人住民税".into(),
                fiscal_year: "令和8年度".into(),
                period: format!("第{}期", i + 1),
                notice_number: "260100000017".into(),
                due_date: "令和8年6月30日".into(),
                balance: Yen::new(25_000),
            })
            .collect(),
        demand_fee: Yen::new(100),
        pay_by: "令和8年7月30日".into(),
        contact: "デモ市 収納担当".into(),
    }
}

#[test]
fn a_demand_prints_its_charges_total_fee_and_deadline() {
    let pdf = engine().render(&Document::DemandNotice(notice(2))).unwrap();
    let text = pdf_text_joined(&pdf);
    for expected in [
        "督促状",
        "東京都葛飾区青戸三丁目1番1号",
        "個人住民税",
        "第1期",
        "第2期",
        "260100000017",
        "25,000",
        "50,000",
        "督促手数料",
        "令和8年7月30日までに納付してください",
        "デモ市長",
    ] {
        assert_contains(&text, expected);
    }
    assert_eq!(pdf_pages(&pdf), 1);
}

#[test]
fn a_demand_without_charges_is_refused() {
    let error = engine()
        .render(&Document::DemandNotice(notice(0)))
        .unwrap_err();
    assert!(error.to_string().contains("charges"), "{error}");
}
