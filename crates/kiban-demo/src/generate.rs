//! The household model: who lives together, how old they are, what they are
//! called, where they live and since when.
//!
//! Households are drawn from the bottom generation up (the eldest child's
//! age, then the mother's age at that birth, then the father's), so the age
//! gaps between relatives always hold. The shares and age bands below were
//! tuned so that the whole population matches the age pyramid and household
//! statistics of a Japanese city around 2026 (国勢調査 2020 and 人口推計).

use kiban_core::{Date, KanaName, PersonName, Relationship, Sex};

use crate::random::DemoRng;
use crate::tables::{Tables, Written};
use crate::{
    DemoAddress, DemoHousehold, DemoPerson, DemoProfile, StatusOfResidence, individual_number_for,
};

/// An age distribution: bands `(lowest, highest, weight)`.
type Bands = &'static [(i32, i32, u32)];

/// The kinds of Japanese households, with their shares in ‰ of households.
#[derive(Debug, Clone, Copy)]
enum Kind {
    SingleWorkingAge,
    SingleElderly,
    Couple,
    CoupleWithChildren,
    SingleParent,
    ElderlyParentWithAdultChild,
    ThreeGenerations,
    Siblings,
    Partners,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::SingleWorkingAge, 215),
    (Kind::SingleElderly, 165),
    (Kind::Couple, 200),
    (Kind::CoupleWithChildren, 240),
    (Kind::SingleParent, 38),
    (Kind::ElderlyParentWithAdultChild, 65),
    (Kind::ThreeGenerations, 60),
    (Kind::Siblings, 10),
    (Kind::Partners, 7),
];

/// The share of households that are foreign households.
const FOREIGN_HOUSEHOLD_SHARE: f64 = 0.024;
/// The share of married couples with a foreign wife.
const FOREIGN_SPOUSE_SHARE: f64 = 0.012;
/// The share of Japanese households whose surname is written with a rare
/// character.
const RARE_SURNAME_SHARE: f64 = 0.011;
/// The share of persons with a 個人番号 on record.
const INDIVIDUAL_NUMBER_SHARE: f64 = 0.9;
/// The share of household heads born in the municipality.
const BORN_HERE_SHARE: f64 = 0.2;

const SINGLE_WORKING_AGE: Bands = &[
    (18, 19, 3),
    (20, 24, 10),
    (25, 29, 11),
    (30, 34, 8),
    (35, 39, 7),
    (40, 44, 9),
    (45, 49, 11),
    (50, 54, 15),
    (55, 59, 13),
    (60, 64, 11),
];
const SINGLE_ELDERLY: Bands = &[
    (65, 69, 12),
    (70, 74, 17),
    (75, 79, 25),
    (80, 84, 21),
    (85, 89, 16),
    (90, 94, 8),
    (95, 99, 2),
];
const COUPLE_WIFE: Bands = &[
    (22, 29, 4),
    (30, 39, 5),
    (40, 49, 5),
    (50, 54, 6),
    (55, 59, 8),
    (60, 64, 11),
    (65, 69, 12),
    (70, 74, 16),
    (75, 79, 18),
    (80, 84, 11),
    (85, 89, 5),
    (90, 94, 1),
];
/// How much older the husband is than the wife.
const HUSBAND_OLDER_BY: Bands = &[
    (-1, -1, 8),
    (0, 0, 10),
    (1, 2, 24),
    (3, 4, 20),
    (5, 6, 12),
    (7, 10, 6),
];
const ELDEST_CHILD: Bands = &[
    (0, 4, 9),
    (5, 9, 11),
    (10, 14, 14),
    (15, 19, 17),
    (20, 24, 17),
    (25, 29, 15),
    (30, 34, 10),
    (35, 39, 6),
    (40, 44, 1),
];
/// The mother's age at the birth of her first child living in the household.
const MOTHER_AT_FIRST_BIRTH: Bands = &[
    (22, 24, 10),
    (25, 27, 20),
    (28, 30, 28),
    (31, 33, 22),
    (34, 36, 12),
    (37, 40, 6),
    (41, 42, 2),
];
/// Years between siblings.
const SIBLING_GAP: Bands = &[(1, 2, 40), (3, 4, 45), (5, 7, 15)];
const CHILDREN: &[(u32, u32)] = &[(1, 42), (2, 43), (3, 13), (4, 2)];
const SINGLE_PARENT_ELDEST: Bands = &[
    (0, 4, 8),
    (5, 9, 15),
    (10, 14, 22),
    (15, 19, 25),
    (20, 24, 18),
    (25, 29, 8),
    (30, 34, 4),
];
const ELDERLY_PARENT: Bands = &[
    (62, 69, 9),
    (70, 74, 14),
    (75, 79, 20),
    (80, 84, 22),
    (85, 89, 22),
    (90, 94, 13),
    (95, 99, 4),
];
const GRANDCHILD_ELDEST: Bands = &[
    (0, 4, 20),
    (5, 9, 25),
    (10, 14, 25),
    (15, 19, 20),
    (20, 24, 10),
];
const SIBLINGS_HEAD: Bands = &[(40, 49, 20), (50, 59, 30), (60, 69, 25), (70, 85, 25)];
const PARTNERS_HEAD: Bands = &[(22, 29, 45), (30, 39, 40), (40, 55, 15)];
/// Years since a household moved in.
const YEARS_SINCE_MOVE_IN: Bands = &[
    (0, 2, 26),
    (3, 5, 18),
    (6, 10, 17),
    (11, 20, 17),
    (21, 40, 15),
    (41, 70, 7),
];

