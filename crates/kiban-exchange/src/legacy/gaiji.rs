//! The 外字 map (外字対応表): which character each user-defined code of a
//! legacy extract stands for.

use std::collections::HashMap;
use std::fmt::Write as _;

use kiban_core::PersonName;

/// The first lead byte of the CP932 user-defined area (外字領域).
const GAIJI_LEAD_FIRST: u8 = 0xF0;
/// The last lead byte of the CP932 user-defined area.
const GAIJI_LEAD_LAST: u8 = 0xF9;

/// Whether a lead byte and a trail byte form a code of the CP932
/// user-defined area 0xF040–0xF9FC (trail 0x40–0xFC except 0x7F).
pub(crate) fn is_gaiji_code(lead: u8, trail: u8) -> bool {
    (GAIJI_LEAD_FIRST..=GAIJI_LEAD_LAST).contains(&lead) && is_trail_byte(trail)
}

/// Whether a byte can follow a lead byte in CP932: 0x40–0xFC except 0x7F.
pub(crate) fn is_trail_byte(byte: u8) -> bool {
    matches!(byte, 0x40..=0x7E | 0x80..=0xFC)
}

/// Writes a user-defined code as in the map and in messages: `F040`.
pub(crate) fn code_text(code: u16) -> String {
    format!("{code:04X}")
}

/// Writes codes as a list for messages: `F040、F041`.
pub(crate) fn codes_text(codes: &[u16]) -> String {
    let mut out = String::new();
    for (i, code) in codes.iter().enumerate() {
        if i > 0 {
            out.push('、');
        }
        let _ = write!(out, "{code:04X}");
    }
    out
}

/// The 外字 map (外字対応表) of one extract: for each CP932 user-defined code
/// (0xF040–0xF9FC) the character it stands for, as one base character and,
/// where one is needed, a variation selector (`F040` → U+8FBB U+E0102).
///
/// Built from the `sjis,unicode` CSV given with `--gaiji-map` by
/// [`GaijiMap::parse_csv`]; the empty map ([`GaijiMap::default`]) maps
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GaijiMap {
    entries: HashMap<u16, String>,
}

impl GaijiMap {
    /// Reads the map from its CSV text: UTF-8 (a byte order mark is
    /// ignored), LF or CR LF line ends, the header `sjis,unicode`, then one
    /// line per code such as `F040,U+8FBB U+E0102`. Blank lines are ignored.
    ///
    /// The code is four hexadecimal digits in the user-defined area. The
    /// character is one or two code points written `U+XXXX` and separated by
    /// spaces: a visible base character that is not itself a private-use
    /// character, optionally followed by one variation selector. A code may
    /// appear only once. Every error names the 1-based line.
    pub fn parse_csv(text: &str) -> Result<Self, GaijiMapError> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
        let header = lines
            .by_ref()
            .find(|(_, line)| !line.trim().is_empty())
            .map(|(number, line)| (number, line.trim()));
        match header {
            Some((_, line)) if header_matches(line) => {}
            Some((number, _)) => {
                return Err(GaijiMapError {
                    line: number,
                    problem: GaijiMapProblem::Header,
                });
            }
            None => {
                return Err(GaijiMapError {
                    line: 1,
                    problem: GaijiMapProblem::Header,
                });
            }
        }
        let mut entries = HashMap::new();
        let mut first_line = HashMap::new();
        for (number, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let at = |problem| GaijiMapError {
                line: number,
                problem,
            };
            let mut columns = line.split(',');
            let (Some(code), Some(character), None) =
                (columns.next(), columns.next(), columns.next())
            else {
                return Err(at(GaijiMapProblem::Columns));
            };
            let code = parse_code(code.trim()).map_err(at)?;
            let character = parse_character(character.trim()).map_err(at)?;
            if let Some(first) = first_line.insert(code, number) {
                return Err(at(GaijiMapProblem::Duplicate {
                    code: code_text(code),
                    first_line: first,
                }));
            }
            entries.insert(code, character);
        }
        Ok(Self { entries })
    }

    /// The character that a user-defined code stands for, if the map covers
    /// it. `code` is the two bytes read as a big-endian number (`0xF040`).
    pub fn get(&self, code: u16) -> Option<&str> {
        self.entries.get(&code).map(String::as_str)
    }

    /// The number of codes the map covers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map covers no code at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Whether the header line is `sjis,unicode` (spaces and case aside).
