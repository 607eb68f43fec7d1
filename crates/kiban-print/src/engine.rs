//! The engine: configuration, compilation and PDF export.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use typst::diag::{SourceDiagnostic, Warned};
use typst::ecow::EcoVec;
use typst::foundations::Smart;
use typst::layout::{Frame, FrameItem, PageRanges};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::documents::{
    Document, Preparer, RecordItemCertificate, RemovedRecordCopy, ResidentRecordCopy,
    SealCertificate, WireBatch, WireDocument,
};
use crate::error::{CodePoint, PrintError};
use crate::fonts::{DEBIAN_FONT_DIRECTORIES, FontSet};
use crate::resident_tax::{SpecialCollectionNotice, TaxNotice, TaxationCertificate};
use crate::text::UnsupportedVariation;
use crate::world::{PrintWorld, Sources};

/// The templates, compiled into the binary, under their virtual paths.
const TEMPLATES: [(&str, &str); 12] = [
    (
        "/templates/documents.typ",
        include_str!("../templates/documents.typ"),
    ),
    (
        "/templates/common.typ",
        include_str!("../templates/common.typ"),
    ),
    (
        "/templates/resident_record_copy.typ",
        include_str!("../templates/resident_record_copy.typ"),
    ),
    (
        "/templates/removed_record_copy.typ",
        include_str!("../templates/removed_record_copy.typ"),
    ),
    (
        "/templates/record_item_certificate.typ",
        include_str!("../templates/record_item_certificate.typ"),
    ),
    (
        "/templates/seal_certificate.typ",
        include_str!("../templates/seal_certificate.typ"),
    ),
    (
        "/templates/tax_common.typ",
        include_str!("../templates/tax_common.typ"),
    ),
    (
        "/templates/tax_notice.typ",
        include_str!("../templates/tax_notice.typ"),
    ),
    (
        "/templates/special_collection_notice.typ",
        include_str!("../templates/special_collection_notice.typ"),
    ),
    (
        "/templates/taxation_certificate.typ",
        include_str!("../templates/taxation_certificate.typ"),
    ),
    (
        "/templates/operations_report.typ",
        include_str!("../templates/operations_report.typ"),
    ),
    (
        "/templates/demand_notice.typ",
        include_str!("../templates/demand_notice.typ"),
    ),
];

/// The most documents one compilation of a batch lays out, and the most
/// pages it is expected to lay out ([`Document::expected_pages`]), whatever
/// the page limit of its files: it bounds the memory of a compilation (about
/// 1.5 MB a page while it runs) and the number of image file ids typst
/// interns for the life of the process.
pub const MAX_DOCUMENTS_PER_COMPILATION: usize = 1_000;

/// Every this many compilations, typst's caches forget what was not used
/// during the last [`CACHE_MAX_AGE`] such rounds.
const EVICT_EVERY: usize = 16;
/// See [`EVICT_EVERY`].
const CACHE_MAX_AGE: usize = 2;

/// The configuration of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintConfig {
    /// The directories fonts are loaded from (with their subdirectories).
    /// Fonts are never fetched: what is not here does not exist.
    pub font_directories: Vec<PathBuf>,
    /// What to do with a variation sequence the fonts do not carry.
    pub unsupported_variation: UnsupportedVariation,
    /// How many compilations of a batch run at once (each on its own thread).
    pub batch_threads: NonZeroUsize,
}

impl Default for PrintConfig {
    /// The Debian font directories of `fonts-ipamj-mincho` and
    /// `fonts-ipaexfont`, refusing unsupported variation sequences, with as
    /// many batch threads as the machine has cores.
    fn default() -> Self {
        Self {
            font_directories: DEBIAN_FONT_DIRECTORIES.iter().map(PathBuf::from).collect(),
            unsupported_variation: UnsupportedVariation::Reject,
            batch_threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// Where one document of a batch is in its file (for the index of a print
/// run: `addressee_id,file,first_page,pages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The document (its index in the slice given to [`PrintEngine::render_batch`]).
    pub document: usize,
    /// Its first page in the file, counted from 1.
    pub first_page: usize,
    /// Its number of pages.
    pub page_count: usize,
}

/// One PDF file of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFile {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The number of pages.
    pub page_count: usize,
    /// The documents of the batch in this file (indices into the slice given
    /// to [`PrintEngine::render_batch`]).
    pub documents: Range<usize>,
    /// Each document of the file, in order, with its first page and its
    /// number of pages.
    pub placements: Vec<Placement>,
    /// The SHA-256 of the PDF, as 64 lowercase hexadecimal digits.
    pub sha256: String,
}

/// One printed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPdf {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The number of pages.
    pub page_count: usize,
    /// The SHA-256 of the PDF, as 64 lowercase hexadecimal digits.
    pub sha256: String,
}

