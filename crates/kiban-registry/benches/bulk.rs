//! How much bulk registration costs before the database: `build_rows`
//! validates every household through the domain and builds every row. The
//! CLI registers 1,000,000 residents in chunks of about 10,000, so one chunk
//! here is one transaction there.
//!
//! The households: a head who moved in, a spouse, up to three children
//! (older ones arriving with the parents, younger ones born here), and in
//! one household in five a head born here living with a parent born here.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kiban_core::{Date, KanaName, PersonName, Relationship, Sex};
use kiban_registry::domain::{AddressDraft, AddressText, Nationality};
use kiban_registry::storage::bulk::{IdBlock, NewHousehold, NewResident, build_rows};

fn resident(
    relationship: Relationship,
    birth: Date,
    resident_from: Date,
    previous: Option<&str>,
) -> Option<NewResident> {
    Some(NewResident {
        name: PersonName::parse("山田　花子").ok()?,
        name_kana: KanaName::parse("ヤマダ　ハナコ").ok()?,
        birth_date: birth,
        sex: Sex::Female,
        relationship,
        nationality: Nationality::JAPAN,
        status_of_residence: None,
        period_of_stay_until: None,
        resident_from: resident_from.max(birth),
        previous_address: previous.and_then(|p| AddressText::parse(p).ok()),
        born_here: previous.is_none(),
    })
}

fn days(from: Date, n: i64) -> Date {
    from.checked_add(jiff::Span::new().days(n)).unwrap_or(from)
}

fn population(residents: usize) -> Option<Vec<NewHousehold>> {
    let mut households = Vec::new();
    let mut total = 0;
    let mut n: i64 = 0;
    let previous = Some("東京都千代田区千代田1番1号");
    while total < residents {
        n += 1;
        let head_birth = days(Date::constant(1950, 1, 1), (n * 7_919) % 15_000);
        let moved_in = days(head_birth, 8_000 + (n * 104_729) % 4_000);
        let native = n % 5 == 0;
        let mut members = vec![if native {
            resident(Relationship::Head, head_birth, head_birth, None)?
        } else {
            resident(Relationship::Head, head_birth, moved_in, previous)?
        }];
        if n % 3 != 0 {
            members.push(resident(
                Relationship::Spouse,
                days(head_birth, 500),
                moved_in,
                previous,
            )?);
        }
        for k in 0..(n % 4) {
            let birth = days(moved_in, -400 + k * 700);
            let born_here = birth >= moved_in;
            members.push(resident(
                Relationship::Child,
                birth,
                if born_here { birth } else { moved_in },
                (!born_here).then_some("東京都千代田区千代田1番1号"),
            )?);
        }
        if native {
            let parent_birth = days(head_birth, -10_000);
            members.push(resident(
                Relationship::Parent,
                parent_birth,
                parent_birth,
                None,
            )?);
        }
        total += members.len();
        let address = AddressDraft {
            postal_code: "9990001".into(),
            address_line: format!("デモ市中央一丁目{}番{}号", n % 40 + 1, n % 20 + 1),
            katagaki: (n % 3 == 1).then(|| format!("デモハイツ{}", 100 + n % 50)),
        }
        .parse("address")
        .ok()?;
        households.push(NewHousehold { address, members });
    }
    Some(households)
}

fn bench(c: &mut Criterion) {
    let Some(households) = population(10_000) else {
        return;
    };
    let block = IdBlock {
        first_person_id: 1,
        first_household_id: 1,
        first_movement_id: 1,
        first_resident_record_serial: 1,
    };
    let at = jiff::Timestamp::now();
    let mut group = c.benchmark_group("bulk");
    group.sample_size(10);
    group.bench_function("build_rows 10,000 residents", |b| {
        b.iter(|| build_rows(black_box(&households), block, "bench", at).map(|r| r.counts))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
