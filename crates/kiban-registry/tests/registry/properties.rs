//! Random sequences of plausible requests (back-dated ones, cancellations and
//! corrections included) go through validation; whatever was accepted must
//! keep the registry's invariants on every date.

use std::collections::BTreeSet;

use kiban_core::{Date, Relationship};
use kiban_registry::domain::{
    Changes, Details, HouseholdId, Movement, PersonId, ResidentStatus, Timeline,
};
use proptest::prelude::*;

use crate::common::*;

/// One request, with its numbers given as indexes into what exists when it
/// is made.
#[derive(Debug, Clone)]
enum Op {
    MoveIn {
        persons: usize,
        join: Option<usize>,
    },
    Return {
        person: usize,
    },
    Birth {
        household: usize,
    },
    AddressChange {
        household: usize,
        street: usize,
    },
    MoveOut {
        person: usize,
        with_household: bool,
        planned: bool,
        pick: usize,
    },
    Death {
        person: usize,
        pick: usize,
    },
    Split {
        person: usize,
        others: usize,
        move_address: bool,
    },
    Correction {
        person: usize,
        birth_shift: Option<i32>,
        rename: bool,
    },
    Cancel {
        movement: usize,
    },
}

#[derive(Debug, Clone)]
struct Step {
    op: Op,
    /// Days after 2000-01-01.
    day: i32,
    /// Days between the event and the notification.
    delay: i32,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..4, proptest::option::weighted(0.3, 0usize..50))
            .prop_map(|(persons, join)| Op::MoveIn { persons, join }),
        1 => (0usize..50).prop_map(|person| Op::Return { person }),
        2 => (0usize..50).prop_map(|household| Op::Birth { household }),
        2 => (0usize..50, 0usize..5).prop_map(|(household, street)| Op::AddressChange { household, street }),
        2 => (0usize..50, any::<bool>(), proptest::bool::weighted(0.2), 0usize..8)
            .prop_map(|(person, with_household, planned, pick)| Op::MoveOut { person, with_household, planned, pick }),
        1 => (0usize..50, 0usize..8).prop_map(|(person, pick)| Op::Death { person, pick }),
        1 => (0usize..50, 0usize..3, any::<bool>())
            .prop_map(|(person, others, move_address)| Op::Split { person, others, move_address }),
        1 => (0usize..50, proptest::option::weighted(0.5, -4000i32..4000), any::<bool>())
            .prop_map(|(person, birth_shift, rename)| Op::Correction { person, birth_shift, rename }),
        1 => (0usize..50).prop_map(|movement| Op::Cancel { movement }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (op(), 0i32..10_000, 0i32..20).prop_map(|(op, day, delay)| Step { op, day, delay })
}

const TODAY: &str = "2030-01-01";

fn day(offset: i32) -> Date {
    d("2000-01-01")
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
}

fn pick<T: Copy>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()])
}

fn persons(registry: &Registry) -> Vec<PersonId> {
    (1..registry.ids.next_person).map(PersonId::new).collect()
}

fn households(registry: &Registry) -> Vec<HouseholdId> {
    (1..registry.ids.next_household)
        .map(HouseholdId::new)
        .collect()
}

const STREETS: [&str; 5] = [
    "デモ市一番町1番",
    "デモ市二番町2番",
    "デモ市三番町3番",
    "デモ市四番町4番",
    "デモ市五番町5番",
];
const GIVEN: [&str; 6] = ["タロウ", "ハナコ", "ジロウ", "サクラ", "ケン", "アイ"];

