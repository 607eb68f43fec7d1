//! A registry kept in memory the way storage keeps it: accepted movements
//! with their index rows, loaded back through `Closure`.

use kiban_core::Date;
use kiban_registry::domain::{
    Accepted, Action, Address, AddressChange, AddressDraft, AddressText, BirthCommand,
    Cancellation, Changes, Closure, Death, ExOfficioCorrection, HouseholdId, HouseholdRecord,
    HouseholdSplitCommand, Mentions, MoveInCommand, MoveInPerson, MoveOut, Movement,
    MovementCommand, MovementId, PersonId, PersonInput, PersonInputDraft, PersonRecord,
    PersonVersion, ReasonText, RecordedSequence, Recording, Rejection, SequentialIds, Timeline,
    record_movement,
};

/// `YYYY-MM-DD`.
pub fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

/// A Japanese person's input.
pub fn person(name: &str, kana: &str, birth: &str, sex: &str, relationship: &str) -> PersonInput {
    draft(name, kana, birth, sex, relationship)
        .parse("person")
        .unwrap()
}

/// The raw input of a Japanese person.
pub fn draft(
    name: &str,
    kana: &str,
    birth: &str,
    sex: &str,
    relationship: &str,
) -> PersonInputDraft {
    PersonInputDraft {
        name: name.into(),
        name_kana: kana.into(),
        birth_date: birth.into(),
        sex: sex.into(),
        relationship: relationship.into(),
        ..PersonInputDraft::default()
    }
}

/// An address in the demo city.
pub fn address(line: &str) -> Address {
    AddressDraft {
        postal_code: "1000001".into(),
        address_line: line.into(),
        katagaki: None,
    }
    .parse("address")
    .unwrap()
}

pub fn text(value: &str) -> AddressText {
    AddressText::parse(value).unwrap()
}

pub fn reason(value: &str) -> ReasonText {
    ReasonText::parse(value).unwrap()
}

pub fn command(event: &str, notified: &str, action: Action) -> MovementCommand {
    MovementCommand {
        event_date: d(event),
        notified_on: d(notified),
        action,
    }
}

pub fn move_in(persons: Vec<PersonInput>, line: &str, household: Option<HouseholdId>) -> Action {
    Action::MoveIn(MoveInCommand {
        persons: persons
            .into_iter()
            .map(|input| MoveInPerson {
                returning_person_id: None,
                input,
            })
            .collect(),
        address: address(line),
        previous_address: text("東京都千代田区千代田1番1号"),
        household_id: household,
    })
}

pub fn return_in(person_id: PersonId, input: PersonInput, line: &str) -> Action {
    Action::MoveIn(MoveInCommand {
        persons: vec![MoveInPerson {
            returning_person_id: Some(person_id),
            input,
        }],
        address: address(line),
        previous_address: text("大阪府大阪市北区1番"),
        household_id: None,
    })
}

pub fn birth(household: HouseholdId, input: PersonInput) -> Action {
    Action::Birth(BirthCommand {
        household_id: household,
        person: input,
    })
}

pub fn address_change(household: HouseholdId, line: &str) -> Action {
    Action::AddressChange(AddressChange {
        household_id: household,
        address: address(line),
    })
}

pub fn move_out(persons: &[PersonId], new_head: Option<PersonId>) -> Action {
    Action::MoveOut(MoveOut {
        person_ids: persons.to_vec(),
        destination_address: text("北海道札幌市中央区1番"),
        new_head_person_id: new_head,
    })
}

pub fn death(person: PersonId, new_head: Option<PersonId>) -> Action {
    Action::Death(Death {
        person_id: person,
        new_head_person_id: new_head,
    })
}

pub fn split(persons: &[PersonId], new_head: PersonId, line: Option<&str>) -> Action {
    Action::HouseholdSplit(HouseholdSplitCommand {
        person_ids: persons.to_vec(),
        new_head_person_id: new_head,
        address: line.map(address),
    })
}

pub fn correction(person: PersonId, changes: Changes) -> Action {
    Action::ExOfficioCorrection(ExOfficioCorrection {
        person_id: person,
        changes,
        reason: reason("戸籍照合による修正"),
    })
}

