//! The demo population generator (デモデータ生成): realistic households of a
//! Japanese city, deterministic for a seed, with no IO.
//!
//! The generator works in chunks. Chunk `k` of a seed is computed from the
//! seed and `k` alone, so a caller can write one chunk, commit it, and resume
//! after an interruption with the next chunk without duplicating or losing
//! anyone ([`plan`] lists the chunks of a population). Storage is someone
//! else's business: this crate only returns values.
//!
//! What the generated city looks like:
//! - Households (世帯) like a Japanese city's: about 38% single-person
//!   households, couples, couples with children, single parents, elderly
//!   parents living with an adult child, three generations, a few siblings
//!   and unmarried partners (同居人); about 2.2 persons per household.
//! - An age pyramid like Japan's around 2026: few children, many people in
//!   their early fifties and late seventies, about 29% aged 65 and over.
//! - Names in kanji with their katakana readings, drawn by era of birth,
//!   written `姓　名` with one full-width space (U+3000), the reading likewise.
//!   About 1% of persons carry a surname written with a rare character of the
//!   Moji_Joho collection, some selected by an ideographic variation sequence
//!   (IVS), e.g. 辻 U+8FBB U+E0102.
//! - About 2% foreign residents (外国人住民) with a status of residence (在留資格)
//!   and, unless permanent, a period of stay. Chinese and Korean names are
//!   written in kanji with a katakana reading; every other foreign name is
//!   written in katakana, and its reading is the same text. Foreign family
//!   members keep their own family name, and so does a foreign spouse of a
//!   Japanese head.
//! - Addresses in the town's 町丁目 with postal codes, 番 and 号, and 方書
//!   (apartment and room) for about 40% of households.
//! - Residence start dates (住民となった日) and previous addresses (前住所), and
//!   a 個人番号 with a valid check digit for about 90% of persons.

mod generate;
pub mod income;
mod random;
mod tables;

use kiban_core::numbers::INDIVIDUAL_NUMBER;
use kiban_core::{Date, IndividualNumber, KanaName, PersonName, PostalCode, Relationship, Sex};

pub use generate::generate_chunk;

/// Why a demo profile could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// The municipality or prefecture name was empty.
    #[error("empty municipality or prefecture name")]
    EmptyName,
    /// The postal area is not three digits.
    #[error("not the first three digits of a postal code: {0}")]
    PostalArea(String),
    /// The base date is outside the years the age tables cover (1950–2200).
    #[error("base date out of range: {0}")]
    BaseDate(Date),
}

impl DemoError {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            DemoError::EmptyName => M::DemoEmptyName {},
            DemoError::PostalArea(area) => M::DemoPostalArea { area: area.clone() },
            DemoError::BaseDate(date) => M::DemoBaseDate {
                date: date.to_string(),
            },
        }
    }
}

/// What the generator needs to know about the municipality it fills
/// (デモ団体の設定): its name, its prefecture, the base date (基準日) on which
/// ages are reckoned, and the first three digits of its postal codes.
#[derive(Debug, Clone)]
pub struct DemoProfile {
    municipality_name: String,
    prefecture_name: String,
    base_date: Date,
    postal_area: String,
    /// The postal code of each 町丁目, in the order of the town table.
    postal_codes: Vec<PostalCode>,
}

