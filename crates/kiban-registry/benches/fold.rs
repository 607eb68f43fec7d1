//! How fast the registry folds: storage folds on every read, so reading a
//! person with a few dozen movements must take microseconds.
//!
//! The history built here: a family of four moves in, moves house every year
//! for 30 years, has a child, has a name corrected, a child splits off, a
//! mistaken move is cancelled, and the eldest moves out: 37 movements.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kiban_core::Date;
use kiban_registry::domain::{
    Action, Address, AddressChange, AddressDraft, AddressText, BirthCommand, Cancellation, Changes,
    ExOfficioCorrection, HouseholdId, HouseholdSplitCommand, MoveInCommand, MoveInPerson, MoveOut,
    Movement, MovementCommand, MovementId, PersonId, PersonInput, PersonInputDraft, ReasonText,
    RecordedSequence, Recording, SequentialIds, Timeline, record_movement,
};

struct Builder {
    movements: Vec<Movement>,
    ids: SequentialIds,
}

fn date(year: i16, month: i8, day: i8) -> Date {
    Date::constant(year, month, day)
}

fn person(name: &str, kana: &str, birth: &str, relationship: &str) -> Option<PersonInput> {
    PersonInputDraft {
        name: name.into(),
        name_kana: kana.into(),
        birth_date: birth.into(),
        sex: "female".into(),
        relationship: relationship.into(),
        ..PersonInputDraft::default()
    }
    .parse("person")
    .ok()
}

fn address(line: &str) -> Option<Address> {
    AddressDraft {
        postal_code: "1000001".into(),
        address_line: line.into(),
        katagaki: Some("デモマンション101".into()),
    }
    .parse("address")
    .ok()
}

impl Builder {
    fn command(&self, event: Date, action: Action) -> (MovementCommand, Recording) {
        let next = self.movements.len() as u64 + 1;
        (
            MovementCommand {
                event_date: event,
                notified_on: event,
                action,
            },
            Recording {
                id: MovementId::new(next),
                sequence: RecordedSequence::new(next),
            },
        )
    }

    fn add(&mut self, event: Date, action: Action) -> Option<()> {
        let (command, recording) = self.command(event, action);
        let accepted = record_movement(
            &self.movements,
            command,
            recording,
            date(2030, 1, 1),
            &mut self.ids,
        )
        .ok()?;
        self.movements.push(accepted.movement);
        Some(())
    }
}

fn history() -> Option<Builder> {
    let mut b = Builder {
        movements: Vec::new(),
        ids: SequentialIds::starting_at(1, 1, 1),
    };
    let household = HouseholdId::new(1);
    b.add(
        date(1995, 4, 1),
        Action::MoveIn(MoveInCommand {
            persons: [
                person("山田 太郎", "ヤマダ タロウ", "1965-04-01", "head")?,
                person("山田 花子", "ヤマダ ハナコ", "1967-05-05", "spouse")?,
                person("山田 一郎", "ヤマダ イチロウ", "1990-06-06", "child")?,
                person("山田 二郎", "ヤマダ ジロウ", "1992-07-07", "child")?,
            ]
            .into_iter()
            .map(|input| MoveInPerson {
                returning_person_id: None,
                input,
            })
            .collect(),
            address: address("デモ市中央一丁目1番")?,
            previous_address: AddressText::parse("東京都千代田区千代田1番").ok()?,
            household_id: None,
        }),
    )?;
    for year in 1996..2026 {
        b.add(
            date(year as i16, 5, 1),
            Action::AddressChange(AddressChange {
                household_id: household,
                address: address(&format!("デモ市中央一丁目{year}番"))?,
            }),
        )?;
    }
    b.add(
        date(2000, 8, 8),
        Action::Birth(BirthCommand {
            household_id: household,
            person: person("山田 三郎", "ヤマダ サブロウ", "2000-08-08", "child")?,
        }),
    )?;
    b.add(
        date(2010, 1, 10),
        Action::ExOfficioCorrection(ExOfficioCorrection {
            person_id: PersonId::new(2),
            changes: Changes {
                name: kiban_core::PersonName::parse("山田 華子").ok(),
                ..Changes::default()
            },
            reason: ReasonText::parse("戸籍照合").ok()?,
        }),
    )?;
    b.add(
        date(2015, 6, 1),
        Action::HouseholdSplit(HouseholdSplitCommand {
            person_ids: vec![PersonId::new(4)],
            new_head_person_id: PersonId::new(4),
            address: None,
        }),
    )?;
    b.add(
        date(2018, 3, 1),
        Action::MoveOut(MoveOut {
            person_ids: vec![PersonId::new(3)],
            destination_address: AddressText::parse("大阪府大阪市北区1番").ok()?,
            new_head_person_id: None,
        }),
    )?;
    b.add(
        date(2018, 4, 1),
        Action::Cancellation(Cancellation {
            movement_id: MovementId::new(b.movements.len() as u64),
            reason: ReasonText::parse("誤入力").ok()?,
        }),
    )?;
    b.add(
        date(2020, 3, 1),
        Action::MoveOut(MoveOut {
            person_ids: vec![PersonId::new(3)],
            destination_address: AddressText::parse("大阪府大阪市北区1番").ok()?,
            new_head_person_id: None,
        }),
    )?;
    Some(b)
}

