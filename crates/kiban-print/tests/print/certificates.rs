//! Each layout, rendered with the real fonts and read back with pdftotext.

use crate::common::*;
use kiban_print::Document;

#[test]
fn resident_record_copy_prints_the_household() {
    let pdf = engine()
        .render_resident_record_copy(&household_copy("R7-000123", "AB12-CD34-EF56"))
        .unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "住民票の写し",
        "東京都葛飾区立石五丁目13番1号",
        "カサイ　イチロウ",
        "昭和55年3月15日",
        "この写しは、住民票の原本と相違ないことを証明する。",
        "令和7年4月1日",
        "AB12-CD34-EF56",
        "/api/v1/certificates/verify/AB12-CD34-EF56",
        "R7-000123",
    ] {
        assert_contains(&text, expected);
    }
}

#[test]
fn resident_record_copy_embeds_subsets_of_the_three_fonts() {
    let pdf = engine()
        .render_resident_record_copy(&household_copy("R7-000124", "FONTS-1"))
        .unwrap();
    let fonts = pdf_fonts(&pdf);
    for family in ["IPAmjMincho", "IPAexMincho", "IPAexGothic"] {
        let line = fonts
            .lines()
            .find(|line| line.contains(&format!("+{family}")))
            .unwrap_or_else(|| panic!("{family} is not embedded:\n{fonts}"));
        // A subset has a tag (ABCDEF+) and pdffonts says "emb yes sub yes".
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert!(
            columns.windows(2).any(|pair| pair == ["yes", "yes"]),
            "{family} is not an embedded subset: {line}"
        );
    }
}

#[test]
fn omitted_items_print_as_omitted_and_requested_ones_print() {
    let pdf = engine()
        .render_resident_record_copy(&household_copy("R7-000125", "ITEMS-1"))
        .unwrap();
    let text = pdf_text(&pdf);
    // The head's 住民票コード and the wife's 個人番号 were requested.
    assert_contains(&text, "12345678903");
    assert_contains(&text, "123456789018");
    assert_contains(&text, "（省略）");
    assert_contains(&text, "世帯主");
    assert_contains(&text, "千葉県松戸市本町1番地");
}

#[test]
fn removed_record_copy_prints_the_removal() {
    let pdf = engine()
        .render_removed_record_copy(&removed_copy("R7-000200", "REMOVED-1"))
        .unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "除票の写し",
        "ツジ　ジロウ",
        "令和6年12月1日",
        "転出",
        "大阪府大阪市北区中之島一丁目3番20号",
        "この写しは、除票の原本と相違ないことを証明する。",
        "REMOVED-1",
        "R7-000200",
    ] {
        assert_contains(&text, expected);
    }
}

#[test]
fn record_item_certificate_prints_the_chosen_items() {
    let certificate = kiban_print::RecordItemCertificate {
        issuance: issuance("R7-000300", "ITEM-CERT-1"),
        address: "東京都葛飾区立石五丁目13番1号".to_string(),
        persons: vec![kiban_print::CertifiedPerson {
            name: "葛\u{E0102}西　一郎".to_string(),
            items: vec![
                kiban_print::RecordItem {
                    label: "生年月日".to_string(),
                    value: "昭和55年3月15日".to_string(),
                },
                kiban_print::RecordItem {
                    label: "住民となった日".to_string(),
                    value: "平成20年4月1日".to_string(),
                },
            ],
        }],
    };
    let pdf = engine()
        .render_record_item_certificate(&certificate)
        .unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "住民票記載事項証明書",
        "生年月日",
        "昭和55年3月15日",
        "住民となった日",
        "平成20年4月1日",
        "上記の事項は、住民票の記載と相違ないことを証明する。",
        "ITEM-CERT-1",
    ] {
        assert_contains(&text, expected);
    }
}

