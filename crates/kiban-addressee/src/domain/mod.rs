//! The rules of the addressee master, without IO: the records of
//! non-residents and their versions, the matching keys, 名寄せ and the
//! mailing addresses. Storage applies them; the web layer parses requests
//! into them.

pub mod keys;
mod mailing;
mod merge;
mod record;

pub use mailing::{
    Business, MAX_MAILING_NAME_CHARS, MailingAddress, MailingKind, check_validity, in_force,
    parse_mailing_name,
};
pub use merge::{MergeAction, MergeRecord, check_merge, check_unmerge, current_links};
pub use record::{
    AddressDraft, AddresseeId, AddresseeKind, BasicInfo, BasicInfoDraft, Change, MAX_ADDRESS_CHARS,
    PostalAddress, Refusal, Version, apply_change, parse_date_field, parse_reason, version_as_of,
};
