//! 和暦 (Japanese era dates): converting dates to and from 元号 and era years,
//! formatting them for screens and certificates, and reading what people type.
//!
//! # Eras and their first days
//!
//! | era | first day | last day |
//! |---|---|---|
//! | 明治 (M) | 1868-01-25 | 1912-07-29 |
//! | 大正 (T) | 1912-07-30 | 1926-12-24 |
//! | 昭和 (S) | 1926-12-25 | 1989-01-07 |
//! | 平成 (H) | 1989-01-08 | 2019-04-30 |
//! | 令和 (R) | 2019-05-01 | — |
//!
//! 明治 was proclaimed on 慶応4年9月8日 (1868-10-23) and applied from the first
//! day of that year (改元の詔: 慶応四年を改めて明治元年と為す). Japan still used
//! the lunisolar calendar then and adopted the Gregorian calendar on 明治6年1月1日
//! (1873-01-01). We take 明治元年1月1日 (旧暦), which is 1868-01-25 in the
//! Gregorian calendar, as the first day of 明治, and we write every date of
//! 明治 with its Gregorian month and day, so 明治N年 is the Gregorian year
//! 1867 + N throughout. Before 1873 these are therefore not the month and day
//! that contemporary documents show (旧暦); dates before 1868-01-25 are not
//! written in 和暦 at all. The later eras began on the day of the accession
//! (大正, 昭和) or on the day fixed by law (平成: the day after the
//! proclamation; 令和: 1 May 2019); the last day of an era is the day before.
//! 1912-07-30 and 1926-12-25 are sometimes also written in the old era
//! (明治45年7月30日, 大正15年12月25日), because the emperor died on that day;
//! we write and accept only the new era for them.
//!
//! # Reading input
//!
//! [`parse_wareki`] accepts what people type into a form: the era by name
//! (`令和`), by one kanji (`令`) or by letter (`R`, `r`, `Ｒ`); the year as
//! digits, full-width digits, kanji numerals or `元`; then either `年…月…日`
//! or two separators (`.`, `/`, `-`). Spaces are ignored. A date that does
//! not exist, or lies outside its era (平成31年5月1日), is rejected with a
//! message that names the problem. [`parse_date_input`] also accepts 西暦.

use std::fmt;

use crate::date::Date;
use crate::fiscal::FiscalYear;
use crate::{Message, ValueError};

/// The longest input, in characters, that the parsers read. A date is never
/// longer than about twenty characters, even with spaces.
pub const MAX_INPUT_CHARS: usize = 64;

/// An era (元号) from 明治 on. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// 明治 (M), from 1868-01-25 (see the module documentation).
    Meiji,
    /// 大正 (T), from 1912-07-30.
    Taisho,
    /// 昭和 (S), from 1926-12-25.
    Showa,
    /// 平成 (H), from 1989-01-08.
    Heisei,
    /// 令和 (R), from 2019-05-01.
    Reiwa,
}

const MEIJI_FIRST_DAY: Date = Date::constant(1868, 1, 25);
const TAISHO_FIRST_DAY: Date = Date::constant(1912, 7, 30);
const SHOWA_FIRST_DAY: Date = Date::constant(1926, 12, 25);
const HEISEI_FIRST_DAY: Date = Date::constant(1989, 1, 8);
const REIWA_FIRST_DAY: Date = Date::constant(2019, 5, 1);

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era's name in kanji: `令和`.
    pub const fn name_ja(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The one-letter abbreviation used in forms and data: `M`, `T`, `S`,
    /// `H`, `R`.
    pub const fn abbreviation(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The first day of the era (元年の初日).
    pub const fn first_day(self) -> Date {
        match self {
            Era::Meiji => MEIJI_FIRST_DAY,
            Era::Taisho => TAISHO_FIRST_DAY,
            Era::Showa => SHOWA_FIRST_DAY,
            Era::Heisei => HEISEI_FIRST_DAY,
            Era::Reiwa => REIWA_FIRST_DAY,
        }
    }

    /// The era that followed this one, if any.
    pub const fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// The last day of the era: the day before the next era began, or `None`
    /// for the current era.
    pub fn last_day(self) -> Option<Date> {
        self.next()
            .and_then(|next| next.first_day().yesterday().ok())
    }

    /// The era in which `day` falls, or `None` before 明治.
    pub fn containing(day: Date) -> Option<Era> {
        Era::ALL
            .iter()
            .rev()
            .copied()
            .find(|era| era.first_day() <= day)
    }

    /// The era of a kanji name (`平成`) or a one-kanji abbreviation (`平`).
    pub fn from_name_ja(name: &str) -> Option<Era> {
        Era::ALL.iter().copied().find(|era| {
            let full = era.name_ja();
            name == full || (name.chars().count() == 1 && full.starts_with(name))
        })
    }

    /// The era of a one-letter abbreviation, in either case (`H` or `h`).
    pub fn from_abbreviation(letter: char) -> Option<Era> {
        let upper = letter.to_ascii_uppercase();
        Era::ALL
            .iter()
            .copied()
            .find(|era| era.abbreviation() == upper)
    }

    /// Whether `day` lies within the era.
    pub fn contains(self, day: Date) -> bool {
        Era::containing(day) == Some(self)
    }

    /// The Gregorian year of 元年.
    fn first_year(self) -> i16 {
        self.first_day().year()
    }

    /// The era's span for messages: `平成は1989年1月8日から2019年4月30日まで`.
    fn span_ja(self) -> String {
        let first = western_ja(self.first_day());
        match self.last_day() {
            Some(last) => format!("{}は{}から{}まで", self.name_ja(), first, western_ja(last)),
            None => format!("{}は{}から", self.name_ja(), first),
        }
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_ja())
    }
}

