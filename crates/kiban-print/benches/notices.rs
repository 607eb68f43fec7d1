//! The resident-tax notices in bulk: `N` 納税通知書 of four periods (a
//! notice page and two pages of 納付書 with GS1-128 barcodes: three pages
//! each) printed through `PrintEngine::render_batch` into files of
//! `PAGES_PER_FILE` pages, `CHUNK` notices a call (as a job prints them,
//! chunk by chunk), the PDFs counted and dropped.
//!
//! `cargo bench -p kiban-print --bench notices -- [N] [PAGES_PER_FILE] [CHUNK]`
//! (defaults 10,000 notices, 1,000 pages a file, 3,000 notices a call).
//! Prints one line: notices, pages, files, bytes, seconds, pages/s.
//! Target (issue 18): ≥ 1,000 pages/s for 100,000 notices on two cores.

use std::num::NonZeroUsize;
use std::time::Instant;

use kiban_collection::barcode::{BarcodeFields, Business, ConvenienceStoreBarcode};
use kiban_core::{Date, FiscalYear, PostalCode, Yen};
use kiban_print::{
    AmountLine, Document, IncomeLine, Levies, Levy, MailingBlock, NoticeInstallment, PrintConfig,
    PrintEngine, TaxDetails, TaxLabels, TaxNotice,
};

const SURNAMES: [&str; 8] = [
    "葛\u{E0102}西",
    "辻\u{E0103}",
    "青戸",
    "立石",
    "金町",
    "柴又",
    "堀切",
    "新小岩",
];
const GIVEN: [&str; 6] = ["一郎", "花子", "次郎", "美咲", "健太", "陽子"];

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A unique notice: number, names, address and amounts vary with `serial`,
/// so typst's caches do not flatter the figure.
fn notice(serial: u64) -> BenchResult<TaxNotice> {
    let line = |label: &str, amount: i64| AmountLine {
        label: label.to_string(),
        amount: Yen::new(amount),
    };
    let salary = 3_000_000 + (serial % 997) as i64 * 1_000;
    let income = salary * 69 / 100;
    let social = salary * 15 / 100;
    let deductions = social + 430_000;
    let taxable = (income - deductions).max(0) / 1_000 * 1_000;
    let municipal = taxable * 6 / 100 - 1_500;
    let prefectural = taxable * 4 / 100 - 1_000;
    let total = municipal + prefectural + 3_000 + 1_000 + 1_000;
    let later = total / 4 / 1_000 * 1_000;
    let first = total - 3 * later;
    let notice_number = format!("{:012}", 260_000_000_000 + serial);
    let dates = [
        ("令和8年6月30日", (2026, 6, 30)),
        ("令和8年8月31日", (2026, 8, 31)),
        ("令和8年11月2日", (2026, 11, 2)),
        ("令和9年2月1日", (2027, 2, 1)),
    ];
    let mut installments = Vec::with_capacity(4);
    for (index, (label, (y, m, d))) in dates.into_iter().enumerate() {
        let period = index as u8 + 1;
        let amount = Yen::new(if period == 1 { first } else { later });
        let barcode = ConvenienceStoreBarcode::new(&BarcodeFields {
            agency_code: "12345".to_string(),
            fiscal_year: FiscalYear::new(2026)?,
            business: Business::ResidentTax,
            notice_number: notice_number.clone(),
            period,
            reissue_count: 0,
            due_date: Date::new(y, m, d)?,
            amount,
        })?;
        installments.push(NoticeInstallment {
            period,
            due_date: label.to_string(),
            amount,
            barcode,
        });
    }
    let name = format!(
        "{}　{}",
        SURNAMES[serial as usize % SURNAMES.len()],
        GIVEN[serial as usize / SURNAMES.len() % GIVEN.len()]
    );
    let address = format!(
        "東京都葛飾区立石{}丁目{}番{}号",
        ["一", "二", "三", "四", "五", "六", "七", "八"][serial as usize % 8],
        serial % 40 + 1,
        serial % 23 + 1
    );
    Ok(TaxNotice {
        municipality_name: "葛飾区".to_string(),
        mayor_title: "葛飾区長".to_string(),
        mayor_name: "辻　太郎".to_string(),
        issued_on: "令和8年6月10日".to_string(),
        fiscal_year: "令和8年度".to_string(),
        tax_labels: TaxLabels {
            municipal: "特別区民税".to_string(),
            prefectural: "都民税".to_string(),
        },
        notice_number,
        addressee_id: format!("{:010}", serial),
        mailing: MailingBlock {
            postal_code: Some(PostalCode::parse(&format!("124{:04}", serial % 10_000))?),
            address: address.clone(),
            address_line2: if serial.is_multiple_of(3) {
                format!("立石ハイツ{}号室", serial % 500 + 101)
            } else {
                String::new()
            },
            name: name.clone(),
        },
        taxpayer_name: name,
        taxpayer_address: address,
        details: TaxDetails {
            incomes: vec![IncomeLine {
                kind: "給与所得".to_string(),
                revenue: Some(Yen::new(salary)),
                income: Yen::new(income),
            }],
            total_income: Yen::new(income),
            deductions: vec![line("社会保険料控除", social), line("基礎控除", 430_000)],
            total_deductions: Yen::new(deductions),
            taxable_income: Yen::new(taxable),
            tax_credits: vec![line("調整控除", 2_500)],
            levies: Levies {
                municipal: Levy {
                    income_levy: Yen::new(municipal),
                    per_capita_levy: Yen::new(3_000),
                },
                prefectural: Levy {
                    income_levy: Yen::new(prefectural),
                    per_capita_levy: Yen::new(1_000),
                },
                forest_environment_tax: Yen::new(1_000),
                total: Yen::new(total),
            },
        },
        special_collection_amount: None,
        installments,
        contact: "葛飾区 税務課 課税係　電話 03-3695-1111（代表）".to_string(),
    })
}

fn argument(index: usize, default: usize) -> usize {
    std::env::args()
        .skip(1)
        .filter(|argument| !argument.starts_with('-'))
        .nth(index)
        .and_then(|value| value.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

#[expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
fn main() -> BenchResult<()> {
    let notices = argument(0, 10_000);
    let pages_per_file = NonZeroUsize::new(argument(1, 1_000)).ok_or("PAGES_PER_FILE ≥ 1")?;
    let chunk = argument(2, 3_000).max(1);
    let engine = PrintEngine::new(&PrintConfig::default())?;
    // Warm up: fonts parsed, templates evaluated once.
    let warm: Vec<Document> = (0..20)
        .map(|serial| notice(1_000_000 + serial).map(Document::TaxNotice))
        .collect::<BenchResult<_>>()?;
    engine.render_batch(&warm, pages_per_file)?;

    let (mut pages, mut files, mut bytes) = (0usize, 0usize, 0usize);
    let mut preparing = 0.0;
    let started = Instant::now();
    let mut next = 0usize;
    while next < notices {
        let count = chunk.min(notices - next);
        let preparing_started = Instant::now();
        let documents: Vec<Document> = (next..next + count)
            .map(|serial| notice(serial as u64).map(Document::TaxNotice))
            .collect::<BenchResult<_>>()?;
        preparing += preparing_started.elapsed().as_secs_f64();
        for file in engine.render_batch(&documents, pages_per_file)? {
            pages += file.page_count;
            files += 1;
            bytes += file.pdf.len();
        }
        next += count;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "notices {notices} pages {pages} files {files} bytes {bytes} seconds {seconds:.1} (of which building the structs {preparing:.1}) pages/s {:.0}",
        pages as f64 / seconds
    );
    Ok(())
}
