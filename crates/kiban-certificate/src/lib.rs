//! Certificate issuance (証明書の交付) of Kiban: 住民票の写し, 除票の写し,
//! 住民票記載事項証明書 and 印鑑登録証明書, each printed as of its issue
//! date from the registry's history (and the seal registration), with a
//! certificate number per municipality and year, a verification code
//! printed with its QR code, and a record of issuance (交付履歴: who, when,
//! for whom, which items, why, the PDF's SHA-256 and page count).
//!
//! [`domain`] holds the rules (kinds, items, numbers, verification codes,
//! what goes on each certificate), with no IO; [`storage`] reads, prints
//! through `kiban-print` and records, through the tenant handle, with one
//! `print` access-log entry per person.
//!
//! Architecture invariant: this crate writes only its own tables; it reads
//! the registry and seal registration through their storage modules.

pub mod domain;
pub mod storage;
