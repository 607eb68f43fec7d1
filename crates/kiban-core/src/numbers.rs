//! Identification numbers with check digits: 個人番号, 住民票コード, 法人番号,
//! 保険者番号, and the shared machinery that validates them.

use std::fmt;

use crate::digits::{read_digits, to_string};
use crate::{Message, ValueError};

/// Where a scheme keeps its check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPosition {
    /// The last digit (個人番号, 住民票コード, 保険者番号, 団体コード).
    Last,
    /// The first digit (法人番号).
    First,
}

/// A numbering scheme: its length, where the check digit sits and how it is
/// computed from the other digits.
#[derive(Debug, Clone, Copy)]
pub struct Scheme {
    /// Total number of digits, check digit included.
    pub len: usize,
    /// Position of the check digit.
    pub check_position: CheckPosition,
    /// Computes the check digit from the base digits (most significant first).
    pub compute: fn(&[u8]) -> u8,
}

impl Scheme {
    /// Parses a full number of this scheme, checking its check digit.
    pub fn parse(&self, input: &str) -> Result<Vec<u8>, ValueError> {
        let digits = read_digits(input, self.len)?;
        let (base, given) = self.split(&digits);
        let expected = (self.compute)(base);
        if expected != given {
            return Err(ValueError::CheckDigit { expected });
        }
        Ok(digits)
    }

    /// Completes a base number (without its check digit) into the full number.
    pub fn complete(&self, base_input: &str) -> Result<(u8, String), ValueError> {
        let base = read_digits(base_input, self.len - 1)?;
        let check = (self.compute)(&base);
        let full = match self.check_position {
            CheckPosition::Last => format!("{}{}", to_string(&base), check),
            CheckPosition::First => format!("{}{}", check, to_string(&base)),
        };
        Ok((check, full))
    }

    fn split<'a>(&self, digits: &'a [u8]) -> (&'a [u8], u8) {
        match self.check_position {
            CheckPosition::Last => (&digits[..self.len - 1], digits[self.len - 1]),
            CheckPosition::First => (&digits[1..], digits[0]),
        }
    }
}

/// Modulus 11 with weights 2, 3, 4, 5, 6, 7 repeating from the right; a
/// remainder of 0 or 1 gives 0. Used by 個人番号 (行政手続における特定の個人を識別
/// するための番号の利用等に関する法律施行令 第8条) and 住民票コード.
fn modulus11_weights_2_to_7(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| u32::from(d) * (n as u32 % 6 + 2))
        .sum();
    let remainder = sum % 11;
    if remainder <= 1 {
        0
    } else {
        (11 - remainder) as u8
    }
}

/// 法人番号: 9 − (Σ Pn × Qn mod 9), Qn = 1 for odd n and 2 for even n counted
/// from the right (法人番号の指定等に関する省令 第2条).
fn corporate_check(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| u32::from(d) * if n % 2 == 0 { 1 } else { 2 })
        .sum();
    (9 - sum % 9) as u8
}

