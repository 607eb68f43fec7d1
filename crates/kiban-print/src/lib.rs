//! The printing engine (帳票エンジン) of Kiban: certificates and notices as
//! PDF, typeset in-process by typst with an offline world.
//!
//! Each layout is one typst template (`templates/*.typ`, compiled into the
//! binary) fed by a plain Rust struct: [`ResidentRecordCopy`] (住民票の写し),
//! [`RemovedRecordCopy`] (除票の写し), [`RecordItemCertificate`]
//! (住民票記載事項証明書), [`SealCertificate`] (印鑑登録証明書),
//! [`TaxationCertificate`] (課税（所得）証明書 / 非課税証明書), and the
//! resident-tax notices [`TaxNotice`] (納税通知書 with one 納付書 per period)
//! and [`SpecialCollectionNotice`] (特別徴収税額決定通知書). Which data goes
//! on them is the businesses' concern; the engine prints what it is given,
//! with dates already formatted (和暦).
//!
//! ```no_run
//! # fn example(copy: &kiban_print::ResidentRecordCopy) -> Result<(), kiban_print::PrintError> {
//! let engine = kiban_print::PrintEngine::new(&kiban_print::PrintConfig::default())?;
//! let pdf: Vec<u8> = engine.render_resident_record_copy(copy)?;
//! # Ok(()) }
//! ```
//!
//! # Fonts
//!
//! Fonts are loaded once, when the [`PrintEngine`] is made, from the
//! directories of [`PrintConfig::font_directories`] (by default those of
//! Debian's `fonts-ipamj-mincho` and `fonts-ipaexfont`, which
//! `scripts/install-fonts.sh` installs), and shared by every rendering. The
//! engine never fetches a font, a package or anything else: its typst world
//! knows only the templates, the data and images of the documents being
//! printed, and those fonts. Every PDF embeds subsets of the fonts it uses.
//!
//! Names and addresses are set in IPAmj明朝 ([`MJ_MINCHO`]), which carries
//! the MJ characters (文字情報基盤) and the Moji_Joho ideographic variation
//! sequences (e.g. 辻 U+8FBB with U+E0102 or U+E0103, 葛 U+845B with
//! U+E0102 to U+E0108); IPAex明朝 fills what it lacks. Other text is set in
//! IPAex明朝, labels and titles in IPAexゴシック. The text is Japanese
//! (`lang: "ja"`), so line breaks follow Japanese rules (禁則).
//!
//! # Missing glyphs are errors
//!
//! Before anything is laid out, every character of every field is checked
//! against the fonts its field is set in. A character no font has (an
//! unassigned or private-use code point, a 外字 of a legacy system, …) is
//! [`PrintError::MissingGlyph`], naming the field (e.g.
//! `residents[0].name`) and the code point (`U+E000`). Control characters
//! are refused too. After layout, the pages are searched for the `.notdef`
//! glyph as a second line of defence ([`PrintError::MissingGlyphInLayout`]);
//! typst's warnings (e.g. an unknown font family) are errors as well. So a
//! document is printed completely or not at all: never with 豆腐.
//!
//! # Variation sequences (IVS)
//!
//! A sequence the fonts carry (Moji_Joho, in IPAmj明朝's `cmap` format 14)
//! prints with its own glyph. A sequence they do not carry, typically an
//! Adobe-Japan1 one (U+E0100, U+E0101 after many kanji), would fall back to
//! the base character's default glyph, which may be another form of the
//! character than the record holds. By default this is an error
//! ([`PrintError::UnsupportedVariationSequence`], [`UnsupportedVariation::Reject`]):
//! records should hold Moji_Joho sequences, or be mapped to them, before a
//! certificate is printed. A configuration may instead choose the documented
//! degradation [`UnsupportedVariation::PrintBaseCharacter`], which drops the
//! selector and prints the base character.
//!
//! # Long names and addresses (文字溢れ)
//!
//! Every name and address is fitted into its cell by one rule (the `fit`
//! function of `templates/common.typ`): it is set at the layout's size when
//! it fits on one line; otherwise its size shrinks, down to 70 % of the
//! layout's size, until it fits on one line; if it still does not fit, it
//! is set at 70 % and wraps onto further lines, the row growing as needed.
//! Text is never cut off.
//!
//! # Certificates
//!
//! Each certificate carries its number, the certification sentence, the
//! issue date, the certifier (mayor) with the official seal (公印) box, the
//! verification code with a QR code of the address
//! `{origin}/api/v1/certificates/verify/{code}` ([`VERIFY_PATH`]), and at
//! the foot of every page the certificate number, the page within the
//! certificate and the anti-copy wording ([`SECURITY_PAPER_NOTICE`] by
//! default). The latent 「複写」 pattern that shows on photocopies is a
//! feature of the security paper (偽造防止用紙), not printed by the engine.
//!
//! # Notices and payment slips
//!
//! A [`TaxNotice`]'s first page is the notice, its addressee block placed
//! for the window of a 長形3号 envelope; the 納付書 follow, three to an A4
//! page (each a third of the sheet, with cut lines). A slip whose amount is
//! at most 300,000 yen carries the convenience-store barcode of
//! collection-v1 ([`kiban_collection::barcode::ConvenienceStoreBarcode`]) as
//! a GS1-128 symbol ([`Gs1_128`]: Code 128, Start C, FNC1, the 44 digits in
//! code set C, check character, Stop; one module 0.254 mm, 12 mm high, with
//! quiet zones of ten modules), drawn as vector bars with the digits below.
//! The barcode must agree with its installment (notice number, period,
//! amount), or the notice is refused ([`PrintError::Inconsistent`]).
//!
//! # Batches
//!
//! [`PrintEngine::render_batch`] prints many documents into PDF files of a
//! bounded number of pages, in the order given, each file with its page
//! count, its SHA-256 and where each of its documents starts and how many
//! pages it has ([`Placement`], for a print run's index). Runs of documents are compiled on several threads at
//! once. The same input gives the same bytes, whatever the number of
//! threads: PDFs carry no timestamp, and the typst world has no clock (a
//! template asking for today's date fails).

mod collection;
mod documents;
mod engine;
mod error;
mod fonts;
mod gs1_128;
mod image;
mod operations;
mod resident_tax;
mod text;
mod verification;
mod world;

pub use collection::{DemandLine, DemandNotice};
pub use documents::{
    CertifiedPerson, Document, Issuance, RecordItem, RecordItemCertificate, RemovedRecordCopy,
    RemovedResident, ResidentEntry, ResidentRecordCopy, SECURITY_PAPER_NOTICE, SealCertificate,
    Sex,
};
pub use engine::{
    BatchFile, MAX_DOCUMENTS_PER_COMPILATION, Placement, PrintConfig, PrintEngine, RenderedPdf,
};
pub use error::{CodePoint, PrintError};
pub use fonts::{DEBIAN_FONT_DIRECTORIES, EX_GOTHIC, EX_MINCHO, MJ_MINCHO};
pub use gs1_128::{Gs1_128, MAX_DIGITS as GS1_128_MAX_DIGITS, SymbolError};
pub use image::{ImageError, PngImage};
pub use operations::{OperationsReport, ReportSection};
pub use resident_tax::{
    AmountLine, IncomeLine, Levies, Levy, MailingBlock, NoticeInstallment,
    SpecialCollectionEmployee, SpecialCollectionNotice, SpecialNoticeSummary, TaxDetails,
    TaxLabels, TaxNotice, TaxationCertificate, TaxationStatus,
};
pub use text::UnsupportedVariation;
pub use verification::{VERIFY_PATH, Verification, VerificationError};
