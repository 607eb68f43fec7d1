//! Data exchange (データ交換) of Kiban: the ways data enters and leaves a
//! municipality in bulk.
//!
//! [`legacy`] reads the fixed-length CP932 extracts of mainframe systems
//! (`fixed-cp932-v1`) and produces the cleansing report (データクレンジング
//! 結果) that municipalities use to plan a migration.
//!
//! [`standard`] is the standard exchange format (移行データ標準フォーマット)
//! in which a municipality's whole data leaves and arrives.
//!
//! This crate does no IO: callers pass the bytes of a file and get values
//! back. It knows nothing about databases; the command line maps its output
//! to the registry's bulk registration.

pub mod legacy;
pub mod standard;