/// Nationalities of foreign households, weighted like Japan's foreign
/// residents (出入国在留管理庁 在留外国人統計).
const NATIONALITIES: &[(&str, u32)] = &[
    ("CN", 25),
    ("VN", 20),
    ("KR", 13),
    ("PH", 10),
    ("NP", 7),
    ("BR", 7),
    ("ID", 7),
    ("US", 4),
];

/// The status of residence of a foreign household's head, by nationality.
fn head_statuses(nationality: &str) -> &'static [(StatusOfResidence, u32)] {
    use StatusOfResidence::*;
    match nationality {
        "KR" => &[
            (SpecialPermanentResident, 45),
            (PermanentResident, 25),
            (Student, 15),
            (EngineerSpecialistInHumanities, 15),
        ],
        "CN" => &[
            (PermanentResident, 35),
            (EngineerSpecialistInHumanities, 22),
            (Student, 22),
            (TechnicalIntern, 8),
            (LongTermResident, 8),
            (SpecifiedSkilledWorker, 5),
        ],
        "VN" => &[
            (TechnicalIntern, 40),
            (SpecifiedSkilledWorker, 25),
            (Student, 15),
            (EngineerSpecialistInHumanities, 15),
            (PermanentResident, 5),
        ],
        "PH" => &[
            (PermanentResident, 50),
            (LongTermResident, 20),
            (TechnicalIntern, 15),
            (SpecifiedSkilledWorker, 15),
        ],
        "NP" => &[
            (Student, 40),
            (EngineerSpecialistInHumanities, 40),
            (SpecifiedSkilledWorker, 20),
        ],
        "BR" => &[
            (PermanentResident, 60),
            (LongTermResident, 30),
            (SpouseOfJapaneseNational, 10),
        ],
        "ID" => &[
            (TechnicalIntern, 45),
            (SpecifiedSkilledWorker, 35),
            (Student, 10),
            (EngineerSpecialistInHumanities, 10),
        ],
        _ => &[
            (EngineerSpecialistInHumanities, 50),
            (PermanentResident, 35),
            (Student, 15),
        ],
    }
}

/// The country written as the previous address of an arrival from abroad.
fn country_name(nationality: &str) -> &'static str {
    match nationality {
        "CN" => "中華人民共和国",
        "KR" => "大韓民国",
        "VN" => "ベトナム社会主義共和国",
        "PH" => "フィリピン共和国",
        "NP" => "ネパール",
        "BR" => "ブラジル連邦共和国",
        "ID" => "インドネシア共和国",
        "US" => "アメリカ合衆国",
        _ => "国外",
    }
}

/// The nationality of a foreign wife of a Japanese head.
const FOREIGN_WIVES: &[(&str, u32)] = &[
    ("CN", 35),
    ("PH", 30),
    ("KR", 20),
    ("VN", 5),
    ("BR", 5),
    ("US", 5),
];

const KANJI_NUMBERS: [&str; 5] = ["一", "二", "三", "四", "五"];

/// Day numbers: days since 1970-01-01 in the proleptic Gregorian calendar
/// (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: i32, day: i32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i32) -> (i32, i32, i32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

fn date_of(days: i32) -> Date {
    let (year, month, day) = civil_from_days(days);
    Date::new(year as i16, month as i8, day as i8).unwrap_or(Date::MIN)
}

