//! The individual resident tax (個人住民税, contract `resident-tax-v1`).

pub(crate) mod assessment_api;
