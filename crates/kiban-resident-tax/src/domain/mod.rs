//! The rules of the resident-tax business, without IO.

pub mod assessment;
pub mod income;
pub mod installments;
pub mod matching;
pub mod notice;
pub mod settings;
pub mod special_notice;
