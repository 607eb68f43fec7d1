//! Matching keys (名寄せ・検索のキー): each name, フリガナ, address and birth
//! date an addressee has or had, folded so that the same person written
//! differently gives the same key.
//!
//! - フリガナ: script, width, spaces and voiced marks ignored (清音化), by
//!   [`kiban_core::kana::match_key`].
//! - 氏名: variation selectors, width and spaces ignored, and variant kanji
//!   (異体字) folded through the MJ縮退マップ table shipped in
//!   `rules/characters/`, by [`kiban_core::name::match_key`].
//! - 住所: as a name, and every kind of hyphen and the 丁目・番地・号
//!   separators written `-`, so `1丁目2番3号`, `１－２－３` and `1-2-3` agree.
//!
//! Each key is prefix-preserving: the key of what a clerk typed is a prefix
//! of the key of the whole, so a typed prefix is searched as a range.

use std::collections::BTreeMap;

use kiban_core::Date;

/// Which value a key is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyField {
    /// 氏名.
    Name,
    /// フリガナ.
    NameKana,
    /// 住所.
    Address,
    /// 生年月日 (`YYYY-MM-DD`).
    BirthDate,
}

impl KeyField {
    /// Every field.
    pub const ALL: [KeyField; 4] = [
        KeyField::Name,
        KeyField::NameKana,
        KeyField::Address,
        KeyField::BirthDate,
    ];

    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            KeyField::Name => "name",
            KeyField::NameKana => "name_kana",
            KeyField::Address => "address",
            KeyField::BirthDate => "birth_date",
        }
    }

    /// The field written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// What a search reports when a current value matched (`matched_on`).
    pub fn matched_current(self) -> &'static str {
        self.code()
    }

    /// What a search reports when only a past value matched.
    pub fn matched_past(self) -> &'static str {
        match self {
            KeyField::Name => "past_name",
            KeyField::NameKana => "past_name_kana",
            KeyField::Address => "past_address",
            KeyField::BirthDate => "birth_date",
        }
    }
}

/// One key of an addressee.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Of which value.
    pub field: KeyField,
    /// The folded value.
    pub key: String,
    /// Whether it is a current value (else a past one).
    pub current: bool,
}

/// The key of a name.
pub fn name_key(name: &str) -> String {
    kiban_core::name::match_key(name)
}

/// The key of a フリガナ.
pub fn kana_key(kana: &str) -> String {
    kiban_core::kana::match_key(kana)
}

/// The key of an address line.
pub fn address_key(address_line: &str) -> String {
    let folded = kiban_core::name::match_key(address_line);
    let mut out = String::with_capacity(folded.len());
    let mut chars = folded.chars().peekable();
    let mut after_digit = false;
    while let Some(c) = chars.next() {
        let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
        let mapped = match c {
            '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ｰ' => Some('-'),
            // ー between digits is a hyphen typed in kana mode.
            'ー' if after_digit => Some('-'),
            '丁' if after_digit && chars.peek() == Some(&'目') => {
                chars.next();
                Some('-')
            }
            '番' if after_digit => {
                if chars.peek() == Some(&'地') {
                    chars.next();
                }
                Some('-')
            }
            '号' if after_digit => None,
            'の' if after_digit && next_is_digit => Some('-'),
            // `1番地の2`: the の after a separator joins nothing more.
            'の' if out.ends_with('-') && next_is_digit => None,
            other => Some(other),
        };
        if let Some(m) = mapped {
            out.push(m);
        }
        after_digit = c.is_ascii_digit();
    }
    // A separator at the end (`1丁目`, `2番`) is dropped so that it does not
    // stop a longer address from matching.
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The values of one version of an addressee's record, as they are keyed.
#[derive(Debug, Clone, Copy)]
pub struct KeyedValues<'a> {
    /// 氏名.
    pub name: &'a str,
    /// フリガナ.
    pub name_kana: &'a str,
    /// 住所.
    pub address_line: &'a str,
    /// 生年月日.
    pub birth_date: Date,
}