/// A household member before names and residence are written out.
struct Member {
    birth: i32,
    sex: Sex,
    relationship: Relationship,
    family: Written,
    given: Written,
    nationality: &'static str,
    status: Option<StatusOfResidence>,
}

/// Where the members of a household came from.
#[derive(Clone, Copy)]
enum Arrival {
    /// From elsewhere in Japan; the head may have been born here.
    Domestic,
    /// From abroad, recently (temporary statuses).
    FromAbroad(&'static str),
    /// Settled foreign residents: like a domestic household, but the head
    /// came from abroad if not born here.
    Settled(&'static str),
}

/// A household before residence and numbers are settled.
struct Draft {
    members: Vec<Member>,
    apartment_share: f64,
    arrival: Arrival,
}

/// How a family names its members.
#[derive(Clone, Copy)]
enum Origin {
    Japanese(Written),
    Foreign {
        nationality: &'static str,
        family: Written,
        status: StatusOfResidence,
    },
}

/// Generates one chunk of a population (デモデータの1チャンク): households with
/// exactly `chunk_residents` residents in all, computed from `seed` and
/// `chunk_index` alone. The last household is cut to fit when needed (its
/// head is always kept). Residents are numbered from
/// `chunk_index × chunk_residents`, so the chunks of one [`crate::plan`]
/// never share a 個人番号.
pub fn generate_chunk(
    seed: u64,
    profile: &DemoProfile,
    chunk_index: u64,
    chunk_residents: u32,
) -> Vec<DemoHousehold> {
    let base = profile.base_date();
    let base_ymd = (
        i32::from(base.year()),
        i32::from(base.month()),
        i32::from(base.day()),
    );
    let mut generator = Generator {
        rng: DemoRng::for_chunk(seed, chunk_index),
        tables: Tables::get(),
        profile,
        base_ymd,
        base: days_from_civil(base_ymd.0, base_ymd.1, base_ymd.2),
        seed,
        next_serial: chunk_index.saturating_mul(u64::from(chunk_residents)),
    };
    let mut households = Vec::with_capacity(chunk_residents as usize / 2 + 1);
    let mut remaining = chunk_residents as usize;
    while remaining > 0 {
        let mut draft = generator.draft();
        draft.members.truncate(remaining);
        let household = generator.finish(draft);
        // `finish` drops a person whose name would not parse (the table tests
        // rule that out) and a household whose head was dropped, so the count
        // is taken from what it returns.
        if household.members.is_empty() {
            continue;
        }
        remaining -= household.members.len();
        households.push(household);
    }
    households
}

struct Generator<'a> {
    rng: DemoRng,
    tables: &'static Tables,
    profile: &'a DemoProfile,
    base_ymd: (i32, i32, i32),
    base: i32,
    seed: u64,
    next_serial: u64,
}

impl Generator<'_> {
    fn draft(&mut self) -> Draft {
        if self.rng.chance(FOREIGN_HOUSEHOLD_SHARE) {
            return self.foreign_household();
        }
        let surname = self.surname();
        let origin = Origin::Japanese(surname);
        let kind = self.rng.weighted(KINDS).unwrap_or(Kind::SingleWorkingAge);
        let (members, apartment_share) = match kind {
            Kind::SingleWorkingAge => {
                let sex = self.sex(0.58);
                let age = self.rng.age(SINGLE_WORKING_AGE);
                (vec![self.person(age, sex, Relationship::Head, origin)], 0.7)
            }
            Kind::SingleElderly => {
                let sex = self.sex(0.35);
                let age = self.rng.age(SINGLE_ELDERLY);
                (vec![self.person(age, sex, Relationship::Head, origin)], 0.3)
            }
            Kind::Couple => {
                let wife = self.rng.age(COUPLE_WIFE);
                (self.couple(wife, origin, true), 0.3)
            }
            Kind::CoupleWithChildren => (self.family(ELDEST_CHILD, origin, true), 0.35),
            Kind::SingleParent => (self.family(SINGLE_PARENT_ELDEST, origin, false), 0.6),
            Kind::ElderlyParentWithAdultChild => (self.elderly_parent_with_child(origin), 0.15),
            Kind::ThreeGenerations => (self.three_generations(origin), 0.05),
            Kind::Siblings => {
                let age = self.rng.age(SIBLINGS_HEAD);
                let other = (age + self.rng.between(-8, 8)).max(30);
                let (a, b) = (self.sex(0.5), self.sex(0.5));
                (
                    vec![
                        self.person(age, a, Relationship::Head, origin),
                        self.person(other, b, Relationship::OtherRelative, origin),
                    ],
                    0.2,
                )
            }
            Kind::Partners => {
                let age = self.rng.age(PARTNERS_HEAD);
                let sex = self.sex(0.6);
                let other = (age + self.rng.between(-3, 3)).max(20);
                let partner_origin = Origin::Japanese(self.surname());
                (
                    vec![
                        self.person(age, sex, Relationship::Head, origin),
                        self.person(
                            other,
                            opposite(sex),
                            Relationship::Cohabitant,
                            partner_origin,
                        ),
                    ],
                    0.8,
                )
            }
        };
        Draft {
            members,
            apartment_share,
            arrival: Arrival::Domestic,
        }
    }