impl DemoProfile {
    /// Builds a profile. `postal_area` is the first three digits of the
    /// postal codes of every 町丁目 (the last four come from the town table,
    /// `0001` to `0040`). The base date must lie between 1950 and 2200.
    pub fn new(
        municipality_name: &str,
        prefecture_name: &str,
        base_date: Date,
        postal_area: &str,
    ) -> Result<Self, DemoError> {
        if municipality_name.trim().is_empty() || prefecture_name.trim().is_empty() {
            return Err(DemoError::EmptyName);
        }
        if postal_area.len() != 3 || !postal_area.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DemoError::PostalArea(postal_area.to_owned()));
        }
        if !(1950..=2200).contains(&base_date.year()) {
            return Err(DemoError::BaseDate(base_date));
        }
        let postal_codes = tables::Tables::get()
            .towns
            .iter()
            .map(|town| PostalCode::parse(&format!("{postal_area}{:04}", town.postal_suffix)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| DemoError::PostalArea(postal_area.to_owned()))?;
        Ok(Self {
            municipality_name: municipality_name.trim().to_owned(),
            prefecture_name: prefecture_name.trim().to_owned(),
            base_date,
            postal_area: postal_area.to_owned(),
            postal_codes,
        })
    }

    /// The demo municipality: デモ市 in デモ県, postal codes 999-00xx.
    pub fn demo_city(base_date: Date) -> Result<Self, DemoError> {
        Self::new("デモ市", "デモ県", base_date, "999")
    }

    /// The municipality's name as written in addresses (e.g. デモ市).
    pub fn municipality_name(&self) -> &str {
        &self.municipality_name
    }

    /// The prefecture's name (e.g. デモ県).
    pub fn prefecture_name(&self) -> &str {
        &self.prefecture_name
    }

    /// The base date (基準日): nobody is born after it, ages are reckoned on it.
    pub fn base_date(&self) -> Date {
        self.base_date
    }

    /// The first three digits of the postal codes.
    pub fn postal_area(&self) -> &str {
        &self.postal_area
    }

    /// Every 町丁目 of the demo town with its postal code, in table order.
    pub fn towns(&self) -> Vec<(&'static str, PostalCode)> {
        tables::Tables::get()
            .towns
            .iter()
            .zip(&self.postal_codes)
            .map(|(town, code)| (town.name, code.clone()))
            .collect()
    }
}

/// An address in the municipality (住所): postal code, the address line from
/// the municipality's name down to 番・号, and the 方書 (apartment and room)
/// when there is one. This is the shape of the registry's `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAddress {
    /// 郵便番号.
    pub postal_code: PostalCode,
    /// The 町丁目 alone (e.g. 中央一丁目).
    pub town: &'static str,
    /// The address line, e.g. `デモ市中央一丁目2番3号` (no prefecture).
    pub address_line: String,
    /// 方書, e.g. `メゾン桜台203`.
    pub katagaki: Option<String>,
}

/// 在留資格: the status of residence of a foreign resident, limited to the
/// statuses the demo uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusOfResidence {
    /// 永住者.
    PermanentResident,
    /// 特別永住者.
    SpecialPermanentResident,
    /// 技能実習.
    TechnicalIntern,
    /// 留学.
    Student,
    /// 技術・人文知識・国際業務.
    EngineerSpecialistInHumanities,
    /// 家族滞在.
    Dependent,
    /// 定住者.
    LongTermResident,
    /// 日本人の配偶者等.
    SpouseOfJapaneseNational,
    /// 特定技能.
    SpecifiedSkilledWorker,
}

impl StatusOfResidence {
    /// The status as written on the residence card and in the registry
    /// (e.g. `永住者`); this is what the registry's `status_of_residence` holds.
    pub fn label_ja(self) -> &'static str {
        match self {
            StatusOfResidence::PermanentResident => "永住者",
            StatusOfResidence::SpecialPermanentResident => "特別永住者",
            StatusOfResidence::TechnicalIntern => "技能実習",
            StatusOfResidence::Student => "留学",
            StatusOfResidence::EngineerSpecialistInHumanities => "技術・人文知識・国際業務",
            StatusOfResidence::Dependent => "家族滞在",
            StatusOfResidence::LongTermResident => "定住者",
            StatusOfResidence::SpouseOfJapaneseNational => "日本人の配偶者等",
            StatusOfResidence::SpecifiedSkilledWorker => "特定技能",
        }
    }

    /// Whether the status has no period of stay (永住者, 特別永住者).
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            StatusOfResidence::PermanentResident | StatusOfResidence::SpecialPermanentResident
        )
    }
}

