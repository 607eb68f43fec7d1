//! `population-statistics` (住民基本台帳人口・世帯数) on a small hand-made
//! registry, run through the job engine on both engines: moved in and out,
//! died, a birthday on the edge, a 転居 and a 転出 dated after the date,
//! small counts suppressed; the same outputs whatever the chunk size.

use std::collections::BTreeMap;
use std::time::Duration;

use kiban_audit::Actor;
use kiban_jobs::engine::{self, EngineOptions, Status};
use kiban_jobs::kind::Kinds;
use kiban_registry::domain::{Action, AddressChange, AddressDraft, HouseholdId, PersonId};
use kiban_registry::jobs::PopulationStatistics;
use kiban_registry::storage::record_movement;
use kiban_store::TenantDb;
use kiban_store::testing::BACKENDS;

use crate::common::{clerk, command, d, death, move_in, move_out, person, setup};

const TODAY: &str = "2026-12-10";

fn at(postal: &str, action: Action) -> Action {
    // The helpers' addresses all have one postal code; set the one wanted.
    let address = AddressDraft {
        postal_code: postal.into(),
        address_line: "デモ市中央一丁目1番1号".into(),
        katagaki: None,
    }
    .parse("address")
    .unwrap();
    match action {
        Action::MoveIn(mut c) => {
            c.address = address;
            Action::MoveIn(c)
        }
        other => other,
    }
}

async fn arrive(
    demo: &TenantDb,
    date: &str,
    postal: &str,
    persons: Vec<(&str, &str, &str)>,
) -> (HouseholdId, Vec<PersonId>) {
    let inputs = persons
        .iter()
        .enumerate()
        .map(|(i, (birth, sex, _))| {
            person(
                "山田 太郎",
                "ヤマダ タロウ",
                birth,
                sex,
                if i == 0 { "head" } else { "child" },
            )
        })
        .collect();
    let recorded = record_movement(
        demo,
        &clerk(),
        command(
            date,
            date,
            at(postal, move_in(inputs, "デモ市中央一丁目1番1号", None)),
        ),
        d(TODAY),
    )
    .await
    .unwrap();
    (
        recorded.household_id.unwrap(),
        recorded.persons.iter().map(|p| p.person_id).collect(),
    )
}

/// Records the town; answers H7.
async fn town(demo: &TenantDb) -> HouseholdId {
    // H1 at 9990001: a man of 46; a woman who turns 45 on the day after the
    // date (so is 45 on it); a girl who turns 5 likewise. The household
    // moves (転居) to 9990004 after the date.
    let (h1, _) = arrive(
        demo,
        "2022-01-10",
        "9990001",
        vec![
            ("1980-05-05", "male", "A"),
            ("1981-12-02", "female", "B"),
            ("2021-12-02", "female", "C"),
        ],
    )
    .await;
    // H2 at 9990002: the head died before the date.
    let (_, h2) = arrive(
        demo,
        "2019-04-01",
        "9990002",
        vec![("1950-01-01", "male", "D"), ("1952-03-03", "female", "E")],
    )
    .await;
    record_movement(
        demo,
        &clerk(),
        command("2025-06-01", "2025-06-01", death(h2[0], Some(h2[1]))),
        d(TODAY),
    )
    .await
    .unwrap();
    // H3 at 9990002: moved out on the date itself: not counted.
    let (_, h3) = arrive(
        demo,
        "2018-04-01",
        "9990002",
        vec![("1990-07-07", "male", "F")],
    )
    .await;
    record_movement(
        demo,
        &clerk(),
        command("2026-12-01", "2026-12-01", move_out(&h3, None)),
        d(TODAY),
    )
    .await
    .unwrap();
    // H4 at 9990001: 101 years old.
    arrive(
        demo,
        "2015-04-01",
        "9990001",
        vec![("1925-01-01", "male", "G")],
    )
    .await;
    // H5 at 9990003: arrives after the date.
    arrive(
        demo,
        "2026-12-02",
        "9990003",
        vec![("2000-01-01", "female", "H")],
    )
    .await;
    // H6 at 9990003: moves out after the date: counted.
    let (_, h6) = arrive(
        demo,
        "2010-04-01",
        "9990003",
        vec![("1995-02-02", "male", "I")],
    )
    .await;
    record_movement(
        demo,
        &clerk(),
        command("2026-12-05", "2026-12-05", move_out(&h6, None)),
        d(TODAY),
    )
    .await
    .unwrap();
    // H7 at 9990005: three women of 35-39 (not suppressed).
    let (h7, _) = arrive(
        demo,
        "2012-04-01",
        "9990005",
        vec![
            ("1990-01-01", "female", "J"),
            ("1990-02-02", "female", "K"),
            ("1991-03-03", "female", "L"),
        ],
    )
    .await;
    // H1's 転居, dated after the date.
    let moved = AddressDraft {
        postal_code: "9990004".into(),
        address_line: "デモ市本町二丁目2番2号".into(),
        katagaki: None,
    }
    .parse("address")
    .unwrap();
    record_movement(
        demo,
        &clerk(),
        command(
            "2026-12-03",
            "2026-12-03",
            Action::AddressChange(AddressChange {
                household_id: h1,
                address: moved,
            }),
        ),
        d(TODAY),
    )
    .await
    .unwrap();
    h7
}

const POPULATION: &str = "postal_code,sex,age_band,persons\n\
9990001,male,45-49,1\n\
9990001,male,100-,1\n\
9990001,female,5-9,1\n\
9990001,female,45-49,1\n\
9990002,female,70-74,1\n\
9990003,male,30-34,1\n\
9990005,female,35-39,3\n";

