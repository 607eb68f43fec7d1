//! Why a whole extract is rejected as malformed.

use super::layout::LegacyField;

/// A malformed extract (不正な形式のファイル), rejected as a whole: names the
/// 1-based record number and the 1-based byte position within that record
/// (the positions of the layout), and what is wrong there.
///
/// Problems with the content of a well-formed record are not errors but
/// entries of the cleansing report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("レコード{record}の{byte}バイト目: {problem}")]
pub struct LegacyFileError {
    /// The 1-based record number (the trailer counts as a record).
    pub record: usize,
    /// The 1-based byte position within the record.
    pub byte: usize,
    /// What is wrong.
    pub problem: LegacyFileProblem,
}

/// What makes an extract malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyFileProblem {
    /// The file has no bytes at all, so not even a trailer.
    #[error("ファイルが空です（トレーラレコードがありません）")]
    Empty,
    /// A record ends (at the end of the file or at a line break) before
    /// its 256th byte.
    #[error("レコードが{length}バイトで終わっています（256バイトでなければなりません）")]
    RecordLength {
        /// The number of bytes the record has.
        length: usize,
    },
    /// The first record is followed by CR LF and this one is not.
    #[error("レコードの後に CR LF がありません（最初のレコードの後にはあります）")]
    MissingLineBreak,
    /// The first record is not followed by CR LF and this one is.
    #[error("レコードの後に CR LF があります（最初のレコードの後にはありません）")]
    UnexpectedLineBreak,
    /// A record is followed by CR or LF alone.
    #[error("レコードの後の改行が CR LF ではありません")]
    BadLineBreak,
    /// The record kind is neither `1` (person) nor `9` (trailer).
    #[error("レコード種別 {0} は扱えません（1: 個人、9: トレーラ）")]
    UnknownRecordKind(String),
    /// The last record is not a trailer.
    #[error("トレーラレコード（レコード種別 9）がありません")]
    MissingTrailer,
    /// A record follows the trailer.
    #[error("トレーラレコードの後にレコードがあります")]
    RecordAfterTrailer,
    /// Bytes 2–11 of the trailer are not ten digits.
    #[error("トレーラの件数が10桁の数字ではありません")]
    TrailerCountNotDigits,
    /// The trailer's count differs from the number of person records.
    #[error("トレーラの件数 {declared} が個人レコードの数 {actual} と一致しません")]
    TrailerCountMismatch {
        /// The count written in the trailer.
        declared: u64,
        /// The number of person records in the file.
        actual: usize,
    },
    /// The trailer has something other than spaces after its count.
    #[error("トレーラの12バイト目以降は空白でなければなりません")]
    TrailerNotBlank,
    /// Bytes that are not CP932 (outside the 外字 area) in a field.
    #[error("{field}に CP932 として読めないバイトがあります")]
    Undecodable {
        /// The field the bytes are in.
        field: LegacyField,
    },
    /// A value that the layout does not allow and that no code of the
    /// cleansing report covers (a 宛名番号 that is not digits, 性別 `3`).
    #[error("{field}: {reason}")]
    InvalidField {
        /// The field at fault.
        field: LegacyField,
        /// What the layout expects, in Japanese.
        reason: String,
    },
}
