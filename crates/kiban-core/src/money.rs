//! Money: whole yen, with every rounding rule named.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount of money in whole yen (円). Negative amounts exist (refunds,
/// credits); arithmetic is checked against overflow by the use of `i64`,
/// which holds any amount a municipality handles.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yen(i64);

impl Yen {
    /// Zero yen.
    pub const ZERO: Yen = Yen(0);

    /// An amount in yen.
    pub const fn new(amount: i64) -> Self {
        Self(amount)
    }

    /// The amount as an integer number of yen.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Truncates towards zero to a multiple of `unit` (切り捨て), e.g.
    /// `truncate_to(1000)` for 課税標準 (1,000円未満切捨て) and `truncate_to(100)`
    /// for tax amounts (100円未満切捨て).
    pub const fn truncate_to(self, unit: i64) -> Self {
        Self(self.0 / unit * unit)
    }

    /// Rounds up to a multiple of `unit` (切り上げ), for amounts ≥ 0.
    pub const fn round_up_to(self, unit: i64) -> Self {
        Self((self.0 + unit - 1).div_euclid(unit) * unit)
    }

    /// The larger of the amount and zero.
    pub fn at_least_zero(self) -> Self {
        Self(self.0.max(0))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Self) -> Self {
        Self(self.0.min(other.0))
    }

    /// The larger of two amounts.
    pub fn max(self, other: Self) -> Self {
        Self(self.0.max(other.0))
    }

    /// Formats with thousands separators and the unit: `1,234,567円`.
    pub fn display_ja(self) -> String {
        format!("{}円", group_thousands(self.0))
    }
}

/// Formats an integer with comma thousands separators: `-1,234,567`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl fmt::Debug for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}円", self.0)
    }
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_ja())
    }
}

impl Add for Yen {
    type Output = Yen;
    fn add(self, rhs: Yen) -> Yen {
        Yen(self.0 + rhs.0)
    }
}

impl Sub for Yen {
    type Output = Yen;
    fn sub(self, rhs: Yen) -> Yen {
        Yen(self.0 - rhs.0)
    }
}

impl AddAssign for Yen {
    fn add_assign(&mut self, rhs: Yen) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Yen {
    fn sub_assign(&mut self, rhs: Yen) {
        self.0 -= rhs.0;
    }
}

impl Neg for Yen {
    type Output = Yen;
    fn neg(self) -> Yen {
        Yen(-self.0)
    }
}

impl Sum for Yen {
    fn sum<I: Iterator<Item = Yen>>(iter: I) -> Yen {
        Yen(iter.map(|y| y.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundings() {
        assert_eq!(Yen::new(1_970_999).truncate_to(1000), Yen::new(1_970_000));
        assert_eq!(Yen::new(151_699).truncate_to(100), Yen::new(151_600));
        assert_eq!(Yen::new(999).truncate_to(1000), Yen::ZERO);
        assert_eq!(Yen::new(1001).round_up_to(1000), Yen::new(2000));
        assert_eq!(Yen::new(1000).round_up_to(1000), Yen::new(1000));
        assert_eq!(Yen::new(0).round_up_to(1000), Yen::ZERO);
    }

    #[test]
    fn display() {
        assert_eq!(Yen::new(1_234_567).to_string(), "1,234,567円");
        assert_eq!(Yen::new(-1000).to_string(), "-1,000円");
        assert_eq!(Yen::new(999).to_string(), "999円");
        assert_eq!(group_thousands(100_000), "100,000");
    }
}
