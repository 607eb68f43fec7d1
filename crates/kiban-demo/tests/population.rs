//! Properties of generated populations: determinism, chunk independence,
//! exact counts, the invariants of every household, and the statistics of a
//! city (age pyramid, household sizes, foreign residents, rare characters).

use std::collections::{HashMap, HashSet};

use kiban_core::{Date, IndividualNumber, KanaName, PersonName, Relationship, age_on};
use kiban_demo::{DemoHousehold, DemoPerson, DemoProfile, generate_chunk, plan};

fn base_date() -> Date {
    kiban_core::date::date(2026, 4, 1).unwrap_or(Date::MIN)
}

fn profile() -> DemoProfile {
    match DemoProfile::demo_city(base_date()) {
        Ok(profile) => profile,
        Err(e) => panic!("demo profile: {e}"),
    }
}

/// 100,000 residents in four chunks, as a caller following `plan` would
/// generate them.
fn population(seed: u64) -> Vec<DemoHousehold> {
    let profile = profile();
    plan(100_000, 25_000)
        .into_iter()
        .flat_map(|c| generate_chunk(seed, &profile, c.chunk_index, c.residents))
        .collect()
}

fn persons(households: &[DemoHousehold]) -> impl Iterator<Item = &DemoPerson> {
    households.iter().flat_map(|h| h.members.iter())
}

fn years_between(earlier: Date, later: Date) -> u32 {
    age_on(earlier, later)
}

fn is_katakana_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30F6}' | 'ー' | '\u{3000}'))
        && !text.starts_with('\u{3000}')
        && !text.ends_with('\u{3000}')
        && !text.contains("\u{3000}\u{3000}")
}

#[test]
fn the_same_seed_gives_the_same_city_and_another_seed_another() {
    let profile = profile();
    let a = generate_chunk(7, &profile, 3, 5_000);
    let b = generate_chunk(7, &profile, 3, 5_000);
    let c = generate_chunk(8, &profile, 3, 5_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, generate_chunk(7, &profile, 4, 5_000));
}

#[test]
fn a_chunk_does_not_depend_on_the_others() {
    let profile = profile();
    let alone = generate_chunk(11, &profile, 5, 2_000);
    // Generate other chunks first, in another order; chunk 5 is unchanged.
    for chunk in [9, 0, 4, 6] {
        let _ = generate_chunk(11, &profile, chunk, 2_000);
    }
    assert_eq!(generate_chunk(11, &profile, 5, 2_000), alone);
}

