//! The persistence format of a movement: the `payload` TEXT column of
//! `movements`, JSON with a version field.
//!
//! Version 1 (`"v": 1`) mirrors [`Details`] with the codes of the API
//! contract: `{"v":1,"kind":"move_in","household_id":1,
//! "founded_household":true,"persons":[{"person_id":1,
//! "resident_record_code":"…","name":"…","name_kana":"…",
//! "birth_date":"1980-04-01","sex":"male","relationship":"head",
//! "nationality":"JP"}],"address":{…},"previous_address":"…"}`. Optional
//! values are left out when absent. The recorded sequence of a movement is
//! its `movement_id` (numbers come from one per-municipality counter, taken
//! under its row lock, so they increase in the order of recording).
//!
//! The 個人番号 is never written here, not even encrypted: a payload is kept
//! for ever and copied into exports, and the number must be stored only
//! where it can be encrypted with the municipality's key, bound to its row
//! and searched through a keyed hash: it is sealed in its own table
//! (`individual_numbers`, see the `individual_number` module) in the movement's
//! transaction, and reads attach it from there.
//!
//! A new version adds its own types and a branch in [`decode`]; version 1
//! payloads stay readable for ever.

use std::borrow::Cow;

use kiban_core::{Date, KanaName, PersonName, PostalCode, Relationship, ResidentRecordCode, Sex};
use kiban_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Address, AddressChange, AddressText, BirthRecord, Cancellation, Changes, Death, Details,
    ExOfficioCorrection, HouseholdId, HouseholdSplitRecord, MoveInRecord, MoveOut, Movement,
    MovementId, Nationality, PersonId, PersonInput, ReasonText, RecordedSequence, RegisteredPerson,
    StatusOfResidence,
};

/// The version written by [`encode`].
pub const PAYLOAD_VERSION: u32 = 1;

type Text<'a> = Cow<'a, str>;

#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    v: u32,
    #[serde(flatten)]
    details: DetailsV1<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DetailsV1<'a> {
    MoveIn {
        household_id: u64,
        founded_household: bool,
        persons: Vec<PersonV1<'a>>,
        address: AddressV1<'a>,
        previous_address: Text<'a>,
    },
    Birth {
        household_id: u64,
        person: PersonV1<'a>,
    },
    AddressChange {
        household_id: u64,
        address: AddressV1<'a>,
    },
    MoveOut {
        person_ids: Vec<u64>,
        destination_address: Text<'a>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_head_person_id: Option<u64>,
    },
    Death {
        person_id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_head_person_id: Option<u64>,
    },
    HouseholdSplit {
        new_household_id: u64,
        person_ids: Vec<u64>,
        new_head_person_id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<AddressV1<'a>>,
    },
    ExOfficioCorrection {
        person_id: u64,
        changes: ChangesV1<'a>,
        reason: Text<'a>,
    },
    Cancellation {
        movement_id: u64,
        reason: Text<'a>,
    },
}

#[derive(Serialize, Deserialize)]
struct PersonV1<'a> {
    person_id: u64,
    resident_record_code: Text<'a>,
    #[serde(default, skip_serializing_if = "is_false")]
    returning: bool,
    name: Text<'a>,
    name_kana: Text<'a>,
    birth_date: String,
    sex: Text<'a>,
    relationship: Text<'a>,
    nationality: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_of_residence: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period_of_stay_until: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct AddressV1<'a> {
    postal_code: Text<'a>,
    address_line: Text<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    katagaki: Option<Text<'a>>,
}

#[derive(Serialize, Deserialize)]
struct ChangesV1<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_kana: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sex: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_of_residence: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period_of_stay_until: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn address_v1(address: &Address) -> AddressV1<'_> {
    AddressV1 {
        postal_code: Cow::Borrowed(address.postal_code.as_str()),
        address_line: Cow::Borrowed(address.address_line.as_str()),
        katagaki: address.katagaki.as_ref().map(|k| Cow::Borrowed(k.as_str())),
    }
}

fn person_v1(person: &RegisteredPerson) -> PersonV1<'_> {
    let input = &person.input;
    PersonV1 {
        person_id: person.person_id.get(),
        resident_record_code: Cow::Borrowed(person.resident_record_code.as_str()),
        returning: person.returning,
        name: Cow::Borrowed(input.name.as_str()),
        name_kana: Cow::Borrowed(input.name_kana.as_str()),
        birth_date: input.birth_date.to_string(),
        sex: Cow::Borrowed(input.sex.code()),
        relationship: Cow::Borrowed(input.relationship.code()),
        nationality: Cow::Borrowed(input.nationality.as_str()),
        status_of_residence: input
            .status_of_residence
            .as_ref()
            .map(|s| Cow::Borrowed(s.as_str())),
        period_of_stay_until: input.period_of_stay_until.map(|d| d.to_string()),
    }
}

