//! Legacy mainframe extracts (汎用機からの移行データ), layout
//! `fixed-cp932-v1`: fixed-length 256-byte records in CP932 (Windows-31J)
//! with 外字 mapped through a separate map, read into persons grouped by
//! household, with the three-class cleansing report of the contract.
//!
//! - [`parse_fixed_cp932`] reads a whole file with a [`GaijiMap`] into a
//!   [`LegacyExtract`], or rejects a malformed file with a
//!   [`LegacyFileError`] naming the record and byte.
//! - [`CleansingReport::to_json`] writes the report as the contract's JSON.
//! - [`write_fixed_cp932`] writes files in the same layout, for tests and
//!   benchmarks.
//!
//! Values that the layout does not allow and that the report has no code for
//! (a 宛名番号 that is not digits, 性別 other than `1`/`2`, 住民状態 other
//! than `1`–`3`, a 郵便番号 that is neither seven digits nor blank, a 国籍
//! that is neither blank nor two upper-case letters, カナ氏名 that is not
//! half-width katakana, a reserved area that is not blank) make the file
//! malformed.

mod error;
mod gaiji;
mod layout;
mod parse;
mod person;
mod report;
mod writer;

pub use error::{LegacyFileError, LegacyFileProblem};
pub use gaiji::{GaijiMap, GaijiMapError, GaijiMapProblem};
pub use layout::{LegacyField, RECORD_LEN};
pub use parse::{LegacyExtract, parse_fixed_cp932};
pub use person::{LegacyHousehold, LegacyPerson, LegacyStatus, Nationality};
pub use report::{CleansingIssue, CleansingReport, IssueClass, IssueCode, IssueSummary};
pub use writer::{LegacyRecordSpec, write_fixed_cp932};