    /// A married couple: the husband is the head (but for a few), the wife
    /// is sometimes a foreign national.
    fn couple(&mut self, wife_age: i32, origin: Origin, may_be_foreign: bool) -> Vec<Member> {
        let husband_age = (wife_age + self.rng.age(HUSBAND_OLDER_BY)).min(104);
        let wife_origin = match origin {
            Origin::Japanese(_) if may_be_foreign && self.rng.chance(FOREIGN_SPOUSE_SHARE) => {
                let nationality = self.rng.weighted(FOREIGN_WIVES).unwrap_or("CN");
                let status = if self.rng.chance(0.7) {
                    StatusOfResidence::SpouseOfJapaneseNational
                } else {
                    StatusOfResidence::PermanentResident
                };
                self.foreign_origin(nationality, status)
            }
            _ => origin,
        };
        // A foreign wife is never the head here, so that the children share
        // the head's surname.
        let wife_is_head = matches!(wife_origin, Origin::Japanese(_)) && self.rng.chance(0.04);
        let (head_rel, wife_rel) = if wife_is_head {
            (Relationship::Spouse, Relationship::Head)
        } else {
            (Relationship::Head, Relationship::Spouse)
        };
        let husband = self.person(husband_age, Sex::Male, head_rel, origin);
        let wife = self.person(wife_age, Sex::Female, wife_rel, wife_origin);
        if wife_is_head {
            vec![wife, husband]
        } else {
            vec![husband, wife]
        }
    }

    /// Parents (both, or one for a single parent) and their children.
    fn family(&mut self, eldest: Bands, origin: Origin, both_parents: bool) -> Vec<Member> {
        let eldest_age = self.rng.age(eldest);
        let mother_age = eldest_age + self.rng.age(MOTHER_AT_FIRST_BIRTH);
        let mut members = if both_parents {
            self.couple(mother_age, origin, true)
        } else if self.rng.chance(0.87) {
            vec![self.person(mother_age, Sex::Female, Relationship::Head, origin)]
        } else {
            let father_age = mother_age + self.rng.age(HUSBAND_OLDER_BY);
            vec![self.person(father_age, Sex::Male, Relationship::Head, origin)]
        };
        let count = if both_parents {
            self.rng.weighted(CHILDREN).unwrap_or(1)
        } else {
            self.rng.weighted(&[(1, 55), (2, 35), (3, 10)]).unwrap_or(1)
        };
        self.children(&mut members, eldest_age, count, Relationship::Child, origin);
        members
    }

    /// Adds `count` children, the eldest aged `eldest_age`, as long as the
    /// younger ones are born by the base date.
    fn children(
        &mut self,
        members: &mut Vec<Member>,
        eldest_age: i32,
        count: u32,
        relationship: Relationship,
        origin: Origin,
    ) {
        let mut age = eldest_age;
        for n in 0..count {
            if n > 0 {
                age -= self.rng.age(SIBLING_GAP);
                if age < 0 {
                    break;
                }
            }
            let sex = self.sex(0.51);
            let child = self.child(age, sex, relationship, origin, members);
            members.push(child);
        }
    }

    /// A child whose given name differs from the rest of the family's.
    fn child(
        &mut self,
        age: i32,
        sex: Sex,
        relationship: Relationship,
        origin: Origin,
        family: &[Member],
    ) -> Member {
        let mut child = self.person(age, sex, relationship, origin);
        for _ in 0..3 {
            if !family
                .iter()
                .any(|m| m.given.written == child.given.written)
            {
                break;
            }
            child.given = self.given(child.birth, sex, origin);
        }
        child
    }

