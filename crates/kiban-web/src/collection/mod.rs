//! The collection business (収納, contract `collection-v1`): its JSON API.

pub(crate) mod api;
