//! Formatting amounts for the working without allocating: the working of a
//! calculation writes dozens of amounts, and these wrappers write digits
//! straight into the formatter.

use std::fmt;

use kiban_core::Yen;

/// An integer with comma thousands separators: `1,234,567`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thousands(pub i64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n < 0 {
            f.write_str("-")?;
        }
        let mut rest = n.unsigned_abs();
        let mut groups = [0u16; 7];
        let mut count = 0;
        loop {
            groups[count] = (rest % 1000) as u16;
            rest /= 1000;
            count += 1;
            if rest == 0 {
                break;
            }
        }
        write!(f, "{}", groups[count - 1])?;
        for group in groups[..count - 1].iter().rev() {
            write!(f, ",{group:03}")?;
        }
        Ok(())
    }
}

/// An amount of yen as people read it: `1,234,567円`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JaYen(pub Yen);

impl fmt::Display for JaYen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}円", Thousands(self.0.get()))
    }
}

/// `yen.ja()`: the amount formatted as [`JaYen`].
pub trait YenJa {
    /// The amount as `1,234,567円`.
    fn ja(self) -> JaYen;
}

impl YenJa for Yen {
    fn ja(self) -> JaYen {
        JaYen(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_the_core_formatting() {
        for n in [
            0,
            7,
            999,
            1000,
            1001,
            999_999,
            1_000_000,
            1_234_567,
            -1000,
            -1_234_567,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(
                Thousands(n).to_string(),
                kiban_core::money::group_thousands(n),
                "{n}"
            );
            assert_eq!(
                Yen::new(n).ja().to_string(),
                Yen::new(n).display_ja(),
                "{n}"
            );
        }
    }
}
