//! Shared helpers of the integration tests: one engine with the real fonts,
//! sample documents, and text extraction through poppler's `pdftotext`.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the helpers"
)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use kiban_core::{IndividualNumber, ResidentRecordCode};
use kiban_print::{
    Issuance, PngImage, PrintConfig, PrintEngine, RemovedRecordCopy, RemovedResident,
    ResidentEntry, ResidentRecordCopy, SECURITY_PAPER_NOTICE, SealCertificate, Sex, Verification,
};

/// The engine with the default (Debian) font directories, made once.
pub fn engine() -> &'static PrintEngine {
    static ENGINE: OnceLock<PrintEngine> = OnceLock::new();
    ENGINE.get_or_init(|| match PrintEngine::new(&PrintConfig::default()) {
        Ok(engine) => engine,
        Err(error) => panic!(
            "the printing engine needs its fonts: run scripts/install-fonts.sh first ({error})"
        ),
    })
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub fn official_seal() -> PngImage {
    PngImage::parse(fixture("official_seal.png")).unwrap()
}

pub fn impression() -> PngImage {
    PngImage::parse(fixture("impression.png")).unwrap()
}

pub fn issuance(number: &str, code: &str) -> Issuance {
    Issuance {
        municipality_name: "葛飾区".to_string(),
        certificate_number: number.to_string(),
        issued_on: "令和7年4月1日".to_string(),
        mayor_title: "葛飾区長".to_string(),
        mayor_name: "辻　太郎".to_string(),
        official_seal: Some(official_seal()),
        verification: Verification::new(code, "https://kiban.example.jp").unwrap(),
        security_notice: Some(SECURITY_PAPER_NOTICE.to_string()),
    }
}

pub fn resident(name: &str, kana: &str) -> ResidentEntry {
    ResidentEntry {
        name: name.to_string(),
        name_kana: kana.to_string(),
        birth_date: "昭和55年3月15日".to_string(),
        sex: Sex::Male,
        relationship: Some("世帯主".to_string()),
        became_resident_on: "平成20年4月1日".to_string(),
        resident_record_code: Some(ResidentRecordCode::from_serial(1_234_567_890).unwrap()),
        individual_number: None,
        previous_address: Some("千葉県松戸市本町1番地".to_string()),
    }
}

pub fn household_copy(number: &str, code: &str) -> ResidentRecordCopy {
    let mut wife = resident("葛西　花子", "カサイ　ハナコ");
    wife.sex = Sex::Female;
    wife.relationship = Some("妻".to_string());
    wife.birth_date = "昭和57年11月3日".to_string();
    wife.resident_record_code = None;
    wife.individual_number = Some(IndividualNumber::parse("123456789018").unwrap());
    ResidentRecordCopy {
        issuance: issuance(number, code),
        address: "東京都葛飾区立石五丁目13番1号".to_string(),
        head_of_household: "葛\u{E0102}西　一郎".to_string(),
        residents: vec![resident("葛\u{E0102}西　一郎", "カサイ　イチロウ"), wife],
    }
}

pub fn removed_copy(number: &str, code: &str) -> RemovedRecordCopy {
    RemovedRecordCopy {
        issuance: issuance(number, code),
        address: "東京都葛飾区立石五丁目13番1号".to_string(),
        head_of_household: "辻\u{E0103}　次郎".to_string(),
        residents: vec![RemovedResident {
            resident: resident("辻\u{E0103}　次郎", "ツジ　ジロウ"),
            removed_on: "令和6年12月1日".to_string(),
            removal_reason: "転出".to_string(),
            destination_address: Some("大阪府大阪市北区中之島一丁目3番20号".to_string()),
        }],
    }
}

pub fn seal_certificate(number: &str, code: &str) -> SealCertificate {
    SealCertificate {
        issuance: issuance(number, code),
        impression: impression(),
        name: "辻\u{E0102}　三郎".to_string(),
        birth_date: "平成2年7月7日".to_string(),
        address: "東京都葛飾区青戸七丁目2番1号".to_string(),
        registration_number: "第00012345号".to_string(),
    }
}

/// A file in the system's temporary directory, unique to this test run.
fn temporary_file(extension: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "kiban-print-test-{}-{n}.{extension}",
        std::process::id()
    ))
}