/// One generated resident (住民): the fields of the registry's person input,
/// plus the residence start and the previous address of the move-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    /// 氏名 as written: `姓　名` with one full-width space; may hold IVS.
    pub name: PersonName,
    /// フリガナ in full-width katakana: `セイ　メイ`.
    pub name_kana: KanaName,
    /// 生年月日; never after the base date.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 続柄 to the head of household.
    pub relationship: Relationship,
    /// 国籍: ISO 3166-1 alpha-2, `JP` for Japanese nationals.
    pub nationality: &'static str,
    /// 在留資格; present exactly for foreign residents.
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了日; present for foreign residents unless permanent.
    pub period_of_stay_until: Option<Date>,
    /// 住民となった日: the birth date for those born here, otherwise the day
    /// of the move-in; never before the birth date nor after the base date.
    pub resident_from: Date,
    /// 前住所 for those who moved in (an address elsewhere in Japan, or the
    /// country for arrivals from abroad); `None` for those born here.
    pub previous_address: Option<String>,
    /// 個人番号, for about 90% of persons.
    pub individual_number: Option<IndividualNumber>,
}

impl DemoPerson {
    /// Whether the person is a foreign resident (国籍 other than Japan).
    pub fn is_foreign(&self) -> bool {
        self.nationality != "JP"
    }
}

/// One generated household (世帯): its address and its members, the head of
/// household (世帯主) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoHousehold {
    /// Where the household lives.
    pub address: DemoAddress,
    /// The members; the first is the head, and there is exactly one head.
    pub members: Vec<DemoPerson>,
}

/// One chunk of a population plan: its index and its number of residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedChunk {
    /// The chunk index to pass to [`generate_chunk`].
    pub chunk_index: u64,
    /// The number of residents the chunk holds.
    pub residents: u32,
}

/// Splits a population into chunks (分割計画): every chunk holds
/// `chunk_residents` residents except the last, which holds the rest.
/// Generating every chunk of the plan gives exactly `total_residents`
/// residents. An empty plan is returned for no residents or a chunk size of 0.
pub fn plan(total_residents: u64, chunk_residents: u32) -> Vec<PlannedChunk> {
    if chunk_residents == 0 {
        return Vec::new();
    }
    let size = u64::from(chunk_residents);
    (0..total_residents.div_ceil(size))
        .map(|chunk_index| {
            let start = chunk_index * size;
            let residents = (total_residents - start).min(size);
            PlannedChunk {
                chunk_index,
                residents: u32::try_from(residents).unwrap_or(chunk_residents),
            }
        })
        .collect()
}

/// Non-residents per chunk (and per transaction) of `kiban demo generate
/// --non-residents`.
pub const NON_RESIDENT_CHUNK: u32 = 10_000;

/// What distinguishes the non-residents' seed from the residents'.
const NON_RESIDENT_SALT: u64 = 0x5eed_0000_0000;

/// One generated non-resident (住登外者): a person drawn like a resident, who
/// lives outside the municipality at `address_line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoNonResident {
    /// The person (name, reading, birth date, sex, 個人番号 as generated).
    pub person: DemoPerson,
    /// 郵便番号 of the address, when known.
    pub postal_code: Option<PostalCode>,
    /// The address outside the municipality.
    pub address_line: String,
}

/// Chunk `chunk_index` of the non-residents of `seed`: `count` persons drawn
/// with another seed than the residents. Each lives at the 前住所 the
/// generator gave them, or, for those born in the demo town, at an address
/// in 大阪市北区梅田 (postal code 530-0001).
pub fn generate_non_residents(
    seed: u64,
    profile: &DemoProfile,
    chunk_index: u64,
    count: u32,
) -> Vec<DemoNonResident> {
    let osaka = PostalCode::parse("5300001").ok();
    generate_chunk(seed ^ NON_RESIDENT_SALT, profile, chunk_index, count)
        .into_iter()
        .flat_map(|h| h.members)
        .enumerate()
        .map(|(i, person)| {
            let (postal_code, address_line) = match &person.previous_address {
                Some(line) => (None, line.clone()),
                None => (
                    osaka.clone(),
                    format!(
                        "大阪府大阪市北区梅田{}丁目{}番{}号",
                        i % 3 + 1,
                        i % 20 + 1,
                        i % 30 + 1
                    ),
                ),
            };
            DemoNonResident {
                person,
                postal_code,
                address_line,
            }
        })
        .collect()
}

