//! Fixtures: a fresh database with two municipalities, a clerk, a small
//! generated population, and row counts of every table.

use kiban_audit::Actor;
use kiban_core::{Date, KanaName, MunicipalityCode, PersonName, Relationship, Sex};
use kiban_registry::domain::{
    Action, Address, AddressChange, AddressDraft, AddressText, BirthCommand, Cancellation, Changes,
    Death, ExOfficioCorrection, HouseholdId, HouseholdSplitCommand, MoveInCommand, MoveInPerson,
    MoveOut, MovementCommand, MovementId, Nationality, PersonId, PersonInput, PersonInputDraft,
    ReasonText, StatusOfResidence,
};
use kiban_registry::storage::bulk::{NewHousehold, NewResident};
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::TestDatabase;
use kiban_store::{Backend, TenantDb};

pub const DEMO: &str = "990019";
pub const OTHER: &str = "131016";

pub fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

pub fn clerk() -> Actor {
    Actor {
        purpose: Some("テスト".into()),
        request_id: Some("test-request".into()),
        ..Actor::new("clerk", "registry_clerk")
    }
}

/// A fresh database with the demo municipality and another one.
pub async fn setup(backend: Backend) -> (TestDatabase, TenantDb, TenantDb) {
    let t = TestDatabase::new(backend).await.expect("test database");
    for (code, name) in [(DEMO, "デモ市"), (OTHER, "千代田区")] {
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: MunicipalityCode::parse(code).unwrap(),
                name: name.into(),
                prefecture: "東京都".into(),
            },
        )
        .await
        .expect("municipality");
    }
    let demo =
        t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
            .await
            .unwrap();
    let other =
        t.db.tenant(MunicipalityCode::parse(OTHER).unwrap())
            .await
            .unwrap();
    (t, demo, other)
}

pub fn address(line: &str, katagaki: Option<&str>) -> Address {
    AddressDraft {
        postal_code: "9990001".into(),
        address_line: line.into(),
        katagaki: katagaki.map(str::to_owned),
    }
    .parse("address")
    .unwrap()
}

pub fn person(name: &str, kana: &str, birth: &str, sex: &str, relationship: &str) -> PersonInput {
    PersonInputDraft {
        name: name.into(),
        name_kana: kana.into(),
        birth_date: birth.into(),
        sex: sex.into(),
        relationship: relationship.into(),
        ..PersonInputDraft::default()
    }
    .parse("person")
    .unwrap()
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
        address: address(line, None),
        previous_address: AddressText::parse("東京都千代田区千代田1番1号").unwrap(),
        household_id: household,
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
        address: address(line, Some("デモマンション101")),
    })
}

pub fn move_out(persons: &[PersonId], new_head: Option<PersonId>) -> Action {
    Action::MoveOut(MoveOut {
        person_ids: persons.to_vec(),
        destination_address: AddressText::parse("北海道札幌市中央区1番").unwrap(),
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
        address: line.map(|l| address(l, None)),
    })
}

pub fn correction(person: PersonId, changes: Changes) -> Action {
    Action::ExOfficioCorrection(ExOfficioCorrection {
        person_id: person,
        changes,
        reason: ReasonText::parse("戸籍照合による修正").unwrap(),
    })
}

pub fn cancel(movement: MovementId) -> Action {
    Action::Cancellation(Cancellation {
        movement_id: movement,
        reason: ReasonText::parse("誤って入力したため").unwrap(),
    })
}

pub fn p(n: u64) -> PersonId {
    PersonId::new(n)
}

pub fn h(n: u64) -> HouseholdId {
    HouseholdId::new(n)
}

/// Row counts of every table the registry writes, and the counters.
pub async fn snapshot(tenant: &TenantDb) -> Vec<(String, i64)> {
    let mut tx = tenant.begin().await.unwrap();
    let mut out = Vec::new();
    for table in [
        "movements",
        "movement_persons",
        "movement_households",
        "persons",
        "households",
        "outbox",
        "audit_log",
    ] {
        let row = tx
            .fetch_optional(
                &format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1"),
                &[],
            )
            .await
            .unwrap()
            .unwrap();
        out.push((table.to_owned(), row.int(0).unwrap()));
    }
    for row in tx
        .fetch_all(
            "SELECT sequence_name, next_value FROM number_sequences \
             WHERE municipality_code = $1 ORDER BY sequence_name",
            &[],
        )
        .await
        .unwrap()
    {
        out.push((row.text(0).unwrap(), row.int(1).unwrap()));
    }
    tx.rollback().await.unwrap();
    out
}

/// How many rows `table` holds for the tenant.
pub async fn count(tenant: &TenantDb, table: &str) -> i64 {
    snapshot(tenant)
        .await
        .into_iter()
        .find(|(name, _)| name == table)
        .map_or(0, |(_, n)| n)
}

