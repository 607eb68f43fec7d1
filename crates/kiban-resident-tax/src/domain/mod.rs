//! The rules of the resident-tax business, without IO.

pub mod income;
pub mod matching;
