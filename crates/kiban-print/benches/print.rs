//! Benchmarks of the printing engine: one certificate end to end (data to
//! PDF bytes), and a batch of 10,000 one-page certificates.
//!
//! `cargo bench -p kiban-print --bench print -- --quick` (a few minutes on
//! two cores). Targets: 50 certificates/s single, 200 pages/s in batches.

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kiban_core::ResidentRecordCode;
use kiban_print::{
    Document, Issuance, PngImage, PrintConfig, PrintEngine, ResidentEntry, ResidentRecordCopy,
    SECURITY_PAPER_NOTICE, Sex, Verification,
};

const SEAL: &[u8] = include_bytes!("../tests/fixtures/official_seal.png");

/// A one-page 住民票の写し of one person; `serial` makes it unique.
fn copy(serial: u64) -> Result<ResidentRecordCopy, Box<dyn std::error::Error>> {
    Ok(ResidentRecordCopy {
        issuance: Issuance {
            municipality_name: "葛飾区".to_string(),
            certificate_number: format!("R7-{serial:06}"),
            issued_on: "令和7年4月1日".to_string(),
            mayor_title: "葛飾区長".to_string(),
            mayor_name: "辻　太郎".to_string(),
            official_seal: Some(PngImage::parse(SEAL.to_vec())?),
            verification: Verification::new(&format!("V{serial:010}"), "https://kiban.example.jp")?,
            security_notice: Some(SECURITY_PAPER_NOTICE.to_string()),
        },
        address: format!(
            "東京都葛飾区立石五丁目{}番{}号",
            serial % 40 + 1,
            serial % 9 + 1
        ),
        head_of_household: "葛\u{E0102}西　一郎".to_string(),
        residents: vec![ResidentEntry {
            name: "葛\u{E0102}西　一郎".to_string(),
            name_kana: "カサイ　イチロウ".to_string(),
            birth_date: "昭和55年3月15日".to_string(),
            sex: Sex::Male,
            relationship: Some("世帯主".to_string()),
            became_resident_on: "平成20年4月1日".to_string(),
            resident_record_code: Some(ResidentRecordCode::from_serial(serial)?),
            individual_number: None,
            previous_address: Some("千葉県松戸市本町1番地".to_string()),
        }],
    })
}

/// Unique documents: typst memoizes layouts, so printing the same document
/// again would measure its caches, not printing.
fn copies(first: u64, count: u64) -> Vec<ResidentRecordCopy> {
    match (first..first + count).map(copy).collect() {
        Ok(copies) => copies,
        Err(error) => panic!("{error}"),
    }
}

fn benchmarks(c: &mut Criterion) {
    let engine = match PrintEngine::new(&PrintConfig::default()) {
        Ok(engine) => engine,
        Err(error) => panic!("run scripts/install-fonts.sh first: {error}"),
    };
    let mut serial = 0;
    let mut next = |count: u64| {
        serial += count;
        serial - count
    };

    let mut group = c.benchmark_group("single");
    group.throughput(Throughput::Elements(1));
    group.bench_function("resident_record_copy", |b| {
        b.iter_batched(
            || copies(next(1), 1),
            |copies| engine.render_resident_record_copy(black_box(&copies[0])),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    for pages_per_file in [250, 1_000] {
        let Some(limit) = NonZeroUsize::new(pages_per_file) else {
            continue;
        };
        group.bench_function(format!("10000_pages_{pages_per_file}_per_file"), |b| {
            b.iter_batched(
                || {
                    copies(next(10_000), 10_000)
                        .into_iter()
                        .map(Document::ResidentRecordCopy)
                        .collect::<Vec<_>>()
                },
                |documents| engine.render_batch(black_box(&documents), limit),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