/// A date in 和暦 (Japanese era date): era, era year (1 is 元年), month and
/// day. Only dates that exist and lie within their era can be built, so a
/// `Wareki` always converts back to exactly one [`Date`].
///
/// `Display` writes the form used on screens and certificates:
/// `令和元年5月1日`, `平成31年4月30日`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wareki {
    era: Era,
    year: u16,
    month: u8,
    day: u8,
    date: Date,
}

impl Wareki {
    /// Builds an era date, rejecting era year 0, days that do not exist
    /// (令和6年2月30日) and days outside the era (平成31年5月1日, 昭和64年1月8日).
    pub fn new(era: Era, year: u32, month: u32, day: u32) -> Result<Self, ValueError> {
        let written = || Self::display_parts(era, year, month, day);
        if year == 0 {
            return Err(ValueError::invalid_date(Message::DateEraYearZero {
                era: era.name_ja().to_owned(),
            }));
        }
        let western_year = u32::try_from(era.first_year())
            .ok()
            .and_then(|first| first.checked_add(year - 1))
            .and_then(|y| i16::try_from(y).ok())
            .filter(|y| *y <= 9999)
            .ok_or_else(|| {
                ValueError::invalid_date(Message::DateYearTooLarge { written: written() })
            })?;
        let (Ok(month8), Ok(day8)) = (i8::try_from(month), i8::try_from(day)) else {
            return Err(ValueError::invalid_date(Message::DateDoesNotExist {
                written: written(),
            }));
        };
        let date = Date::new(western_year, month8, day8).map_err(|_| {
            ValueError::invalid_date(Message::DateDoesNotExist { written: written() })
        })?;
        if !era.contains(date) {
            return Err(ValueError::invalid_date(Message::DateOutsideEra {
                written: written(),
                era: era.name_ja().to_owned(),
                span: era.span_ja(),
            }));
        }
        Ok(Self {
            era,
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: month8.unsigned_abs(),
            day: day8.unsigned_abs(),
            date,
        })
    }

    /// The era (元号).
    pub fn era(self) -> Era {
        self.era
    }

    /// The era year, 1 for 元年.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The same day as a calendar date.
    pub fn to_date(self) -> Date {
        self.date
    }

    /// The abbreviated form used in lists and data: `H01.01.08`, `R07.04.01`
    /// (era letter, then two-digit year, month and day).
    pub fn abbreviated(self) -> String {
        format!(
            "{}{:02}.{:02}.{:02}",
            self.era.abbreviation(),
            self.year,
            self.month,
            self.day
        )
    }

    /// `令和元年5月1日` from its parts, with 元 for the first year.
    fn display_parts(era: Era, year: u32, month: u32, day: u32) -> String {
        format!("{}{}{}月{}日", era.name_ja(), era_year_ja(year), month, day)
    }
}

impl fmt::Display for Wareki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Self::display_parts(
            self.era,
            u32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        ))
    }
}

/// `元年` for 1, otherwise `7年`.
fn era_year_ja(year: u32) -> String {
    if year == 1 {
        "元年".to_owned()
    } else {
        format!("{year}年")
    }
}