/// The printing engine (帳票エンジン). Loads the fonts once; cheap to clone
/// and safe to share between threads, which render concurrently.
#[derive(Clone)]
pub struct PrintEngine {
    inner: Arc<EngineInner>,
}

/// What the engine shares between renderings.
pub(crate) struct EngineInner {
    fonts: FontSet,
    library: LazyHash<Library>,
    sources: Sources,
    unsupported: UnsupportedVariation,
    batch_threads: NonZeroUsize,
    /// Compilations so far, for the eviction of typst's caches.
    compilations: AtomicUsize,
}

impl EngineInner {
    pub(crate) fn fonts(&self) -> &FontSet {
        &self.fonts
    }

    pub(crate) fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    pub(crate) fn sources(&self) -> &Sources {
        &self.sources
    }
}

/// A compiled set of documents and the first page of each.
struct Compiled {
    document: PagedDocument,
    /// For each document, its pages (0-based, end exclusive).
    pages: Vec<Range<usize>>,
}

impl PrintEngine {
    /// Loads the fonts from the configured directories. Fails with
    /// [`PrintError::FontMissing`] when a font the layouts need is not there
    /// (`scripts/install-fonts.sh` installs them).
    pub fn new(config: &PrintConfig) -> Result<Self, PrintError> {
        let fonts = FontSet::load(&config.font_directories)?;
        let sources = Sources::new(&TEMPLATES)?;
        Ok(Self {
            inner: Arc::new(EngineInner {
                fonts,
                library: LazyHash::new(Library::default()),
                sources,
                unsupported: config.unsupported_variation,
                batch_threads: config.batch_threads,
                compilations: AtomicUsize::new(0),
            }),
        })
    }

