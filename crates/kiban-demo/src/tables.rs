//! The name and place tables, kept as tab-separated text in `data/` and
//! compiled into the binary. They are parsed once, on first use.
//!
//! Every table entry borrows from the compiled-in text, so drawing a name
//! allocates nothing until the person's name is written out.

use std::sync::OnceLock;

use kiban_core::Sex;

const SURNAMES: &str = include_str!("../data/surnames.tsv");
const RARE_SURNAMES: &str = include_str!("../data/rare_surnames.tsv");
const GIVEN_MALE: &str = include_str!("../data/given_male.tsv");
const GIVEN_FEMALE: &str = include_str!("../data/given_female.tsv");
const TOWNS: &str = include_str!("../data/towns.tsv");
const APARTMENTS: &str = include_str!("../data/apartments.tsv");
const PREVIOUS_PLACES: &str = include_str!("../data/previous_places.tsv");
const PREVIOUS_TOWNS: &str = include_str!("../data/previous_towns.tsv");
const FOREIGN_NAMES: &str = include_str!("../data/foreign_names.tsv");

/// The number of birth eras the given-name tables distinguish.
pub(crate) const ERAS: usize = 5;

/// A name as written and its katakana reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) written: &'static str,
    pub(crate) kana: &'static str,
}

/// A 町丁目 of the demo town.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Town {
    pub(crate) name: &'static str,
    pub(crate) postal_suffix: u16,
    pub(crate) blocks: u16,
}

/// An apartment building and its number of floors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Apartment {
    pub(crate) name: &'static str,
    pub(crate) floors: u16,
}

/// The family and given names of one nationality.
#[derive(Debug, Default)]
pub(crate) struct ForeignNames {
    pub(crate) family: Vec<Written>,
    pub(crate) male: Vec<Written>,
    pub(crate) female: Vec<Written>,
}

/// Every table, parsed.
#[derive(Debug)]
pub(crate) struct Tables {
    pub(crate) surnames: Vec<Written>,
    /// Running totals of the surname weights, for weighted drawing.
    pub(crate) surname_cumulative: Vec<u32>,
    pub(crate) rare_surnames: Vec<Written>,
    /// Given names by sex (male first) and era.
    pub(crate) given: [[Vec<Written>; ERAS]; 2],
    pub(crate) towns: Vec<Town>,
    pub(crate) apartments: Vec<Apartment>,
    pub(crate) previous_places: Vec<&'static str>,
    pub(crate) previous_towns: Vec<&'static str>,
    foreign: Vec<(&'static str, ForeignNames)>,
    empty_foreign: ForeignNames,
}

impl Tables {
    /// The tables, parsed on first use.
    pub(crate) fn get() -> &'static Tables {
        static TABLES: OnceLock<Tables> = OnceLock::new();
        TABLES.get_or_init(Tables::parse)
    }

    /// Given names of one sex and era.
    pub(crate) fn given_names(&self, sex: Sex, era: usize) -> &[Written] {
        let by_sex = match sex {
            Sex::Male => &self.given[0],
            Sex::Female => &self.given[1],
        };
        &by_sex[era.min(ERAS - 1)]
    }

    /// The names of a nationality (empty lists for one not in the table).
    pub(crate) fn foreign_names(&self, nationality: &str) -> &ForeignNames {
        self.foreign
            .iter()
            .find(|(code, _)| *code == nationality)
            .map_or(&self.empty_foreign, |(_, names)| names)
    }

    fn parse() -> Tables {
        let mut surnames = Vec::new();
        let mut surname_cumulative = Vec::new();
        let mut total = 0u32;
        for fields in rows(SURNAMES) {
            if let [written, kana, weight] = fields[..]
                && let Ok(weight) = weight.parse::<u32>()
                && valid(Written { written, kana })
            {
                surnames.push(Written { written, kana });
                total += weight;
                surname_cumulative.push(total);
            }
        }
        let rare_surnames = rows(RARE_SURNAMES)
            .filter_map(|fields| match fields[..] {
                [written, kana, _note] => Some(Written { written, kana }).filter(|w| valid(*w)),
                _ => None,
            })
            .collect();
        let given = [given_table(GIVEN_MALE), given_table(GIVEN_FEMALE)];
        let towns = rows(TOWNS)
            .filter_map(|fields| match fields[..] {
                [name, suffix, blocks] => Some(Town {
                    name,
                    postal_suffix: suffix.parse().ok()?,
                    blocks: blocks.parse().ok()?,
                }),
                _ => None,
            })
            .collect();
        let apartments = rows(APARTMENTS)
            .filter_map(|fields| match fields[..] {
                [name, floors] => Some(Apartment {
                    name,
                    floors: floors.parse().ok()?,
                }),
                _ => None,
            })
            .collect();
        let previous_places = rows(PREVIOUS_PLACES).filter_map(single).collect();
        let previous_towns = rows(PREVIOUS_TOWNS).filter_map(single).collect();
        let mut foreign: Vec<(&'static str, ForeignNames)> = Vec::new();
        for fields in rows(FOREIGN_NAMES) {
            let [nationality, part, sex, written, kana] = fields[..] else {
                continue;
            };
            let index = match foreign.iter().position(|(code, _)| *code == nationality) {
                Some(index) => index,
                None => {
                    foreign.push((nationality, ForeignNames::default()));
                    foreign.len() - 1
                }
            };
            let names = &mut foreign[index].1;
            let entry = Written { written, kana };
            if !valid(entry) {
                continue;
            }
            match (part, sex) {
                ("family", _) => names.family.push(entry),
                ("given", "M") => names.male.push(entry),
                ("given", "F") => names.female.push(entry),
                _ => {}
            }
        }
        Tables {
            surnames,
            surname_cumulative,
            rare_surnames,
            given,
            towns,
            apartments,
            previous_places,
            previous_towns,
            foreign,
            empty_foreign: ForeignNames::default(),
        }
    }
}

/// Whether a table entry can be part of a registered name: the written form
/// is a valid 氏名 and the reading a valid フリガナ.
fn valid(entry: Written) -> bool {
    kiban_core::PersonName::parse(entry.written).is_ok()
        && kiban_core::KanaName::parse(entry.kana).is_ok()
}

/// The data lines of a table, split on tabs; comments and blank lines are
/// skipped.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('\t').collect())
}