/// The keys of an addressee from its versions: `current` first, then the
/// past ones; a value that is both is current.
pub fn keys_of<'a>(
    current: KeyedValues<'a>,
    past: impl IntoIterator<Item = KeyedValues<'a>>,
) -> Vec<Key> {
    let mut keys: BTreeMap<(KeyField, String), bool> = BTreeMap::new();
    let mut add = |values: KeyedValues<'_>, is_current: bool| {
        for (field, key) in [
            (KeyField::Name, name_key(values.name)),
            (KeyField::NameKana, kana_key(values.name_kana)),
            (KeyField::Address, address_key(values.address_line)),
            (KeyField::BirthDate, values.birth_date.to_string()),
        ] {
            if key.is_empty() {
                continue;
            }
            let entry = keys.entry((field, key)).or_insert(is_current);
            *entry |= is_current;
        }
    };
    add(current, true);
    for values in past {
        add(values, false);
    }
    keys.into_iter()
        .map(|((field, key), current)| Key {
            field,
            key,
            current,
        })
        .collect()
}

/// What a search asks: each criterion given must match a current or a past
/// value (names, フリガナ and addresses by prefix, birth dates exactly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    /// Key of the 氏名 typed.
    pub name: Option<String>,
    /// Key of the フリガナ typed.
    pub name_kana: Option<String>,
    /// 生年月日.
    pub birth_date: Option<Date>,
    /// Key of the address typed.
    pub address: Option<String>,
}

impl Criteria {
    /// The criteria from what was typed (blank fields are absent); `None`
    /// when nothing is left to search by.
    pub fn from_input(
        name: Option<&str>,
        name_kana: Option<&str>,
        birth_date: Option<Date>,
        address: Option<&str>,
    ) -> Option<Self> {
        let keyed =
            |value: Option<&str>, key: fn(&str) -> String| value.map(key).filter(|k| !k.is_empty());
        let criteria = Self {
            name: keyed(name, name_key),
            name_kana: keyed(name_kana, kana_key),
            birth_date,
            address: keyed(address, address_key),
        };
        (criteria != Self::default()).then_some(criteria)
    }

    /// What matched (`matched_on`, in the order name, フリガナ, birth date,
    /// address), or `None` when a criterion does not match.
    pub fn matched_on(&self, keys: &[Key]) -> Option<Vec<&'static str>> {
        let mut matched = Vec::new();
        let mut prefix = |field: KeyField, wanted: &Option<String>| -> bool {
            let Some(wanted) = wanted else { return true };
            let hits = keys
                .iter()
                .filter(|k| k.field == field && k.key.starts_with(wanted.as_str()));
            let mut any = false;
            let mut current = false;
            for k in hits {
                any = true;
                current |= k.current;
            }
            if any {
                matched.push(if current {
                    field.matched_current()
                } else {
                    field.matched_past()
                });
            }
            any
        };
        let ok = prefix(KeyField::Name, &self.name) && prefix(KeyField::NameKana, &self.name_kana);
        if !ok {
            return None;
        }
        if let Some(date) = self.birth_date {
            let text = date.to_string();
            if !keys
                .iter()
                .any(|k| k.field == KeyField::BirthDate && k.key == text)
            {
                return None;
            }
            matched.push(KeyField::BirthDate.matched_current());
        }
        let mut rest = Vec::new();
        let mut address = |wanted: &Option<String>| -> bool {
            let Some(wanted) = wanted else { return true };
            let hits: Vec<&Key> = keys
                .iter()
                .filter(|k| k.field == KeyField::Address && k.key.starts_with(wanted.as_str()))
                .collect();
            if hits.is_empty() {
                return false;
            }
            rest.push(if hits.iter().any(|k| k.current) {
                KeyField::Address.matched_current()
            } else {
                KeyField::Address.matched_past()
            });
            true
        };
        if !address(&self.address) {
            return None;
        }
        matched.extend(rest);
        Some(matched)
    }
}

