//! Why a whole extract is rejected as malformed.

use super::layout::LegacyField;

/// A malformed extract (不正な形式のファイル), rejected as a whole: names the
/// 1-based record number and the 1-based byte position within that record
/// (the positions of the layout), and what is wrong there.
///
/// Problems with the content of a well-formed record are not errors but
/// entries of the cleansing report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}, byte {byte}: {problem}")]
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
    #[error("empty file (no trailer record)")]
    Empty,
    /// A record ends (at the end of the file or at a line break) before
    /// its 256th byte.
    #[error("record ends after {length} bytes (must be 256)")]
    RecordLength {
        /// The number of bytes the record has.
        length: usize,
    },
    /// The first record is followed by CR LF and this one is not.
    #[error("no CR LF after the record (the first record has one)")]
    MissingLineBreak,
    /// The first record is not followed by CR LF and this one is.
    #[error("CR LF after the record (the first record has none)")]
    UnexpectedLineBreak,
    /// A record is followed by CR or LF alone.
    #[error("line break after the record is not CR LF")]
    BadLineBreak,
    /// The record kind is neither `1` (person) nor `9` (trailer).
    #[error("record kind {0} unknown (1: person, 9: trailer)")]
    UnknownRecordKind(String),
    /// The last record is not a trailer.
    #[error("no trailer record (kind 9)")]
    MissingTrailer,
    /// A record follows the trailer.
    #[error("a record after the trailer")]
    RecordAfterTrailer,
    /// Bytes 2–11 of the trailer are not ten digits.
    #[error("trailer count is not ten digits")]
    TrailerCountNotDigits,
    /// The trailer's count differs from the number of person records.
    #[error("trailer count {declared} differs from the {actual} person records")]
    TrailerCountMismatch {
        /// The count written in the trailer.
        declared: u64,
        /// The number of person records in the file.
        actual: usize,
    },
    /// The trailer has something other than spaces after its count.
    #[error("trailer not blank after its count (byte 12 on)")]
    TrailerNotBlank,
    /// Bytes that are not CP932 (outside the 外字 area) in a field.
    #[error("{field:?}: bytes that are not CP932")]
    Undecodable {
        /// The field the bytes are in.
        field: LegacyField,
    },
    /// A value that the layout does not allow and that no code of the
    /// cleansing report covers (a 宛名番号 that is not digits, 性別 `3`).
    #[error("{field:?}: a value the layout does not allow")]
    InvalidField {
        /// The field at fault.
        field: LegacyField,
        /// What the layout expects, in Japanese.
        reason: String,
    },
}

impl LegacyFileError {
    /// The catalogue's message for people: where, then what.
    pub fn message(&self) -> kiban_core::Message {
        kiban_core::Message::LegacyAt {
            record: self.record.to_string(),
            byte: self.byte.to_string(),
            problem: self.problem.message().text(),
        }
    }
}

impl LegacyFileProblem {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            LegacyFileProblem::Empty => M::LegacyEmpty {},
            LegacyFileProblem::RecordLength { length } => M::LegacyRecordLength {
                length: length.to_string(),
            },
            LegacyFileProblem::MissingLineBreak => M::LegacyMissingLineBreak {},
            LegacyFileProblem::UnexpectedLineBreak => M::LegacyUnexpectedLineBreak {},
            LegacyFileProblem::BadLineBreak => M::LegacyBadLineBreak {},
            LegacyFileProblem::UnknownRecordKind(kind) => {
                M::LegacyUnknownRecordKind { kind: kind.clone() }
            }
            LegacyFileProblem::MissingTrailer => M::LegacyMissingTrailer {},
            LegacyFileProblem::RecordAfterTrailer => M::LegacyRecordAfterTrailer {},
            LegacyFileProblem::TrailerCountNotDigits => M::LegacyTrailerCountNotDigits {},
            LegacyFileProblem::TrailerCountMismatch { declared, actual } => {
                M::LegacyTrailerCountMismatch {
                    declared: declared.to_string(),
                    actual: actual.to_string(),
                }
            }
            LegacyFileProblem::TrailerNotBlank => M::LegacyTrailerNotBlank {},
            LegacyFileProblem::Undecodable { field } => M::LegacyUndecodable {
                field: field.label_ja().to_owned(),
            },
            LegacyFileProblem::InvalidField { field, reason } => M::LegacyInvalidField {
                field: field.label_ja().to_owned(),
                reason: reason.clone(),
            },
        }
    }
}
