//! GS1-128 symbols (Code 128 with FNC1 in first position, ISO/IEC 15417 and
//! the GS1 General Specifications §5.4), for the convenience-store barcode
//! of payment slips (コンビニ収納用バーコード, contract `collection-v1`).
//!
//! Only what the slips need: element strings of digits, an even number of
//! them, encoded entirely in code set C (two digits a symbol character).
//! The symbol is Start C, FNC1, the digit pairs, the symbol check character
//! and Stop; it is drawn as an SVG path of its bars.

use std::fmt::Write;

/// The bar and space widths (in modules) of the Code 128 symbol characters
/// 0–105, bar first: each has three bars and three spaces, eleven modules in
/// all (ISO/IEC 15417, table 1).
const PATTERNS: [[u8; 6]; 106] = [
    [2, 1, 2, 2, 2, 2],
    [2, 2, 2, 1, 2, 2],
    [2, 2, 2, 2, 2, 1],
    [1, 2, 1, 2, 2, 3],
    [1, 2, 1, 3, 2, 2],
    [1, 3, 1, 2, 2, 2],
    [1, 2, 2, 2, 1, 3],
    [1, 2, 2, 3, 1, 2],
    [1, 3, 2, 2, 1, 2],
    [2, 2, 1, 2, 1, 3],
    [2, 2, 1, 3, 1, 2],
    [2, 3, 1, 2, 1, 2],
    [1, 1, 2, 2, 3, 2],
    [1, 2, 2, 1, 3, 2],
    [1, 2, 2, 2, 3, 1],
    [1, 1, 3, 2, 2, 2],
    [1, 2, 3, 1, 2, 2],
    [1, 2, 3, 2, 2, 1],
    [2, 2, 3, 2, 1, 1],
    [2, 2, 1, 1, 3, 2],
    [2, 2, 1, 2, 3, 1],
    [2, 1, 3, 2, 1, 2],
    [2, 2, 3, 1, 1, 2],
    [3, 1, 2, 1, 3, 1],
    [3, 1, 1, 2, 2, 2],
    [3, 2, 1, 1, 2, 2],
    [3, 2, 1, 2, 2, 1],
    [3, 1, 2, 2, 1, 2],
    [3, 2, 2, 1, 1, 2],
    [3, 2, 2, 2, 1, 1],
    [2, 1, 2, 1, 2, 3],
    [2, 1, 2, 3, 2, 1],
    [2, 3, 2, 1, 2, 1],
    [1, 1, 1, 3, 2, 3],
    [1, 3, 1, 1, 2, 3],
    [1, 3, 1, 3, 2, 1],
    [1, 1, 2, 3, 1, 3],
    [1, 3, 2, 1, 1, 3],
    [1, 3, 2, 3, 1, 1],
    [2, 1, 1, 3, 1, 3],
    [2, 3, 1, 1, 1, 3],
    [2, 3, 1, 3, 1, 1],
    [1, 1, 2, 1, 3, 3],
    [1, 1, 2, 3, 3, 1],
    [1, 3, 2, 1, 3, 1],
    [1, 1, 3, 1, 2, 3],
    [1, 1, 3, 3, 2, 1],
    [1, 3, 3, 1, 2, 1],
    [3, 1, 3, 1, 2, 1],
    [2, 1, 1, 3, 3, 1],
    [2, 3, 1, 1, 3, 1],
    [2, 1, 3, 1, 1, 3],
    [2, 1, 3, 3, 1, 1],
    [2, 1, 3, 1, 3, 1],
    [3, 1, 1, 1, 2, 3],
    [3, 1, 1, 3, 2, 1],
    [3, 3, 1, 1, 2, 1],
    [3, 1, 2, 1, 1, 3],
    [3, 1, 2, 3, 1, 1],
    [3, 3, 2, 1, 1, 1],
    [3, 1, 4, 1, 1, 1],
    [2, 2, 1, 4, 1, 1],
    [4, 3, 1, 1, 1, 1],
    [1, 1, 1, 2, 2, 4],
    [1, 1, 1, 4, 2, 2],
    [1, 2, 1, 1, 2, 4],
    [1, 2, 1, 4, 2, 1],
    [1, 4, 1, 1, 2, 2],
    [1, 4, 1, 2, 2, 1],
    [1, 1, 2, 2, 1, 4],
    [1, 1, 2, 4, 1, 2],
    [1, 2, 2, 1, 1, 4],
    [1, 2, 2, 4, 1, 1],
    [1, 4, 2, 1, 1, 2],
    [1, 4, 2, 2, 1, 1],
    [2, 4, 1, 2, 1, 1],
    [2, 2, 1, 1, 1, 4],
    [4, 1, 3, 1, 1, 1],
    [2, 4, 1, 1, 1, 2],
    [1, 3, 4, 1, 1, 1],
    [1, 1, 1, 2, 4, 2],
    [1, 2, 1, 1, 4, 2],
    [1, 2, 1, 2, 4, 1],
    [1, 1, 4, 2, 1, 2],
    [1, 2, 4, 1, 1, 2],
    [1, 2, 4, 2, 1, 1],
    [4, 1, 1, 2, 1, 2],
    [4, 2, 1, 1, 1, 2],
    [4, 2, 1, 2, 1, 1],
    [2, 1, 2, 1, 4, 1],
    [2, 1, 4, 1, 2, 1],
    [4, 1, 2, 1, 2, 1],
    [1, 1, 1, 1, 4, 3],
    [1, 1, 1, 3, 4, 1],
    [1, 3, 1, 1, 4, 1],
    [1, 1, 4, 1, 1, 3],
    [1, 1, 4, 3, 1, 1],
    [4, 1, 1, 1, 1, 3],
    [4, 1, 1, 3, 1, 1],
    [1, 1, 3, 1, 4, 1],
    [1, 1, 4, 1, 3, 1],
    [3, 1, 1, 1, 4, 1],
    [4, 1, 1, 1, 3, 1],
    [2, 1, 1, 4, 1, 2],
    [2, 1, 1, 2, 1, 4],
    [2, 1, 1, 2, 3, 2],
];

