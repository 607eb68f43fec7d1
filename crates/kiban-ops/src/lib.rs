//! 運用 (operations): what the service operator reports to its
//! municipalities each month (月次運用報告, contract `ops-v1`).
//!
//! - [`histogram`]: the latency histogram every server keeps per hour,
//!   municipality and route, with fixed bucket bounds so that histograms of
//!   any instance and hour add up, and percentiles read from them.
//! - [`month`]: a report's month in Japan time and its bounds in UTC.
//! - [`usage`]: what a running server counts of its own requests and
//!   job steps, written once a minute.
//! - [`report`]: the report itself, computed from what was recorded
//!   (probes, request statistics, backups, drills, incidents, jobs, usage).
//!
//! Pure except [`storage`], which reads the figures from the database
//! (`kiban-store::ops` and the municipalities' counts).

#![forbid(unsafe_code)]

pub mod histogram;
pub mod month;
pub mod report;
pub mod storage;
pub mod usage;

pub use histogram::{BOUNDS_MS, Histogram};
pub use month::{Month, MonthError};
pub use report::{Inputs, SlaReport};