    /// An elderly parent and an adult child; either may be the head.
    fn elderly_parent_with_child(&mut self, origin: Origin) -> Vec<Member> {
        let elder_age = self.rng.age(ELDERLY_PARENT);
        let child_age = (elder_age - self.rng.between(24, 40)).max(25);
        let elder_sex = self.sex(0.2);
        let child_sex = self.sex(0.55);
        if self.rng.chance(0.5) {
            let elder = self.person(elder_age, elder_sex, Relationship::Head, origin);
            let child = self.person(child_age, child_sex, Relationship::Child, origin);
            vec![elder, child]
        } else {
            let child = self.person(child_age, child_sex, Relationship::Head, origin);
            let elder = self.person(elder_age, elder_sex, Relationship::Parent, origin);
            vec![child, elder]
        }
    }

    /// Grandparents, their son and his wife, and grandchildren; the head is
    /// either the son (grandparents are `Parent`) or the grandfather (the son's
    /// wife and the grandchildren are `OtherRelative`).
    fn three_generations(&mut self, origin: Origin) -> Vec<Member> {
        let eldest = self.rng.age(GRANDCHILD_ELDEST);
        let mother = eldest + self.rng.age(MOTHER_AT_FIRST_BIRTH);
        let father = mother + self.rng.age(HUSBAND_OLDER_BY);
        let grandmother = (father + self.rng.age(MOTHER_AT_FIRST_BIRTH)).min(100);
        let grandfather = (grandmother + self.rng.age(HUSBAND_OLDER_BY)).min(102);
        let count = self.rng.weighted(CHILDREN).unwrap_or(1);
        let mut members = Vec::with_capacity(7);
        if grandfather < 80 && self.rng.chance(0.4) {
            members.push(self.person(grandfather, Sex::Male, Relationship::Head, origin));
            members.push(self.person(grandmother, Sex::Female, Relationship::Spouse, origin));
            members.push(self.person(father, Sex::Male, Relationship::Child, origin));
            members.push(self.person(mother, Sex::Female, Relationship::OtherRelative, origin));
            self.children(
                &mut members,
                eldest,
                count,
                Relationship::OtherRelative,
                origin,
            );
        } else {
            members.push(self.person(father, Sex::Male, Relationship::Head, origin));
            members.push(self.person(mother, Sex::Female, Relationship::Spouse, origin));
            self.children(&mut members, eldest, count, Relationship::Child, origin);
            let which = self
                .rng
                .weighted(&[(0u8, 40), (1, 45), (2, 15)])
                .unwrap_or(1);
            if which != 2 {
                members.push(self.person(grandmother, Sex::Female, Relationship::Parent, origin));
            }
            if which != 1 {
                members.push(self.person(grandfather, Sex::Male, Relationship::Parent, origin));
            }
        }
        members
    }

