//! Characters: rare kanji with Moji_Joho variation sequences print with
//! IPAmj明朝's glyph; a character no font has is an error naming the field
//! and the code point; unsupported (Adobe-Japan1) sequences follow the
//! configured policy.

use std::num::NonZeroUsize;

use kiban_print::{
    Document, PrintConfig, PrintEngine, PrintError, ResidentRecordCopy, UnsupportedVariation,
};

use crate::common::*;

fn copy_with_name(name: &str) -> ResidentRecordCopy {
    let mut copy = household_copy("R7-000500", "CHARS-1");
    copy.residents[0].name = name.to_string();
    copy.head_of_household = name.to_string();
    copy
}

fn render_error(copy: &ResidentRecordCopy) -> PrintError {
    match engine().render_resident_record_copy(copy) {
        Ok(_) => panic!("printed although the data cannot be printed"),
        Err(error) => error,
    }
}

#[test]
fn a_moji_joho_sequence_prints_in_ipamj_and_keeps_its_selector_in_the_text() {
    let variant = engine()
        .render_resident_record_copy(&copy_with_name("葛\u{E0102}西　一郎"))
        .unwrap();
    let plain = engine()
        .render_resident_record_copy(&copy_with_name("葛西　一郎"))
        .unwrap();
    assert!(pdf_fonts(&variant).contains("+IPAmjMincho"));
    // The text layer maps the variant glyph back to the whole sequence, so
    // the PDF used a glyph of its own for 葛 U+E0102 …
    assert!(pdf_text(&variant).contains("葛\u{E0102}西"));
    // … while the plain name maps to the plain character only.
    let plain_text = pdf_text(&plain);
    assert!(plain_text.contains("葛西"));
    assert!(!plain_text.contains('\u{E0102}'));
    assert_ne!(variant, plain);
}

#[test]
fn a_private_use_character_is_an_error_naming_the_field() {
    let error = render_error(&copy_with_name("葛西　\u{E000}郎"));
    match &error {
        PrintError::MissingGlyph { field, code_point } => {
            assert_eq!(field, "residents[0].name");
            assert_eq!(code_point.to_string(), "U+E000");
        }
        other => panic!("unexpected error: {other}"),
    }
    let message = error.to_string();
    assert!(message.contains("residents[0].name"), "{message}");
    assert!(message.contains("U+E000"), "{message}");
}

#[test]
fn unassigned_and_supplementary_private_use_code_points_are_errors() {
    let mut copy = household_copy("R7-000501", "CHARS-2");
    copy.address = "東京都葛飾区\u{0378}".to_string();
    assert!(matches!(
        render_error(&copy),
        PrintError::MissingGlyph { field, code_point } if field == "address" && code_point.to_string() == "U+0378"
    ));
    let mut copy = household_copy("R7-000502", "CHARS-3");
    copy.residents[1].name_kana = "カサイ\u{10FFFD}".to_string();
    assert!(matches!(
        render_error(&copy),
        PrintError::MissingGlyph { field, code_point } if field == "residents[1].name_kana" && code_point.to_string() == "U+10FFFD"
    ));
}

#[test]
fn control_characters_and_stray_selectors_are_errors() {
    let mut copy = household_copy("R7-000503", "CHARS-4");
    copy.address = "東京都\n葛飾区".to_string();
    assert!(matches!(
        render_error(&copy),
        PrintError::ControlCharacter { field, .. } if field == "address"
    ));
    assert!(matches!(
        render_error(&copy_with_name("\u{E0102}葛西")),
        PrintError::StrayVariationSelector { field, .. } if field == "residents[0].name"
    ));
}

#[test]
fn empty_required_fields_are_errors() {
    assert!(matches!(
        render_error(&copy_with_name("　")),
        PrintError::EmptyField { field } if field == "residents[0].name"
    ));
    let mut copy = household_copy("R7-000504", "CHARS-5");
    copy.residents.clear();
    assert!(matches!(
        render_error(&copy),
        PrintError::EmptyField { field } if field == "residents"
    ));
}

#[test]
fn an_adobe_japan1_sequence_is_refused_by_default() {
    // 葛 U+E0100 is registered in the Adobe-Japan1 collection; IPAmj明朝
    // carries the Moji_Joho sequences of 葛 (U+E0102 to U+E0108) only.
    let error = render_error(&copy_with_name("葛\u{E0100}西　一郎"));
    match &error {
        PrintError::UnsupportedVariationSequence {
            field,
            base,
            selector,
        } => {
            assert_eq!(field, "residents[0].name");
            assert_eq!(base.to_string(), "U+845B");
            assert_eq!(selector.to_string(), "U+E0100");
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn an_adobe_japan1_sequence_prints_the_base_character_when_configured() {
    let engine = PrintEngine::new(&PrintConfig {
        unsupported_variation: UnsupportedVariation::PrintBaseCharacter,
        ..PrintConfig::default()
    })
    .unwrap();
    let degraded = engine
        .render_resident_record_copy(&copy_with_name("葛\u{E0100}西　一郎"))
        .unwrap();
    let text = pdf_text(&degraded);
    assert!(!text.contains('\u{E0100}'));
    assert_contains(&text, "葛西一郎");
    // Moji_Joho sequences still print with their own glyphs.
    let kept = engine
        .render_resident_record_copy(&copy_with_name("葛\u{E0102}西　一郎"))
        .unwrap();
    assert!(pdf_text(&kept).contains("葛\u{E0102}西"));
}

#[test]
fn a_batch_error_names_the_document() {
    let documents = vec![
        Document::ResidentRecordCopy(household_copy("R7-000505", "CHARS-6")),
        Document::ResidentRecordCopy(copy_with_name("葛西\u{E000}")),
    ];
    let error = engine()
        .render_batch(&documents, NonZeroUsize::new(10).unwrap())
        .unwrap_err();
    assert!(
        matches!(&error, PrintError::MissingGlyph { field, .. } if field == "documents[1].residents[0].name"),
        "{error}"
    );
}
