//! Keys that storage keeps beside a person's record for searching.

use kiban_core::{KanaName, PersonName};

/// The kana search key of a フリガナ (`kiban_core::kana::search_key`):
/// hiragana and katakana, full and half width, and spaces are folded so that
/// `ヤマダ タロウ`, `やまだたろう` and `ﾔﾏﾀﾞ ﾀﾛｳ` share one key. Storage applies
/// the same function to what a clerk types.
pub fn kana_key(kana: &KanaName) -> String {
    kana.search_key()
}

/// The name without variation selectors (IVS), for matching a name typed
/// without them against the name as registered.
pub fn name_key(name: &PersonName) -> String {
    name.base_characters()
}