/// The Stop character: four bars and three spaces, thirteen modules
/// (the stop pattern and its final bar).
const STOP: [u8; 7] = [2, 3, 3, 1, 1, 1, 2];

/// Symbol character value of FNC1 (in every code set).
const FNC1: u8 = 102;
/// Symbol character value of Start C.
const START_C: u8 = 105;

/// The quiet zone on each side of a Code 128 symbol, in modules (at least
/// ten times the module width).
pub(crate) const QUIET_ZONE: usize = 10;

/// The most data characters a GS1-128 symbol may hold (GS1 General
/// Specifications: 48, FNC1 excluded).
pub const MAX_DIGITS: usize = 48;

/// Why an element string cannot be drawn as a GS1-128 symbol here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// Empty, odd in length, or longer than [`MAX_DIGITS`].
    #[error("an even number of 2 to 48 digits expected, got {0}")]
    Length(usize),
    /// A character other than an ASCII digit.
    #[error("position {0} is not a digit")]
    NotDigit(usize),
}

/// A GS1-128 symbol of digits, in code set C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs1_128 {
    values: Vec<u8>,
}

impl Gs1_128 {
    /// The symbol of an element string of digits (AI included, e.g. the 44
    /// digits of a convenience-store barcode starting with AI `91`).
    pub fn new(digits: &str) -> Result<Self, SymbolError> {
        let length = digits.len();
        if length == 0 || !length.is_multiple_of(2) || length > MAX_DIGITS {
            return Err(SymbolError::Length(length));
        }
        if let Some(index) = digits.bytes().position(|byte| !byte.is_ascii_digit()) {
            return Err(SymbolError::NotDigit(index + 1));
        }
        let mut values = Vec::with_capacity(length / 2 + 4);
        values.push(START_C);
        values.push(FNC1);
        values.extend(
            digits
                .as_bytes()
                .chunks(2)
                .map(|pair| (pair[0] - b'0') * 10 + (pair[1] - b'0')),
        );
        // The symbol check character: the start value plus each following
        // value times its position (FNC1 is position 1), modulo 103.
        let sum = values
            .iter()
            .enumerate()
            .map(|(position, &value)| position.max(1) as u32 * u32::from(value))
            .sum::<u32>();
        // Below 103: fits a byte.
        values.push((sum % 103) as u8);
        Ok(Self { values })
    }