    /// Prints a 住民票の写し.
    pub fn render_resident_record_copy(
        &self,
        copy: &ResidentRecordCopy,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.resident_record_copy(copy))
    }

    /// Prints a 除票の写し.
    pub fn render_removed_record_copy(
        &self,
        copy: &RemovedRecordCopy,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.removed_record_copy(copy))
    }

    /// Prints a 住民票記載事項証明書.
    pub fn render_record_item_certificate(
        &self,
        certificate: &RecordItemCertificate,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.record_item_certificate(certificate))
    }

    /// Prints a 印鑑登録証明書.
    pub fn render_seal_certificate(
        &self,
        certificate: &SealCertificate,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.seal_certificate(certificate))
    }

    /// Prints a 課税（所得）証明書 or 非課税証明書.
    pub fn render_taxation_certificate(
        &self,
        certificate: &TaxationCertificate,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.taxation_certificate(certificate))
    }

    /// Prints a 納税通知書 with its 納付書 (for a batch of them, use
    /// [`PrintEngine::render_batch`]).
    pub fn render_tax_notice(&self, notice: &TaxNotice) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.tax_notice(notice))
    }

    /// Prints the 特別徴収税額決定通知書 of one employer.
    pub fn render_special_collection_notice(
        &self,
        notice: &SpecialCollectionNotice,
    ) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.special_collection_notice(notice))
    }

    /// Prints any one document.
    pub fn render(&self, document: &Document) -> Result<Vec<u8>, PrintError> {
        self.render_one(|preparer| preparer.document(document))
    }

    /// Prints one certificate as [`PrintEngine::render`] does, with its page
    /// count and SHA-256 (for the record of issuance, 交付履歴).
    pub fn render_certificate(&self, document: &Document) -> Result<RenderedPdf, PrintError> {
        let compiled = self.compile(|preparer| Ok(vec![preparer.document(document)?]))?;
        let pdf = export(&compiled.document, Output::Certificate)?;
        Ok(RenderedPdf {
            sha256: sha256_hex(&pdf),
            page_count: compiled.document.pages().len(),
            pdf,
        })
    }

    /// Prints many documents into PDF files of at most `max_pages_per_file`
    /// pages, keeping the order given.
    ///
    /// The documents are taken in runs whose expected pages
    /// ([`Document::expected_pages`]) fill `max_pages_per_file` (at most
    /// [`MAX_DOCUMENTS_PER_COMPILATION`] documents and expected pages, at
    /// least one document); each run is one typst compilation, and runs are
    /// compiled on [`PrintConfig::batch_threads`] threads at once. A run of
    /// documents as long as expected is one file. A run with longer
    /// documents is cut into several files at document boundaries, each as
    /// full as the limit allows: a document is never split between files,
    /// and one longer than the limit gets a file of its own. Each file lists
    /// where its documents are ([`BatchFile::placements`]).
    ///
    /// The same documents always give the same files (same bytes, same
    /// checksums). An error names the document (`documents[i]`) and field;
    /// it is the error of the first failing document in the order given.
    pub fn render_batch(
        &self,
        documents: &[Document],
        max_pages_per_file: NonZeroUsize,
    ) -> Result<Vec<BatchFile>, PrintError> {
        let runs = runs(documents, max_pages_per_file);
        let threads = self.inner.batch_threads.get().min(runs.len());
        let next_run = AtomicUsize::new(0);
        // The first run (in order) that failed: later runs need not be printed.
        let first_failure = AtomicUsize::new(usize::MAX);
        let worker = || {
            let mut done = Vec::new();
            loop {
                let index = next_run.fetch_add(1, Ordering::Relaxed);
                if index >= runs.len() || index > first_failure.load(Ordering::Relaxed) {
                    return done;
                }
                let result = self.render_run(documents, runs[index].clone(), max_pages_per_file);
                if result.is_err() {
                    first_failure.fetch_min(index, Ordering::Relaxed);
                }
                done.push((index, result));
            }
        };
        let mut results: Vec<(usize, Result<Vec<BatchFile>, PrintError>)> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
                let mut results = worker();
                for handle in handles {
                    match handle.join() {
                        Ok(done) => results.extend(done),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                results
            });
        results.sort_by_key(|(index, _)| *index);
        let mut files = Vec::new();
        for (_, result) in results {
            files.extend(result?);
        }
        Ok(files)
    }

    /// Prints one run of a batch (one compilation) into files of at most
    /// `max_pages` pages.
    fn render_run(
        &self,
        documents: &[Document],
        run: Range<usize>,
        max_pages: NonZeroUsize,
    ) -> Result<Vec<BatchFile>, PrintError> {
        let compiled = self.compile(|preparer| {
            run.clone()
                .map(|index| {
                    preparer.set_prefix(format!("documents[{index}]."));
                    preparer.document(&documents[index])
                })
                .collect()
        })?;
        let mut files = Vec::new();
        let mut first = 0;
        while first < compiled.pages.len() {
            // Take documents while they fit the limit (at least one).
            let first_page = compiled.pages[first].start;
            let mut end = first + 1;
            while end < compiled.pages.len()
                && compiled.pages[end].end - first_page <= max_pages.get()
            {
                end += 1;
            }
            let last_page = compiled.pages[end - 1].end;
            let pdf = export(&compiled.document, Output::BatchFile(first_page..last_page))?;
            let placements = (first..end)
                .map(|index| Placement {
                    document: run.start + index,
                    first_page: compiled.pages[index].start - first_page + 1,
                    page_count: compiled.pages[index].len(),
                })
                .collect();
            files.push(BatchFile {
                sha256: sha256_hex(&pdf),
                pdf,
                page_count: last_page - first_page,
                documents: run.start + first..run.start + end,
                placements,
            });
            first = end;
        }
        Ok(files)
    }

    fn render_one(
        &self,
        prepare: impl FnOnce(&mut Preparer<'_>) -> Result<WireDocument, PrintError>,
    ) -> Result<Vec<u8>, PrintError> {
        let compiled = self.compile(|preparer| Ok(vec![prepare(preparer)?]))?;
        export(&compiled.document, Output::Certificate)
    }

    /// Checks and prepares the documents, then lays them out.
    fn compile(
        &self,
        prepare: impl FnOnce(&mut Preparer<'_>) -> Result<Vec<WireDocument>, PrintError>,
    ) -> Result<Compiled, PrintError> {
        let inner = &*self.inner;
        let mut preparer = Preparer::new(&inner.fonts, inner.unsupported);
        let documents = prepare(&mut preparer)?;
        let assets = preparer.into_assets();
        let data = serde_json::to_vec(&WireBatch {
            documents: &documents,
        })
        .map_err(|error| PrintError::Layout {
            message: error.to_string(),
        })?;
        let world = PrintWorld::new(inner, data, assets.images());
        let Warned { output, warnings } = typst::compile::<PagedDocument>(&world);
        let compilations = inner.compilations.fetch_add(1, Ordering::Relaxed) + 1;
        if compilations.is_multiple_of(EVICT_EVERY) || documents.len() >= EVICT_EVERY {
            typst::comemo::evict(CACHE_MAX_AGE);
        }
        let document = output.map_err(|errors: EcoVec<SourceDiagnostic>| PrintError::Layout {
            message: diagnostics(&errors),
        })?;
        // The templates are written to compile without warnings; a warning
        // (e.g. an unknown font family) means the output is not as designed.
        if !warnings.is_empty() {
            return Err(PrintError::Layout {
                message: diagnostics(&warnings),
            });
        }
        for page in document.pages() {
            if let Some(character) = find_missing_glyph(&page.frame) {
                return Err(PrintError::MissingGlyphInLayout {
                    code_point: CodePoint(character),
                });
            }
        }
        let pages = document_pages(&document, documents.len())?;
        Ok(Compiled { document, pages })
    }
}

/// Cuts a batch into runs (one compilation each): consecutive documents
/// whose expected pages fill `max_pages_per_file`, bounded by
/// [`MAX_DOCUMENTS_PER_COMPILATION`] documents and expected pages, at least
/// one document a run.
fn runs(documents: &[Document], max_pages_per_file: NonZeroUsize) -> Vec<Range<usize>> {
    let budget = max_pages_per_file.get().min(MAX_DOCUMENTS_PER_COMPILATION);
    let mut runs = Vec::new();
    let mut start = 0;
    while start < documents.len() {
        let mut end = start;
        let mut pages = 0;
        while end < documents.len() && end - start < MAX_DOCUMENTS_PER_COMPILATION {
            let next = documents[end].expected_pages();
            if end > start && pages + next > budget {
                break;
            }
            pages += next;
            end += 1;
        }
        runs.push(start..end);
        start = end;
    }
    runs
}

/// The pages of each document: every document restarts the page counter,
/// so a page numbered 1 begins a document.
fn document_pages(
    document: &PagedDocument,
    expected: usize,
) -> Result<Vec<Range<usize>>, PrintError> {
    let starts: Vec<usize> = document
        .pages()
        .iter()
        .enumerate()
        .filter(|(_, page)| page.number == 1)
        .map(|(index, _)| index)
        .collect();
    if starts.len() != expected || starts.first() != Some(&0) {
        return Err(PrintError::Layout {
            message: format!(
                "{expected}件の帳票に対して{}件の開始ページがあります",
                starts.len()
            ),
        });
    }
    let total = document.pages().len();
    Ok(starts
        .iter()
        .enumerate()
        .map(|(index, &start)| start..starts.get(index + 1).copied().unwrap_or(total))
        .collect())
}

/// What a PDF is written for.
enum Output {
    /// One certificate: a tagged PDF (structure for assistive technology).
    Certificate,
    /// A file of a batch, for printing: some pages (0-based, end exclusive)
    /// of a compilation, untagged (typst tags only whole documents, and
    /// every file of a batch is written the same way).
    BatchFile(Range<usize>),
}

/// Writes the PDF. Fonts are subset to the glyphs used; no timestamp is
/// written, so the same document always gives the same bytes.
fn export(document: &PagedDocument, output: Output) -> Result<Vec<u8>, PrintError> {
    let (page_ranges, tagged) = match output {
        Output::Certificate => (None, true),
        Output::BatchFile(pages) => {
            let first = NonZeroUsize::new(pages.start + 1);
            let last = NonZeroUsize::new(pages.end);
            (Some(PageRanges::new(vec![first..=last])), false)
        }
    };
    let options = PdfOptions {
        ident: Smart::Auto,
        creator: Smart::Custom(Some("Kiban".to_string())),
        timestamp: None,
        page_ranges,
        tagged,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).map_err(|errors: EcoVec<SourceDiagnostic>| PrintError::Pdf {
        message: diagnostics(&errors),
    })
}

/// The first character laid out with the `.notdef` glyph (豆腐), if any.
fn find_missing_glyph(frame: &Frame) -> Option<char> {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                if let Some(character) = find_missing_glyph(&group.frame) {
                    return Some(character);
                }
            }
            FrameItem::Text(text) => {
                if let Some(glyph) = text.glyphs.iter().find(|glyph| glyph.id == 0) {
                    let character = text
                        .text
                        .get(glyph.range())
                        .and_then(|cluster| cluster.chars().next())
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Some(character);
                }
            }
            _ => {}
        }
    }
    None
}

