//! The rules of the resident-tax business, without IO.
