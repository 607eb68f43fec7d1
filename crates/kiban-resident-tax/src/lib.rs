//! The individual resident-tax business of Kiban (個人住民税: 課税・通知・
//! 証明, contract `resident-tax-v1`): the municipality's settings per fiscal
//! year, income records (所得情報: 給与支払報告書, 公的年金等支払報告書,
//! 申告) matched to addressees, the annual assessment as a job, reassessment
//! (更正), the events collection consumes, notices and certificates.
//!
//! The calculation itself is `kiban-tax-resident` (pure, through the
//! calculation API's `resident-tax`); this crate is the business around it.
//! [`domain`] holds the rules (no IO); [`storage`] is the adapter (SQL
//! through the tenant handle, access-log entries and outbox events in the
//! same transaction).

#![forbid(unsafe_code)]

pub mod domain;
pub mod jobs;
pub mod storage;
pub mod wire;