    /// The symbol character values: Start C (105), FNC1 (102), the digit
    /// pairs, the check character. The Stop character is not listed.
    pub fn symbol_values(&self) -> &[u8] {
        &self.values
    }

    /// The widths of the elements, bar first and alternating, from the
    /// start character to the end of the stop pattern, without quiet zones.
    pub fn element_widths(&self) -> Vec<u8> {
        let mut widths = Vec::with_capacity(self.values.len() * 6 + STOP.len());
        for &value in &self.values {
            widths.extend_from_slice(&PATTERNS[usize::from(value)]);
        }
        widths.extend_from_slice(&STOP);
        widths
    }

    /// The width of the symbol in modules, without quiet zones: eleven for
    /// each character and thirteen for Stop.
    pub fn modules(&self) -> usize {
        self.values.len() * 11 + 13
    }

    /// The bars as SVG, one user unit a module, `height` modules high, with
    /// the quiet zone of [`QUIET_ZONE`] modules on each side.
    pub(crate) fn svg(&self, height: usize) -> String {
        let width = self.modules() + 2 * QUIET_ZONE;
        let mut path = String::with_capacity(self.values.len() * 40);
        let mut x = QUIET_ZONE;
        for (index, &element) in self.element_widths().iter().enumerate() {
            let element = usize::from(element);
            if index % 2 == 0 {
                // Writing into a String cannot fail.
                let _ = write!(path, "M{x} 0h{element}v{height}h-{element}z");
            }
            x += element;
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" shape-rendering=\"crispEdges\"><path fill=\"#000\" d=\"{path}\"/></svg>"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_has_eleven_modules_and_even_bars() {
        for (value, pattern) in PATTERNS.iter().enumerate() {
            let modules: u8 = pattern.iter().sum();
            assert_eq!(modules, 11, "value {value}");
            // Code 128's parity: the bars of a character span an even
            // number of modules, the spaces an odd number.
            let bars = pattern[0] + pattern[2] + pattern[4];
            assert_eq!(bars % 2, 0, "value {value}");
            assert!(pattern.iter().all(|w| (1..=4).contains(w)), "value {value}");
        }
        assert_eq!(STOP.iter().sum::<u8>(), 13);
        // Every pattern is distinct.
        let mut sorted = PATTERNS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), PATTERNS.len());
    }

    #[test]
    fn the_check_character_is_computed_by_hand() {
        // Start C 105, FNC1 102, "91" 91, "23" 23:
        // 105 + 1×102 + 2×91 + 3×23 = 105 + 102 + 182 + 69 = 458;
        // 458 mod 103 = 458 − 412 = 46.
        let symbol = Gs1_128::new("9123").unwrap();
        assert_eq!(symbol.symbol_values(), &[105, 102, 91, 23, 46]);
        assert_eq!(symbol.modules(), 5 * 11 + 13);
        let widths = symbol.element_widths();
        assert_eq!(widths.iter().map(|&w| usize::from(w)).sum::<usize>(), 68);
        // Start C, then FNC1.
        assert_eq!(&widths[..12], &[2, 1, 1, 2, 3, 2, 4, 1, 1, 1, 3, 1]);
    }

    #[test]
    fn a_44_digit_barcode_is_24_characters_long() {
        let symbol = Gs1_128::new("91912345202601000000012345010026063000505004").unwrap();
        // Start, FNC1, 22 pairs, check.
        assert_eq!(symbol.symbol_values().len(), 25);
        assert_eq!(symbol.modules(), 25 * 11 + 13);
        let svg = symbol.svg(40);
        assert!(svg.starts_with("<svg "));
        // 25 characters of three bars, and the stop's four.
        assert_eq!(svg.matches('M').count(), 25 * 3 + 4);
    }

    #[test]
    fn only_even_runs_of_digits_are_taken() {
        assert_eq!(Gs1_128::new(""), Err(SymbolError::Length(0)));
        assert_eq!(Gs1_128::new("919"), Err(SymbolError::Length(3)));
        assert_eq!(Gs1_128::new(&"1".repeat(50)), Err(SymbolError::Length(50)));
        assert_eq!(Gs1_128::new("91a2"), Err(SymbolError::NotDigit(3)));
        assert!(Gs1_128::new(&"1".repeat(48)).is_ok());
    }
}