/// `2025年4月1日`.
fn western_ja(day: Date) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// Converts a date to 和暦 (Japanese era date). Dates before 明治
/// (1868-01-25) are an error.
pub fn to_wareki(day: Date) -> Result<Wareki, ValueError> {
    let era = Era::containing(day).ok_or_else(|| {
        ValueError::invalid_date(Message::DateBeforeMeiji {
            date: western_ja(day),
            first: western_ja(Era::Meiji.first_day()),
        })
    })?;
    let year = i32::from(day.year()) - i32::from(era.first_year()) + 1;
    Wareki::new(
        era,
        u32::try_from(year).unwrap_or(0),
        u32::from(day.month().unsigned_abs()),
        u32::from(day.day().unsigned_abs()),
    )
}

/// Writes a date in 和暦 as on screens and certificates: `令和7年4月1日`,
/// `令和元年5月1日`. Dates before 明治 are written in 西暦 (`1867年12月31日`).
pub fn format_ja(day: Date) -> String {
    match to_wareki(day) {
        Ok(wareki) => wareki.to_string(),
        Err(_) => western_ja(day),
    }
}

/// Writes a date in 和暦 with the 西暦 year in brackets, as many notices do:
/// `令和7年（2025年）4月1日`. Dates before 明治 are written in 西暦 only.
pub fn format_ja_with_western(day: Date) -> String {
    match to_wareki(day) {
        Ok(w) => format!(
            "{}{}（{}年）{}月{}日",
            w.era.name_ja(),
            era_year_ja(u32::from(w.year)),
            day.year(),
            w.month,
            w.day
        ),
        Err(_) => western_ja(day),
    }
}

/// Writes a 年度 (fiscal year) in 和暦: `令和7年度` for 2025.
///
/// A fiscal year is named by the era year of the calendar year in which it
/// starts, and a calendar year in which the era changed is named in the new
/// era. So the fiscal year from 2019-04-01 is `令和元年度`, although its first
/// month fell in 平成: after the change on 2019-05-01 the State and the
/// municipalities wrote `令和元年度` (令和元年度予算・決算, 令和元年度分 住民税);
/// `平成31年度` appears only in documents made before that day, and this
/// system writes every fiscal year one way. Likewise 1989 is `平成元年度`,
/// 1988 is `昭和63年度` and 1912 is `大正元年度`.
pub fn format_fiscal_year_ja(fiscal_year: FiscalYear) -> String {
    let start_year = fiscal_year.start_year();
    let named = i16::try_from(start_year)
        .ok()
        .and_then(|y| Date::new(y, 12, 31).ok())
        .and_then(|last_day| to_wareki(last_day).ok());
    match named {
        Some(w) => format!("{}{}度", w.era.name_ja(), era_year_ja(u32::from(w.year))),
        None => format!("{start_year}年度"),
    }
}

/// Reads a date written in 和暦 (Japanese era date) as people type it:
/// `令和元年5月1日`, `令和1年5月1日`, `令和７年４月１日`, `令和七年四月一日`,
/// `平成三十一年四月三十日`, `H1.1.8`, `h1.1.8`, `Ｈ１．１．８`, `R07.04.01`,
/// `S64/1/7`, `平成1.1.8`, with or without spaces.
///
/// Every rejection is a [`ValueError::InvalidDate`] whose message names the
/// problem: an empty or overlong input, an unknown era, era year 0, a day
/// that does not exist, a day outside its era, or text that is not a date.
pub fn parse_wareki(input: &str) -> Result<Date, ValueError> {
    let chars = fold(input)?;
    let mut cursor = Cursor::new(&chars);
    let era = read_era(&mut cursor, input)?;
    let year = if cursor.eat('元') {
        1
    } else {
        read_number(&mut cursor)
            .map(|n| n.value)
            .ok_or_else(|| unreadable(input, Message::DateProblemYear {}))?
    };
    let (month, day) = read_month_day(&mut cursor, input)?;
    Wareki::new(era, year, month, day).map(Wareki::to_date)
}

