//! The registry's storage adapter on SQLite and PostgreSQL.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

mod bulk;
mod common;
mod failover;
mod movements;
mod reads;
mod statistics;