#[test]
fn seal_certificate_prints_the_impression_and_the_holder() {
    let pdf = engine()
        .render_seal_certificate(&seal_certificate("R7-000400", "SEAL-1"))
        .unwrap();
    let text = pdf_text(&pdf);
    for expected in [
        "印鑑登録証明書",
        "平成2年7月7日",
        "東京都葛飾区青戸七丁目2番1号",
        "第00012345号",
        "この写しは、登録されている印影と相違ないことを証明します。",
        "SEAL-1",
        "/api/v1/certificates/verify/SEAL-1",
    ] {
        assert_contains(&text, expected);
    }
    // The impression and the official seal are embedded as images.
    assert!(pdf_images(&pdf) >= 2, "the seal images are missing");
}

#[test]
fn a_certificate_without_seal_image_or_notice_still_prints() {
    let mut copy = household_copy("R7-000126", "PLAIN-1");
    copy.issuance.official_seal = None;
    copy.issuance.security_notice = None;
    let pdf = engine().render_resident_record_copy(&copy).unwrap();
    let text = pdf_text(&pdf);
    assert_contains(&text, "公印");
    assert!(!text.contains("偽造防止用紙"));
}

#[test]
fn bad_images_are_refused_before_printing() {
    assert!(kiban_print::PngImage::parse(b"GIF89a".to_vec()).is_err());
    let mut truncated = fixture("impression.png");
    truncated.truncate(60);
    assert!(kiban_print::PngImage::parse(truncated).is_err());
}

#[test]
fn verification_codes_and_origins_are_checked() {
    use kiban_print::{Verification, VerificationError};
    let verification = Verification::new("AB12-CD34", "https://kiban.example.jp/").unwrap();
    assert_eq!(
        verification.url(),
        "https://kiban.example.jp/api/v1/certificates/verify/AB12-CD34"
    );
    assert_eq!(
        Verification::new("AB12", "").unwrap().url(),
        "/api/v1/certificates/verify/AB12"
    );
    assert_eq!(
        Verification::new("AB 12", ""),
        Err(VerificationError::InvalidCode)
    );
    assert_eq!(
        Verification::new("", ""),
        Err(VerificationError::InvalidCode)
    );
    assert_eq!(
        Verification::new("証明", ""),
        Err(VerificationError::InvalidCode)
    );
    assert_eq!(
        Verification::new("AB12", "kiban.example.jp"),
        Err(VerificationError::InvalidOrigin)
    );
}

#[test]
fn a_household_too_long_for_one_page_continues_with_page_numbers() {
    let mut copy = household_copy("R7-000127", "LONG-1");
    let template = copy.residents[1].clone();
    for _ in 0..8 {
        copy.residents.push(template.clone());
    }
    let pdf = engine().render_resident_record_copy(&copy).unwrap();
    assert_eq!(pdf_pages(&pdf), 2);
    let text = pdf_text(&pdf);
    assert_contains(&text, "1 / 2");
    assert_contains(&text, "2 / 2");
    assert_contains(&text, "この写しは、住民票の原本と相違ないことを証明する。");
}

#[test]
fn the_qr_code_reads_back_as_the_verification_address() {
    let pdf = engine()
        .render_seal_certificate(&seal_certificate("R7-000401", "QR-READ-1234"))
        .unwrap();
    let (width, height, pixels) = pdf_page_grey(&pdf, 150);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code expected on the page");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(
        content,
        "https://kiban.example.jp/api/v1/certificates/verify/QR-READ-1234"
    );
}

#[test]
fn a_rendered_certificate_carries_its_page_count_and_checksum() {
    let document = Document::ResidentRecordCopy(household_copy("R7-000125", "PAGES-1"));
    let rendered = engine().render_certificate(&document).unwrap();
    assert_eq!(rendered.page_count, pdf_pages(&rendered.pdf));
    assert_eq!(rendered.page_count, 1);
    assert_eq!(rendered.sha256.len(), 64);
    // The same bytes as `render`, and the same every time.
    assert_eq!(engine().render(&document).unwrap(), rendered.pdf);
    assert_eq!(engine().render_certificate(&document).unwrap(), rendered);
}
