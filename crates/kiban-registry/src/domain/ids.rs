//! Identifiers that storage allocates and the domain only carries.

use std::fmt;

use kiban_core::{ResidentRecordCode, ValueError};

macro_rules! number_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a number that storage allocated (or read back).
            pub const fn new(number: u64) -> Self {
                Self(number)
            }

            /// The number, as stored.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

number_id!(
    /// 宛名番号: the municipality-internal number of a person, shared by every
    /// business. Allocated by storage, never reused.
    PersonId
);
number_id!(
    /// 世帯番号: the municipality-internal number of a household.
    HouseholdId
);
number_id!(
    /// The number of a movement (異動) within its municipality, given by storage.
    MovementId
);
number_id!(
    /// The order in which movements were recorded in a municipality: strictly
    /// increasing, given by storage (e.g. from a per-municipality counter in the
    /// same transaction). It breaks ties between movements of the same
    /// 異動日 and tells what was known when.
    RecordedSequence
);

/// Source of the numbers a new movement needs: persons registered by a
/// 転入 or 出生 get a [`PersonId`] and a 住民票コード, and a 転入 that founds a
/// household or a 世帯分離 gets a [`HouseholdId`].
///
/// The domain calls it only while accepting a movement, and only as many
/// times as the movement needs. Storage implements it, typically by reading
/// its counters in the transaction, handing out numbers with
/// [`SequentialIds`] and writing the counters back if the movement is
/// accepted (a rejected movement rolls the transaction back, so no number is
/// lost).
pub trait IdAllocator {
    /// A new 宛名番号.
    fn next_person_id(&mut self) -> PersonId;
    /// A new 世帯番号.
    fn next_household_id(&mut self) -> HouseholdId;
    /// A 住民票コード for a person registered for the first time, or an
    /// error when none is left (the pool of codes is exhausted).
    fn next_resident_record_code(&mut self) -> Result<ResidentRecordCode, ValueError>;
}
/// An [`IdAllocator`] that counts up from given numbers. Storage reads the next
/// free numbers, lets the domain use this, then stores the advanced counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequentialIds {
    /// The next 宛名番号 to hand out.
    pub next_person: u64,
    /// The next 世帯番号 to hand out.
    pub next_household: u64,
    /// The next 住民票コード serial (10 digits; the check digit is appended).
    pub next_resident_record_serial: u64,
}

impl SequentialIds {
    /// Starts counting from the given next free numbers.
    pub fn starting_at(person: u64, household: u64, resident_record_serial: u64) -> Self {
        Self {
            next_person: person,
            next_household: household,
            next_resident_record_serial: resident_record_serial,
        }
    }
}

impl IdAllocator for SequentialIds {
    fn next_person_id(&mut self) -> PersonId {
        let id = PersonId::new(self.next_person);
        self.next_person += 1;
        id
    }

    fn next_household_id(&mut self) -> HouseholdId {
        let id = HouseholdId::new(self.next_household);
        self.next_household += 1;
        id
    }

    fn next_resident_record_code(&mut self) -> Result<ResidentRecordCode, ValueError> {
        let code = ResidentRecordCode::from_serial(self.next_resident_record_serial)?;
        self.next_resident_record_serial += 1;
        Ok(code)
    }
}