fn ids(ids: &[PersonId]) -> Vec<u64> {
    ids.iter().map(|p| p.get()).collect()
}

/// The payload of a movement's details (version [`PAYLOAD_VERSION`]).
pub fn encode(details: &Details) -> Result<String, StoreError> {
    let details = match details {
        Details::MoveIn(record) => DetailsV1::MoveIn {
            household_id: record.household_id.get(),
            founded_household: record.founded_household,
            persons: record.persons.iter().map(person_v1).collect(),
            address: address_v1(&record.address),
            previous_address: Cow::Borrowed(record.previous_address.as_str()),
        },
        Details::Birth(birth) => DetailsV1::Birth {
            household_id: birth.household_id.get(),
            person: person_v1(&birth.person),
        },
        Details::AddressChange(change) => DetailsV1::AddressChange {
            household_id: change.household_id.get(),
            address: address_v1(&change.address),
        },
        Details::MoveOut(move_out) => DetailsV1::MoveOut {
            person_ids: ids(&move_out.person_ids),
            destination_address: Cow::Borrowed(move_out.destination_address.as_str()),
            new_head_person_id: move_out.new_head_person_id.map(PersonId::get),
        },
        Details::Death(death) => DetailsV1::Death {
            person_id: death.person_id.get(),
            new_head_person_id: death.new_head_person_id.map(PersonId::get),
        },
        Details::HouseholdSplit(split) => DetailsV1::HouseholdSplit {
            new_household_id: split.new_household_id.get(),
            person_ids: ids(&split.person_ids),
            new_head_person_id: split.new_head_person_id.get(),
            address: split.address.as_ref().map(address_v1),
        },
        Details::ExOfficioCorrection(correction) => DetailsV1::ExOfficioCorrection {
            person_id: correction.person_id.get(),
            changes: ChangesV1 {
                name: correction
                    .changes
                    .name
                    .as_ref()
                    .map(|n| Cow::Borrowed(n.as_str())),
                name_kana: correction
                    .changes
                    .name_kana
                    .as_ref()
                    .map(|n| Cow::Borrowed(n.as_str())),
                birth_date: correction.changes.birth_date.map(|d| d.to_string()),
                sex: correction.changes.sex.map(|s| Cow::Borrowed(s.code())),
                status_of_residence: correction
                    .changes
                    .status_of_residence
                    .as_ref()
                    .map(|s| Cow::Borrowed(s.as_str())),
                period_of_stay_until: correction
                    .changes
                    .period_of_stay_until
                    .map(|d| d.to_string()),
            },
            reason: Cow::Borrowed(correction.reason.as_str()),
        },
        Details::Cancellation(cancellation) => DetailsV1::Cancellation {
            movement_id: cancellation.movement_id.get(),
            reason: Cow::Borrowed(cancellation.reason.as_str()),
        },
    };
    serde_json::to_string(&Payload {
        v: PAYLOAD_VERSION,
        details,
    })
    .map_err(|e| corrupt(e.to_string()))
}

fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: "movements.payload".into(),
        reason: reason.into(),
    }
}

/// Parses one stored value, reporting the field that does not parse.
fn parse<T, E: std::fmt::Display>(
    field: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(text).map_err(|e| corrupt(format!("{field}: {e}")))
}

fn date(field: &str, text: &str) -> Result<Date, StoreError> {
    parse(field, text, kiban_core::date::parse_iso)
}

fn address(a: &AddressV1<'_>) -> Result<Address, StoreError> {
    Ok(Address {
        postal_code: parse("postal_code", &a.postal_code, PostalCode::parse)?,
        address_line: parse("address_line", &a.address_line, AddressText::parse)?,
        katagaki: a
            .katagaki
            .as_deref()
            .map(|k| parse("katagaki", k, AddressText::parse))
            .transpose()?,
    })
}

fn person(p: &PersonV1<'_>) -> Result<RegisteredPerson, StoreError> {
    Ok(RegisteredPerson {
        person_id: PersonId::new(p.person_id),
        resident_record_code: parse(
            "resident_record_code",
            &p.resident_record_code,
            ResidentRecordCode::parse,
        )?,
        returning: p.returning,
        input: PersonInput {
            name: parse("name", &p.name, PersonName::parse)?,
            name_kana: parse("name_kana", &p.name_kana, KanaName::parse)?,
            birth_date: date("birth_date", &p.birth_date)?,
            sex: parse("sex", &p.sex, Sex::parse)?,
            relationship: parse("relationship", &p.relationship, Relationship::parse)?,
            nationality: parse("nationality", &p.nationality, Nationality::parse)?,
            status_of_residence: p
                .status_of_residence
                .as_deref()
                .map(|s| parse("status_of_residence", s, StatusOfResidence::from_stored))
                .transpose()?,
            period_of_stay_until: p
                .period_of_stay_until
                .as_deref()
                .map(|d| date("period_of_stay_until", d))
                .transpose()?,
            individual_number: None,
        },
    })
}