fn header_matches(line: &str) -> bool {
    let columns: Vec<String> = line
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    columns == ["sjis", "unicode"]
}

/// Reads `F040`: four hexadecimal digits in the user-defined area.
fn parse_code(text: &str) -> Result<u16, GaijiMapProblem> {
    let bad = || GaijiMapProblem::Code(text.chars().take(16).collect());
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let code = u16::from_str_radix(text, 16).map_err(|_| bad())?;
    let [lead, trail] = code.to_be_bytes();
    if !is_gaiji_code(lead, trail) {
        return Err(bad());
    }
    Ok(code)
}

/// Reads `U+8FBB U+E0102`: a base character and an optional variation
/// selector.
fn parse_character(text: &str) -> Result<String, GaijiMapProblem> {
    let mut out = String::new();
    for (i, part) in text.split_whitespace().enumerate() {
        if i >= 2 {
            return Err(GaijiMapProblem::TooManyCodePoints);
        }
        let hex = part
            .strip_prefix("U+")
            .or_else(|| part.strip_prefix("u+"))
            .filter(|hex| {
                (4..=6).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .ok_or_else(|| GaijiMapProblem::CodePoint(part.chars().take(16).collect()))?;
        let c = u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| GaijiMapProblem::CodePoint(part.to_owned()))?;
        let selector = is_variation_selector(c);
        if i == 0 && (selector || is_private_use(c)) {
            return Err(GaijiMapProblem::BaseCharacter(part.to_owned()));
        }
        if i == 1 && !selector {
            return Err(GaijiMapProblem::NotAVariationSelector(part.to_owned()));
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(GaijiMapProblem::CodePoint(String::new()));
    }
    // The character must survive as part of a name exactly as written: no
    // white space, control or invisible formatting character.
    if PersonName::parse(&out).map(|name| name.as_str() == out) != Ok(true) {
        return Err(GaijiMapProblem::BaseCharacter(text.to_owned()));
    }
    Ok(out)
}

/// A selector of a variation sequence: U+FE00..U+FE0F or U+E0100..U+E01EF.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// A private-use character, which would carry the 外字 problem over.
fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// Why a 外字 map could not be read, and on which line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gaiji map, line {line}: {problem}")]
pub struct GaijiMapError {
    /// The 1-based line of the CSV text.
    pub line: usize,
    /// What is wrong with it.
    pub problem: GaijiMapProblem,
}

/// What is wrong with one line of a 外字 map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GaijiMapProblem {
    /// The first line is not the header `sjis,unicode`.
    #[error("the header must be `sjis,unicode`")]
    Header,
    /// The line does not have exactly two columns.
    #[error("the columns must be the two of `sjis,unicode`")]
    Columns,
    /// The code is not four hexadecimal digits in 0xF040–0xF9FC.
    #[error("gaiji code {0:?} is not four hex digits in F040–F9FC (trail byte 40–FC, not 7F)")]
    Code(String),
    /// A code point is not written `U+XXXX` or is not a character.
    #[error("character {0:?} not written U+XXXX")]
    CodePoint(String),
    /// More than a base character and one variation selector.
    #[error("more than a base character and one variation selector")]
    TooManyCodePoints,
    /// The base character is a selector, a private-use character, white
    /// space, or a control or formatting character.
    #[error(
        "{0:?} is not a character of names and addresses (no private use, white space, control or lone selector)"
    )]
    BaseCharacter(String),
    /// The second code point is not a variation selector.
    #[error("second code point {0:?} is not a variation selector (U+FE00–U+FE0F, U+E0100–U+E01EF)")]
    NotAVariationSelector(String),
    /// The code appeared on an earlier line.
    #[error("gaiji code {code} also on line {first_line}")]
    Duplicate {
        /// The code, as `F040`.
        code: String,
        /// The line where it first appeared.
        first_line: usize,
    },
}

