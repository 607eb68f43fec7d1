//! Scenario and property tests of the registry domain, driven the way storage
//! drives it (see `common`).

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures are fixed, valid values; a failure is a broken test"
)]

mod as_of;
mod common;
mod properties;
mod rejections;
