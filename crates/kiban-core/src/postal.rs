//! 郵便番号.

use std::fmt;

use crate::ValueError;
use crate::digits::{read_digits, to_string};

/// 郵便番号: seven digits, shown as `123-4567`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses `1234567`, `123-4567` or their full-width forms; a leading `〒`
    /// is ignored.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim().trim_start_matches('〒');
        read_digits(trimmed, 7).map(|d| Self(to_string(&d)))
    }

    /// The seven digits without a hyphen, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as printed on mail: `123-4567`.
    pub fn hyphenated(&self) -> String {
        format!("{}-{}", &self.0[..3], &self.0[3..])
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hyphenated())
    }
}

impl fmt::Debug for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_people_type() {
        for input in ["1000001", "100-0001", "〒１００－０００１", " 100 0001 "] {
            assert_eq!(
                PostalCode::parse(input).map(|p| p.hyphenated()),
                Ok("100-0001".into()),
                "{input}"
            );
        }
        assert_eq!(
            PostalCode::parse("100-001"),
            Err(ValueError::WrongLength { expected: 7 })
        );
        assert_eq!(PostalCode::parse("〒"), Err(ValueError::Empty));
        assert_eq!(PostalCode::parse("abc"), Err(ValueError::InvalidCharacter));
    }
}