/// Turns a step into a request against the registry as it stands, choosing
/// plausible numbers (a successor from the same household, members of one
/// household) most of the time.
fn request(
    registry: &Registry,
    step: &Step,
    serial: usize,
) -> Option<(Date, Date, kiban_registry::domain::Action)> {
    let event = day(step.day);
    let today = d(TODAY);
    let notified = event
        .checked_add(jiff::Span::new().days(step.delay))
        .unwrap()
        .min(today);
    let birth_of = |age_days: i32| {
        event
            .checked_sub(jiff::Span::new().days(age_days))
            .unwrap()
            .to_string()
    };
    let kana = |n: usize| format!("テスト {}", GIVEN[n % GIVEN.len()]);
    let name = |n: usize| format!("試験 {n}号");
    let action = match &step.op {
        Op::MoveIn { persons, join } => {
            let household = join.and_then(|j| pick(&households(registry), j));
            let address_line = household
                .and_then(|h| registry.household(h, &event.to_string()))
                .map_or(STREETS[serial % STREETS.len()].to_owned(), |r| {
                    r.address.address_line.as_str().to_owned()
                });
            let inputs = (0..*persons)
                .map(|i| {
                    let relationship = match (household, i) {
                        (None, 0) => "head",
                        (_, 1) => "spouse",
                        _ => "child",
                    };
                    person(
                        &name(serial * 10 + i),
                        &kana(serial + i),
                        &birth_of(3000 + 2000 * i32::try_from(i).unwrap()),
                        if i % 2 == 0 { "male" } else { "female" },
                        relationship,
                    )
                })
                .collect();
            move_in(inputs, &address_line, household)
        }
        Op::Return { person: index } => {
            let id = pick(&persons(registry), *index)?;
            let record = registry.person(id, TODAY)?;
            return_in(
                id,
                person(
                    record.name.as_str(),
                    record.name_kana.as_str(),
                    &record.birth_date.to_string(),
                    record.sex.code(),
                    "head",
                ),
                STREETS[serial % STREETS.len()],
            )
        }
        Op::Birth { household } => {
            let h = pick(&households(registry), *household)?;
            birth(
                h,
                person(
                    &name(serial),
                    &kana(serial),
                    &event.to_string(),
                    "female",
                    "child",
                ),
            )
        }
        Op::AddressChange { household, street } => {
            let h = pick(&households(registry), *household)?;
            address_change(h, STREETS[*street])
        }
        Op::MoveOut {
            person,
            with_household,
            planned,
            pick: choice,
        } => {
            let event = if *planned {
                today
                    .checked_add(jiff::Span::new().days(10 + step.delay))
                    .unwrap()
            } else {
                event
            };
            let notified = if *planned { today } else { notified };
            let id = pick(&persons(registry), *person)?;
            let (leaving, new_head) = successor(registry, id, event, *with_household, *choice);
            return Some((event, notified, move_out(&leaving, new_head)));
        }
        Op::Death {
            person,
            pick: choice,
        } => {
            let id = pick(&persons(registry), *person)?;
            let (_, new_head) = successor(registry, id, event, false, *choice);
            death(id, new_head)
        }
        Op::Split {
            person,
            others,
            move_address,
        } => {
            let id = pick(&persons(registry), *person)?;
            let household = registry
                .person(id, &event.to_string())
                .and_then(|r| registry.household(r.household_id, &event.to_string()));
            let mut group = vec![id];
            if let Some(household) = household {
                group.extend(
                    household
                        .members
                        .iter()
                        .map(|m| m.person_id)
                        .filter(|m| *m != id)
                        .take(*others),
                );
            }
            split(
                &group,
                id,
                move_address.then_some(STREETS[serial % STREETS.len()]),
            )
        }
        Op::Correction {
            person,
            birth_shift,
            rename,
        } => {
            let id = pick(&persons(registry), *person)?;
            let record = registry.person(id, TODAY)?;
            let changes = Changes {
                name: rename.then(|| kiban_core::PersonName::parse(&name(serial + 1000)).unwrap()),
                birth_date: birth_shift.map(|shift| {
                    record
                        .birth_date
                        .checked_add(jiff::Span::new().days(shift))
                        .unwrap()
                }),
                ..Changes::default()
            };
            correction(id, changes)
        }
        Op::Cancel { movement } => {
            let movements = registry.all();
            let target = pick(
                &movements.iter().map(|m| m.id).collect::<Vec<_>>(),
                *movement,
            )?;
            cancel(target)
        }
    };
    Some((event, notified, action))
}