/// The messages of typst's diagnostics, on one line.
fn diagnostics(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let hints = diagnostic
                .hints
                .iter()
                .map(|hint| format!(" ({})", hint.v))
                .collect::<String>();
            format!("{}{hints}", diagnostic.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The SHA-256 of the bytes as lowercase hexadecimal.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{CertifiedPerson, Issuance, RecordItem};
    use crate::verification::Verification;

    fn engine() -> PrintEngine {
        PrintEngine::new(&PrintConfig::default())
            .expect("the fonts are missing: run scripts/install-fonts.sh")
    }

    fn certificate(name: &str) -> RecordItemCertificate {
        RecordItemCertificate {
            issuance: Issuance {
                municipality_name: "札幌市".to_string(),
                certificate_number: "R7-1".to_string(),
                issued_on: "令和7年4月1日".to_string(),
                mayor_title: "札幌市長".to_string(),
                mayor_name: "山田　太郎".to_string(),
                official_seal: None,
                verification: Verification::new("GLYPH-1", "").expect("valid code"),
                security_notice: None,
            },
            address: "北海道札幌市中央区北一条西二丁目".to_string(),
            persons: vec![CertifiedPerson {
                name: name.to_string(),
                items: vec![RecordItem {
                    label: "生年月日".to_string(),
                    value: "昭和55年3月15日".to_string(),
                }],
            }],
        }
    }

    /// The font family and glyph id of every glyph laid out for a cluster
    /// that begins with `base`, with the cluster's text.
    fn glyphs(frame: &Frame, base: char, found: &mut Vec<(String, u16, String)>) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => glyphs(&group.frame, base, found),
                FrameItem::Text(text) => {
                    for glyph in &text.glyphs {
                        let cluster = &text.text[glyph.range()];
                        if cluster.starts_with(base) {
                            let family = text.font.font().info().family.clone();
                            found.push((family, glyph.id, cluster.to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn laid_out(engine: &PrintEngine, name: &str) -> Vec<(String, u16, String)> {
        let certificate = certificate(name);
        let compiled = engine
            .compile(|preparer| Ok(vec![preparer.record_item_certificate(&certificate)?]))
            .expect("compiles");
        let mut found = Vec::new();
        for page in compiled.document.pages() {
            glyphs(&page.frame, '葛', &mut found);
        }
        found
    }

    #[test]
    fn a_moji_joho_sequence_is_laid_out_with_ipamj_variant_glyph() {
        let engine = engine();
        let variant = laid_out(&engine, "葛\u{E0102}西　一郎");
        let plain = laid_out(&engine, "葛西　一郎");
        let [(variant_family, variant_glyph, variant_cluster)] = variant.as_slice() else {
            panic!("one 葛 expected: {variant:?}");
        };
        let [(plain_family, plain_glyph, _)] = plain.as_slice() else {
            panic!("one 葛 expected: {plain:?}");
        };
        assert_eq!(variant_family, "IPAmjMincho");
        assert_eq!(plain_family, "IPAmjMincho");
        // The selector was shaped into the base's cluster …
        assert_eq!(variant_cluster, "葛\u{E0102}");
        // … and chose another glyph than the default one: exactly the glyph
        // IPAmj明朝's cmap format 14 subtable maps the sequence to.
        assert_ne!(variant_glyph, plain_glyph);
        let data = std::fs::read("/usr/share/fonts/truetype/ipamj/ipamjm.ttf").expect("IPAmj");
        let face = ttf_parser::Face::parse(&data, 0).expect("parses");
        let expected = face
            .glyph_variation_index('葛', '\u{E0102}')
            .expect("IPAmj has 葛 U+E0102");
        assert_eq!(*variant_glyph, expected.0);
        assert_eq!(
            Some(*plain_glyph),
            face.glyph_index('葛').map(|glyph| glyph.0)
        );
    }

    #[test]
    fn each_document_of_a_compilation_restarts_its_pages() {
        let engine = engine();
        let first = certificate("葛西　一郎");
        let second = certificate("辻\u{E0103}　次郎");
        let compiled = engine
            .compile(|preparer| {
                Ok(vec![
                    preparer.record_item_certificate(&first)?,
                    preparer.record_item_certificate(&second)?,
                ])
            })
            .expect("compiles");
        assert_eq!(compiled.pages, vec![0..1, 1..2]);
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