    fn foreign_household(&mut self) -> Draft {
        use StatusOfResidence::*;
        let nationality = self.rng.weighted(NATIONALITIES).unwrap_or("CN");
        let status = self
            .rng
            .weighted(head_statuses(nationality))
            .unwrap_or(PermanentResident);
        let origin = self.foreign_origin(nationality, status);
        let single_age: Option<Bands> = match status {
            TechnicalIntern => Some(&[(19, 24, 45), (25, 29, 40), (30, 34, 15)]),
            SpecifiedSkilledWorker => Some(&[(20, 24, 25), (25, 29, 40), (30, 39, 35)]),
            Student => Some(&[(18, 21, 35), (22, 25, 40), (26, 30, 25)]),
            _ => None,
        };
        let arrival = match status {
            SpecialPermanentResident | PermanentResident | LongTermResident => {
                Arrival::Settled(nationality)
            }
            _ => Arrival::FromAbroad(nationality),
        };
        if let Some(bands) = single_age {
            let age = self.rng.age(bands);
            let sex = self.sex(0.55);
            return Draft {
                members: vec![self.person(age, sex, Relationship::Head, origin)],
                apartment_share: 0.9,
                arrival,
            };
        }
        let (mothers, family_status): (Bands, StatusOfResidence) = match status {
            SpecialPermanentResident => (&[(30, 49, 25), (50, 69, 40), (70, 90, 35)], status),
            PermanentResident => (&[(28, 39, 35), (40, 54, 40), (55, 75, 25)], status),
            EngineerSpecialistInHumanities => {
                (&[(24, 29, 40), (30, 39, 45), (40, 45, 15)], Dependent)
            }
            _ => (
                &[(24, 34, 40), (35, 49, 45), (50, 60, 15)],
                LongTermResident,
            ),
        };
        let family_origin = match origin {
            Origin::Foreign {
                nationality,
                family,
                ..
            } => Origin::Foreign {
                nationality,
                family,
                status: family_status,
            },
            japanese => japanese,
        };
        let mother_age = self.rng.age(mothers);
        let shape = self
            .rng
            .weighted(&[(0u8, 35), (1, 25), (2, 40)])
            .unwrap_or(0);
        let mut members = Vec::with_capacity(4);
        let head_sex = self.sex(0.6);
        match shape {
            0 => members.push(self.person(mother_age, head_sex, Relationship::Head, origin)),
            _ => {
                let father_age = mother_age + self.rng.age(HUSBAND_OLDER_BY);
                members.push(self.person(father_age, Sex::Male, Relationship::Head, origin));
                members.push(self.person(
                    mother_age,
                    Sex::Female,
                    Relationship::Spouse,
                    family_origin,
                ));
            }
        }
        if shape == 2 {
            let first = self.rng.age(MOTHER_AT_FIRST_BIRTH);
            let eldest = mother_age - first;
            // Children older than 35 have left the household.
            if (0..=35).contains(&eldest) {
                let count = self.rng.weighted(&[(1, 50), (2, 40), (3, 10)]).unwrap_or(1);
                self.children(
                    &mut members,
                    eldest,
                    count,
                    Relationship::Child,
                    family_origin,
                );
            }
        }
        Draft {
            members,
            apartment_share: 0.7,
            arrival,
        }
    }

    fn foreign_origin(&mut self, nationality: &'static str, status: StatusOfResidence) -> Origin {
        let names = self.tables.foreign_names(nationality);
        let family = names.family[self.rng.index(names.family.len())];
        Origin::Foreign {
            nationality,
            family,
            status,
        }
    }

    fn surname(&mut self) -> Written {
        let t = self.tables;
        if self.rng.chance(RARE_SURNAME_SHARE) {
            t.rare_surnames[self.rng.index(t.rare_surnames.len())]
        } else {
            t.surnames[self.rng.cumulative(&t.surname_cumulative)]
        }
    }

