//! Fuzzes the reader of legacy extracts (`fixed-cp932-v1`): no input may
//! panic, and every rejection must name a record and a byte within it.
//!
//! Each input is read twice: as a whole file (exercising framing, line ends
//! and the trailer), and cut into person records of 256 bytes with a correct
//! trailer (so that every field parser sees the bytes).

#![no_main]

use std::sync::LazyLock;

use kiban_exchange::legacy::{
    GaijiMap, IssueClass, RECORD_LEN, parse_fixed_cp932, write_fixed_cp932,
};
use libfuzzer_sys::fuzz_target;

/// A map with an IVS entry and a plain one, as in the tests.
static GAIJI: LazyLock<GaijiMap> = LazyLock::new(|| {
    GaijiMap::parse_csv("sjis,unicode\nF040,U+8FBB U+E0102\nF041,U+9AD9\n").unwrap_or_default()
});

fuzz_target!(|data: &[u8]| {
    check(data, usize::MAX);
    let mut file = Vec::with_capacity(data.len() + RECORD_LEN * 2);
    let mut records = 0usize;
    for chunk in data.chunks(RECORD_LEN - 1) {
        file.push(b'1');
        file.extend_from_slice(chunk);
        file.resize(file.len() + (RECORD_LEN - 1 - chunk.len()), b' ');
        records += 1;
    }
    let trailer = write_fixed_cp932(&[], false);
    let count = format!("9{records:010}");
    file.extend_from_slice(count.as_bytes());
    file.extend_from_slice(&trailer[count.len()..]);
    check(&file, records + 1);
});

/// Reads a file and checks what any answer must satisfy.
fn check(file: &[u8], max_record: usize) {
    match parse_fixed_cp932(file, &GAIJI) {
        Ok(extract) => {
            let report = &extract.report;
            let blocked = report
                .issues
                .iter()
                .any(|issue| issue.class() == IssueClass::BeforeMigration);
            if blocked {
                assert_eq!(report.imported, 0);
                assert!(extract.households.is_empty());
            } else {
                assert_eq!(report.imported, report.records);
            }
            assert_eq!(extract.persons().count(), report.imported);
            assert!(report.issues.iter().all(|i| (1..=report.records).contains(&i.record)));
            assert!(report.to_json().is_ok());
        }
        Err(error) => {
            assert!(error.record >= 1 && error.record <= max_record, "{error:?}");
            assert!(error.byte >= 1 && error.byte <= RECORD_LEN + 1, "{error:?}");
            assert!(!error.to_string().is_empty());
        }
    }
}