/// Whether a new registration looks like an addressee with `keys`: the same
/// birth date and the same 氏名 or フリガナ (current or past); what matched.
pub fn duplicate_of(new: KeyedValues<'_>, keys: &[Key]) -> Option<Vec<&'static str>> {
    let has = |field: KeyField, key: &str| keys.iter().find(|k| k.field == field && k.key == key);
    has(KeyField::BirthDate, &new.birth_date.to_string())?;
    let mut matched = Vec::new();
    let mut found_name = false;
    for (field, key) in [
        (KeyField::Name, name_key(new.name)),
        (KeyField::NameKana, kana_key(new.name_kana)),
    ] {
        if let Some(k) = has(field, &key) {
            found_name = true;
            matched.push(if k.current {
                field.matched_current()
            } else {
                field.matched_past()
            });
        }
    }
    if !found_name {
        return None;
    }
    matched.push(KeyField::BirthDate.matched_current());
    if let Some(k) = has(KeyField::Address, &address_key(new.address_line)) {
        matched.push(if k.current {
            KeyField::Address.matched_current()
        } else {
            KeyField::Address.matched_past()
        });
    }
    Some(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(name: &'a str, kana: &'a str, line: &'a str) -> KeyedValues<'a> {
        KeyedValues {
            name,
            name_kana: kana,
            address_line: line,
            birth_date: "1970-04-01".parse().unwrap(),
        }
    }

    #[test]
    fn addresses_agree_however_written() {
        let a = address_key("東京都千代田区千代田1丁目2番3号");
        assert_eq!(a, address_key("東京都千代田区千代田１－２－３"));
        assert_eq!(a, address_key("東京都千代田区 千代田1-2-3"));
        assert_eq!(a, address_key("東京都千代田区千代田1ー2ー3"));
        assert!(a.starts_with(&address_key("東京都千代田区千代田1丁目")));
        assert_eq!(address_key("1番地の2"), "1-2");
    }

    #[test]
    fn past_values_match_as_past() {
        let keys = keys_of(
            values("山田　花子", "ヤマダ　ハナコ", "千代田1-1"),
            [values("鈴木　花子", "スズキ　ハナコ", "港1-1")],
        );
        let c = Criteria::from_input(None, Some("すずき"), None, None).unwrap();
        assert_eq!(c.matched_on(&keys), Some(vec!["past_name_kana"]));
        let c = Criteria::from_input(Some("山田"), None, "1970-04-01".parse().ok(), Some("港"))
            .unwrap();
        assert_eq!(
            c.matched_on(&keys),
            Some(vec!["name", "birth_date", "past_address"])
        );
        let c = Criteria::from_input(Some("山田"), None, "1970-04-02".parse().ok(), None).unwrap();
        assert_eq!(c.matched_on(&keys), None);
        assert_eq!(Criteria::from_input(Some(" "), None, None, None), None);
    }

    #[test]
    fn a_duplicate_needs_the_birth_date_and_a_name() {
        let keys = keys_of(values("髙橋　一郎", "タカハシ　イチロウ", "千代田1-1"), []);
        let same = duplicate_of(values("高橋一郎", "たかはし　いちろう", "港1-1"), &keys);
        assert_eq!(same, Some(vec!["name", "name_kana", "birth_date"]));
        let voiced = duplicate_of(values("別人", "タカバシ　イチロウ", "千代田1-1"), &keys);
        assert_eq!(voiced, Some(vec!["name_kana", "birth_date", "address"]));
        let other_day = KeyedValues {
            birth_date: "1971-04-01".parse().unwrap(),
            ..values("高橋一郎", "タカハシ", "")
        };
        assert_eq!(duplicate_of(other_day, &keys), None);
    }
}