#[test]
fn every_chunk_holds_exactly_its_residents() {
    let profile = profile();
    for residents in [0u32, 1, 2, 3, 7, 100, 999, 10_000] {
        let households = generate_chunk(1, &profile, 0, residents);
        let count: usize = households.iter().map(|h| h.members.len()).sum();
        assert_eq!(count, residents as usize);
        assert!(households.iter().all(|h| !h.members.is_empty()));
    }
    let total: usize = plan(12_345, 1_000)
        .into_iter()
        .map(|c| {
            generate_chunk(2, &profile, c.chunk_index, c.residents)
                .iter()
                .map(|h| h.members.len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(total, 12_345);
}

#[test]
fn every_household_is_consistent() {
    let base = base_date();
    let households = population(2026);
    for household in &households {
        let heads = household
            .members
            .iter()
            .filter(|p| p.relationship == Relationship::Head)
            .count();
        assert_eq!(heads, 1, "{household:?}");
        let head = &household.members[0];
        assert_eq!(head.relationship, Relationship::Head);
        for person in &household.members {
            assert!(person.birth_date <= base, "{person:?}");
            assert!(person.resident_from >= person.birth_date, "{person:?}");
            assert!(person.resident_from <= base, "{person:?}");
            assert!(age_on(person.birth_date, base) <= 105, "{person:?}");
            assert!(is_katakana_name(person.name_kana.as_str()), "{person:?}");
            assert_eq!(
                KanaName::parse(person.name_kana.as_str()).as_ref(),
                Ok(&person.name_kana)
            );
            assert_eq!(
                PersonName::parse(person.name.as_str()).as_ref(),
                Ok(&person.name)
            );
            assert_eq!(
                person.name.as_str().matches('\u{3000}').count(),
                person.name_kana.as_str().matches('\u{3000}').count(),
                "{person:?}"
            );
            assert!(person.name.as_str().contains('\u{3000}'), "{person:?}");
            match person.relationship {
                Relationship::Child => {
                    let gap = years_between(head.birth_date, person.birth_date);
                    assert!((18..=60).contains(&gap), "{gap} {household:?}");
                }
                Relationship::Parent => {
                    let gap = years_between(person.birth_date, head.birth_date);
                    assert!((18..=60).contains(&gap), "{gap} {household:?}");
                }
                _ => {}
            }
            if person.is_foreign() {
                let status = person.status_of_residence;
                assert!(status.is_some(), "{person:?}");
                let permanent = status.is_some_and(|s| s.is_permanent());
                assert_eq!(
                    person.period_of_stay_until.is_none(),
                    permanent,
                    "{person:?}"
                );
                if let Some(until) = person.period_of_stay_until {
                    assert!(until > base, "{person:?}");
                    assert!(years_between(base, until) <= 5, "{person:?}");
                }
            } else {
                assert!(person.status_of_residence.is_none(), "{person:?}");
                assert!(person.period_of_stay_until.is_none(), "{person:?}");
            }
            if person.resident_from == person.birth_date {
                assert!(person.previous_address.is_none(), "{person:?}");
            } else {
                assert!(person.previous_address.is_some(), "{person:?}");
            }
        }
        // Children share the head's surname unless the family is foreign.
        let surname = head
            .name
            .as_str()
            .split('\u{3000}')
            .next()
            .unwrap_or_default();
        for person in &household.members {
            if person.relationship == Relationship::Child && !person.is_foreign() {
                assert!(person.name.as_str().starts_with(surname), "{household:?}");
            }
        }
        // Every child is born at least 20 years after its mother or father
        // in the household.
        let parents: Vec<&DemoPerson> = household
            .members
            .iter()
            .filter(|p| matches!(p.relationship, Relationship::Head | Relationship::Spouse))
            .collect();
        for child in household
            .members
            .iter()
            .filter(|p| p.relationship == Relationship::Child)
        {
            for parent in &parents {
                let gap = years_between(parent.birth_date, child.birth_date);
                assert!(gap >= 19, "{gap} {household:?}");
            }
        }
        let address = &household.address;
        assert_eq!(address.postal_code.as_str().len(), 7);
        assert!(address.postal_code.as_str().starts_with("99900"));
        assert!(address.address_line.starts_with("デモ市"));
        assert!(address.address_line.ends_with('号'));
    }
}

#[test]
fn individual_numbers_are_valid_and_unique() {
    let households = population(99);
    let mut seen = HashSet::new();
    let mut with_number = 0usize;
    let mut total = 0usize;
    for person in persons(&households) {
        total += 1;
        if let Some(number) = &person.individual_number {
            with_number += 1;
            assert!(IndividualNumber::parse(number.as_str()).is_ok());
            assert!(seen.insert(number.as_str().to_owned()), "duplicate");
        }
    }
    let share = with_number as f64 / total as f64;
    assert!((0.88..=0.92).contains(&share), "{share}");
}

#[test]
fn the_city_looks_like_a_japanese_city() {
    let base = base_date();
    let households = population(2026);
    let people: Vec<&DemoPerson> = persons(&households).collect();
    let total = people.len() as f64;
    assert_eq!(people.len(), 100_000);

    let mut bands = [0usize; 21];
    for p in &people {
        let age = age_on(p.birth_date, base) as usize;
        bands[(age / 5).min(20)] += 1;
    }
    let share = |range: std::ops::Range<usize>| bands[range].iter().sum::<usize>() as f64 / total;
    let pyramid: Vec<String> = bands
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:>3}-: {:.1}%", i * 5, *n as f64 * 100.0 / total))
        .collect();
    let elderly = share(13..21);
    let children = share(0..3);
    let sizes: HashMap<usize, usize> = households.iter().fold(HashMap::new(), |mut m, h| {
        *m.entry(h.members.len()).or_default() += 1;
        m
    });
    let singles = sizes.get(&1).copied().unwrap_or(0) as f64 / households.len() as f64;
    let average = total / households.len() as f64;
    let foreign = people.iter().filter(|p| p.is_foreign()).count() as f64 / total;
    let rare = people
        .iter()
        .filter(|p| {
            p.name.as_str().chars().any(|c| {
                ('\u{E0100}'..='\u{E01EF}').contains(&c) || "髙﨑𠮷邉邊齊濵廣櫻澤".contains(c)
            })
        })
        .count() as f64
        / total;
    let ivs = people
        .iter()
        .filter(|p| {
            p.name
                .as_str()
                .chars()
                .any(|c| ('\u{E0100}'..='\u{E01EF}').contains(&c))
        })
        .count();
    let apartments = households
        .iter()
        .filter(|h| h.address.katagaki.is_some())
        .count() as f64
        / households.len() as f64;
    let born_here = people
        .iter()
        .filter(|p| p.resident_from == p.birth_date)
        .count() as f64
        / total;
    let report = format!(
        "pyramid {pyramid:?}\n65+ {elderly:.3} 0-14 {children:.3} singles {singles:.3} \
         average {average:.2} foreign {foreign:.3} rare {rare:.4} ivs {ivs} \
         apartments {apartments:.3} born_here {born_here:.3}"
    );
    eprintln!("{report}");
    assert!((0.26..=0.32).contains(&elderly), "{report}");
    assert!((0.10..=0.13).contains(&children), "{report}");
    // The two bulges of the pyramid: 50–54 and 75–79 outnumber their
    // neighbours on the young side.
    assert!(bands[10] > bands[8] && bands[15] > bands[13], "{report}");
    assert!((0.35..=0.41).contains(&singles), "{report}");
    assert!((2.05..=2.35).contains(&average), "{report}");
    assert!((0.015..=0.025).contains(&foreign), "{report}");
    assert!((0.007..=0.015).contains(&rare), "{report}");
    assert!(ivs > 0, "{report}");
    assert!((0.35..=0.45).contains(&apartments), "{report}");
}

#[test]
fn every_relationship_and_status_occurs() {
    let households = population(5);
    let relationships: HashSet<_> = persons(&households).map(|p| p.relationship).collect();
    for r in Relationship::ALL {
        assert!(relationships.contains(&r), "{r}");
    }
    let nationalities: HashSet<_> = persons(&households).map(|p| p.nationality).collect();
    for n in ["JP", "CN", "VN", "KR", "PH", "NP", "BR", "ID", "US"] {
        assert!(nationalities.contains(n), "{n}");
    }
    let statuses: HashSet<_> = persons(&households)
        .filter_map(|p| p.status_of_residence)
        .map(|s| s.label_ja())
        .collect();
    for s in [
        "永住者",
        "特別永住者",
        "技能実習",
        "留学",
        "技術・人文知識・国際業務",
        "家族滞在",
        "定住者",
        "日本人の配偶者等",
        "特定技能",
    ] {
        assert!(statuses.contains(s), "{s}");
    }
}

#[test]
fn another_municipality_gets_its_own_addresses() {
    let profile = match DemoProfile::new("見本町", "見本県", base_date(), "123") {
        Ok(profile) => profile,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(profile.prefecture_name(), "見本県");
    let households = generate_chunk(1, &profile, 0, 500);
    for h in &households {
        assert!(h.address.address_line.starts_with("見本町"));
        assert!(h.address.postal_code.as_str().starts_with("123"));
    }
}
