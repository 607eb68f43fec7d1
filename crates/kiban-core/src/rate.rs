//! Rates as exact decimal fractions.
//!
//! Rates travel as decimal strings (`"0.0961"` for 9.61%) and are applied to
//! yen with integer arithmetic, so no binary floating point ever touches money.

use std::fmt;

use crate::money::Yen;
use crate::{Message, ValueError};

/// A non-negative rate held exactly as `numerator / 10^scale`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    numerator: i64,
    scale: u32,
}

/// The most decimal places a rate may have.
const MAX_SCALE: u32 = 12;

impl Rate {
    /// Zero.
    pub const ZERO: Rate = Rate {
        numerator: 0,
        scale: 0,
    };

    /// Parses a decimal string such as `"0.0961"`, `"0.06"` or `"1"`.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ValueError::Empty);
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(ValueError::InvalidCharacter);
        }
        if s.ends_with('.') {
            return Err(ValueError::InvalidCharacter);
        }
        let scale = frac_part.len() as u32;
        if scale > MAX_SCALE || int_part.len() > 6 {
            return Err(ValueError::out_of_range(Message::ValueText {
                text: s.to_owned(),
            }));
        }
        let numerator = format!("{int_part}{frac_part}")
            .parse::<i64>()
            .map_err(|_| ValueError::out_of_range(Message::ValueText { text: s.to_owned() }))?;
        Ok(Self { numerator, scale }.reduced())
    }

    /// A rate of `numerator / 10^scale`.
    pub fn from_parts(numerator: i64, scale: u32) -> Result<Self, ValueError> {
        if numerator < 0 || scale > MAX_SCALE {
            return Err(ValueError::out_of_range(Message::ValueText {
                text: format!("{numerator}e-{scale}"),
            }));
        }
        Ok(Self { numerator, scale }.reduced())
    }

    fn reduced(mut self) -> Self {
        while self.scale > 0 && self.numerator % 10 == 0 {
            self.numerator /= 10;
            self.scale -= 1;
        }
        self
    }

    fn denominator(self) -> i128 {
        10i128.pow(self.scale)
    }

    /// Whether the rate is zero.
    pub fn is_zero(self) -> bool {
        self.numerator == 0
    }

    /// `amount × rate`, truncated towards zero to whole yen (円未満切捨て).
    pub fn apply_truncating(self, amount: Yen) -> Yen {
        let product = i128::from(amount.get()) * i128::from(self.numerator);
        Yen::new((product / self.denominator()) as i64)
    }

    /// `amount × rate`, rounded half up to whole yen (四捨五入), for amounts ≥ 0.
    pub fn apply_rounding_half_up(self, amount: Yen) -> Yen {
        let product = i128::from(amount.get()) * i128::from(self.numerator);
        let d = self.denominator();
        Yen::new(((product * 2 + d) / (2 * d)) as i64)
    }

    /// `amount × rate`, rounded up to whole yen (円未満切上げ), for amounts ≥ 0.
    pub fn apply_rounding_up(self, amount: Yen) -> Yen {
        let product = i128::from(amount.get()) * i128::from(self.numerator);
        let d = self.denominator();
        Yen::new(((product + d - 1) / d) as i64)
    }

    /// The sum of two rates.
    pub fn plus(self, other: Rate) -> Rate {
        let scale = self.scale.max(other.scale);
        let a = self.numerator * 10i64.pow(scale - self.scale);
        let b = other.numerator * 10i64.pow(scale - other.scale);
        Rate {
            numerator: a + b,
            scale,
        }
        .reduced()
    }

    /// The complement `1 − rate`, or zero when the rate is 1 or more.
    pub fn complement(self) -> Rate {
        let one = 10i64.pow(self.scale);
        Rate {
            numerator: (one - self.numerator).max(0),
            scale: self.scale,
        }
        .reduced()
    }

    /// The rate as a percentage string for people: `9.61%`.
    pub fn percent(self) -> String {
        let hundredths = Rate {
            numerator: self.numerator,
            scale: self.scale.saturating_sub(2),
        };
        if self.scale < 2 {
            let factor = 10i64.pow(2 - self.scale);
            return format!("{}%", self.numerator * factor);
        }
        format!("{}%", hundredths)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.numerator);
        }
        let d = 10i64.pow(self.scale);
        write!(
            f,
            "{}.{:0width$}",
            self.numerator / d,
            self.numerator % d,
            width = self.scale as usize
        )
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rate({self})")
    }
}

impl std::str::FromStr for Rate {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Rate {
        Rate::parse(s).unwrap_or(Rate::ZERO)
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(r("0.0961").to_string(), "0.0961");
        assert_eq!(r("0.060").to_string(), "0.06");
        assert_eq!(r("1").to_string(), "1");
        assert_eq!(r("0.0961").percent(), "9.61%");
        assert_eq!(r("0.06").percent(), "6%");
        assert_eq!(r("0.02025").percent(), "2.025%");
        for bad in ["", "-0.1", "0.", ".5", "1e3", "0,1", "０.１"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn application() {
        assert_eq!(
            r("0.06").apply_truncating(Yen::new(1_970_000)),
            Yen::new(118_200)
        );
        assert_eq!(
            r("0.0961").apply_truncating(Yen::new(70_000)),
            Yen::new(6727)
        );
        assert_eq!(r("0.5").apply_rounding_half_up(Yen::new(3)), Yen::new(2));
        assert_eq!(r("0.3").apply_rounding_up(Yen::new(10)), Yen::new(3));
        assert_eq!(r("0.3").apply_rounding_up(Yen::new(11)), Yen::new(4));
        assert_eq!(r("0.7").complement(), r("0.3"));
        assert_eq!(r("0.06").plus(r("0.04")), r("0.1"));
    }
}