/// Reads a date typed into a screen form, in 和暦 (see [`parse_wareki`]) or
/// in 西暦: `2025-04-01`, `2025/4/1`, `2025.4.1`, `2025年4月1日`, `20250401`,
/// and their full-width forms. The 西暦 year has four digits.
pub fn parse_date_input(input: &str) -> Result<Date, ValueError> {
    let chars = fold(input)?;
    if chars
        .first()
        .is_some_and(|c| !c.is_ascii_digit() && kanji_digit(*c).is_none())
    {
        return parse_wareki(input);
    }
    let mut cursor = Cursor::new(&chars);
    if chars.len() == 8 && chars.iter().all(char::is_ascii_digit) {
        let digits: String = chars.iter().collect();
        let part = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(0);
        return western_date(part(0..4), part(4..6), part(6..8));
    }
    let year = read_number(&mut cursor)
        .filter(|n| n.len == 4)
        .ok_or_else(|| unreadable(input, Message::DateProblemWesternYear {}))?;
    let (month, day) = read_month_day(&mut cursor, input)?;
    western_date(year.value, month, day)
}

/// Builds a 西暦 date, naming the problem.
fn western_date(year: u32, month: u32, day: u32) -> Result<Date, ValueError> {
    let missing = || {
        ValueError::invalid_date(Message::DateDoesNotExist {
            written: format!("{year}年{month}月{day}日"),
        })
    };
    let year16 = i16::try_from(year)
        .ok()
        .filter(|y| (1..=9999).contains(y))
        .ok_or_else(missing)?;
    let (Ok(month8), Ok(day8)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(missing());
    };
    Date::new(year16, month8, day8).map_err(|_| missing())
}

/// The input as characters to parse: spaces removed, full-width ASCII
/// (digits, letters, `．`, `／`, `－`) made half-width, and the dashes people
/// type for a hyphen made `-`. Rejects empty and overlong input.
fn fold(input: &str) -> Result<Vec<char>, ValueError> {
    if input.chars().nth(MAX_INPUT_CHARS).is_some() {
        return Err(ValueError::invalid_date(Message::DateInputTooLong {
            max: MAX_INPUT_CHARS.to_string(),
        }));
    }
    let chars: Vec<char> = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}' | '\t'))
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '‐' | '‑' | '−' | 'ー' | '―' => '-',
            other => other,
        })
        .collect();
    if chars.is_empty() {
        return Err(ValueError::invalid_date(Message::DateNotGiven {}));
    }
    Ok(chars)
}

/// The error for input that is not a date, quoting it.
fn unreadable(input: &str, problem: Message) -> ValueError {
    ValueError::invalid_date(Message::DateUnreadable {
        input: input.trim().to_owned(),
        problem: problem.text(),
    })
}

/// A position in the folded input.
struct Cursor<'a> {
    chars: &'a [char],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(chars: &'a [char]) -> Self {
        Self { chars, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }
}

/// Reads the era: a kanji name, one kanji, or a letter.
fn read_era(cursor: &mut Cursor<'_>, input: &str) -> Result<Era, ValueError> {
    let rest = &cursor.chars[cursor.pos..];
    for era in Era::ALL {
        let name: Vec<char> = era.name_ja().chars().collect();
        if rest.starts_with(&name) {
            cursor.pos += name.len();
            return Ok(era);
        }
    }
    let Some(first) = cursor.peek() else {
        return Err(unreadable(input, Message::DateProblemNoEra {}));
    };
    let one_kanji = Era::ALL
        .iter()
        .copied()
        .find(|era| era.name_ja().starts_with(first));
    let era = one_kanji.or_else(|| {
        first
            .is_ascii_alphabetic()
            .then(|| Era::from_abbreviation(first))
            .flatten()
    });
    // A letter or kanji that is an era only when what follows is a year.
    let followed_by_year = cursor
        .chars
        .get(cursor.pos + 1)
        .is_some_and(|c| *c == '元' || c.is_ascii_digit() || kanji_digit(*c).is_some());
    match era {
        Some(era) if followed_by_year => {
            cursor.pos += 1;
            Ok(era)
        }
        _ => {
            let name: String = rest
                .iter()
                .take_while(|c| !(**c == '元' || c.is_ascii_digit() || kanji_digit(**c).is_some()))
                .collect();
            if name.is_empty() {
                Err(unreadable(input, Message::DateProblemNoEra {}))
            } else if name.chars().count() <= 4 && name.chars().count() < rest.len() {
                Err(ValueError::invalid_date(Message::DateUnknownEra { name }))
            } else {
                Err(unreadable(input, Message::DateProblemNoEraNorYear {}))
            }
        }
    }
}

