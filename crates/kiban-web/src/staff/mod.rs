pub(crate) mod enrol;
pub(crate) mod pages;
