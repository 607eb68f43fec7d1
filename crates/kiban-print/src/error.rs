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
    #[error(
        "帳票用フォント {family} が見つかりません（探した場所: {searched:?}）。scripts/install-fonts.sh を実行してください"
    )]
    FontMissing {
        /// The font family that was looked for, e.g. `IPAmjMincho`.
        family: String,
        /// The directories that were searched.
        searched: Vec<PathBuf>,
    },
    /// A font file could not be read.
    #[error("フォントファイル {path:?} を読み込めません: {source}")]
    FontUnreadable {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// A character of the data is in none of the fonts configured for its
    /// field: it would print as an empty box (豆腐), so nothing is printed.
    #[error("{field}: 文字 {code_point} を表示できるフォントがありません")]
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
        "{field}: 異体字シーケンス {base} {selector} は帳票フォント（IPAmj明朝、文字情報基盤のIVS）にありません"
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
    #[error("{field}: 異体字セレクタ {selector} の前に文字がありません")]
    StrayVariationSelector {
        /// The field of the document that holds the selector.
        field: String,
        /// The selector.
        selector: CodePoint,
    },
    /// A control character (line feed, tab, …) in a one-line field.
    #[error("{field}: 制御文字 {code_point} は印字できません")]
    ControlCharacter {
        /// The field of the document that holds the character.
        field: String,
        /// The character.
        code_point: CodePoint,
    },
    /// A field that must be printed is empty.
    #[error("{field}: 値が空です")]
    EmptyField {
        /// The empty field.
        field: String,
    },
    /// An image (seal impression, official seal) is not a PNG file that can be printed.
    #[error("{field}: PNG画像として読み込めません: {reason}")]
    InvalidImage {
        /// The field of the document that holds the image.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The QR code of the verification address could not be made.
    #[error("検証用QRコードを作成できません: {message}")]
    QrCode {
        /// What the QR encoder reported.
        message: String,
    },
    /// The layout found a glyph missing in text that did not come from a
    /// checked field (the fixed wording of a layout). This is a defect of the
    /// layout or of the font installation, never printed as 豆腐.
    #[error("帳票の文言の文字 {code_point} を表示できるフォントがありません")]
    MissingGlyphInLayout {
        /// The character.
        code_point: CodePoint,
    },
    /// The layout failed. This is a defect of the engine, not of the data.
    #[error("帳票のレイアウトに失敗しました: {message}")]
    Layout {
        /// The messages of the typesetter.
        message: String,
    },
    /// Writing the PDF failed.
    #[error("PDFの出力に失敗しました: {message}")]
    Pdf {
        /// The messages of the PDF writer.
        message: String,
    },
}
