//! 文字溢れ: long names and addresses shrink to 70 % and then wrap; nothing
//! is cut off or runs past the margins.

use crate::common::*;

/// A4 is 595.28 pt wide; the layouts keep 18 mm (51.02 pt) on each side.
const RIGHT_EDGE: f64 = 595.28 - 51.02;
const LEFT_EDGE: f64 = 51.02;

/// Asserts that every word pdftotext finds lies within the side margins.
fn assert_within_margins(pdf: &[u8]) {
    for (word, x_min, x_max) in pdf_words(pdf) {
        assert!(
            x_min >= LEFT_EDGE - 0.5 && x_max <= RIGHT_EDGE + 0.5,
            "{word:?} runs past the margins ({x_min}–{x_max})"
        );
    }
}

#[test]
fn a_very_long_address_wraps_and_is_printed_whole() {
    let address = "北海道札幌市中央区北一条西二丁目一番地の一札幌市役所本庁舎十八階南側会議室前通路突き当たり右側奥の倉庫の隣の小部屋の中にある机の引き出しの中".repeat(2);
    let mut copy = household_copy("R7-000600", "LONG-ADDRESS");
    copy.address = address.clone();
    copy.residents[0].previous_address = Some(address.clone());
    let pdf = engine().render_resident_record_copy(&copy).unwrap();
    let text = pdf_text_joined(&pdf);
    assert_eq!(text.matches(address.as_str()).count(), 2, "{text}");
    assert_within_margins(&pdf);
}

#[test]
fn a_slightly_long_name_shrinks_onto_one_line() {
    // Too wide for the name cell at 13 pt, narrow enough at 70 %.
    let name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行";
    let mut copy = household_copy("R7-000601", "LONG-NAME");
    copy.residents[0].name = name.to_string();
    let pdf = engine().render_resident_record_copy(&copy).unwrap();
    let line_of_name = pdf_text(&pdf).lines().any(|line| {
        line.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            == name
    });
    assert!(line_of_name, "the name is not on one line");
    assert_within_margins(&pdf);
}

#[test]
fn a_very_long_name_wraps_and_is_printed_whole() {
    let name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子パイポパイポパイポのシューリンガンシューリンガンのグーリンダイグーリンダイのポンポコピーのポンポコナーの長久命の長助";
    let mut copy = household_copy("R7-000602", "LONGER-NAME");
    copy.residents[0].name = name.to_string();
    copy.head_of_household = name.to_string();
    let pdf = engine().render_resident_record_copy(&copy).unwrap();
    assert_eq!(pdf_text_joined(&pdf).matches(name).count(), 2);
    assert_within_margins(&pdf);
}