    fn sex(&mut self, male_share: f64) -> Sex {
        if self.rng.chance(male_share) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// A given name for a person born on day `birth`.
    fn given(&mut self, birth: i32, sex: Sex, origin: Origin) -> Written {
        match origin {
            Origin::Japanese(_) => {
                let (year, _, _) = civil_from_days(birth);
                let era = match year {
                    ..=1945 => 0,
                    1946..=1965 => 1,
                    1966..=1985 => 2,
                    1986..=2005 => 3,
                    _ => 4,
                };
                let names = self.tables.given_names(sex, era);
                names[self.rng.index(names.len())]
            }
            Origin::Foreign { nationality, .. } => {
                let names = self.tables.foreign_names(nationality);
                let list = match sex {
                    Sex::Male => &names.male,
                    Sex::Female => &names.female,
                };
                list[self.rng.index(list.len())]
            }
        }
    }

    /// A person aged `age` on the base date.
    fn person(&mut self, age: i32, sex: Sex, relationship: Relationship, origin: Origin) -> Member {
        let (y, m, d) = self.base_ymd;
        let latest = days_from_civil(y - age, m, d);
        let earliest = days_from_civil(y - age - 1, m, d) + 1;
        let birth = (latest - self.rng.between(0, latest - earliest)).min(self.base);
        let given = self.given(birth, sex, origin);
        let (family, nationality, status) = match origin {
            Origin::Japanese(surname) => (surname, "JP", None),
            Origin::Foreign {
                nationality,
                family,
                status,
            } => (family, nationality, Some(status)),
        };
        Member {
            birth,
            sex,
            relationship,
            family,
            given,
            nationality,
            status,
        }
    }

    fn address(&mut self, apartment_share: f64) -> DemoAddress {
        let t = self.tables;
        // The profile holds one postal code per town of the table.
        let town_index = self.rng.index(self.profile.postal_codes.len());
        let town = t.towns[town_index];
        let block = self.rng.between(1, i32::from(town.blocks.max(1)));
        let house = self.rng.between(1, 28);
        let katagaki = if self.rng.chance(apartment_share) {
            let apartment = t.apartments[self.rng.index(t.apartments.len())];
            let floor = self.rng.between(1, i32::from(apartment.floors.max(1)));
            let room = self.rng.between(1, 8);
            Some(format!("{}{floor}{room:02}", apartment.name))
        } else {
            None
        };
        DemoAddress {
            postal_code: self.profile.postal_codes[town_index].clone(),
            town: town.name,
            address_line: format!(
                "{}{}{block}番{house}号",
                self.profile.municipality_name(),
                town.name
            ),
            katagaki,
        }
    }

    fn previous_domestic_address(&mut self) -> String {
        let t = self.tables;
        let place = t.previous_places[self.rng.index(t.previous_places.len())];
        let town = t.previous_towns[self.rng.index(t.previous_towns.len())];
        let chome = KANJI_NUMBERS[self.rng.index(KANJI_NUMBERS.len())];
        let block = self.rng.between(1, 20);
        let house = self.rng.between(1, 25);
        format!("{place}{town}{chome}丁目{block}番{house}号")
    }

    /// Settles residence dates and numbers and writes the household out.
    fn finish(&mut self, draft: Draft) -> DemoHousehold {
        let address = self.address(draft.apartment_share);
        let Some(head) = draft.members.first() else {
            return DemoHousehold {
                address,
                members: Vec::new(),
            };
        };
        let head_birth = head.birth;
        let head_age = (self.base - head_birth) / 365;
        let (years_ago, previous, born_here_share) = match draft.arrival {
            Arrival::Domestic => {
                let years = self.rng.age(YEARS_SINCE_MOVE_IN);
                let previous = self.previous_domestic_address();
                (years, previous, BORN_HERE_SHARE)
            }
            Arrival::Settled(nationality) => {
                let years = self.rng.age(YEARS_SINCE_MOVE_IN);
                let previous = if self.rng.chance(0.5) {
                    country_name(nationality).to_owned()
                } else {
                    self.previous_domestic_address()
                };
                let born_here = match head.status {
                    Some(StatusOfResidence::SpecialPermanentResident) => 0.7,
                    _ => 0.05,
                };
                (years, previous, born_here)
            }
            Arrival::FromAbroad(nationality) => (
                self.rng.between(0, 4),
                country_name(nationality).to_owned(),
                0.0,
            ),
        };
        let years_ago = years_ago.min((head_age - 18).max(0));
        let moved_in = (self.base - years_ago * 365 - self.rng.between(0, 364)).max(head_birth);
        let head_born_here = self.rng.chance(born_here_share);
        let mut members = Vec::with_capacity(draft.members.len());
        for member in draft.members {
            let native = head_born_here
                && matches!(
                    member.relationship,
                    Relationship::Head | Relationship::Parent
                );
            let (resident_from, previous_address) = if native || member.birth >= moved_in {
                (member.birth, None)
            } else {
                (moved_in, Some(previous.clone()))
            };
            let period_of_stay_until = match member.status {
                Some(status) if !status.is_permanent() => {
                    Some(date_of(self.base + self.rng.between(365, 1826)))
                }
                _ => None,
            };
            let serial = self.next_serial;
            self.next_serial += 1;
            let name = PersonName::parse(&format!(
                "{}\u{3000}{}",
                member.family.written, member.given.written
            ));
            let name_kana = KanaName::parse(&format!(
                "{}\u{3000}{}",
                member.family.kana, member.given.kana
            ));
            let (Ok(name), Ok(name_kana)) = (name, name_kana) else {
                if member.relationship == Relationship::Head {
                    members.clear();
                    break;
                }
                continue;
            };
            let individual_number = if self.rng.chance(INDIVIDUAL_NUMBER_SHARE) {
                individual_number_for(self.seed, serial)
            } else {
                None
            };
            members.push(DemoPerson {
                name,
                name_kana,
                birth_date: date_of(member.birth),
                sex: member.sex,
                relationship: member.relationship,
                nationality: member.nationality,
                status_of_residence: member.status,
                period_of_stay_until,
                resident_from: date_of(resident_from.min(self.base)),
                previous_address,
                individual_number,
            });
        }
        DemoHousehold { address, members }
    }
}

fn opposite(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in (-40_000..60_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            date_of(days_from_civil(2024, 2, 29)).to_string(),
            "2024-02-29"
        );
    }
}
