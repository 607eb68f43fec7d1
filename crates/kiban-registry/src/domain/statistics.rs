//! 住民基本台帳人口・世帯数: the population by postal code, sex and
//! five-year age band, the households by postal code, and the table for
//! publication with small counts suppressed (秘匿). Pure: storage counts,
//! this module bands, merges, sorts and writes the CSV files.

use std::collections::BTreeMap;

use kiban_core::{Date, Sex};

/// The last band: 100 and over.
pub const LAST_BAND: u8 = 20;

/// A five-year age band: `0` is 0–4, …, `19` is 95–99, `20` is 100 and
/// over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgeBand(u8);

impl AgeBand {
    /// The band of an age in years.
    pub fn of_age(age: u32) -> Self {
        Self(u8::try_from(age / 5).map_or(LAST_BAND, |b| b.min(LAST_BAND)))
    }

    /// The band of a person born on `birth`, on `as_of`, counting the age
    /// as the law does (年齢計算ニ関スル法律: the new age from the day before
    /// the birthday, as `kiban_core::date::age_on`).
    pub fn on(birth: Date, as_of: Date) -> Self {
        Self::of_age(kiban_core::date::age_on(birth, as_of))
    }

    /// The band by its index (0–20); `None` beyond.
    pub fn from_index(index: i64) -> Option<Self> {
        u8::try_from(index)
            .ok()
            .filter(|b| *b <= LAST_BAND)
            .map(Self)
    }

    /// Its index (0–20).
    pub fn index(self) -> u8 {
        self.0
    }

    /// Its label: `0-4`, `5-9`, …, `95-99`, `100-`.
    pub fn label(self) -> String {
        if self.0 >= LAST_BAND {
            "100-".to_owned()
        } else {
            let low = u32::from(self.0) * 5;
            format!("{low}-{}", low + 4)
        }
    }
}

/// Sex in the table's order: `male` before `female`.
fn sex_order(sex: Sex) -> u8 {
    match sex {
        Sex::Male => 0,
        Sex::Female => 1,
    }
}

/// Residents counted by postal code (`""` when none), sex and age band.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopulationTable {
    counts: BTreeMap<(String, u8, AgeBand), u64>,
}

impl PopulationTable {
    /// Adds `persons` residents.
    pub fn add(&mut self, postal_code: &str, sex: Sex, band: AgeBand, persons: u64) {
        if persons == 0 {
            return;
        }
        *self
            .counts
            .entry((postal_code.to_owned(), sex_order(sex), band))
            .or_default() += persons;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &PopulationTable) {
        for (key, n) in &other.counts {
            *self.counts.entry(key.clone()).or_default() += n;
        }
    }

    /// The rows in the table's order: postal code, `male` before
    /// `female`, band.
    pub fn rows(&self) -> impl Iterator<Item = (&str, Sex, AgeBand, u64)> {
        self.counts.iter().map(|((postal, sex, band), n)| {
            let sex = if *sex == 0 { Sex::Male } else { Sex::Female };
            (postal.as_str(), sex, *band, *n)
        })
    }

    /// Every resident counted.
    pub fn persons(&self) -> u64 {
        self.counts.values().sum()
    }

    /// `population.csv`: `postal_code,sex,age_band,persons`, one row per
    /// combination with at least one resident; the number of rows.
    pub fn to_csv(&self) -> (Vec<u8>, u64) {
        self.csv(|n| n.to_string())
    }

    /// `open-data.csv`: the same table for publication, where a count of
    /// 1 or 2 is written `X` (秘匿).
    pub fn to_open_data_csv(&self) -> (Vec<u8>, u64) {
        self.csv(|n| {
            if suppressed(n) {
                "X".to_owned()
            } else {
                n.to_string()
            }
        })
    }

    fn csv(&self, persons: impl Fn(u64) -> String) -> (Vec<u8>, u64) {
        let mut out = String::from("postal_code,sex,age_band,persons\n");
        let mut rows = 0;
        for (postal, sex, band, n) in self.rows() {
            out.push_str(&format!(
                "{postal},{},{},{}\n",
                sex.code(),
                band.label(),
                persons(n)
            ));
            rows += 1;
        }
        (out.into_bytes(), rows)
    }
}

