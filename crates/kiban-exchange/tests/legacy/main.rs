//! The legacy extract `fixed-cp932-v1`: files written with
//! `write_fixed_cp932`, read back with `parse_fixed_cp932`.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

mod clean;
mod common;
mod malformed;
mod problems;
mod roundtrip;
