//! Core values of Kiban (基盤): the small, validated types every business uses.
//!
//! Raw strings stop at the edge of the system: each value here has one fallible
//! constructor (`parse`) and, once built, is known to be valid. Nothing in this
//! crate does IO.

pub mod catalogue;
pub mod date;
pub mod digits;
pub mod fiscal;
pub mod kana;
pub mod money;
pub mod month;
pub mod municipality;
pub mod name;
pub mod numbers;
pub mod person;
pub mod postal;
pub mod rate;
pub mod wareki;
pub mod working;

pub use catalogue::{ErrorCode, Message};
pub use date::{
    Date, JAPAN_OFFSET, age_on, japan_date, japan_datetime, school_entry_date, today_in_japan,
};
pub use fiscal::FiscalYear;
pub use kana::KanaName;
pub use money::Yen;
pub use month::YearMonth;
pub use municipality::MunicipalityCode;
pub use name::PersonName;
pub use numbers::{CorporateNumber, IndividualNumber, InsurerNumber, ResidentRecordCode};
pub use person::{Relationship, Sex};
pub use postal::PostalCode;
pub use rate::Rate;
pub use wareki::{Era, Wareki, parse_date_input, parse_wareki, to_wareki};

/// Why a value could not be parsed. Each variant names what was wrong, so that
/// the adapters can report it against the field the value came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The input was empty or only white space.
    #[error("empty value")]
    Empty,
    /// The input contained something other than the digits expected.
    #[error("expected {expected} digits")]
    WrongLength {
        /// The number of digits expected.
        expected: usize,
    },
    /// The input contained a character that is not allowed.
    #[error("a character that is not allowed")]
    InvalidCharacter,
    /// The check digit does not match the rest of the number.
    #[error("wrong check digit (expected {expected})")]
    CheckDigit {
        /// The check digit the rest of the number calls for.
        expected: u8,
    },
    /// A number outside the range the value allows; the detail (for
    /// clerks, in Japanese) is the catalogue's parameter, not part of the
    /// Display.
    #[error("value out of range ({})", .0.name())]
    OutOfRange(Box<Message>),
    /// A date that does not exist or cannot be read; the detail (for
    /// clerks, in Japanese) is the catalogue's parameter, not part of the
    /// Display.
    #[error("invalid date ({})", .0.name())]
    InvalidDate(Box<Message>),
}

impl ValueError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> Message {
        match self {
            ValueError::Empty => Message::ValueEmpty {},
            ValueError::WrongLength { expected } => Message::ValueWrongLength {
                expected: expected.to_string(),
            },
            ValueError::InvalidCharacter => Message::ValueInvalidCharacter {},
            ValueError::CheckDigit { expected } => Message::ValueCheckDigit {
                expected: expected.to_string(),
            },
            ValueError::OutOfRange(detail) => Message::ValueOutOfRange {
                detail: detail.text(),
            },
            ValueError::InvalidDate(detail) => Message::ValueInvalidDate {
                detail: detail.text(),
            },
        }
    }

    /// A value outside its range, `detail` saying how (for clerks).
    pub fn out_of_range(detail: Message) -> Self {
        ValueError::OutOfRange(Box::new(detail))
    }

    /// A date that does not exist or cannot be read, `detail` saying why.
    pub fn invalid_date(detail: Message) -> Self {
        ValueError::InvalidDate(Box::new(detail))
    }
}