/// Whether a published count is suppressed (1 or 2 persons: `X`).
pub fn suppressed(persons: u64) -> bool {
    matches!(persons, 1 | 2)
}

/// Households with at least one resident member, by the household's postal
/// code: (households, resident members).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdTable {
    counts: BTreeMap<String, (u64, u64)>,
}

impl HouseholdTable {
    /// Adds `households` households with `persons` resident members.
    pub fn add(&mut self, postal_code: &str, households: u64, persons: u64) {
        if households == 0 {
            return;
        }
        let entry = self.counts.entry(postal_code.to_owned()).or_default();
        entry.0 += households;
        entry.1 += persons;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &HouseholdTable) {
        for (postal, (h, p)) in &other.counts {
            self.add(postal, *h, *p);
        }
    }

    /// The rows by postal code: (postal code, households, persons).
    pub fn rows(&self) -> impl Iterator<Item = (&str, u64, u64)> {
        self.counts.iter().map(|(k, (h, p))| (k.as_str(), *h, *p))
    }

    /// `households.csv`: `postal_code,households,persons`; the number of rows.
    pub fn to_csv(&self) -> (Vec<u8>, u64) {
        let mut out = String::from("postal_code,households,persons\n");
        let mut rows = 0;
        for (postal, h, p) in self.rows() {
            out.push_str(&format!("{postal},{h},{p}\n"));
            rows += 1;
        }
        (out.into_bytes(), rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        kiban_core::date::parse_iso(text).unwrap_or(Date::MIN)
    }

    #[test]
    fn bands_follow_the_legal_age() {
        assert_eq!(AgeBand::of_age(0).label(), "0-4");
        assert_eq!(AgeBand::of_age(4).label(), "0-4");
        assert_eq!(AgeBand::of_age(5).label(), "5-9");
        assert_eq!(AgeBand::of_age(99).label(), "95-99");
        assert_eq!(AgeBand::of_age(100).label(), "100-");
        assert_eq!(AgeBand::of_age(130).label(), "100-");
        // Fifth birthday on 2026-12-02: five from the day before.
        let birth = d("2021-12-02");
        assert_eq!(AgeBand::on(birth, d("2026-11-30")).label(), "0-4");
        assert_eq!(AgeBand::on(birth, d("2026-12-01")).label(), "5-9");
        // Born on 29 February: the age turns at the end of 28 February.
        let leap = d("2020-02-29");
        assert_eq!(AgeBand::on(leap, d("2025-02-27")).label(), "0-4");
        assert_eq!(AgeBand::on(leap, d("2025-02-28")).label(), "5-9");
    }

    #[test]
    fn tables_sort_and_suppress() {
        let mut t = PopulationTable::default();
        t.add("9990002", Sex::Female, AgeBand::of_age(40), 3);
        t.add("9990001", Sex::Female, AgeBand::of_age(7), 1);
        t.add("9990001", Sex::Male, AgeBand::of_age(100), 2);
        t.add("9990001", Sex::Male, AgeBand::of_age(7), 5);
        let (csv, rows) = t.to_csv();
        assert_eq!(rows, 4);
        assert_eq!(
            String::from_utf8(csv).unwrap_or_default(),
            "postal_code,sex,age_band,persons\n\
             9990001,male,5-9,5\n9990001,male,100-,2\n9990001,female,5-9,1\n9990002,female,40-44,3\n"
        );
        let (open, _) = t.to_open_data_csv();
        assert_eq!(
            String::from_utf8(open).unwrap_or_default(),
            "postal_code,sex,age_band,persons\n\
             9990001,male,5-9,5\n9990001,male,100-,X\n9990001,female,5-9,X\n9990002,female,40-44,3\n"
        );
        let mut h = HouseholdTable::default();
        h.add("9990002", 1, 3);
        h.add("9990001", 2, 2);
        h.add("9990002", 1, 1);
        assert_eq!(
            String::from_utf8(h.to_csv().0).unwrap_or_default(),
            "postal_code,households,persons\n9990001,2,2\n9990002,2,4\n"
        );
    }
}