fn single(fields: Vec<&'static str>) -> Option<&'static str> {
    match fields[..] {
        [value] => Some(value),
        _ => None,
    }
}

fn given_table(text: &'static str) -> [Vec<Written>; ERAS] {
    let mut by_era: [Vec<Written>; ERAS] = Default::default();
    for fields in rows(text) {
        if let [written, kana, eras] = fields[..]
            && valid(Written { written, kana })
        {
            for era in eras.bytes().filter(u8::is_ascii_digit) {
                let era = usize::from(era - b'1');
                if let Some(list) = by_era.get_mut(era) {
                    list.push(Written { written, kana });
                }
            }
        }
    }
    by_era
}

/// The number of data lines in a table's text, for the tests that check
/// that every line was understood.
#[cfg(test)]
fn data_lines(text: &'static str) -> usize {
    rows(text).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_every_table_is_understood() {
        let t = Tables::get();
        assert_eq!(t.surnames.len(), data_lines(SURNAMES));
        assert_eq!(t.rare_surnames.len(), data_lines(RARE_SURNAMES));
        assert_eq!(t.towns.len(), data_lines(TOWNS));
        assert_eq!(t.apartments.len(), data_lines(APARTMENTS));
        assert_eq!(t.previous_places.len(), data_lines(PREVIOUS_PLACES));
        assert_eq!(t.previous_towns.len(), data_lines(PREVIOUS_TOWNS));
        let foreign: usize = t
            .foreign
            .iter()
            .map(|(_, n)| n.family.len() + n.male.len() + n.female.len())
            .sum();
        assert_eq!(foreign, data_lines(FOREIGN_NAMES));
        for (text, sex) in [(GIVEN_MALE, Sex::Male), (GIVEN_FEMALE, Sex::Female)] {
            let listed: usize = (0..ERAS).map(|era| t.given_names(sex, era).len()).sum();
            let eras: usize = rows(text).map(|f| f.get(2).map_or(0, |e| e.len())).sum();
            assert_eq!(listed, eras, "{sex:?}");
        }
    }

    #[test]
    fn the_tables_are_large_enough() {
        let t = Tables::get();
        assert!(t.surnames.len() >= 200, "{}", t.surnames.len());
        assert!(data_lines(GIVEN_MALE) >= 150);
        assert!(data_lines(GIVEN_FEMALE) >= 150);
        for sex in [Sex::Male, Sex::Female] {
            for era in 0..ERAS {
                assert!(t.given_names(sex, era).len() >= 25, "{sex:?} {era}");
            }
        }
        assert!(t.towns.len() >= 40);
        for code in ["CN", "VN", "KR", "PH", "NP", "BR", "ID", "US"] {
            let names = t.foreign_names(code);
            assert!(
                !names.family.is_empty() && !names.male.is_empty() && !names.female.is_empty(),
                "{code}"
            );
        }
    }

    #[test]
    fn names_are_unique_within_a_table() {
        let t = Tables::get();
        let mut seen = std::collections::HashSet::new();
        for s in &t.surnames {
            assert!(seen.insert(s.written), "{}", s.written);
        }
        for text in [GIVEN_MALE, GIVEN_FEMALE] {
            let mut seen = std::collections::HashSet::new();
            for f in rows(text) {
                assert!(seen.insert(f[0]), "{}", f[0]);
            }
        }
        let mut suffixes = std::collections::HashSet::new();
        for town in &t.towns {
            assert!(suffixes.insert(town.postal_suffix), "{}", town.name);
        }
    }
}
