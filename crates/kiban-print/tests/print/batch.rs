//! Batch printing: bounded files, stable order, page counts and checksums.

use std::num::NonZeroUsize;

use kiban_print::{BatchFile, Document};
use sha2::{Digest, Sha256};

use crate::common::*;

fn one_page(serial: usize) -> Document {
    let mut copy = household_copy(&format!("B-{serial:05}"), &format!("BATCH-{serial:05}"));
    copy.residents.truncate(1);
    Document::ResidentRecordCopy(copy)
}

fn two_pages(serial: usize) -> Document {
    let mut copy = household_copy(&format!("B-{serial:05}"), &format!("BATCH-{serial:05}"));
    let member = copy.residents[1].clone();
    copy.residents.extend(std::iter::repeat_n(member, 8));
    Document::ResidentRecordCopy(copy)
}

fn limit(pages: usize) -> NonZeroUsize {
    NonZeroUsize::new(pages).unwrap()
}

fn summary(files: &[BatchFile]) -> Vec<(usize, std::ops::Range<usize>)> {
    files
        .iter()
        .map(|file| (file.page_count, file.documents.clone()))
        .collect()
}

#[test]
fn a_batch_fills_files_up_to_the_page_limit_in_the_order_given() {
    let documents: Vec<Document> = (0..25).map(one_page).collect();
    let files = engine().render_batch(&documents, limit(10)).unwrap();
    assert_eq!(
        summary(&files),
        vec![(10, 0..10), (10, 10..20), (5, 20..25)]
    );
    for file in &files {
        assert_eq!(pdf_pages(&file.pdf), file.page_count);
        assert_eq!(file.sha256, hex(&Sha256::digest(&file.pdf)));
        // The certificates are in the order given.
        let text = pdf_text(&file.pdf);
        let mut last = 0;
        for serial in file.documents.clone() {
            let position = text
                .find(&format!("BATCH-{serial:05}"))
                .unwrap_or_else(|| panic!("BATCH-{serial:05} missing"));
            assert!(position >= last, "BATCH-{serial:05} out of order");
            last = position;
        }
    }
}

#[test]
fn a_batch_gives_the_same_bytes_every_time() {
    let documents: Vec<Document> = (0..12).map(one_page).collect();
    let first = engine().render_batch(&documents, limit(5)).unwrap();
    let second = engine().render_batch(&documents, limit(5)).unwrap();
    assert_eq!(summary(&first), vec![(5, 0..5), (5, 5..10), (2, 10..12)]);
    let checksums = |files: &[BatchFile]| -> Vec<String> {
        files.iter().map(|file| file.sha256.clone()).collect()
    };
    assert_eq!(checksums(&first), checksums(&second));
    assert_eq!(first, second);
}

#[test]
fn a_document_is_never_split_between_files() {
    let documents = vec![one_page(0), two_pages(1), one_page(2), one_page(3)];
    // Runs of three documents: the first has four pages, cut into two files.
    let files = engine().render_batch(&documents, limit(3)).unwrap();
    assert_eq!(summary(&files), vec![(3, 0..2), (1, 2..3), (1, 3..4)]);
    // A document longer than the limit gets a file of its own.
    let files = engine().render_batch(&documents, limit(1)).unwrap();
    assert_eq!(
        summary(&files),
        vec![(1, 0..1), (2, 1..2), (1, 2..3), (1, 3..4)]
    );
    for file in &files {
        assert_eq!(pdf_pages(&file.pdf), file.page_count);
    }
    // Page numbers count within each certificate.
    let text = pdf_text(&files[1].pdf);
    assert_contains(&text, "1 / 2");
    assert_contains(&text, "2 / 2");
}

#[test]
fn a_batch_mixes_kinds_of_certificates() {
    let documents = vec![
        one_page(0),
        Document::SealCertificate(seal_certificate("B-SEAL", "BATCH-SEAL")),
        Document::RemovedRecordCopy(removed_copy("B-REMOVED", "BATCH-REMOVED")),
    ];
    let files = engine().render_batch(&documents, limit(100)).unwrap();
    assert_eq!(summary(&files), vec![(3, 0..3)]);
    let text = pdf_text(&files[0].pdf);
    for expected in ["住民票の写し", "印鑑登録証明書", "除票の写し", "BATCH-SEAL"]
    {
        assert_contains(&text, expected);
    }
}

#[test]
fn a_batch_prints_the_same_on_one_thread_as_on_several() {
    let documents: Vec<Document> = (0..9).map(one_page).collect();
    let single_threaded = kiban_print::PrintEngine::new(&kiban_print::PrintConfig {
        batch_threads: NonZeroUsize::MIN,
        ..kiban_print::PrintConfig::default()
    })
    .unwrap();
    let parallel = kiban_print::PrintEngine::new(&kiban_print::PrintConfig {
        batch_threads: NonZeroUsize::new(3).unwrap(),
        ..kiban_print::PrintConfig::default()
    })
    .unwrap();
    let one = single_threaded.render_batch(&documents, limit(2)).unwrap();
    let several = parallel.render_batch(&documents, limit(2)).unwrap();
    assert_eq!(one.len(), 5);
    assert_eq!(one, several);
}

#[test]
fn an_empty_batch_has_no_files() {
    assert!(engine().render_batch(&[], limit(10)).unwrap().is_empty());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