const OPEN_DATA: &str = "postal_code,sex,age_band,persons\n\
9990001,male,45-49,X\n\
9990001,male,100-,X\n\
9990001,female,5-9,X\n\
9990001,female,45-49,X\n\
9990002,female,70-74,X\n\
9990003,male,30-34,X\n\
9990005,female,35-39,3\n";

const HOUSEHOLDS: &str = "postal_code,households,persons\n\
9990001,2,4\n\
9990002,1,1\n\
9990003,1,1\n\
9990005,1,3\n";

async fn run(demo: &TenantDb, as_of: &str, chunk_size: u64) -> BTreeMap<String, String> {
    let kinds = Kinds::new(vec![Box::new(PopulationStatistics)]);
    let params: BTreeMap<String, String> = [("as_of".to_owned(), as_of.to_owned())].into();
    let id = engine::submit(demo, &kinds, "population-statistics", &params, "clerk")
        .await
        .unwrap();
    let options = EngineOptions {
        chunk_size,
        backoff: Duration::ZERO,
        ..EngineOptions::default()
    };
    let status = engine::run_to_end(demo, &kinds, id, &options, Duration::ZERO, |_| {})
        .await
        .unwrap();
    let run = engine::status(demo, id).await.unwrap().unwrap();
    assert_eq!(status, Status::Succeeded, "{:?}", run.error);
    // Every person of the projection is a subject, once.
    assert_eq!(run.done, run.total);
    assert_eq!(run.total, 12);
    let mut outputs = BTreeMap::new();
    for info in &run.outputs {
        let output = engine::read_output(
            demo,
            &kinds,
            &Actor::new("clerk", "registry_clerk"),
            id,
            &info.name,
        )
        .await
        .unwrap()
        .unwrap();
        outputs.insert(
            info.name.clone(),
            String::from_utf8(output.content).unwrap(),
        );
    }
    outputs
}

#[tokio::test]
async fn population_statistics_as_of_a_date() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        town(&demo).await;
        for chunk_size in [1, 3, 1000] {
            let outputs = run(&demo, "2026-12-01", chunk_size).await;
            assert_eq!(
                outputs["population.csv"], POPULATION,
                "{backend:?} {chunk_size}"
            );
            assert_eq!(
                outputs["open-data.csv"], OPEN_DATA,
                "{backend:?} {chunk_size}"
            );
            assert_eq!(
                outputs["households.csv"], HOUSEHOLDS,
                "{backend:?} {chunk_size}"
            );
        }
        // Today: H1 moved to 9990004, F and I left, H arrived.
        let today = run(&demo, TODAY, 2).await;
        assert_eq!(
            today["households.csv"],
            "postal_code,households,persons\n9990001,1,1\n9990002,1,1\n9990003,1,1\n9990004,1,3\n9990005,1,3\n"
        );
        assert!(today["population.csv"].contains("9990003,female,25-29,1\n"));
        assert!(!today["population.csv"].contains("9990003,male"));
        // The other municipality has no residents: headers only.
        let empty = run_other(&other).await;
        assert_eq!(
            empty["population.csv"],
            "postal_code,sex,age_band,persons\n"
        );
        t.cleanup().await.unwrap();
    }
}

/// Between the chunks of a run, the persons and households to fold are
/// remembered while the registry does not change; a movement dated after
/// the date and recorded between two runs is folded by the second, and the
/// counts as of the date stay what they were (not counted twice: once at
/// the new address by a range, once at the old by the fold).
#[tokio::test]
async fn a_movement_recorded_after_a_run_is_folded_by_the_next() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        let h7 = town(&demo).await;
        let before = run(&demo, "2026-12-01", 3).await;
        assert_eq!(before["population.csv"], POPULATION, "{backend:?}");
        // H7 moves (転居) after the date: on the date its three still live
        // at 9990005, and are counted there once.
        let moved = AddressDraft {
            postal_code: "9990006".into(),
            address_line: "デモ市本町三丁目3番3号".into(),
            katagaki: None,
        }
        .parse("address")
        .unwrap();
        record_movement(
            &demo,
            &clerk(),
            command(
                "2026-12-06",
                "2026-12-06",
                Action::AddressChange(AddressChange {
                    household_id: h7,
                    address: moved,
                }),
            ),
            d(TODAY),
        )
        .await
        .unwrap();
        let after = run(&demo, "2026-12-01", 3).await;
        assert_eq!(after, before, "{backend:?}");
        // And today they live at 9990006.
        let today = run(&demo, TODAY, 3).await;
        assert!(
            today["population.csv"].contains("9990006,female,35-39,3\n")
                && !today["population.csv"].contains("9990005"),
            "{backend:?} {}",
            today["population.csv"]
        );
        t.cleanup().await.unwrap();
    }
}

async fn run_other(other: &TenantDb) -> BTreeMap<String, String> {
    let kinds = Kinds::new(vec![Box::new(PopulationStatistics)]);
    let params: BTreeMap<String, String> = [("as_of".to_owned(), "2026-12-01".to_owned())].into();
    let id = engine::submit(other, &kinds, "population-statistics", &params, "clerk")
        .await
        .unwrap();
    let options = EngineOptions::default();
    engine::run_to_end(other, &kinds, id, &options, Duration::ZERO, |_| {})
        .await
        .unwrap();
    let run = engine::status(other, id).await.unwrap().unwrap();
    assert_eq!((run.done, run.total), (0, 0));
    let mut outputs = BTreeMap::new();
    for info in &run.outputs {
        let output = engine::read_output(
            other,
            &kinds,
            &Actor::new("clerk", "registry_clerk"),
            id,
            &info.name,
        )
        .await
        .unwrap()
        .unwrap();
        outputs.insert(
            info.name.clone(),
            String::from_utf8(output.content).unwrap(),
        );
    }
    outputs
}
