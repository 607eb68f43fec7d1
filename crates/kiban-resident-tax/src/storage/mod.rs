//! The resident-tax business's tables, through the tenant handle.

pub mod assessment;
pub mod income;
pub mod notices;
pub mod settings;
pub mod special_notices;
