//! The check of the characters of the data against the fonts, before anything
//! is laid out: a character no font can show is an error naming the field.

use crate::error::{CodePoint, PrintError};
use crate::fonts::{FontRole, FontSet};

/// What the engine does with an ideographic variation sequence (IVS) that
/// IPAmj明朝 does not carry, such as an Adobe-Japan1 sequence (U+E0100 or
/// U+E0101 after many kanji).
///
/// IPAmj明朝 implements the Moji_Joho collection of the IVD only. A sequence
/// of another collection names a glyph the fonts do not have; typesetting it
/// would silently print the base character's default glyph, which may be a
/// different form of the character than the one in the record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnsupportedVariation {
    /// Refuse to print: [`PrintError::UnsupportedVariationSequence`] names the
    /// field and the sequence. The default, since a certificate must show the
    /// name as recorded; the record's characters should be mapped to Moji_Joho
    /// (or to a plain character) before printing.
    #[default]
    Reject,
    /// Print the base character's default glyph: the selector is removed
    /// from the printed text (and so from the PDF's text layer). A knowing
    /// degradation for documents where the exact form is not certified
    /// (notices, lists), chosen in the engine's configuration.
    PrintBaseCharacter,
}

/// Whether a character is a variation selector: VS1–VS16 (U+FE00–U+FE0F,
/// standardized variation sequences) or VS17–VS256 (U+E0100–U+E01EF, the
/// ideographic variation sequences of the IVD).
pub(crate) fn is_variation_selector(character: char) -> bool {
    matches!(character, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Checks one field of the data and returns the text to print.
///
/// Every character must be in a font of the field's role; a variation
/// sequence must be in the fonts, or is handled by `unsupported`; control
/// characters are refused.
pub(crate) fn check_field(
    fonts: &FontSet,
    unsupported: UnsupportedVariation,
    field: &str,
    role: FontRole,
    value: &str,
) -> Result<String, PrintError> {
    let mut printed = String::with_capacity(value.len());
    let mut previous: Option<char> = None;
    for character in value.chars() {
        if is_variation_selector(character) {
            let Some(base) = previous.take() else {
                return Err(PrintError::StrayVariationSelector {
                    field: field.to_string(),
                    selector: CodePoint(character),
                });
            };
            if fonts.covers_sequence(role, base, character) {
                printed.push(character);
            } else {
                match unsupported {
                    UnsupportedVariation::Reject => {
                        return Err(PrintError::UnsupportedVariationSequence {
                            field: field.to_string(),
                            base: CodePoint(base),
                            selector: CodePoint(character),
                        });
                    }
                    UnsupportedVariation::PrintBaseCharacter => {}
                }
            }
            continue;
        }
        if character.is_control() {
            return Err(PrintError::ControlCharacter {
                field: field.to_string(),
                code_point: CodePoint(character),
            });
        }
        if !fonts.covers(role, character) && character != ' ' {
            return Err(PrintError::MissingGlyph {
                field: field.to_string(),
                code_point: CodePoint(character),
            });
        }
        printed.push(character);
        previous = Some(character);
    }
    Ok(printed)
}