fn bench(c: &mut Criterion) {
    let Some(built) = history() else {
        eprintln!("the benchmark history could not be built");
        return;
    };
    let movements = built.movements;
    let person = PersonId::new(2);
    let household = HouseholdId::new(1);
    eprintln!("movements in the history: {}", movements.len());

    c.bench_function("timeline_new_37", |b| {
        b.iter(|| Timeline::new(black_box(&movements)))
    });
    c.bench_function("person_as_of_37", |b| {
        b.iter(|| Timeline::new(&movements).person_as_of(black_box(person), date(2024, 1, 1)))
    });
    c.bench_function("person_as_of_mid_history_37", |b| {
        b.iter(|| Timeline::new(&movements).person_as_of(black_box(person), date(2005, 1, 1)))
    });
    c.bench_function("household_as_of_37", |b| {
        b.iter(|| Timeline::new(&movements).household_as_of(black_box(household), date(2024, 1, 1)))
    });
    c.bench_function("person_history_37", |b| {
        b.iter(|| Timeline::new(&movements).person_history(black_box(person)))
    });
    let Some(new_address) = address("デモ市東町9番") else {
        return;
    };
    for (label, year) in [("after", 2026), ("back-dated", 2001)] {
        let mut ids = SequentialIds::starting_at(100, 100, 100);
        let outcome = record_movement(
            &movements,
            MovementCommand {
                event_date: date(year, 6, 1),
                notified_on: date(year, 6, 1),
                action: Action::AddressChange(AddressChange {
                    household_id: household,
                    address: new_address.clone(),
                }),
            },
            Recording {
                id: MovementId::new(1000),
                sequence: RecordedSequence::new(1000),
            },
            date(2030, 1, 1),
            &mut ids,
        );
        eprintln!(
            "{label} address change: {}",
            outcome.map_or_else(|r| r.code().to_owned(), |a| a.event.name().to_owned())
        );
    }
    c.bench_function("record_address_change_after_37", |b| {
        b.iter(|| {
            let mut ids = SequentialIds::starting_at(100, 100, 100);
            record_movement(
                black_box(&movements),
                MovementCommand {
                    event_date: date(2026, 6, 1),
                    notified_on: date(2026, 6, 1),
                    action: Action::AddressChange(AddressChange {
                        household_id: household,
                        address: new_address.clone(),
                    }),
                },
                Recording {
                    id: MovementId::new(1000),
                    sequence: RecordedSequence::new(1000),
                },
                date(2030, 1, 1),
                &mut ids,
            )
        })
    });
    c.bench_function("record_back_dated_address_change_37", |b| {
        b.iter(|| {
            let mut ids = SequentialIds::starting_at(100, 100, 100);
            record_movement(
                black_box(&movements),
                MovementCommand {
                    event_date: date(2001, 6, 1),
                    notified_on: date(2001, 6, 1),
                    action: Action::AddressChange(AddressChange {
                        household_id: household,
                        address: new_address.clone(),
                    }),
                },
                Recording {
                    id: MovementId::new(1000),
                    sequence: RecordedSequence::new(1000),
                },
                date(2030, 1, 1),
                &mut ids,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
