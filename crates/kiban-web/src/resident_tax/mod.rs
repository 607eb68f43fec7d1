//! The resident-tax business (個人住民税, contract `resident-tax-v1`):
//! its JSON API and screens.

pub(crate) mod assessment_api;
pub(crate) mod income_api;
pub(crate) mod pages;