/// After the year: `年 M 月 D 日`, or a separator (`.`, `/`, `-`), the month,
/// the same separator and the day. Nothing may follow.
fn read_month_day(cursor: &mut Cursor<'_>, input: &str) -> Result<(u32, u32), ValueError> {
    let separator = cursor
        .peek()
        .filter(|c| matches!(c, '年' | '.' | '/' | '-'))
        .ok_or_else(|| unreadable(input, Message::DateProblemYearSeparator {}))?;
    cursor.pos += 1;
    let month = read_number(cursor)
        .ok_or_else(|| unreadable(input, Message::DateProblemMonth {}))?
        .value;
    let month_end = if separator == '年' { '月' } else { separator };
    if !cursor.eat(month_end) {
        return Err(unreadable(
            input,
            Message::DateProblemMonthEnd {
                end: month_end.to_string(),
            },
        ));
    }
    let day = read_number(cursor)
        .ok_or_else(|| unreadable(input, Message::DateProblemDay {}))?
        .value;
    if separator == '年' && !cursor.eat('日') {
        return Err(unreadable(input, Message::DateProblemDayEnd {}));
    }
    if !cursor.at_end() {
        return Err(unreadable(input, Message::DateProblemTrailing {}));
    }
    Ok((month, day))
}

/// A number read from the input, and how many characters it took.
struct Number {
    value: u32,
    len: usize,
}

/// The value of a kanji digit (〇 to 九).
fn kanji_digit(c: char) -> Option<u32> {
    let value = match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    };
    Some(value)
}

/// The value of a kanji multiplier (十, 百).
fn kanji_multiplier(c: char) -> Option<u32> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        _ => None,
    }
}

/// Reads up to four ASCII digits, or a kanji numeral: positional (`二〇二五`)
/// or with multipliers (`三十一`, `六十四`, `十二`, `百`).
fn read_number(cursor: &mut Cursor<'_>) -> Option<Number> {
    let rest = &cursor.chars[cursor.pos..];
    let ascii = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if ascii > 0 {
        if ascii > 4 {
            return None;
        }
        let value = rest[..ascii]
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + c.to_digit(10)?))?;
        cursor.pos += ascii;
        return Some(Number { value, len: ascii });
    }
    let kanji = rest
        .iter()
        .take_while(|c| kanji_digit(**c).is_some() || kanji_multiplier(**c).is_some())
        .count();
    if kanji == 0 || kanji > 6 {
        return None;
    }
    let value = kanji_value(&rest[..kanji])?;
    cursor.pos += kanji;
    Some(Number { value, len: kanji })
}

