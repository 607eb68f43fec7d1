pub(crate) mod api;
pub(crate) mod movements;
pub(crate) mod pages;
