//! 全国地方公共団体コード: the tenant key of the shared service.

use std::fmt;

use crate::ValueError;
use crate::numbers::MUNICIPALITY_CODE;

/// 全国地方公共団体コード: six digits, the last a check digit (e.g. `131016`
/// for 千代田区). Every tenant table is keyed on it first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MunicipalityCode([u8; 6]);

impl MunicipalityCode {
    /// Parses a six-digit code and checks its check digit.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let digits = MUNICIPALITY_CODE.parse(input)?;
        let mut code = [0u8; 6];
        for (slot, d) in code.iter_mut().zip(digits) {
            *slot = b'0' + d;
        }
        Ok(Self(code))
    }

    /// The code as six ASCII digits.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// The two-digit prefecture part (01 北海道 … 47 沖縄県).
    pub fn prefecture_number(&self) -> u8 {
        (self.0[0] - b'0') * 10 + (self.0[1] - b'0')
    }

    /// Completes a five-digit code with its check digit.
    pub fn from_five_digits(base: &str) -> Result<Self, ValueError> {
        let (_, full) = MUNICIPALITY_CODE.complete(base)?;
        Self::parse(&full)
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MunicipalityCode({})", self.as_str())
    }
}

impl std::str::FromStr for MunicipalityCode {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chiyoda_and_the_demo_city() {
        assert_eq!(
            MunicipalityCode::parse("131016").map(|c| c.to_string()),
            Ok("131016".into())
        );
        assert_eq!(
            MunicipalityCode::parse("131017"),
            Err(ValueError::CheckDigit { expected: 6 })
        );
        assert!(MunicipalityCode::parse("990019").is_ok());
        assert!(MunicipalityCode::parse("012289").is_ok());
        assert_eq!(
            MunicipalityCode::parse("13101"),
            Err(ValueError::WrongLength { expected: 6 })
        );
        assert_eq!(MunicipalityCode::parse(""), Err(ValueError::Empty));
        assert_eq!(
            MunicipalityCode::parse("13101x"),
            Err(ValueError::InvalidCharacter)
        );
    }

    #[test]
    fn every_five_digit_base_has_exactly_one_valid_code() {
        for base in 0..100_000u32 {
            let base = format!("{base:05}");
            let valid: Vec<_> = (0..10)
                .filter(|c| MunicipalityCode::parse(&format!("{base}{c}")).is_ok())
                .collect();
            assert_eq!(valid.len(), 1, "{base}");
        }
    }

    #[test]
    fn prefecture() {
        let code = MunicipalityCode::from_five_digits("27100").ok();
        assert_eq!(code.map(|c| c.prefecture_number()), Some(27));
    }
}