pub fn cancel(movement: MovementId) -> Action {
    Action::Cancellation(Cancellation {
        movement_id: movement,
        reason: reason("誤って入力したため"),
    })
}

pub fn p(n: u64) -> PersonId {
    PersonId::new(n)
}

pub fn h(n: u64) -> HouseholdId {
    HouseholdId::new(n)
}

pub fn m(n: u64) -> MovementId {
    MovementId::new(n)
}

/// Movements and their index rows, as storage would keep them.
#[derive(Debug, Clone)]
pub struct Registry {
    pub rows: Vec<(Movement, Mentions)>,
    pub ids: SequentialIds,
    pub next_movement: u64,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            ids: SequentialIds::starting_at(1, 1, 1),
            next_movement: 1,
        }
    }
}

impl Registry {
    /// Movements whose index rows (or number) name anything pending.
    fn load(&self, pending: &Mentions) -> Vec<Movement> {
        self.rows
            .iter()
            .filter(|(movement, index)| {
                pending.movements.contains(&movement.id)
                    || index.persons.iter().any(|p| pending.persons.contains(p))
                    || index
                        .households
                        .iter()
                        .any(|h| pending.households.contains(h))
            })
            .map(|(movement, _)| movement.clone())
            .collect()
    }

    pub fn closure(&self, start: Mentions) -> Vec<Movement> {
        let mut closure = Closure::new(start);
        while let Some(pending) = closure.pending() {
            let batch = self.load(&pending);
            closure.add(&pending, batch);
        }
        closure.into_movements()
    }

    /// Submits a request as storage would: load, validate, persist or roll back.
    pub fn submit(&mut self, command: MovementCommand, today: Date) -> Result<Accepted, Rejection> {
        let existing = self.closure(command.mentions());
        let mut ids = self.ids.clone();
        let recording = Recording {
            id: MovementId::new(self.next_movement),
            sequence: RecordedSequence::new(self.next_movement),
        };
        let accepted = record_movement(&existing, command, recording, today, &mut ids)?;
        self.ids = ids;
        self.next_movement += 1;
        self.rows
            .push((accepted.movement.clone(), accepted.index.clone()));
        Ok(accepted)
    }

    /// Submits and expects acceptance.
    pub fn ok(&mut self, event: &str, notified: &str, action: Action) -> Accepted {
        let today = d(notified).max(d(event));
        match self.submit(command(event, notified, action), today) {
            Ok(accepted) => accepted,
            Err(rejection) => panic!("rejected: {rejection} ({})", rejection.code()),
        }
    }

    fn person_movements(&self, person: PersonId) -> Vec<Movement> {
        let mut start = Mentions::default();
        start.persons.insert(person);
        self.closure(start)
    }

    pub fn person(&self, person: PersonId, as_of: &str) -> Option<PersonRecord> {
        let movements = self.person_movements(person);
        Timeline::new(&movements).person_as_of(person, d(as_of))
    }

    pub fn household(&self, household: HouseholdId, as_of: &str) -> Option<HouseholdRecord> {
        let mut start = Mentions::default();
        start.households.insert(household);
        let movements = self.closure(start);
        Timeline::new(&movements).household_as_of(household, d(as_of))
    }

    pub fn history(&self, person: PersonId) -> Vec<PersonVersion> {
        let movements = self.person_movements(person);
        Timeline::new(&movements).person_history(person)
    }

    pub fn all(&self) -> Vec<Movement> {
        self.rows.iter().map(|(m, _)| m.clone()).collect()
    }
}

/// The Yamada family moves in on 2020-04-01: 太郎 (head, person 1), 花子
/// (spouse, 2) and 一郎 (child, 3) in household 1 (movement 1).
pub fn yamada() -> Registry {
    let mut registry = Registry::default();
    registry.ok(
        "2020-04-01",
        "2020-04-03",
        move_in(
            vec![
                person("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head"),
                person(
                    "山田 花子",
                    "ヤマダ ハナコ",
                    "1982-05-05",
                    "female",
                    "spouse",
                ),
                person(
                    "山田 一郎",
                    "ヤマダ イチロウ",
                    "2010-06-06",
                    "male",
                    "child",
                ),
            ],
            "デモ市中央一丁目2番3号",
            None,
        ),
    );
    registry
}
