//! 氏名 (a person's name as registered), kept code point for code point.
//!
//! A name in the resident registry is written with exactly the character
//! that was registered. Two ways of writing a glyph variant must survive
//! untouched: Ideographic Variation Sequences (a base ideograph followed by a
//! selector U+E0100..U+E01EF, as the 文字情報基盤 (MJ) characters use: `辻` with
//! one or two dots) and CJK compatibility ideographs (`塚` U+FA10). Unicode
//! normalization, even NFC, replaces compatibility ideographs with their
//! unified counterparts, so no normalization is applied to names; only the
//! spaces around and between the parts are tidied.
//!
//! To find one person across spellings, names are compared by their
//! [`match_key`], which folds variant kanji (異体字) through a published
//! table; the name itself is never changed.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use crate::{Message, ValueError};

/// The longest name, in characters (code points, so a variation sequence
/// counts as two).
pub const MAX_PERSON_NAME_CHARS: usize = 100;

/// The separator between the parts of a stored name: one full-width space.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// A person's name (氏名) as registered, such as `山田　太郎`, or `辻　花子`
/// where `辻` is followed by the variation selector U+E0102.
///
/// [`PersonName::parse`] removes spaces at the ends and makes the spaces
/// between the parts one full-width space; every other code point is kept
/// exactly as given, including variation selectors and compatibility
/// ideographs.
///
/// Its `Debug` output shows only the length, so that a name cannot leak into
/// logs by accident; `Display` and [`PersonName::as_str`] give the name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Reads a name: trims half- and full-width spaces at the ends and turns
    /// each run of spaces between the parts into one full-width space (any
    /// other white space that is not a control character counts as a space).
    ///
    /// Rejects an empty name ([`ValueError::Empty`]); control characters,
    /// invisible formatting characters (zero-width spaces and joiners,
    /// direction overrides, the byte order mark, tags), noncharacters and a
    /// variation selector that follows no character
    /// ([`ValueError::InvalidCharacter`]); and a name longer than
    /// [`MAX_PERSON_NAME_CHARS`] characters ([`ValueError::OutOfRange`]).
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        // A run of spaces becomes one character, so bound the input first.
        if input.chars().nth(MAX_PERSON_NAME_CHARS * 8).is_some() {
            return Err(too_long());
        }
        let mut out = String::with_capacity(input.len());
        let mut space_pending = false;
        let mut after_base = false;
        for c in input.chars() {
            if c.is_control() || is_invisible_format(c) || is_noncharacter(c) {
                return Err(ValueError::InvalidCharacter);
            }
            if c.is_whitespace() {
                space_pending = !out.is_empty();
                after_base = false;
                continue;
            }
            let selector = is_variation_selector(c);
            if selector && !after_base {
                return Err(ValueError::InvalidCharacter);
            }
            if space_pending {
                out.push(IDEOGRAPHIC_SPACE);
                space_pending = false;
            }
            out.push(c);
            after_base = !selector;
        }
        if out.is_empty() {
            return Err(ValueError::Empty);
        }
        if out.chars().count() > MAX_PERSON_NAME_CHARS {
            return Err(too_long());
        }
        Ok(Self(out))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parts of the name (surname, given name, …) in order.
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.0.split(IDEOGRAPHIC_SPACE)
    }

    /// Whether the name contains an Ideographic Variation Sequence (異体字
    /// selector U+E0100..U+E01EF), which only fonts with those glyphs (such
    /// as IPAmj明朝) print as registered.
    pub fn has_ivs(&self) -> bool {
        self.0.chars().any(is_ideographic_variation_selector)
    }

    /// The name with every variation selector removed (U+E0100..U+E01EF and
    /// U+FE00..U+FE0F), for search: `辻` U+E0102 `　花子` gives `辻　花子`. Compatibility
    /// ideographs are kept as they are.
    pub fn base_characters(&self) -> String {
        self.0
            .chars()
            .filter(|c| !is_variation_selector(*c))
            .collect()
    }

    /// The key to match by: see [`match_key`].
    pub fn match_key(&self) -> String {
        match_key(&self.0)
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({} chars)", self.0.chars().count())
    }
}