fn person_ids(ids: &[u64]) -> Vec<PersonId> {
    ids.iter().copied().map(PersonId::new).collect()
}

/// Reads a stored movement back: its number (also its recorded sequence),
/// its dates, its `kind` column and its payload.
pub fn decode(
    movement_id: i64,
    kind: &str,
    event_date: Date,
    notified_on: Date,
    payload: &str,
) -> Result<Movement, StoreError> {
    let id = u64::try_from(movement_id).map_err(|_| corrupt("negative movement_id"))?;
    let stored: Payload<'_> = serde_json::from_str(payload).map_err(|e| corrupt(e.to_string()))?;
    if stored.v != PAYLOAD_VERSION {
        return Err(corrupt(format!("unknown payload version {}", stored.v)));
    }
    let details = match &stored.details {
        DetailsV1::MoveIn {
            household_id,
            founded_household,
            persons,
            address: a,
            previous_address,
        } => Details::MoveIn(MoveInRecord {
            household_id: HouseholdId::new(*household_id),
            founded_household: *founded_household,
            persons: persons.iter().map(person).collect::<Result<_, _>>()?,
            address: address(a)?,
            previous_address: parse("previous_address", previous_address, AddressText::parse)?,
        }),
        DetailsV1::Birth {
            household_id,
            person: p,
        } => Details::Birth(BirthRecord {
            household_id: HouseholdId::new(*household_id),
            person: person(p)?,
        }),
        DetailsV1::AddressChange {
            household_id,
            address: a,
        } => Details::AddressChange(AddressChange {
            household_id: HouseholdId::new(*household_id),
            address: address(a)?,
        }),
        DetailsV1::MoveOut {
            person_ids: ids,
            destination_address,
            new_head_person_id,
        } => Details::MoveOut(MoveOut {
            person_ids: person_ids(ids),
            destination_address: parse(
                "destination_address",
                destination_address,
                AddressText::parse,
            )?,
            new_head_person_id: new_head_person_id.map(PersonId::new),
        }),
        DetailsV1::Death {
            person_id,
            new_head_person_id,
        } => Details::Death(Death {
            person_id: PersonId::new(*person_id),
            new_head_person_id: new_head_person_id.map(PersonId::new),
        }),
        DetailsV1::HouseholdSplit {
            new_household_id,
            person_ids: ids,
            new_head_person_id,
            address: a,
        } => Details::HouseholdSplit(HouseholdSplitRecord {
            new_household_id: HouseholdId::new(*new_household_id),
            person_ids: person_ids(ids),
            new_head_person_id: PersonId::new(*new_head_person_id),
            address: a.as_ref().map(address).transpose()?,
        }),
        DetailsV1::ExOfficioCorrection {
            person_id,
            changes,
            reason,
        } => Details::ExOfficioCorrection(ExOfficioCorrection {
            person_id: PersonId::new(*person_id),
            changes: Changes {
                name: changes
                    .name
                    .as_deref()
                    .map(|n| parse("changes.name", n, PersonName::parse))
                    .transpose()?,
                name_kana: changes
                    .name_kana
                    .as_deref()
                    .map(|n| parse("changes.name_kana", n, KanaName::parse))
                    .transpose()?,
                birth_date: changes
                    .birth_date
                    .as_deref()
                    .map(|d| date("changes.birth_date", d))
                    .transpose()?,
                sex: changes
                    .sex
                    .as_deref()
                    .map(|s| parse("changes.sex", s, Sex::parse))
                    .transpose()?,
                status_of_residence: changes
                    .status_of_residence
                    .as_deref()
                    .map(|s| parse("changes.status_of_residence", s, StatusOfResidence::parse))
                    .transpose()?,
                period_of_stay_until: changes
                    .period_of_stay_until
                    .as_deref()
                    .map(|d| date("changes.period_of_stay_until", d))
                    .transpose()?,
            },
            reason: parse("reason", reason, ReasonText::parse)?,
        }),
        DetailsV1::Cancellation {
            movement_id,
            reason,
        } => Details::Cancellation(Cancellation {
            movement_id: MovementId::new(*movement_id),
            reason: parse("reason", reason, ReasonText::parse)?,
        }),
    };
    if details.kind().code() != kind {
        return Err(corrupt(format!(
            "kind column {kind} differs from payload {}",
            details.kind().code()
        )));
    }
    Ok(Movement {
        id: MovementId::new(id),
        sequence: RecordedSequence::new(id),
        event_date,
        notified_on,
        details,
    })
}
