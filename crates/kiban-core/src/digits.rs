//! Reading numeric codes as typed by people: full-width digits are accepted,
//! and spaces and hyphens are ignored where a code allows them.

use crate::ValueError;

/// Reads a string of decimal digits, accepting full-width digits (０–９) and
/// ignoring spaces (half and full width) and hyphens (`-`, `ー`, `－`, `‐`).
/// Returns the digits as numbers from the most significant one.
pub fn read_digits(input: &str, expected_len: usize) -> Result<Vec<u8>, ValueError> {
    let mut digits = Vec::with_capacity(expected_len);
    let mut saw_anything = false;
    for ch in input.chars() {
        match ch {
            ' ' | '\u{3000}' | '-' | 'ー' | '－' | '‐' | '−' => {}
            '0'..='9' => {
                saw_anything = true;
                digits.push(ch as u8 - b'0');
            }
            '０'..='９' => {
                saw_anything = true;
                digits.push((ch as u32 - '０' as u32) as u8);
            }
            _ => return Err(ValueError::InvalidCharacter),
        }
        if digits.len() > expected_len {
            return Err(ValueError::WrongLength {
                expected: expected_len,
            });
        }
    }
    if !saw_anything {
        return Err(ValueError::Empty);
    }
    if digits.len() != expected_len {
        return Err(ValueError::WrongLength {
            expected: expected_len,
        });
    }
    Ok(digits)
}

/// Writes digits back as an ASCII string.
pub fn to_string(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_spaces_and_hyphens_are_accepted() {
        assert_eq!(read_digits("１２-3 4", 4), Ok(vec![1, 2, 3, 4]));
    }

    #[test]
    fn wrong_inputs_are_named() {
        assert_eq!(read_digits("", 3), Err(ValueError::Empty));
        assert_eq!(read_digits("  ", 3), Err(ValueError::Empty));
        assert_eq!(
            read_digits("12", 3),
            Err(ValueError::WrongLength { expected: 3 })
        );
        assert_eq!(
            read_digits("1234", 3),
            Err(ValueError::WrongLength { expected: 3 })
        );
        assert_eq!(read_digits("12a", 3), Err(ValueError::InvalidCharacter));
    }
}