/// The key for matching names (氏名照合): the same for every spelling of a
/// name that differs only in glyph variants, width or spacing. Variation
/// selectors are dropped (`辻` U+E0102 gives `辻`), full-width ASCII letters,
/// digits and symbols become half-width (`Ｊｏｈｎ` → `John`), white space is
/// removed, and each character goes through the 異体字 table (`髙` → `高`,
/// `﨑` → `崎`, `邉` and `邊` → `辺`, `齋` → `斎`), so `髙橋　一郎` and
/// `高橋一郎` give the same key.
///
/// The table is `rules/characters/variants.tsv`, derived from the
/// MJ縮退マップ of 文字情報基盤 (its header says how, `LICENSE.md` beside it
/// gives the attribution); it maps every member of a class of variants to
/// one of them.
///
/// The key is stored and compared as a whole or by its start, so it is
/// idempotent (the key of a key is the key), and the key of the start of a
/// name is the start of the name's key: each character is folded on its
/// own.
pub fn match_key(input: &str) -> String {
    input
        .chars()
        .filter(|c| !is_variation_selector(*c) && !c.is_whitespace())
        .map(|c| {
            let narrow = halfwidth_ascii(c);
            VARIANTS.get(&narrow).copied().unwrap_or(narrow)
        })
        .collect()
}

/// The 異体字 table: `# ` comment lines, then `source<TAB>target` lines.
const VARIANTS_TABLE: &str = include_str!("../../../rules/characters/variants.tsv");

/// The 異体字 table, read once: each variant and the character it folds to.
static VARIANTS: LazyLock<HashMap<char, char>> =
    LazyLock::new(|| VARIANTS_TABLE.lines().filter_map(variant_line).collect());

/// A `source<TAB>target` line of the table; `None` for a comment or a line
/// that is not one character, a tab and one character (the tests check
/// that the committed table has none).
fn variant_line(line: &str) -> Option<(char, char)> {
    if line.starts_with('#') {
        return None;
    }
    let (source, target) = line.split_once('\t')?;
    Some((single_char(source)?, single_char(target)?))
}

fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

/// The ASCII character for a full-width one (U+FF01..U+FF5E); any other
/// character as it is.
fn halfwidth_ascii(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        other => other,
    }
}

fn too_long() -> ValueError {
    ValueError::out_of_range(Message::NameTooLong {
        max: MAX_PERSON_NAME_CHARS.to_string(),
    })
}

/// A selector of an Ideographic Variation Sequence (VS17..VS256).
fn is_ideographic_variation_selector(c: char) -> bool {
    ('\u{E0100}'..='\u{E01EF}').contains(&c)
}

/// Any variation selector: VS1..VS16 (standardized variation sequences) or
/// VS17..VS256 (ideographic variation sequences).
fn is_variation_selector(c: char) -> bool {
    ('\u{FE00}'..='\u{FE0F}').contains(&c) || is_ideographic_variation_selector(c)
}

