pub(crate) mod api;
pub(crate) mod overview;
pub(crate) mod pages;