/// The value of a kanji numeral, `None` when it is malformed (`十十`, `二二十`).
fn kanji_value(chars: &[char]) -> Option<u32> {
    if chars.iter().all(|c| kanji_digit(*c).is_some()) {
        return chars
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + kanji_digit(*c)?));
    }
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    let mut last_multiplier = u32::MAX;
    for &c in chars {
        if let Some(d) = kanji_digit(c) {
            if pending.is_some() {
                return None;
            }
            pending = Some(d);
        } else {
            let multiplier = kanji_multiplier(c)?;
            if multiplier >= last_multiplier || pending == Some(0) {
                return None;
            }
            total += pending.take().unwrap_or(1) * multiplier;
            last_multiplier = multiplier;
        }
    }
    Some(total + pending.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_iso;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        parse_iso(s).unwrap_or(Date::MIN)
    }

    fn message(result: Result<Date, ValueError>) -> String {
        match result {
            Err(ValueError::InvalidDate(m)) => m.text(),
            other => panic!("expected InvalidDate, got {other:?}"),
        }
    }

    /// Writes a number in kanji numerals with multipliers: 31 → 三十一.
    fn kanji(n: u32) -> String {
        const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        let mut out = String::new();
        let (hundreds, tens, ones) = (n / 100, n / 10 % 10, n % 10);
        if hundreds > 0 {
            if hundreds > 1 {
                out.push_str(DIGITS[hundreds as usize]);
            }
            out.push('百');
        }
        if tens > 0 {
            if tens > 1 {
                out.push_str(DIGITS[tens as usize]);
            }
            out.push('十');
        }
        if ones > 0 || n == 0 {
            out.push_str(DIGITS[ones as usize]);
        }
        out
    }

    #[test]
    fn era_boundaries() {
        for (iso, expected) in [
            ("1868-01-25", "明治元年1月25日"),
            ("1868-12-31", "明治元年12月31日"),
            ("1869-01-01", "明治2年1月1日"),
            ("1873-01-01", "明治6年1月1日"),
            ("1912-07-29", "明治45年7月29日"),
            ("1912-07-30", "大正元年7月30日"),
            ("1913-01-01", "大正2年1月1日"),
            ("1926-12-24", "大正15年12月24日"),
            ("1926-12-25", "昭和元年12月25日"),
            ("1926-12-31", "昭和元年12月31日"),
            ("1927-01-01", "昭和2年1月1日"),
            ("1989-01-07", "昭和64年1月7日"),
            ("1989-01-08", "平成元年1月8日"),
            ("1990-01-01", "平成2年1月1日"),
            ("2019-04-30", "平成31年4月30日"),
            ("2019-05-01", "令和元年5月1日"),
            ("2019-12-31", "令和元年12月31日"),
            ("2020-01-01", "令和2年1月1日"),
            ("2025-04-01", "令和7年4月1日"),
        ] {
            let w = to_wareki(d(iso));
            assert_eq!(w.map(|w| w.to_string()), Ok(expected.to_owned()), "{iso}");
            assert_eq!(parse_wareki(expected), Ok(d(iso)), "{expected}");
            assert_eq!(format_ja(d(iso)), expected);
        }
        for era in Era::ALL {
            let first = era.first_day();
            assert_eq!(to_wareki(first).map(|w| (w.era(), w.year())), Ok((era, 1)));
            if let Some(last) = era.last_day() {
                assert_eq!(to_wareki(last).map(|w| w.era()), Ok(era));
                assert_eq!(last.tomorrow().ok().and_then(Era::containing), era.next());
            }
        }
        assert_eq!(Era::Reiwa.last_day(), None);
        assert_eq!(Era::containing(d("1868-01-24")), None);
    }

    #[test]
    fn before_meiji_is_an_error() {
        let err = to_wareki(d("1868-01-24"));
        assert!(
            matches!(&err, Err(ValueError::InvalidDate(m)) if m.text().contains("明治より前")),
            "{err:?}"
        );
        assert_eq!(format_ja(d("1867-12-31")), "1867年12月31日");
        assert_eq!(format_ja_with_western(d("1867-12-31")), "1867年12月31日");
    }

    #[test]
    fn era_names_and_abbreviations() {
        let names: Vec<_> = Era::ALL.iter().map(|e| e.name_ja()).collect();
        assert_eq!(names, ["明治", "大正", "昭和", "平成", "令和"]);
        let letters: String = Era::ALL.iter().map(|e| e.abbreviation()).collect();
        assert_eq!(letters, "MTSHR");
        assert_eq!(Era::from_abbreviation('h'), Some(Era::Heisei));
        assert_eq!(Era::from_abbreviation('X'), None);
        assert_eq!(Era::from_name_ja("令和"), Some(Era::Reiwa));
        assert_eq!(Era::from_name_ja("昭"), Some(Era::Showa));
        assert_eq!(Era::from_name_ja("慶応"), None);
        assert_eq!(Era::Taisho.to_string(), "大正");
    }

    #[test]
    fn formats() {
        assert_eq!(format_ja(d("2025-04-01")), "令和7年4月1日");
        assert_eq!(
            format_ja_with_western(d("2025-04-01")),
            "令和7年（2025年）4月1日"
        );
        assert_eq!(
            format_ja_with_western(d("2019-05-01")),
            "令和元年（2019年）5月1日"
        );
        assert_eq!(
            to_wareki(d("1989-01-08")).map(Wareki::abbreviated),
            Ok("H01.01.08".into())
        );
        assert_eq!(
            to_wareki(d("2025-04-01")).map(Wareki::abbreviated),
            Ok("R07.04.01".into())
        );
        let w = to_wareki(d("2019-04-30"));
        assert_eq!(
            w.map(|w| (w.era(), w.year(), w.month(), w.day(), w.to_date())),
            Ok((Era::Heisei, 31, 4, 30, d("2019-04-30")))
        );
    }

    #[test]
    fn fiscal_years_are_named_in_the_new_era() {
        for (year, expected) in [
            (2025, "令和7年度"),
            (2020, "令和2年度"),
            (2019, "令和元年度"),
            (2018, "平成30年度"),
            (1989, "平成元年度"),
            (1988, "昭和63年度"),
            (1927, "昭和2年度"),
            (1912, "大正元年度"),
            (1868, "明治元年度"),
        ] {
            let fy = FiscalYear::new(year).map(format_fiscal_year_ja);
            assert_eq!(fy, Ok(expected.to_owned()), "{year}");
        }
    }

    #[test]
    fn accepted_inputs() {
        let check = |input: &str, iso: &str| {
            assert_eq!(parse_wareki(input), Ok(d(iso)), "{input}");
            assert_eq!(
                parse_date_input(input),
                Ok(d(iso)),
                "{input} as a form input"
            );
        };
        check("令和元年5月1日", "2019-05-01");
        check("令和1年5月1日", "2019-05-01");
        check("令和７年４月１日", "2025-04-01");
        check("令和七年四月一日", "2025-04-01");
        check("平成三十一年四月三十日", "2019-04-30");
        check("昭和六十四年一月七日", "1989-01-07");
        check("昭和元年十二月二十五日", "1926-12-25");
        check("昭和二十年八月十五日", "1945-08-15");
        check("平成十年十月十日", "1998-10-10");
        check("H1.1.8", "1989-01-08");
        check("h1.1.8", "1989-01-08");
        check("Ｈ１．１．８", "1989-01-08");
        check("ｈ１／１／８", "1989-01-08");
        check("R7.4.1", "2025-04-01");
        check("S64/1/7", "1989-01-07");
        check("T1-7-30", "1912-07-30");
        check("M45.7.29", "1912-07-29");
        check("平成1.1.8", "1989-01-08");
        check("R07.04.01", "2025-04-01");
        check("R元.5.1", "2019-05-01");
        check("H1年1月8日", "1989-01-08");
        check("平1.1.8", "1989-01-08");
        check("令和 7 年 4 月 1 日", "2025-04-01");
        check("　令和７年　４月　１日　", "2025-04-01");
        check(" R 7. 4. 1 ", "2025-04-01");
    }

    #[test]
    fn rejected_inputs_name_the_problem() {
        let check = |input: &str, expected: &str| {
            let m = message(parse_wareki(input));
            assert!(m.contains(expected), "{input}: {m}");
            let m = message(parse_date_input(input));
            assert!(m.contains(expected), "{input} as a form input: {m}");
        };
        check("令和0年5月1日", "令和0年はありません");
        check("R0.5.1", "令和0年はありません");
        check("平成31年5月1日", "平成31年5月1日は平成の期間外です");
        check(
            "平成元年1月7日",
            "平成元年1月7日は平成の期間外です（平成は1989年1月8日から2019年4月30日まで）",
        );
        check("昭和64年1月8日", "昭和64年1月8日は昭和の期間外です");
        check(
            "令和元年4月30日",
            "令和の期間外です（令和は2019年5月1日から）",
        );
        check("明治元年1月24日", "明治の期間外です");
        check("令和6年2月30日", "令和6年2月30日は存在しない日付です");
        check("令和5年2月29日", "令和5年2月29日は存在しない日付です");
        check("令和5年13月1日", "存在しない日付です");
        check("令和5年0月1日", "存在しない日付です");
        check("慶応3年1月1日", "「慶応」は扱える元号ではありません");
        check("X1.1.1", "「X」は扱える元号ではありません");
        check("こんにちは", "日付として読めません");
        check("令和", "年が読めません");
        check("令和7年", "月が読めません");
        check("令和7年4月", "日が読めません");
        check("令和7年4月1", "日の後に「日」が必要です");
        check("令和7年4月1日です", "余分な文字");
        check("R7.4/1", "月の後に「.」が必要です");
        check("令和十十年1月1日", "年が読めません");
        check("令和99999年1月1日", "年が読めません");
        check("令和8000年1月1日", "年が大きすぎます");
        check("", "日付が入力されていません");
        check("　 ", "日付が入力されていません");
        check(&"令".repeat(10_000), "入力が長すぎます");
        assert!(message(parse_wareki("2025-04-01")).contains("元号がありません"));
        assert!(message(parse_wareki("7年4月1日")).contains("元号がありません"));
    }

    #[test]
    fn western_form_inputs() {
        let check = |input: &str, iso: &str| {
            assert_eq!(parse_date_input(input), Ok(d(iso)), "{input}");
        };
        check("2025-04-01", "2025-04-01");
        check("2025/4/1", "2025-04-01");
        check("2025.4.1", "2025-04-01");
        check("2025年4月1日", "2025-04-01");
        check("20250401", "2025-04-01");
        check("２０２５－０４－０１", "2025-04-01");
        check("２０２５／４／１", "2025-04-01");
        check("２０２５年４月１日", "2025-04-01");
        check("２０２５０４０１", "2025-04-01");
        check("二〇二五年四月一日", "2025-04-01");
        check(" 2025 年 4 月 1 日 ", "2025-04-01");
        check("1867-12-31", "1867-12-31");
        for (input, expected) in [
            ("2023-02-29", "2023年2月29日は存在しない日付です"),
            ("20230229", "2023年2月29日は存在しない日付です"),
            ("25/4/1", "西暦の年は4桁"),
            ("2025401", "西暦の年は4桁"),
            ("2025-04-01x", "余分な文字"),
            ("0000-01-01", "存在しない日付です"),
        ] {
            let m = message(parse_date_input(input));
            assert!(m.contains(expected), "{input}: {m}");
        }
    }

    #[test]
    fn kanji_numerals() {
        for (text, value) in [
            ("〇", 0),
            ("一", 1),
            ("十", 10),
            ("十二", 12),
            ("二十", 20),
            ("三十一", 31),
            ("六十四", 64),
            ("百", 100),
            ("百二", 102),
            ("二百三十", 230),
            ("一〇", 10),
            ("二〇二五", 2025),
        ] {
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(kanji_value(&chars), Some(value), "{text}");
        }
        for text in ["十十", "二二十", "十百", "〇十", "百百"] {
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(kanji_value(&chars), None, "{text}");
        }
        for n in 0..1000 {
            let chars: Vec<char> = kanji(n).chars().collect();
            assert_eq!(kanji_value(&chars), Some(n), "{}", kanji(n));
        }
    }

    /// Every day from the first day of 明治 to the end of 2100, in every form
    /// that is written.
    #[test]
    fn every_day_round_trips() {
        let mut day = Era::Meiji.first_day();
        let last = d("2100-12-31");
        let mut count = 0;
        while day <= last {
            let Ok(w) = to_wareki(day) else {
                panic!("{day} has no wareki");
            };
            assert_eq!(parse_wareki(&w.to_string()), Ok(day), "{w}");
            assert_eq!(parse_wareki(&w.abbreviated()), Ok(day), "{w}");
            count += 1;
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        assert_eq!(count, 85_078);
    }

    fn any_day() -> impl Strategy<Value = Date> {
        (0i32..83_275).prop_map(|n| {
            d("1873-01-01")
                .checked_add(jiff::Span::new().days(n))
                .unwrap_or(Date::MIN)
        })
    }

    proptest! {
        #[test]
        fn display_round_trips(day in any_day()) {
            prop_assert!(day <= d("2100-12-31"));
            let w = to_wareki(day)?;
            prop_assert_eq!(parse_wareki(&w.to_string()), Ok(day));
            prop_assert_eq!(parse_date_input(&w.to_string()), Ok(day));
            prop_assert_eq!(parse_wareki(&format_ja(day)), Ok(day));
        }

        #[test]
        fn abbreviated_form_round_trips(day in any_day()) {
            let w = to_wareki(day)?;
            prop_assert_eq!(parse_wareki(&w.abbreviated()), Ok(day));
            let short = format!("{}{}.{}.{}", w.era().abbreviation().to_ascii_lowercase(), w.year(), w.month(), w.day());
            prop_assert_eq!(parse_wareki(&short), Ok(day));
        }

        #[test]
        fn kanji_form_round_trips(day in any_day()) {
            let w = to_wareki(day)?;
            let year = if w.year() == 1 { "元".to_owned() } else { kanji(u32::from(w.year())) };
            let text = format!("{}{}年{}月{}日", w.era(), year, kanji(u32::from(w.month())), kanji(u32::from(w.day())));
            prop_assert_eq!(parse_wareki(&text), Ok(day));
        }

        #[test]
        fn western_forms_round_trip(day in any_day()) {
            prop_assert_eq!(parse_date_input(&day.to_string()), Ok(day));
            prop_assert_eq!(parse_date_input(&day.strftime("%Y%m%d").to_string()), Ok(day));
            prop_assert_eq!(parse_date_input(&format!("{}年{}月{}日", day.year(), day.month(), day.day())), Ok(day));
        }

        #[test]
        fn parsers_never_panic(input in "\\PC{0,80}") {
            let _ = parse_wareki(&input);
            let _ = parse_date_input(&input);
        }

        #[test]
        fn date_like_inputs_never_panic(input in "[明大昭平令和元年月日MTSHR0-9０-９一二三十百〇./ -]{0,30}") {
            let _ = parse_wareki(&input);
            let _ = parse_date_input(&input);
        }
    }
}
