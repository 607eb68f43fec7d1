//! The resident-tax documents: 納税通知書 with its 納付書 and barcodes,
//! 特別徴収税額決定通知書, 課税（所得）証明書 / 非課税証明書, and notices in
//! batches.

use std::num::NonZeroUsize;

use kiban_collection::barcode::ConvenienceStoreBarcode;
use kiban_core::Yen;
use kiban_print::{
    Document, Gs1_128, Placement, PrintError, SpecialCollectionEmployee, SpecialCollectionNotice,
    SpecialNoticeSummary, TaxationCertificate, TaxationStatus,
};
use rxing::{BarcodeFormat, DecodeHints};

use crate::common::*;

/// Decodes the Code 128 symbol of a grey image as a GS1 reader does: the
/// text starts with the symbology identifier `]C1` when FNC1 is first.
fn decode_code128(width: usize, height: usize, pixels: Vec<u8>) -> String {
    let mut hints = DecodeHints {
        AssumeGs1: Some(true),
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    let result = rxing::helpers::detect_in_luma_with_hints(
        pixels,
        width as u32,
        height as u32,
        Some(BarcodeFormat::CODE_128),
        &mut hints,
    )
    .unwrap_or_else(|error| panic!("no Code 128 symbol found: {error}"));
    result.getText().to_string()
}

/// The rows `top..bottom` of a grey image.
fn crop_rows(width: usize, pixels: &[u8], top: usize, bottom: usize) -> Vec<u8> {
    pixels[top * width..bottom * width].to_vec()
}

#[test]
fn every_code_set_c_value_decodes_as_drawn() {
    // All hundred digit pairs, in symbols of 44 digits, drawn three pixels a
    // module and read back by an independent decoder.
    for first in (0..100).step_by(22) {
        let digits: String = (first..first + 22)
            .map(|pair| format!("{:02}", pair % 100))
            .collect();
        let symbol = Gs1_128::new(&digits).unwrap();
        let mut row = vec![255u8; 30];
        for (index, &element) in symbol.element_widths().iter().enumerate() {
            let shade = if index % 2 == 0 { 0 } else { 255 };
            row.extend(std::iter::repeat_n(shade, usize::from(element) * 3));
        }
        row.extend(std::iter::repeat_n(255, 30));
        let width = row.len();
        let pixels: Vec<u8> = std::iter::repeat_n(row, 40).flatten().collect();
        assert_eq!(decode_code128(width, 40, pixels), format!("]C1{digits}"));
    }
}

#[test]
fn a_notice_prints_the_details_installments_and_slips() {
    let notice = tax_notice(1);
    let pdf = engine().render_tax_notice(&notice).unwrap();
    // The notice page and one page of three slips and one of the fourth.
    assert_eq!(pdf_pages(&pdf), 3);
    let text = pdf_text(&pdf);
    for expected in [
        "令和8年度　特別区民税・都民税　税額決定・納税通知書",
        "〒124-0012",
        "東京都葛飾区立石五丁目13番1号",
        "立石ハイツ203",
        "様",
        "260000000001",
        "給与所得",
        "4,000,000",
        "2,760,000",
        "社会保険料控除",
        "1,702,000",
        "100,620",
        "67,080",
        "調整控除",
        "森林環境税（国税）",
        "172,700",
        "第1期",
        "令和8年6月30日",
        "43,700",
        "令和9年2月1日",
        "領収証書",
        "納付書・領収済通知書",
        "第4期",
        "（教示）",
        "1 / 3",
    ] {
        assert_contains(&text, expected);
    }
    // Every slip's digits are printed under its bars.
    for installment in &notice.installments {
        let barcode = installment.barcode.as_ref().unwrap();
        assert_contains(&text, &barcode.human_readable());
    }
}

#[test]
fn the_slip_barcode_decodes_to_the_44_digits_with_a_valid_check_digit() {
    let notice = tax_notice(2);
    let pdf = engine().render_tax_notice(&notice).unwrap();
    // Page 2 holds the slips of periods 1–3, each a third of the page: read
    // each third on its own, at 300 dpi (three pixels a module).
    let (width, height, pixels) = pdf_page_grey_at(&pdf, 300, 2);
    for (third, installment) in notice.installments.iter().take(3).enumerate() {
        let top = height * third / 3;
        let bottom = height * (third + 1) / 3;
        let text = decode_code128(width, bottom - top, crop_rows(width, &pixels, top, bottom));
        let digits = text
            .strip_prefix("]C1")
            .unwrap_or_else(|| panic!("not a GS1-128 symbol (FNC1 first): {text}"));
        assert_eq!(digits.len(), 44);
        let barcode = ConvenienceStoreBarcode::parse(digits).unwrap();
        assert_eq!(Some(&barcode), installment.barcode.as_ref());
        assert_eq!(barcode.fields().period, installment.period);
        assert_eq!(barcode.fields().amount, installment.amount);
        assert_eq!(barcode.fields().notice_number, notice.notice_number);
    }
    // The fourth slip is alone on page 3.
    let (width, height, pixels) = pdf_page_grey_at(&pdf, 300, 3);
    let text = decode_code128(width, height / 3, crop_rows(width, &pixels, 0, height / 3));
    let fourth = notice.installments[3].barcode.as_ref().unwrap();
    assert_eq!(text, format!("]C1{}", fourth.as_str()));
}

#[test]
fn the_text_layer_of_a_notice() {
    let mut notice = tax_notice(3);
    notice.special_collection_amount = Some(Yen::new(120_000));
    let pdf = engine().render_tax_notice(&notice).unwrap();
    insta::assert_snapshot!(pdf_text(&pdf));
}

#[test]
fn a_slip_above_300000_yen_says_it_cannot_be_paid_at_a_convenience_store() {
    let mut notice = tax_notice(4);
    notice.installments.truncate(1);
    notice.installments[0].amount = Yen::new(310_000);
    notice.installments[0].barcode = None;
    let pdf = engine().render_tax_notice(&notice).unwrap();
    assert_eq!(pdf_pages(&pdf), 2);
    let text = pdf_text(&pdf);
    assert_contains(
        &text,
        "30万円を超えるため、コンビニエンスストアでは納付できません",
    );
    assert_contains(&text, "310,000");
}

#[test]
fn a_barcode_that_disagrees_with_its_installment_is_refused() {
    let mut notice = tax_notice(5);
    notice.installments[1].amount = Yen::new(44_000);
    let error = engine().render_tax_notice(&notice).unwrap_err();
    let PrintError::Inconsistent { field, detail } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(field, "installments[1].barcode");
    assert!(detail.contains("44,000"), "{detail}");
    // Another notice's barcode.
    let mut notice = tax_notice(6);
    notice.installments[0].barcode = tax_notice(7).installments[0].barcode.clone();
    let error = engine().render_tax_notice(&notice).unwrap_err();
    assert!(
        matches!(&error, PrintError::Inconsistent { field, .. } if field == "installments[0].barcode"),
        "{error}"
    );
    // A notice number that is not twelve digits.
    let mut notice = tax_notice(8);
    notice.notice_number = "12345".to_string();
    let error = engine().render_tax_notice(&notice).unwrap_err();
    assert!(
        matches!(&error, PrintError::Inconsistent { field, .. } if field == "notice_number"),
        "{error}"
    );
    // No installment.
    let mut notice = tax_notice(9);
    notice.installments.clear();
    let error = engine().render_tax_notice(&notice).unwrap_err();
    assert!(
        matches!(&error, PrintError::EmptyField { field } if field == "installments"),
        "{error}"
    );
}

#[test]
fn a_missing_glyph_names_the_field_of_the_notice() {
    let check = |change: fn(&mut kiban_print::TaxNotice), expected: &str| {
        let mut notice = tax_notice(10);
        change(&mut notice);
        let error = engine().render_tax_notice(&notice).unwrap_err();
        let PrintError::MissingGlyph { field, code_point } = &error else {
            panic!("unexpected error: {error}");
        };
        assert_eq!(field, expected);
        assert_eq!(code_point.to_string(), "U+E000");
        let message = error.message().text();
        assert!(message.contains(expected), "{message}");
    };
    check(
        |n| n.taxpayer_name = "葛西\u{E000}一郎".to_string(),
        "taxpayer_name",
    );
    check(|n| n.mailing.name = "\u{E000}".to_string(), "mailing.name");
    check(
        |n| n.mailing.address_line2 = "ハイツ\u{E000}".to_string(),
        "mailing.address_line2",
    );
    check(
        |n| n.details.incomes[0].kind = "給与\u{E000}".to_string(),
        "details.incomes[0].kind",
    );
    check(
        |n| n.details.deductions[2].label = "\u{E000}".to_string(),
        "details.deductions[2].label",
    );
    check(
        |n| n.installments[3].due_date = "令和9年\u{E000}".to_string(),
        "installments[3].due_date",
    );
    // In a batch, the document is named too.
    let mut bad = tax_notice(11);
    bad.tax_labels.municipal = "区民\u{E000}".to_string();
    let documents = vec![
        Document::TaxNotice(tax_notice(12)),
        Document::TaxNotice(bad),
    ];
    let error = engine()
        .render_batch(&documents, NonZeroUsize::new(100).unwrap())
        .unwrap_err();
    assert!(
        matches!(&error, PrintError::MissingGlyph { field, .. } if field == "documents[1].tax_labels.municipal"),
        "{error}"
    );
}

#[test]
fn a_batch_of_notices_tells_where_each_notice_is() {
    // Notices of 3 pages (four periods) and 2 pages (one period).
    let documents: Vec<Document> = (0..7)
        .map(|serial| {
            let mut notice = tax_notice(100 + serial);
            if serial % 3 == 1 {
                notice.installments.truncate(1);
                let amount = notice.installments[0].amount;
                notice.details.levies.total = amount;
            }
            Document::TaxNotice(notice)
        })
        .collect();
    let files = engine()
        .render_batch(&documents, NonZeroUsize::new(8).unwrap())
        .unwrap();
    let placements: Vec<Vec<Placement>> = files.iter().map(|f| f.placements.clone()).collect();
    let place = |document, first_page, page_count| Placement {
        document,
        first_page,
        page_count,
    };
    // Pages: 3, 2, 3 | 3, 2, 3 | 3 (runs filled up to 8 expected pages).
    assert_eq!(
        placements,
        vec![
            vec![place(0, 1, 3), place(1, 4, 2), place(2, 6, 3)],
            vec![place(3, 1, 3), place(4, 4, 2), place(5, 6, 3)],
            vec![place(6, 1, 3)],
        ]
    );
    for file in &files {
        assert_eq!(pdf_pages(&file.pdf), file.page_count);
        let text = pdf_text(&file.pdf);
        for placement in &file.placements {
            let Document::TaxNotice(notice) = &documents[placement.document] else {
                unreachable!()
            };
            assert_contains(&text, &notice.notice_number);
        }
    }
}

fn employee(serial: u64, name: &str) -> SpecialCollectionEmployee {
    let monthly = std::array::from_fn(|month| {
        if month == 0 {
            Yen::new(14_700)
        } else {
            Yen::new(14_400)
        }
    });
    SpecialCollectionEmployee {
        addressee_id: format!("{:010}", 2_000 + serial),
        employee_number: Some(format!("E-{serial:04}")),
        name: name.to_string(),
        address: "東京都葛飾区青戸七丁目2番1号".to_string(),
        details: tax_details(),
        monthly,
    }
}

fn special_notice() -> SpecialCollectionNotice {
    SpecialCollectionNotice {
        municipality_name: "葛飾区".to_string(),
        mayor_title: "葛飾区長".to_string(),
        mayor_name: "辻　太郎".to_string(),
        issued_on: "令和8年5月15日".to_string(),
        fiscal_year: "令和8年度".to_string(),
        tax_labels: tax_labels(),
        designation_number: "00012345".to_string(),
        employer_name: "株式会社葛飾製作所".to_string(),
        mailing: kiban_print::MailingBlock {
            postal_code: Some(kiban_core::PostalCode::parse("1250062").unwrap()),
            address: "東京都葛飾区青戸三丁目1番1号".to_string(),
            address_line2: String::new(),
            name: "株式会社葛飾製作所　総務部".to_string(),
        },
        employees: vec![
            employee(1, "葛\u{E0102}西　一郎"),
            employee(2, "辻\u{E0103}　次郎"),
            employee(3, "青戸　花子"),
        ],
        summary: SpecialNoticeSummary::TheseEmployees,
        contact: "葛飾区 税務課 課税係　電話 03-3695-1111（代表）".to_string(),
    }
}

#[test]
fn a_special_collection_notice_has_a_summary_and_a_page_per_employee() {
    let notice = special_notice();
    let pdf = engine().render_special_collection_notice(&notice).unwrap();
    assert_eq!(pdf_pages(&pdf), 4);
    let text = pdf_text(&pdf);
    for expected in [
        "特別徴収税額の決定通知書（特別徴収義務者用）",
        "特別徴収税額の決定通知書（納税義務者用）",
        "00012345",
        "株式会社葛飾製作所",
        "御中",
        "3 人",
        // 14,700 + 11 × 14,400 = 173,100 a person; three persons.
        "519,300",
        // June: 3 × 14,700; July–May: 3 × 14,400.
        "44,100",
        "43,200",
        "E-0002",
        "青戸　花子",
        "173,100",
        "4 / 4",
    ] {
        assert_contains(&text, expected);
    }
    assert_eq!(
        Document::SpecialCollectionNotice(notice).expected_pages(),
        4
    );
}

/// A large employer's notice printed in two documents: the first sums up
/// all the employees, the second has further employees' pages only.
#[test]
fn a_special_collection_notice_in_parts() {
    let mut first = special_notice();
    let mut rest = first.clone();
    first.employees.truncate(1);
    let june = Yen::new(3 * 14_700);
    let other = Yen::new(3 * 14_400);
    let mut totals = [other; 12];
    totals[0] = june;
    first.summary = SpecialNoticeSummary::AllEmployees {
        employee_count: 3,
        monthly_totals: totals,
    };
    rest.employees.remove(0);
    rest.summary = SpecialNoticeSummary::Continuation;
    let pdf = engine().render_special_collection_notice(&first).unwrap();
    assert_eq!(pdf_pages(&pdf), 2);
    let text = pdf_text(&pdf);
    for expected in ["3 人", "519,300", "44,100", "2 / 2"] {
        assert_contains(&text, expected);
    }
    let pdf = engine().render_special_collection_notice(&rest).unwrap();
    assert_eq!(pdf_pages(&pdf), 2);
    let text = pdf_text(&pdf);
    assert!(!text.contains("特別徴収義務者用"), "{text}");
    for expected in ["（続き）", "青戸　花子", "1 / 2"] {
        assert_contains(&text, expected);
    }
    assert_eq!(
        [first, rest].map(|n| Document::SpecialCollectionNotice(n).expected_pages()),
        [2, 2]
    );
}

#[test]
fn a_special_collection_notice_without_employees_is_refused() {
    let mut notice = special_notice();
    notice.employees.clear();
    let error = engine()
        .render_special_collection_notice(&notice)
        .unwrap_err();
    assert!(
        matches!(&error, PrintError::EmptyField { field } if field == "employees"),
        "{error}"
    );
    let mut notice = special_notice();
    notice.employees[2].name = "青戸\u{E000}".to_string();
    let error = engine()
        .render_special_collection_notice(&notice)
        .unwrap_err();
    assert!(
        matches!(&error, PrintError::MissingGlyph { field, .. } if field == "employees[2].name"),
        "{error}"
    );
}

fn taxation_certificate(status: TaxationStatus, code: &str) -> TaxationCertificate {
    let mut details = tax_details();
    if status == TaxationStatus::NonTaxable {
        details.incomes[0].revenue = Some(Yen::new(900_000));
        details.incomes[0].income = Yen::new(350_000);
        details.total_income = Yen::new(350_000);
        details.taxable_income = Yen::ZERO;
        details.tax_credits.clear();
        details.levies = kiban_print::Levies {
            municipal: kiban_print::Levy {
                income_levy: Yen::ZERO,
                per_capita_levy: Yen::ZERO,
            },
            prefectural: kiban_print::Levy {
                income_levy: Yen::ZERO,
                per_capita_levy: Yen::ZERO,
            },
            forest_environment_tax: Yen::ZERO,
            total: Yen::ZERO,
        };
    }
    TaxationCertificate {
        issuance: issuance("R8-000500", code),
        fiscal_year: "令和8年度".to_string(),
        income_year: "令和7年分".to_string(),
        tax_labels: tax_labels(),
        status,
        name: "葛\u{E0102}西　一郎".to_string(),
        birth_date: "昭和55年3月15日".to_string(),
        address: "東京都葛飾区立石五丁目13番1号".to_string(),
        details,
    }
}

#[test]
fn a_taxation_certificate_prints_income_deductions_and_levies() {
    let certificate = taxation_certificate(TaxationStatus::Taxable, "TAX-CERT-1");
    let pdf = engine().render_taxation_certificate(&certificate).unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "課税（所得）証明書",
        "令和8年度",
        "令和7年分",
        "給与所得",
        "2,760,000",
        "基礎控除",
        "1,702,000",
        "172,700",
        "上記のとおり相違ないことを証明します。",
        "TAX-CERT-1",
        "R8-000500",
    ] {
        assert_contains(&text, expected);
    }
    assert!(!text.contains("非課税証明書"));
    // The verification QR code reads back.
    let (width, height, pixels) = pdf_page_grey(&pdf, 150);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(
        content,
        "https://kiban.example.jp/api/v1/certificates/verify/TAX-CERT-1"
    );
    // Through the batch and certificate door as well.
    let rendered = engine()
        .render_certificate(&Document::TaxationCertificate(certificate))
        .unwrap();
    assert_eq!(rendered.page_count, 1);
}

#[test]
fn a_non_taxable_person_gets_the_non_taxable_wording() {
    let certificate = taxation_certificate(TaxationStatus::NonTaxable, "TAX-CERT-2");
    let pdf = engine().render_taxation_certificate(&certificate).unwrap();
    let text = pdf_text(&pdf);
    assert_contains(&text, "非課税証明書");
    assert_contains(
        &text,
        "上記の者は、令和8年度の特別区民税・都民税が課されていないことを証明します。",
    );
    assert!(!text.contains("課税（所得）証明書"));
    let mut bad = certificate;
    bad.details.deductions[0].label = "社会\u{E000}".to_string();
    let error = engine().render_taxation_certificate(&bad).unwrap_err();
    assert!(
        matches!(&error, PrintError::MissingGlyph { field, .. } if field == "details.deductions[0].label"),
        "{error}"
    );
}
