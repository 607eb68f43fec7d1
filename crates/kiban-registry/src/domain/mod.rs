//! The pure domain of the resident registry (住民記録): movements, the fold
//! that turns them into records as of any date, validation, history and
//! events. No IO, no async, no SQL.

mod closure;
mod event;
mod fold;
mod ids;
mod movement;
mod record;
mod rejection;
pub mod search;
pub mod statistics;
mod timeline;
mod validate;
mod values;

pub use closure::Closure;
pub use event::DomainEvent;
pub use ids::{HouseholdId, IdAllocator, MovementId, PersonId, RecordedSequence, SequentialIds};
pub use movement::{
    Action, AddressChange, BirthCommand, BirthRecord, Cancellation, Changes, CorrectedField, Death,
    Details, ExOfficioCorrection, HouseholdSplitCommand, HouseholdSplitRecord, Mentions,
    MoveInCommand, MoveInPerson, MoveInRecord, MoveOut, Movement, MovementCommand, MovementKind,
    RegisteredPerson,
};
pub use record::{HouseholdRecord, PersonListing, PersonRecord, PersonVersion, ResidentStatus};
pub use rejection::{Reason, Rejection, RejectionKind};
pub use timeline::Timeline;
pub use validate::{Accepted, Recording, record_movement};
pub use values::{
    Address, AddressDraft, AddressText, Nationality, PersonInput, PersonInputDraft, ReasonText,
    STATUS_OF_RESIDENCE_UNKNOWN, StatusOfResidence, parse_date, parse_field,
};