/// Runs a poppler tool on the PDF and returns its output.
fn poppler(tool: &str, arguments: &[&str], pdf: &[u8]) -> String {
    let path = temporary_file("pdf");
    std::fs::write(&path, pdf).unwrap();
    let path_text = path.to_str().unwrap().to_string();
    let mut all: Vec<&str> = arguments.to_vec();
    all.push(&path_text);
    if tool == "pdftotext" {
        all.push("-");
    }
    let output = Command::new(tool)
        .args(&all)
        .output()
        .unwrap_or_else(|error| {
            panic!("{tool} is needed by the tests: run scripts/install-fonts.sh first ({error})")
        });
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text of the PDF, as `pdftotext` reads it.
pub fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// The text of the PDF without any white space, for searching text that
/// may be wrapped onto several lines.
pub fn pdf_text_joined(pdf: &[u8]) -> String {
    pdf_text(pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The fonts embedded in the PDF, as `pdffonts` lists them.
pub fn pdf_fonts(pdf: &[u8]) -> String {
    poppler("pdffonts", &[], pdf)
}

/// Each word of the PDF with its horizontal extent in points, as
/// `pdftotext -bbox` finds them.
pub fn pdf_words(pdf: &[u8]) -> Vec<(String, f64, f64)> {
    let html = poppler("pdftotext", &["-bbox", "-enc", "UTF-8"], pdf);
    let attribute = |line: &str, name: &str| -> f64 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + line[start..].find('"').unwrap();
        line[start..end].parse().unwrap()
    };
    html.lines()
        .filter(|line| line.trim_start().starts_with("<word "))
        .map(|line| {
            let word_start = line.find('>').unwrap() + 1;
            let word_end = line.rfind("</word>").unwrap();
            (
                line[word_start..word_end].to_string(),
                attribute(line, "xMin"),
                attribute(line, "xMax"),
            )
        })
        .collect()
}

/// The number of images, as `pdfimages -list` lists them.
pub fn pdf_images(pdf: &[u8]) -> usize {
    let list = poppler("pdfimages", &["-list"], pdf);
    // Two header lines, then one line per image.
    list.lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .count()
}

/// The first page as a grey image at `dpi`, as `pdftoppm` renders it:
/// width, height and one byte a pixel.
pub fn pdf_page_grey(pdf: &[u8], dpi: u32) -> (usize, usize, Vec<u8>) {
    pdf_page_grey_at(pdf, dpi, 1)
}

/// Page `page` (from 1) as a grey image at `dpi`, as `pdftoppm` renders it:
/// width, height and one byte a pixel.
pub fn pdf_page_grey_at(pdf: &[u8], dpi: u32, page: usize) -> (usize, usize, Vec<u8>) {
    let path = temporary_file("pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftoppm")
        .args([
            "-gray",
            "-singlefile",
            "-r",
            &dpi.to_string(),
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(&path)
        .output()
        .unwrap_or_else(|error| {
            panic!("pdftoppm is needed by the tests: run scripts/install-fonts.sh first ({error})")
        });
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success());
    // A binary PGM: "P5", width, height, maximum value, then the pixels.
    let data = output.stdout;
    let mut fields = Vec::new();
    let mut position = 0;
    while fields.len() < 4 {
        while data[position].is_ascii_whitespace() {
            position += 1;
        }
        let start = position;
        while !data[position].is_ascii_whitespace() {
            position += 1;
        }
        fields.push(String::from_utf8(data[start..position].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    assert_eq!(fields[3], "255");
    let width: usize = fields[1].parse().unwrap();
    let height: usize = fields[2].parse().unwrap();
    let pixels = data[position + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    (width, height, pixels)
}

/// The number of pages, as `pdfinfo` reads it.
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", &[], pdf);
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|pages| pages.trim().parse().ok())
        .unwrap()
}

/// Asserts that the text holds `expected`, ignoring white space (titles
/// are spaced out, long values wrap).
pub fn assert_contains(text: &str, expected: &str) {
    let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let expected_joined: String = expected.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        joined.contains(&expected_joined),
        "{expected:?} not found in:\n{text}"
    );
}

/// The 課税明細 of a salaried taxpayer (給与収入 4,000,000 yen).
pub fn tax_details() -> kiban_print::TaxDetails {
    use kiban_core::Yen;
    use kiban_print::{AmountLine, IncomeLine, Levies, Levy, TaxDetails};
    let line = |label: &str, amount: i64| AmountLine {
        label: label.to_string(),
        amount: Yen::new(amount),
    };
    TaxDetails {
        incomes: vec![IncomeLine {
            kind: "給与所得".to_string(),
            revenue: Some(Yen::new(4_000_000)),
            income: Yen::new(2_760_000),
        }],
        total_income: Yen::new(2_760_000),
        deductions: vec![
            line("社会保険料控除", 600_000),
            line("生命保険料控除", 28_000),
            line("基礎控除", 430_000),
        ],
        total_deductions: Yen::new(1_058_000),
        taxable_income: Yen::new(1_702_000),
        tax_credits: vec![line("調整控除", 2_500)],
        levies: Levies {
            municipal: Levy {
                income_levy: Yen::new(100_620),
                per_capita_levy: Yen::new(3_000),
            },
            prefectural: Levy {
                income_levy: Yen::new(67_080),
                per_capita_levy: Yen::new(1_000),
            },
            forest_environment_tax: Yen::new(1_000),
            total: Yen::new(172_700),
        },
    }
}

/// The installments of 172,700 yen: 43,700 and three of 43,000.
pub fn installments(notice_number: &str) -> Vec<kiban_print::NoticeInstallment> {
    use kiban_collection::barcode::{BarcodeFields, Business, ConvenienceStoreBarcode};
    use kiban_core::{FiscalYear, Yen};
    let periods = [
        (1, "令和8年6月30日", (2026, 6, 30), 43_700),
        (2, "令和8年8月31日", (2026, 8, 31), 43_000),
        (3, "令和8年11月2日", (2026, 11, 2), 43_000),
        (4, "令和9年2月1日", (2027, 2, 1), 43_000),
    ];
    periods
        .into_iter()
        .map(|(period, label, (y, m, d), amount)| {
            let barcode = ConvenienceStoreBarcode::new(&BarcodeFields {
                agency_code: "12345".to_string(),
                fiscal_year: FiscalYear::new(2026).unwrap(),
                business: Business::ResidentTax,
                notice_number: notice_number.to_string(),
                period,
                reissue_count: 0,
                due_date: kiban_core::Date::new(y, m, d).unwrap(),
                amount: Yen::new(amount),
            })
            .unwrap();
            kiban_print::NoticeInstallment {
                period,
                due_date: label.to_string(),
                amount: Yen::new(amount),
                barcode,
            }
        })
        .collect()
}

pub fn tax_labels() -> kiban_print::TaxLabels {
    kiban_print::TaxLabels {
        municipal: "特別区民税".to_string(),
        prefectural: "都民税".to_string(),
    }
}

/// A 納税通知書 of four periods; `serial` makes the notice number.
pub fn tax_notice(serial: u64) -> kiban_print::TaxNotice {
    let notice_number = format!("{:012}", 260_000_000_000 + serial);
    kiban_print::TaxNotice {
        municipality_name: "葛飾区".to_string(),
        mayor_title: "葛飾区長".to_string(),
        mayor_name: "辻　太郎".to_string(),
        issued_on: "令和8年6月10日".to_string(),
        fiscal_year: "令和8年度".to_string(),
        tax_labels: tax_labels(),
        installments: installments(&notice_number),
        notice_number,
        addressee_id: format!("{:010}", 1_000 + serial),
        mailing: kiban_print::MailingBlock {
            postal_code: Some(kiban_core::PostalCode::parse("1240012").unwrap()),
            address: "東京都葛飾区立石五丁目13番1号".to_string(),
            address_line2: "立石ハイツ203".to_string(),
            name: "葛\u{E0102}西　一郎".to_string(),
        },
        taxpayer_name: "葛\u{E0102}西　一郎".to_string(),
        taxpayer_address: "東京都葛飾区立石五丁目13番1号".to_string(),
        details: tax_details(),
        special_collection_amount: None,
        contact: "葛飾区 税務課 課税係　電話 03-3695-1111（代表）".to_string(),
    }
}