/// The 個人番号 of the resident with the given serial number (通し番号) in a
/// population generated with `seed`. The serial is shuffled over the 11-digit
/// space by a keyed permutation (a Feistel network on 38 bits, walked until
/// the value falls below 10^11), so distinct serials below 10^11 always get
/// distinct numbers, neighbours do not look alike, and the check digit is
/// appended.
pub fn individual_number_for(seed: u64, serial: u64) -> Option<IndividualNumber> {
    const SPACE: u64 = 100_000_000_000;
    if serial >= SPACE {
        return None;
    }
    let mut value = serial;
    loop {
        value = feistel(seed, value);
        if value < SPACE {
            break;
        }
    }
    let (_, full) = INDIVIDUAL_NUMBER.complete(&format!("{value:011}")).ok()?;
    IndividualNumber::parse(&full).ok()
}

/// A keyed permutation of `0..2^38`: four Feistel rounds on two 19-bit halves.
fn feistel(seed: u64, value: u64) -> u64 {
    const HALF: u32 = 19;
    const MASK: u64 = (1 << HALF) - 1;
    let (mut left, mut right) = ((value >> HALF) & MASK, value & MASK);
    for round in 0..4u64 {
        let f = random::mix(right ^ random::mix(seed ^ round.wrapping_mul(0x9e37_79b9))) & MASK;
        (left, right) = (right, left ^ f);
    }
    (left << HALF) | right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_the_population_exactly() {
        let chunks = plan(1_000_001, 100_000);
        assert_eq!(chunks.len(), 11);
        assert_eq!(
            chunks.iter().map(|c| u64::from(c.residents)).sum::<u64>(),
            1_000_001
        );
        assert_eq!(chunks[10].residents, 1);
        assert!(
            chunks
                .iter()
                .enumerate()
                .all(|(i, c)| c.chunk_index == i as u64)
        );
        assert_eq!(plan(300, 100).len(), 3);
        assert!(plan(0, 100).is_empty());
        assert!(plan(10, 0).is_empty());
    }

    #[test]
    fn profiles_are_checked() {
        let day = kiban_core::date::date(2026, 4, 1).unwrap_or(Date::MIN);
        assert!(DemoProfile::demo_city(day).is_ok());
        assert_eq!(
            DemoProfile::new("", "デモ県", day, "999").err(),
            Some(DemoError::EmptyName)
        );
        assert!(matches!(
            DemoProfile::new("デモ市", "デモ県", day, "99a"),
            Err(DemoError::PostalArea(_))
        ));
        assert!(matches!(
            DemoProfile::new("デモ市", "デモ県", Date::MIN, "999"),
            Err(DemoError::BaseDate(_))
        ));
        let towns = DemoProfile::demo_city(day)
            .map(|p| p.towns())
            .unwrap_or_default();
        assert_eq!(towns.len(), 40);
        assert_eq!(towns[0].1.as_str(), "9990001");
    }

    #[test]
    fn individual_numbers_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for serial in 0..10_000 {
            let number = individual_number_for(7, serial);
            let number = number.map(|n| n.as_str().to_owned()).unwrap_or_default();
            assert!(IndividualNumber::parse(&number).is_ok(), "{number}");
            assert!(seen.insert(number));
        }
        assert_ne!(individual_number_for(1, 0), individual_number_for(2, 0));
        assert_eq!(individual_number_for(1, 100_000_000_000), None);
        // The permutation is a bijection: no two values of a large sample
        // collide.
        let sample: std::collections::HashSet<u64> = (0..200_000).map(|v| feistel(3, v)).collect();
        assert_eq!(sample.len(), 200_000);
    }
}
