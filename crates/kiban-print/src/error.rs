//! Errors of the printing engine.

use std::fmt;
use std::path::PathBuf;

/// A character written as `U+XXXX`, the way the errors name characters: the
/// character itself may be invisible, unassigned or private-use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodePoint(pub char);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", u32::from(self.0))
    }
}

/// Why a document could not be printed. Errors about the data name the field
/// (as a path into the document, e.g. `residents[1].name`) and the character,
/// so that the clerk can correct the record.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// A font the layouts need was not found in the configured directories.
    #[error("font {family} not found (searched: {searched:?}); run scripts/install-fonts.sh")]
    FontMissing {
        /// The font family that was looked for, e.g. `IPAmjMincho`.
        family: String,
        /// The directories that were searched.
        searched: Vec<PathBuf>,
    },
    /// A font file could not be read.
    #[error("font file {path:?} not readable: {source}")]
    FontUnreadable {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// A character of the data is in none of the fonts configured for its
    /// field: it would print as an empty box (豆腐), so nothing is printed.
    #[error("{field}: no font has character {code_point}")]
    MissingGlyph {
        /// The field of the document that holds the character.
        field: String,
        /// The character.
        code_point: CodePoint,
    },
    /// An ideographic variation sequence (IVS) that IPAmj明朝 does not carry,
    /// e.g. an Adobe-Japan1 sequence: the glyph the record asks for cannot be
    /// printed (see the crate documentation on variation sequences).
    #[error(
        "{field}: variation sequence {base} {selector} not in the form font (IPAmj Mincho, the IVS of Moji Joho Kiban)"
    )]
    UnsupportedVariationSequence {
        /// The field of the document that holds the sequence.
        field: String,
        /// The base character.
        base: CodePoint,
        /// The variation selector that follows it.
        selector: CodePoint,
    },
    /// A variation selector with no character before it.
    #[error("{field}: variation selector {selector} without a character before it")]
    StrayVariationSelector {
        /// The field of the document that holds the selector.
        field: String,
        /// The selector.
        selector: CodePoint,
    },
    /// A control character (line feed, tab, …) in a one-line field.
    #[error("{field}: control character {code_point} cannot be printed")]
    ControlCharacter {
        /// The field of the document that holds the character.
        field: String,
        /// The character.
        code_point: CodePoint,
    },
    /// A field that must be printed is empty.
    #[error("{field}: empty")]
    EmptyField {
        /// The empty field.
        field: String,
    },
    /// An image (seal impression, official seal) is not a PNG file that can be printed.
    #[error("{field}: not a printable PNG image: {reason}")]
    InvalidImage {
        /// The field of the document that holds the image.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field whose value contradicts the rest of the document, e.g. a
    /// payment slip's barcode that holds another amount than its
    /// installment, or a notice number that is not twelve digits.
    #[error("{field}: {detail}")]
    Inconsistent {
        /// The field of the document at fault.
        field: String,
        /// What does not agree, in Japanese.
        detail: String,
    },
    /// The QR code of the verification address could not be made.
    #[error("verification QR code not made: {message}")]
    QrCode {
        /// What the QR encoder reported.
        message: String,
    },
    /// The layout found a glyph missing in text that did not come from a
    /// checked field (the fixed wording of a layout). This is a defect of the
    /// layout or of the font installation, never printed as 豆腐.
    #[error("no font has character {code_point} of the layout's wording")]
    MissingGlyphInLayout {
        /// The character.
        code_point: CodePoint,
    },
    /// The layout failed. This is a defect of the engine, not of the data.
    #[error("layout failed: {message}")]
    Layout {
        /// The messages of the typesetter.
        message: String,
    },
    /// Writing the PDF failed.
    #[error("PDF output failed: {message}")]
    Pdf {
        /// The messages of the PDF writer.
        message: String,
    },
}

impl PrintError {
    /// The catalogue's message for people: data errors name the field and
    /// the character, engine failures what failed.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            PrintError::FontMissing { family, searched } => M::PrintFontMissing {
                family: family.clone(),
                searched: format!("{searched:?}"),
            },
            PrintError::FontUnreadable { path, source } => M::PrintFontUnreadable {
                path: format!("{path:?}"),
                detail: source.to_string(),
            },
            PrintError::MissingGlyph { field, code_point } => M::PrintMissingGlyph {
                field: field.clone(),
                code_point: code_point.to_string(),
            },
            PrintError::UnsupportedVariationSequence {
                field,
                base,
                selector,
            } => M::PrintUnsupportedVariationSequence {
                field: field.clone(),
                base: base.to_string(),
                selector: selector.to_string(),
            },
            PrintError::StrayVariationSelector { field, selector } => {
                M::PrintStrayVariationSelector {
                    field: field.clone(),
                    selector: selector.to_string(),
                }
            }
            PrintError::ControlCharacter { field, code_point } => M::PrintControlCharacter {
                field: field.clone(),
                code_point: code_point.to_string(),
            },
            PrintError::EmptyField { field } => M::PrintEmptyField {
                field: field.clone(),
            },
            PrintError::InvalidImage { field, reason } => M::PrintInvalidImage {
                field: field.clone(),
                reason: reason.clone(),
            },
            PrintError::Inconsistent { field, detail } => M::PrintInconsistent {
                field: field.clone(),
                detail: detail.clone(),
            },
            PrintError::QrCode { message } => M::PrintQrCode {
                detail: message.clone(),
            },
            PrintError::MissingGlyphInLayout { code_point } => M::PrintMissingGlyphInLayout {
                code_point: code_point.to_string(),
            },
            PrintError::Layout { message } => M::PrintLayout {
                detail: message.clone(),
            },
            PrintError::Pdf { message } => M::PrintPdf {
                detail: message.clone(),
            },
        }
    }
}
