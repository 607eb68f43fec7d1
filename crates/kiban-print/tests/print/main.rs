//! Tests of the printing engine with the real fonts (installed by
//! `scripts/install-fonts.sh`) and poppler's tools, no mocks: every PDF is
//! read back with `pdftotext`, `pdffonts` or `pdfinfo`.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures are fixed, valid values; a failure is a broken test"
)]

mod batch;
mod certificates;
mod characters;
mod collection;
mod common;
mod fonts;
mod overflow;
mod resident_tax;
