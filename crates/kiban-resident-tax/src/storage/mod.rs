//! The resident-tax business's tables, through the tenant handle.

pub mod income;