/// Characters that change nothing visible in a name, or change the order in
/// which it is shown: soft hyphen, combining grapheme joiner, Arabic letter
/// mark, Hangul fillers, Mongolian selectors and separator, zero-width
/// spaces and joiners, direction marks, embeddings, overrides and isolates,
/// invisible operators, the byte order mark, interlinear annotation marks and
/// tags.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Code points that Unicode reserves never to be characters.
fn is_noncharacter(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Result<&str, ValueError>) {
        let parsed = PersonName::parse(input);
        assert_eq!(
            parsed.as_ref().map(PersonName::as_str),
            expected.as_ref().copied(),
            "{input:?}"
        );
    }

    #[test]
    fn spaces_are_tidied_and_nothing_else_changes() {
        check("山田 太郎", Ok("山田　太郎"));
        check("山田　太郎", Ok("山田　太郎"));
        check("  山田 　  太郎　", Ok("山田　太郎"));
        check("山田太郎", Ok("山田太郎"));
        check("山田\u{00A0}太郎", Ok("山田　太郎"));
        check("スミス ジョン ポール", Ok("スミス　ジョン　ポール"));
        check("Smith John", Ok("Smith　John"));
        check("ｽﾐｽ", Ok("ｽﾐｽ"));
        check("ＡＢＣ", Ok("ＡＢＣ"));
        check("髙橋 𠮷男", Ok("髙橋　𠮷男"));
    }

    #[test]
    fn variation_sequences_survive() {
        let tsuji = "\u{8FBB}\u{E0102}";
        let kuzu = "\u{845B}\u{E0102}";
        for (input, stored, base) in [
            (
                format!("{tsuji} 花子"),
                format!("{tsuji}\u{3000}花子"),
                "\u{8FBB}\u{3000}花子".to_owned(),
            ),
            (
                format!("　{kuzu}城　 太郎 "),
                format!("{kuzu}城\u{3000}太郎"),
                "\u{845B}城\u{3000}太郎".to_owned(),
            ),
            (
                format!("{tsuji}{kuzu}"),
                format!("{tsuji}{kuzu}"),
                "\u{8FBB}\u{845B}".to_owned(),
            ),
        ] {
            let name = PersonName::parse(&input);
            assert_eq!(name.as_ref().map(PersonName::as_str), Ok(stored.as_str()));
            let stored_chars: Vec<char> = stored.chars().collect();
            let kept: Option<Vec<char>> = name.as_ref().ok().map(|n| n.as_str().chars().collect());
            assert_eq!(kept, Some(stored_chars));
            assert_eq!(name.as_ref().map(PersonName::has_ivs), Ok(true));
            assert_eq!(name.as_ref().map(PersonName::base_characters), Ok(base));
        }
        let plain = PersonName::parse("辻 花子");
        assert_eq!(plain.as_ref().map(PersonName::has_ivs), Ok(false));
        assert_eq!(
            plain.map(|n| n.base_characters()),
            Ok("辻\u{3000}花子".to_owned())
        );
        // A standardized variation sequence is kept too, but is not an IVS.
        let svs = PersonName::parse("\u{585A}\u{FE00}本");
        assert_eq!(
            svs.as_ref().map(PersonName::as_str),
            Ok("\u{585A}\u{FE00}本")
        );
        assert_eq!(svs.as_ref().map(PersonName::has_ivs), Ok(false));
        assert_eq!(
            svs.map(|n| n.base_characters()),
            Ok("\u{585A}本".to_owned())
        );
    }

    #[test]
    fn compatibility_ideographs_are_not_normalized() {
        // U+FA10 (塚) and U+F929 (朗) would become U+585A and U+6717 under
        // NFC or NFKC.
        check("\u{FA10}本 \u{F929}", Ok("\u{FA10}本\u{3000}\u{F929}"));
        let name = PersonName::parse("\u{FA10}本");
        assert_eq!(
            name.map(|n| n.as_str().chars().map(u32::from).collect::<Vec<_>>()),
            Ok(vec![0xFA10, 0x672C])
        );
    }

    #[test]
    fn rejected_names() {
        check("", Err(ValueError::Empty));
        check(" 　 ", Err(ValueError::Empty));
        check("山田\t太郎", Err(ValueError::InvalidCharacter));
        check("山田太郎\n", Err(ValueError::InvalidCharacter));
        check("山田\u{0000}", Err(ValueError::InvalidCharacter));
        check("山田\u{007F}", Err(ValueError::InvalidCharacter));
        check("山田\u{0085}", Err(ValueError::InvalidCharacter));
        check("山\u{200B}田", Err(ValueError::InvalidCharacter));
        check("山\u{200D}田", Err(ValueError::InvalidCharacter));
        check("\u{202E}田山", Err(ValueError::InvalidCharacter));
        check("\u{FEFF}山田", Err(ValueError::InvalidCharacter));
        check("山田\u{E0001}", Err(ValueError::InvalidCharacter));
        check("山田\u{FFFF}", Err(ValueError::InvalidCharacter));
        check("\u{E0102}辻", Err(ValueError::InvalidCharacter));
        check("辻 \u{E0102}", Err(ValueError::InvalidCharacter));
        check("辻\u{E0102}\u{E0101}", Err(ValueError::InvalidCharacter));
    }

    #[test]
    fn length_counts_code_points() {
        let hundred = "山".repeat(MAX_PERSON_NAME_CHARS);
        check(&hundred, Ok(&hundred));
        check(&format!("{hundred}山"), Err(too_long()));
        let fifty_sequences = "\u{8FBB}\u{E0102}".repeat(50);
        check(&fifty_sequences, Ok(&fifty_sequences));
        check(&format!("{fifty_sequences}山"), Err(too_long()));
        check(&format!("  {hundred}  "), Ok(&hundred));
        check(&"山".repeat(10_000_000), Err(too_long()));
    }

    #[test]
    fn parts_debug_and_display() {
        let name = PersonName::parse("辻\u{E0102} 花子");
        let parts: Option<Vec<String>> = name
            .as_ref()
            .ok()
            .map(|n| n.parts().map(str::to_owned).collect());
        assert_eq!(
            parts,
            Some(vec!["辻\u{E0102}".to_owned(), "花子".to_owned()])
        );
        assert_eq!(
            name.as_ref().map(|n| format!("{n:?}")),
            Ok("PersonName(5 chars)".to_owned())
        );
        assert_eq!(
            name.map(|n| n.to_string()),
            Ok("辻\u{E0102}\u{3000}花子".to_owned())
        );
    }

    #[test]
    fn match_keys_fold_variants_width_spaces_and_selectors() {
        for (a, b) in [
            ("髙橋　一郎", "高橋一郎"),
            ("髙橋 一郎", "高橋一郎"),
            ("渡邉", "渡辺"),
            ("渡邊", "渡辺"),
            ("山﨑", "山崎"),
            ("\u{8FBB}\u{E0102}\u{3000}花子", "辻花子"),
            ("\u{845B}\u{E0100}城", "葛城"),
            ("\u{585A}\u{FE00}本", "塚本"),
            ("\u{FA10}本", "塚本"),
            ("齋藤", "斎藤"),
            ("濵田", "浜田"),
            ("德川", "徳川"),
            ("栁田", "柳田"),
            ("舘", "館"),
            ("Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"),
            ("ＡＢＣ１２３", "ABC123"),
        ] {
            assert_eq!(match_key(a), match_key(b), "{a:?} and {b:?}");
        }
        assert_eq!(match_key("髙橋　一郎"), "高橋一郎");
        assert_eq!(match_key("渡邉 邊"), "渡辺辺");
        assert_eq!(match_key("Ｊｏｈｎ　Ｓｍｉｔｈ"), "JohnSmith");
        assert_eq!(match_key(""), "");
        assert_eq!(
            PersonName::parse("髙橋　一郎").map(|n| n.match_key()),
            Ok("高橋一郎".to_owned())
        );
    }

    #[test]
    fn match_keys_keep_distinct_characters_apart() {
        // Characters that look alike but are not variants (土 士); that
        // one MJ glyph filed under them would join (玉 王, 功 切: the table
        // leaves those candidates out); that a rare variant with several
        // targets would join (北 比 through 业, 明 朋 through 眀); and that
        // 法務省告示582号別表第四 would chain together (英 関, 号 虎). 斎 and
        // 斉 are distinct characters read alike (齋 folds to 斎, 齊 to 斉),
        // which the kana key covers.
        for (a, b) in [
            ("土", "士"),
            ("未", "末"),
            ("大", "太"),
            ("斎", "斉"),
            ("齋", "齊"),
            ("玉", "王"),
            ("功", "切"),
            ("書", "昼"),
            ("来", "耒"),
            ("橋", "槁"),
            ("稿", "藁"),
            ("佳", "隹"),
            ("師", "帥"),
            ("升", "舛"),
            ("負", "屓"),
            ("述", "逑"),
            ("詰", "誥"),
            ("閣", "擱"),
            ("尤", "兀"),
            ("北", "比"),
            ("明", "朋"),
            ("孝", "考"),
            ("降", "隆"),
            ("島", "雀"),
            ("英", "関"),
            ("号", "虎"),
        ] {
            assert_ne!(match_key(a), match_key(b), "{a:?} and {b:?}");
        }
        // Common characters fold to themselves.
        for name in [
            "高橋", "渡辺", "山崎", "斎藤", "斉藤", "浜田", "徳川", "柳田", "土井", "大西",
        ] {
            assert_eq!(match_key(name), name);
        }
    }

    #[test]
    fn variant_table_is_well_formed() {
        let mut lines = 0;
        for line in VARIANTS_TABLE.lines().filter(|l| !l.starts_with('#')) {
            lines += 1;
            let pair = variant_line(line);
            assert!(pair.is_some(), "line {line:?}");
            if let Some((source, target)) = pair {
                assert_ne!(source, target, "line {line:?}");
                // A target is never a source, so folding twice changes
                // nothing.
                assert!(!VARIANTS.contains_key(&target), "line {line:?}");
            }
        }
        assert_eq!(VARIANTS.len(), lines);
        assert!(lines > 10_000, "{lines} lines");
    }

    /// Names made of ideographs (some with a selector), compatibility
    /// ideographs, kana and Latin letters, with single full-width spaces
    /// between parts.
    fn stored_name() -> impl Strategy<Value = String> {
        let character = prop_oneof![
            proptest::char::range('一', '鿿').prop_map(String::from),
            proptest::char::range('\u{F900}', '\u{FAD9}').prop_map(String::from),
            proptest::char::range('\u{20000}', '\u{2A6DF}').prop_map(String::from),
            (
                proptest::char::range('一', '鿿'),
                proptest::char::range('\u{E0100}', '\u{E01EF}')
            )
                .prop_map(|(base, selector)| format!("{base}{selector}")),
            proptest::char::range('ぁ', 'ヺ').prop_map(String::from),
            proptest::char::range('A', 'z').prop_map(String::from),
        ];
        let part = proptest::collection::vec(character, 1..8).prop_map(|cs| cs.concat());
        proptest::collection::vec(part, 1..4).prop_map(|parts| parts.join("\u{3000}"))
    }

    /// Stored names, any printable text, and strings dense in variants,
    /// full-width letters, spaces and selectors.
    fn name_soup() -> impl Strategy<Value = String> {
        prop_oneof![
            stored_name(),
            "\\PC{0,40}",
            "[髙﨑邉邊齋濵德栁橋 　Ａ-ｚ\u{E0100}-\u{E0102}\u{FE00}]{0,20}",
        ]
    }

    proptest! {
        #[test]
        fn every_code_point_is_kept(name in stored_name()) {
            let parsed = PersonName::parse(&name);
            prop_assert_eq!(parsed.as_ref().map(PersonName::as_str), Ok(name.as_str()));
            let spaced = format!("  {} ", name.replace('\u{3000}', " \u{3000} "));
            prop_assert_eq!(PersonName::parse(&spaced), parsed.clone());
            let base = parsed.as_ref().map(PersonName::base_characters);
            prop_assert_eq!(base.as_ref().map(|b| b.chars().any(is_variation_selector)), Ok(false));
        }

        #[test]
        fn match_key_is_idempotent_and_keeps_prefixes(input in name_soup()) {
            let key = match_key(&input);
            prop_assert_eq!(match_key(&key), key.clone());
            let folded = key.chars().any(|c| {
                is_variation_selector(c) || c.is_whitespace() || VARIANTS.contains_key(&c)
            });
            prop_assert!(!folded, "unfolded character in {:?}", key);
            for (index, _) in input.char_indices() {
                let prefix_key = match_key(&input[..index]);
                prop_assert!(
                    key.starts_with(&prefix_key),
                    "{:?} is not the start of {:?}",
                    prefix_key,
                    key
                );
            }
            if let Ok(name) = PersonName::parse(&input) {
                prop_assert_eq!(name.match_key(), key);
            }
        }

        #[test]
        fn parsing_is_idempotent(input in "\\PC{0,120}") {
            if let Ok(name) = PersonName::parse(&input) {
                prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name.clone()));
                prop_assert!(name.as_str().chars().count() <= MAX_PERSON_NAME_CHARS);
            }
        }
    }
}