const SURNAMES: [(&str, &str); 8] = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("辻\u{E0102}", "ツジ"),
    ("渡辺", "ワタナベ"),
    ("伊藤", "イトウ"),
];
const GIVEN: [(&str, &str, Sex); 6] = [
    ("太郎", "タロウ", Sex::Male),
    ("花子", "ハナコ", Sex::Female),
    ("一郎", "イチロウ", Sex::Male),
    ("陽菜", "ヒナ", Sex::Female),
    ("健", "ケン", Sex::Male),
    ("美咲", "ミサキ", Sex::Female),
];

fn date_from_days(days: i64) -> Date {
    d("1930-01-01")
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn resident(
    rng: &mut Lcg,
    surname: usize,
    relationship: Relationship,
    birth: Date,
    resident_from: Date,
    previous: Option<&str>,
    born_here: bool,
) -> NewResident {
    let (family, family_kana) = SURNAMES[surname % SURNAMES.len()];
    let (given, given_kana, sex) = GIVEN[rng.next(GIVEN.len() as u64) as usize];
    NewResident {
        name: PersonName::parse(&format!("{family}　{given}")).unwrap(),
        name_kana: KanaName::parse(&format!("{family_kana} {given_kana}")).unwrap(),
        birth_date: birth,
        sex,
        relationship,
        nationality: Nationality::JAPAN,
        status_of_residence: None,
        period_of_stay_until: None,
        resident_from: resident_from.max(birth),
        previous_address: previous.map(|p| AddressText::parse(p).unwrap()),
        born_here,
    }
}

/// A population like the demo generator's, with at least `residents`
/// persons: singles, couples, families with children born here, natives
/// with a parent born here, and foreign residents.
pub fn population(residents: usize, seed: u64) -> Vec<NewHousehold> {
    let mut rng = Lcg(seed);
    let mut households = Vec::new();
    let mut total = 0;
    let mut n = 0u64;
    while total < residents {
        n += 1;
        let surname = rng.next(SURNAMES.len() as u64) as usize;
        let head_birth = date_from_days(7_000 + rng.next(20_000) as i64);
        let moved_in = head_birth
            .checked_add(jiff::Span::new().days(6_600 + rng.next(5_000) as i64))
            .unwrap()
            .min(d("2025-12-31"));
        let shape = rng.next(5);
        let native = shape == 3;
        let previous = Some("東京都千代田区千代田1番1号");
        let mut members = vec![if native {
            resident(
                &mut rng,
                surname,
                Relationship::Head,
                head_birth,
                head_birth,
                None,
                true,
            )
        } else {
            resident(
                &mut rng,
                surname,
                Relationship::Head,
                head_birth,
                moved_in,
                previous,
                false,
            )
        }];
        if shape >= 1 {
            let spouse_birth = head_birth
                .checked_add(jiff::Span::new().days(rng.next(2_000) as i64))
                .unwrap();
            members.push(resident(
                &mut rng,
                surname,
                Relationship::Spouse,
                spouse_birth,
                moved_in,
                Some("大阪府大阪市北区1番"),
                false,
            ));
        }
        if shape >= 2 {
            for k in 0..(1 + rng.next(3)) {
                let birth = moved_in
                    .checked_add(
                        jiff::Span::new().days(-400 + (k as i64) * 700 + rng.next(300) as i64),
                    )
                    .unwrap()
                    .min(d("2026-01-31"));
                let born_here = birth >= moved_in;
                members.push(resident(
                    &mut rng,
                    surname,
                    Relationship::Child,
                    birth,
                    if born_here { birth } else { moved_in },
                    (!born_here).then_some("東京都千代田区千代田1番1号"),
                    born_here,
                ));
            }
        }
        if native {
            let parent_birth = head_birth
                .checked_add(jiff::Span::new().days(-10_000))
                .unwrap();
            members.push(resident(
                &mut rng,
                surname,
                Relationship::Parent,
                parent_birth,
                parent_birth,
                None,
                true,
            ));
        }
        if shape == 4 && n.is_multiple_of(3) {
            // A foreign resident living alone instead.
            members.truncate(1);
            let m = &mut members[0];
            m.name = PersonName::parse("スミス　ジョン").unwrap();
            m.name_kana = KanaName::parse("スミス ジョン").unwrap();
            m.nationality = Nationality::parse("US").unwrap();
            m.status_of_residence =
                Some(StatusOfResidence::parse("技術・人文知識・国際業務").unwrap());
            m.period_of_stay_until = Some(d("2028-03-31"));
        }
        let katagaki = (n.is_multiple_of(3)).then(|| format!("デモハイツ{}", 100 + n % 50));
        total += members.len();
        households.push(NewHousehold {
            address: address(
                &format!("デモ市中央一丁目{}番{}号", n % 40 + 1, n % 20 + 1),
                katagaki.as_deref(),
            ),
            members,
        });
    }
    households
}