impl GaijiMapError {
    /// The catalogue's message for people: the line, then what.
    pub fn message(&self) -> kiban_core::Message {
        kiban_core::Message::GaijiMapLine {
            line: self.line.to_string(),
            problem: self.problem.message().text(),
        }
    }
}

impl GaijiMapProblem {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            GaijiMapProblem::Header => M::GaijiMapHeader {},
            GaijiMapProblem::Columns => M::GaijiMapColumns {},
            GaijiMapProblem::Code(code) => M::GaijiMapCode { code: code.clone() },
            GaijiMapProblem::CodePoint(text) => M::GaijiMapCodePoint { text: text.clone() },
            GaijiMapProblem::TooManyCodePoints => M::GaijiMapTooManyCodePoints {},
            GaijiMapProblem::BaseCharacter(text) => M::GaijiMapBaseCharacter { text: text.clone() },
            GaijiMapProblem::NotAVariationSelector(text) => {
                M::GaijiMapNotAVariationSelector { text: text.clone() }
            }
            GaijiMapProblem::Duplicate { code, first_line } => M::GaijiMapDuplicate {
                code: code.clone(),
                first_line: first_line.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(text: &str) -> Option<(usize, GaijiMapProblem)> {
        GaijiMap::parse_csv(text).err().map(|e| (e.line, e.problem))
    }

    #[test]
    fn reads_codes_with_and_without_selectors() {
        let map = GaijiMap::parse_csv(
            "\u{FEFF}sjis,unicode\r\nF040,U+8FBB U+E0102\r\nf9fc, u+9AD9 \r\n\r\n",
        );
        let map = map.unwrap_or_default();
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(0xF040), Some("\u{8FBB}\u{E0102}"));
        assert_eq!(map.get(0xF9FC), Some("\u{9AD9}"));
        assert_eq!(map.get(0xF041), None);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(line_of(""), Some((1, GaijiMapProblem::Header)));
        assert_eq!(line_of("code,char\n"), Some((1, GaijiMapProblem::Header)));
        assert_eq!(
            line_of("sjis,unicode\nF040,U+8FBB\nF07F,U+8FBB\n"),
            Some((3, GaijiMapProblem::Code("F07F".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\n889F,U+4E9C\n"),
            Some((2, GaijiMapProblem::Code("889F".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+8FBB\nF041\n"),
            Some((3, GaijiMapProblem::Columns))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,8FBB\n"),
            Some((2, GaijiMapProblem::CodePoint("8FBB".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+D800\n"),
            Some((2, GaijiMapProblem::CodePoint("U+D800".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+E000\n"),
            Some((2, GaijiMapProblem::BaseCharacter("U+E000".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+E0102\n"),
            Some((2, GaijiMapProblem::BaseCharacter("U+E0102".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+3000\n"),
            Some((2, GaijiMapProblem::BaseCharacter("U+3000".to_owned())))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+8FBB U+8FBB\n"),
            Some((
                2,
                GaijiMapProblem::NotAVariationSelector("U+8FBB".to_owned())
            ))
        );
        assert_eq!(
            line_of("sjis,unicode\nF040,U+8FBB U+E0102 U+E0102\n"),
            Some((2, GaijiMapProblem::TooManyCodePoints))
        );
        assert_eq!(
            line_of("sjis,unicode\n\nF040,U+8FBB\nF040,U+8FBC\n"),
            Some((
                4,
                GaijiMapProblem::Duplicate {
                    code: "F040".to_owned(),
                    first_line: 3
                }
            ))
        );
        let message = GaijiMap::parse_csv("sjis,unicode\nF040,U+8FBB\nF041\n")
            .err()
            .map(|e| e.message().text());
        assert_eq!(
            message.as_deref(),
            Some("外字対応表の3行目: 列は「sjis,unicode」の2つでなければなりません")
        );
    }
}