/// 保険者番号: from the right, digits are multiplied by 2, 1, 2, …; the digits
/// of the products are summed; the check digit is 10 minus the last digit of
/// that sum (0 when the sum ends in 0).
fn insurer_check(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| {
            let product = u32::from(d) * if n % 2 == 0 { 2 } else { 1 };
            product / 10 + product % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// 全国地方公共団体コード: weights 6, 5, 4, 3, 2 on the five digits; 11 minus
/// the remainder mod 11, where 10 gives 0 and 11 gives 1.
fn municipality_check(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

/// 個人番号: 12 digits, check digit last.
pub const INDIVIDUAL_NUMBER: Scheme = Scheme {
    len: 12,
    check_position: CheckPosition::Last,
    compute: modulus11_weights_2_to_7,
};
/// 住民票コード: 11 digits, check digit last.
pub const RESIDENT_RECORD_CODE: Scheme = Scheme {
    len: 11,
    check_position: CheckPosition::Last,
    compute: modulus11_weights_2_to_7,
};
/// 法人番号: 13 digits, check digit first.
pub const CORPORATE_NUMBER: Scheme = Scheme {
    len: 13,
    check_position: CheckPosition::First,
    compute: corporate_check,
};
/// 保険者番号: 8 digits, check digit last.
pub const INSURER_NUMBER: Scheme = Scheme {
    len: 8,
    check_position: CheckPosition::Last,
    compute: insurer_check,
};
/// 全国地方公共団体コード: 6 digits, check digit last.
pub const MUNICIPALITY_CODE: Scheme = Scheme {
    len: 6,
    check_position: CheckPosition::Last,
    compute: municipality_check,
};

macro_rules! checked_number {
    ($(#[$doc:meta])* $name:ident, $scheme:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses the number, accepting full-width digits and ignoring
            /// spaces and hyphens, and checks its check digit.
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                $scheme.parse(input).map(|d| Self(to_string(&d)))
            }

            /// The number as ASCII digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

checked_number!(
    /// 個人番号 (マイナンバー): 12 digits with a check digit. Its `Debug` output
    /// is masked so that it cannot leak into logs by accident.
    IndividualNumber,
    INDIVIDUAL_NUMBER
);
checked_number!(
    /// 住民票コード: the 11-digit national code of a resident record.
    ResidentRecordCode,
    RESIDENT_RECORD_CODE
);
checked_number!(
    /// 法人番号: 13 digits, the check digit first.
    CorporateNumber,
    CORPORATE_NUMBER
);
checked_number!(
    /// 保険者番号: 8 digits with a check digit.
    InsurerNumber,
    INSURER_NUMBER
);

impl IndividualNumber {
    /// The number masked for display: only the last four digits are shown.
    pub fn masked(&self) -> String {
        format!("********{}", &self.0[8..])
    }
}

impl fmt::Debug for IndividualNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndividualNumber({})", self.masked())
    }
}

impl ResidentRecordCode {
    /// Builds a code from a 10-digit serial, appending its check digit.
    pub fn from_serial(serial: u64) -> Result<Self, ValueError> {
        if serial >= 10_000_000_000 {
            return Err(ValueError::out_of_range(Message::ValueText {
                text: serial.to_string(),
            }));
        }
        let (_, full) = RESIDENT_RECORD_CODE.complete(&format!("{serial:010}"))?;
        Ok(Self(full))
    }
}

macro_rules! plain_debug_display {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
plain_debug_display!(ResidentRecordCode, CorporateNumber, InsurerNumber);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn individual_number_examples() {
        // The example of the contract (api-v1.md) and a number from the
        // published specification's test data.
        assert!(IndividualNumber::parse("123456789018").is_ok());
        assert_eq!(
            IndividualNumber::parse("123456789012"),
            Err(ValueError::CheckDigit { expected: 8 })
        );
        assert!(IndividualNumber::parse("1234 5678 9018").is_ok());
        assert!(IndividualNumber::parse("１２３４５６７８９０１８").is_ok());
        assert_eq!(
            IndividualNumber::parse("12345678901"),
            Err(ValueError::WrongLength { expected: 12 })
        );
    }

    #[test]
    fn individual_number_is_masked_in_debug() {
        let n = IndividualNumber::parse("123456789018").ok();
        let shown = format!("{n:?}");
        assert!(!shown.contains("12345678"), "{shown}");
        assert!(shown.contains("9018"));
    }

    #[test]
    fn corporate_number_examples() {
        // 国税庁 publishes 7000012050002 (国税庁's own 法人番号) and
        // 4000012090001 (法務省).
        assert!(CorporateNumber::parse("7000012050002").is_ok());
        assert!(CorporateNumber::parse("4000012090001").is_ok());
        assert_eq!(
            CorporateNumber::parse("8000012050002"),
            Err(ValueError::CheckDigit { expected: 7 })
        );
        assert_eq!(
            CORPORATE_NUMBER.complete("000012050002").map(|x| x.0),
            Ok(7)
        );
    }

    #[test]
    fn insurer_number_examples() {
        // 全国健康保険協会 東京支部 01130012; 組合 06139950 (from the 法別番号 table).
        assert!(InsurerNumber::parse("01130012").is_ok());
        assert!(InsurerNumber::parse("01130013").is_err());
        assert!(InsurerNumber::parse("39131156").is_ok());
    }

    #[test]
    fn municipality_code_scheme() {
        for (base, check) in [
            ("13101", 6),
            ("01228", 9),
            ("99001", 9),
            ("01101", 1),
            ("01100", 2),
        ] {
            assert_eq!(
                MUNICIPALITY_CODE.complete(base).map(|x| x.0),
                Ok(check),
                "{base}"
            );
        }
    }

    #[test]
    fn resident_record_code_from_serial() {
        let code = ResidentRecordCode::from_serial(1).ok();
        let code = code.map(|c| c.as_str().to_owned()).unwrap_or_default();
        assert_eq!(code.len(), 11);
        assert!(ResidentRecordCode::parse(&code).is_ok());
        assert!(ResidentRecordCode::from_serial(10_000_000_000).is_err());
    }

    proptest! {
        #[test]
        fn completed_numbers_parse(base in "[0-9]{11}", corp in "[0-9]{12}", ins in "[0-9]{7}") {
            let (_, full) = INDIVIDUAL_NUMBER.complete(&base).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(IndividualNumber::parse(&full).is_ok());
            let (_, full) = CORPORATE_NUMBER.complete(&corp).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(CorporateNumber::parse(&full).is_ok());
            let (_, full) = INSURER_NUMBER.complete(&ins).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(InsurerNumber::parse(&full).is_ok());
        }

        #[test]
        fn a_changed_digit_is_caught(base in "[0-9]{11}", pos in 0usize..12, delta in 1u8..10) {
            let (_, full) = INDIVIDUAL_NUMBER.complete(&base).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut bytes = full.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // Modulus 11 catches every single-digit change except where the
            // two check values collide on 0 (remainders 0 and 1).
            if let Ok(n) = IndividualNumber::parse(&changed) {
                let (check, _) = INDIVIDUAL_NUMBER.complete(&n.as_str()[..11]).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(check, 0);
            }
        }
    }
}