/// Who leaves with `person` (their whole household, or them alone) and the
/// successor to name if the head leaves others behind.
fn successor(
    registry: &Registry,
    person: PersonId,
    on: Date,
    with_household: bool,
    choice: usize,
) -> (Vec<PersonId>, Option<PersonId>) {
    let date = on.to_string();
    let Some(household) = registry
        .person(person, &date)
        .and_then(|r| registry.household(r.household_id, &date))
    else {
        return (vec![person], None);
    };
    let members: Vec<PersonId> = household.members.iter().map(|m| m.person_id).collect();
    if with_household && members.contains(&person) {
        return (members, None);
    }
    let others: Vec<PersonId> = members.iter().copied().filter(|m| *m != person).collect();
    let new_head = (household.head_person_id == Some(person))
        .then(|| pick(&others, choice))
        .flatten();
    (vec![person], new_head)
}

/// Every invariant of the registry, over every date that matters.
fn check_invariants(registry: &Registry) -> Result<(), TestCaseError> {
    let all = registry.all();
    let timeline = Timeline::new(&all);
    let mut dates: BTreeSet<Date> = BTreeSet::new();
    for movement in &all {
        dates.insert(movement.event_date);
        dates.insert(movement.event_date.yesterday().unwrap());
        dates.insert(movement.event_date.tomorrow().unwrap());
    }

    // One head per household with members; membership agrees both ways; a
    // resident's relationship is `head` exactly when they head their household.
    for date in &dates {
        let records = timeline.persons_as_of(*date);
        let mut seen_households = BTreeSet::new();
        for record in records
            .iter()
            .filter(|r| r.status == ResidentStatus::Resident)
        {
            seen_households.insert(record.household_id);
            let household = timeline.household_as_of(record.household_id, *date);
            let Some(household) = household else {
                return Err(TestCaseError::fail(format!(
                    "{date}: no household for {}",
                    record.person_id
                )));
            };
            prop_assert!(
                household
                    .members
                    .iter()
                    .any(|m| m.person_id == record.person_id),
                "{date}: {} not a member of {}",
                record.person_id,
                record.household_id
            );
            let heads = household.head_person_id == Some(record.person_id);
            prop_assert_eq!(
                heads,
                record.relationship == Relationship::Head,
                "{}: relationship of {} in {}",
                date,
                record.person_id,
                record.household_id
            );
        }
        for household_id in seen_households {
            let household = timeline.household_as_of(household_id, *date).unwrap();
            let head = household.head_person_id;
            prop_assert!(
                head.is_some(),
                "{date}: household {household_id} without head"
            );
            prop_assert_eq!(household.members.first().map(|m| m.person_id), head);
            for member in &household.members {
                prop_assert_eq!(member.status, ResidentStatus::Resident);
                prop_assert_eq!(member.household_id, household_id);
            }
        }
    }

    // Every effective movement met residents (or an existing household) on its
    // date, and every registration started after any earlier residence ended.
    let mut effective: Vec<&Movement> = timeline
        .movements()
        .filter(|m| !timeline.is_cancelled(m.id) && !matches!(m.details, Details::Cancellation(_)))
        .collect();
    effective.sort_by_key(|m| m.order_key());
    for (position, movement) in effective.iter().enumerate() {
        let prefix: Vec<Movement> = effective[..position].iter().map(|m| (*m).clone()).collect();
        let before = Timeline::new(&prefix);
        let date = movement.event_date;
        let resident = |p: PersonId| before.is_resident_on(p, date);
        let active = |h: HouseholdId| {
            before
                .household_as_of(h, date)
                .is_some_and(|r| !r.members.is_empty())
        };
        let ok = match &movement.details {
            Details::MoveIn(record) => {
                (record.founded_household || active(record.household_id))
                    && record.persons.iter().all(|p| !resident(p.person_id))
            }
            Details::Birth(birth) => {
                active(birth.household_id) && !resident(birth.person.person_id)
            }
            Details::AddressChange(change) => active(change.household_id),
            Details::MoveOut(move_out) => move_out.person_ids.iter().all(|p| resident(*p)),
            Details::Death(death) => resident(death.person_id),
            Details::HouseholdSplit(split) => split.person_ids.iter().all(|p| resident(*p)),
            Details::ExOfficioCorrection(correction) => resident(correction.person_id),
            Details::Cancellation(_) => true,
        };
        prop_assert!(
            ok,
            "movement {} ({:?}) met a non-resident",
            movement.id,
            movement.kind()
        );
        // No movement before the (corrected) birth of those it registers.
        if let Details::MoveIn(record) = &movement.details {
            for person in &record.persons {
                let birth = timeline
                    .person_as_of(person.person_id, d("2100-01-01"))
                    .unwrap()
                    .birth_date;
                prop_assert!(
                    birth <= date,
                    "{} registered before birth",
                    person.person_id
                );
            }
        }
    }

    // History: each version is the fold of the movements up to it, and the
    // last version is the record as it stands.
    let mut ordered: Vec<&Movement> = all.iter().collect();
    ordered.sort_by_key(|m| m.order_key());
    for person in persons(registry) {
        let history = timeline.person_history(person);
        for version in &history {
            let position = ordered
                .iter()
                .position(|m| m.id == version.movement_id)
                .unwrap();
            let prefix: Vec<Movement> = ordered[..=position].iter().map(|m| (*m).clone()).collect();
            let replayed = Timeline::new(&prefix).person_as_of(person, version.event_date);
            prop_assert_eq!(
                replayed.as_ref(),
                version.record.as_ref(),
                "person {} version of movement {}",
                person,
                version.movement_id
            );
        }
        if let Some(last) = history.last() {
            let now = timeline.person_as_of(person, d("2100-01-01"));
            prop_assert_eq!(now.as_ref(), last.record.as_ref(), "person {} now", person);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn accepted_movements_keep_the_invariants(steps in proptest::collection::vec(step(), 1..40)) {
        let mut registry = Registry::default();
        let mut accepted = 0usize;
        for (serial, step) in steps.iter().enumerate() {
            let Some((event, notified, action)) = request(&registry, step, serial) else {
                continue;
            };
            let before = registry.clone();
            match registry.submit(command(&event.to_string(), &notified.to_string(), action), d(TODAY)) {
                Ok(_) => accepted += 1,
                Err(_) => {
                    prop_assert_eq!(&registry.rows, &before.rows);
                    prop_assert_eq!(&registry.ids, &before.ids);
                }
            }
        }
        prop_assert!(accepted <= steps.len());
        check_invariants(&registry)?;
    }
}

/// The generator is not idle: over a fixed seed run, most kinds of movement
/// are accepted at least once.
#[test]
fn the_generator_reaches_every_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut kinds = BTreeSet::new();
    for _ in 0..40 {
        let steps = proptest::collection::vec(step(), 30..40)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut registry = Registry::default();
        for (serial, step) in steps.iter().enumerate() {
            if let Some((event, notified, action)) = request(&registry, step, serial)
                && let Ok(accepted) = registry.submit(
                    command(&event.to_string(), &notified.to_string(), action),
                    d(TODAY),
                )
            {
                kinds.insert(accepted.event.name());
            }
        }
        check_invariants(&registry).unwrap();
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "household_changed",
            "movement_cancelled",
            "resident_address_changed",
            "resident_born",
            "resident_died",
            "resident_moved_in",
            "resident_moved_out",
            "resident_record_corrected",
        ]
    );
}
