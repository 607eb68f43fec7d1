//! The registry's storage adapter: its SQL, only through the tenant-scoped
//! [`TenantTx`](kiban_store::TenantTx); the domain stays pure.
//!
//! Tables (migration `0002_registry.sql` of `kiban-store`):
//! - `movements`: the source of truth, one row per accepted movement, never
//!   updated or deleted; the details in `payload` ([`payload`], JSON with a
//!   version). A movement's recorded sequence is its `movement_id`.
//! - `movement_persons`, `movement_households`: the index the domain's
//!   [`Accepted::index`](crate::domain::Accepted::index) asks for, by which
//!   [`Closure`](crate::domain::Closure) loads what a request or a read needs.
//! - `persons`, `households`: projections of the latest state (every
//!   movement folded, planned ones included), refreshed in the movement's
//!   transaction, for search and lists. Reads as of a date fold the
//!   movements; the projections only find the candidates.
//! - `outbox`: one [`DomainEvent`](crate::domain::DomainEvent) per movement
//!   for other businesses, in the same transaction; `audit_log`: one entry
//!   per person read or changed ([`kiban_audit`]), in the same transaction.
//!
//! Concurrency: recording a movement first takes the next movement number
//! from the municipality's counter. On PostgreSQL that statement holds the
//! counter row's lock until commit, so the movements of one municipality are
//! validated and written one at a time, each on the state the previous one
//! committed (READ COMMITTED gives every later statement a fresh snapshot);
//! on SQLite, `BEGIN IMMEDIATE` already serializes writing transactions.
//! Locking the individual person and household rows instead would not be
//! enough: validation reads the whole closure (every household a person was
//! ever in), which a row-level scheme would have to lock in full. Counters
//! are always taken in one order (movement, person, household, 住民票コード,
//! outbox event, access-log entry last), so transactions cannot deadlock on
//! them.

pub mod bulk;
mod individual_number;
pub mod payload;
mod read;
mod record;
mod rows;
pub mod statistics;

use jiff::Timestamp;
use kiban_store::StoreError;

use crate::domain::Rejection;

pub use individual_number::{
    NumberVersion, Revealed, individual_number_versions, load_individual_number_versions,
    masked_individual_number, persons_with_individual_number, reveal_individual_number,
    store_individual_number,
};
pub(crate) use individual_number::{
    individual_number_unlogged, persons_with_individual_numbers_unlogged,
};
pub use read::{
    HistoryEntry, SearchQuery, household_as_of, missing_residence_status, person_as_of,
    person_history, search,
};
pub(crate) use read::{
    household_as_of_unlogged, known_persons_unlogged, listings_from_unlogged,
    person_versions_unlogged, persons_as_of_unlogged,
};
pub use record::{PersonPlacement, RecordedMovement, record_movement};

/// The counter of movement numbers (異動番号), also the recorded sequence.
pub const MOVEMENT_SEQUENCE: &str = "movement_id";
/// The counter of 宛名番号, shared with every business that numbers persons.
pub const PERSON_SEQUENCE: &str = "person_id";
/// The counter of 世帯番号.
pub const HOUSEHOLD_SEQUENCE: &str = "household_id";
/// The counter of 住民票コード serials (the check digit is appended).
pub const RESIDENT_RECORD_SEQUENCE: &str = "resident_record_serial";
/// The counter of outbox event numbers.
pub const OUTBOX_SEQUENCE: &str = "outbox_event";

/// Why a registry action failed: refused by the registry's rules (nothing
/// was written), or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request was refused (受付不可); the rejection names the field and
    /// tells 422 from 409 ([`Rejection::kind`]).
    #[error("{0}")]
    Rejected(#[from] Rejection),
    /// The database failed or holds something unreadable.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RegistryError {
    /// The rejection, if the request was refused.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            RegistryError::Rejected(r) => Some(r),
            RegistryError::Store(_) => None,
        }
    }

    /// The catalogue's message for people: the rejection's, or the
    /// storage failure's.
    pub fn message(&self) -> kiban_core::Message {
        match self {
            RegistryError::Rejected(r) => r.message(),
            RegistryError::Store(e) => e.message(),
        }
    }
}

use kiban_core::japan_date;

/// A timestamp as stored: RFC 3339 in UTC with microseconds.
pub(crate) fn timestamp_text(at: Timestamp) -> String {
    at.round(jiff::Unit::Microsecond).unwrap_or(at).to_string()
}
