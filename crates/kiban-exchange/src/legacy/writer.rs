//! Writing files in the layout `fixed-cp932-v1`, for tests and benchmarks
//! (テストデータ作成).

use encoding_rs::SHIFT_JIS;

use super::layout::{LegacyField, RECORD_LEN};

/// 〓 (ゲタ), which legacy systems print for a character they cannot hold.
const GETA: &[u8] = &[0x81, 0xAC];

/// The full-width space U+3000 in CP932.
const IDEOGRAPHIC_SPACE: &[u8] = &[0x81, 0x40];

/// One person record to write (作成する個人レコード): each field as the
/// text to put in it, exactly as the file is to hold it (`"0000000001"`,
/// `"山田　太郎"`, `"ﾔﾏﾀﾞ ﾀﾛｳ"`, `"4010203"`, `""` for a blank field).
///
/// 外字 are given as the private-use characters U+E000–U+E757, which CP932
/// writes as the user-defined codes 0xF040–0xF9FC (U+E000 is 0xF040).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LegacyRecordSpec {
    /// 宛名番号, ten digits.
    pub person_id: String,
    /// 世帯番号, ten digits.
    pub household_id: String,
    /// 氏名, double-byte characters.
    pub name: String,
    /// カナ氏名, half-width katakana.
    pub name_kana: String,
    /// 生年月日: 元号 digit and `YYMMDD`.
    pub birth_date: String,
    /// 性別: `1` or `2`.
    pub sex: String,
    /// 続柄: `01`–`06`.
    pub relationship: String,
    /// 郵便番号: seven digits, or empty.
    pub postal_code: String,
    /// 住所, double-byte characters.
    pub address: String,
    /// 方書, double-byte characters, or empty.
    pub katagaki: String,
    /// 住定日: 元号 digit and `YYMMDD`.
    pub residence_start_date: String,
    /// 住民状態: `1`, `2` or `3`.
    pub status: String,
    /// 消除日: 元号 digit and `YYMMDD`, or empty.
    pub removal_date: String,
    /// 個人番号: twelve digits, or empty.
    pub individual_number: String,
    /// 国籍: empty for Japan, or two letters.
    pub nationality: String,
}

/// Writes person records and then the trailer (with their count) in the
/// layout `fixed-cp932-v1`, each record followed by CR LF when `crlf` is
/// true.
///
/// Each field is encoded with CP932 as given, so a test can also write what
/// the layout forbids. A character CP932 cannot encode is written as 〓
/// (never as `&#NNNN;`); text longer than its field is cut at a character
/// boundary. Double-byte fields (氏名, 住所, 方書) are padded with U+3000 and
/// the others with spaces.
pub fn write_fixed_cp932(records: &[LegacyRecordSpec], crlf: bool) -> Vec<u8> {
    let line = RECORD_LEN + if crlf { 2 } else { 0 };
    let mut out = Vec::with_capacity(line * (records.len() + 1));
    let mut record = [b' '; RECORD_LEN];
    for spec in records {
        record.fill(b' ');
        record[0] = b'1';
        for (field, text) in [
            (LegacyField::PersonId, &spec.person_id),
            (LegacyField::HouseholdId, &spec.household_id),
            (LegacyField::Name, &spec.name),
            (LegacyField::NameKana, &spec.name_kana),
            (LegacyField::BirthDate, &spec.birth_date),
            (LegacyField::Sex, &spec.sex),
            (LegacyField::Relationship, &spec.relationship),
            (LegacyField::PostalCode, &spec.postal_code),
            (LegacyField::Address, &spec.address),
            (LegacyField::Katagaki, &spec.katagaki),
            (LegacyField::ResidenceStartDate, &spec.residence_start_date),
            (LegacyField::Status, &spec.status),
            (LegacyField::RemovalDate, &spec.removal_date),
            (LegacyField::IndividualNumber, &spec.individual_number),
            (LegacyField::Nationality, &spec.nationality),
        ] {
            put(&mut record, field, text);
        }
        out.extend_from_slice(&record);
        if crlf {
            out.extend_from_slice(b"\r\n");
        }
    }
    record.fill(b' ');
    let trailer = format!("9{:010}", records.len());
    for (slot, byte) in record.iter_mut().zip(trailer.bytes()) {
        *slot = byte;
    }
    out.extend_from_slice(&record);
    if crlf {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Writes one field into a record that is all spaces.
fn put(record: &mut [u8; RECORD_LEN], field: LegacyField, text: &str) {
    let from = field.start() - 1;
    let Some(slot) = record.get_mut(from..from + field.width()) else {
        return;
    };
    let encoded = encode_to_fit(text, slot.len());
    let (value, padding) = slot.split_at_mut(encoded.len());
    value.copy_from_slice(&encoded);
    if matches!(
        field,
        LegacyField::Name | LegacyField::Address | LegacyField::Katagaki
    ) {
        for pair in padding.chunks_exact_mut(2) {
            pair.copy_from_slice(IDEOGRAPHIC_SPACE);
        }
    }
}

/// Encodes text with CP932, at most `width` bytes, whole characters only,
/// with 〓 for a character CP932 cannot encode.
fn encode_to_fit(text: &str, width: usize) -> Vec<u8> {
    if !text.chars().any(|c| gaiji_bytes(c).is_some()) {
        let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
        if !unmappable && bytes.len() <= width {
            return bytes.into_owned();
        }
    }
    let mut out = Vec::with_capacity(width);
    let mut buffer = [0u8; 4];
    for c in text.chars() {
        let gaiji;
        let encoded;
        let bytes: &[u8] = if let Some(pair) = gaiji_bytes(c) {
            gaiji = pair;
            &gaiji
        } else {
            let unmappable;
            (encoded, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buffer));
            if unmappable { GETA } else { &encoded }
        };
        if out.len() + bytes.len() > width {
            break;
        }
        out.extend_from_slice(bytes);
    }
    out
}

/// The user-defined code (0xF040–0xF9FC) of a private-use character
/// U+E000–U+E757, as CP932 decoders map them. The encoder of `encoding_rs`
/// follows the WHATWG standard, which never writes these codes.
fn gaiji_bytes(c: char) -> Option<[u8; 2]> {
    let index = u32::from(c).checked_sub(0xE000).filter(|i| *i < 1880)?;
    let lead = 0xF0 + index / 188;
    let trail = index % 188;
    let trail = if trail < 0x3F {
        trail + 0x40
    } else {
        trail + 0x41
    };
    Some([u8::try_from(lead).ok()?, u8::try_from(trail).ok()?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_gaiji_kana_and_padding() {
        let spec = LegacyRecordSpec {
            name: "\u{E000}　花子".to_owned(),
            name_kana: "ﾂｼﾞ ﾊﾅｺ".to_owned(),
            address: "𠀋".to_owned(),
            ..LegacyRecordSpec::default()
        };
        let file = write_fixed_cp932(&[spec], true);
        assert_eq!(file.len(), 2 * (RECORD_LEN + 2));
        let name = &file[21..61];
        assert_eq!(
            &name[..8],
            &[0xF0, 0x40, 0x81, 0x40, 0x89, 0xD4, 0x8E, 0x71]
        );
        assert!(name[8..].chunks(2).all(|pair| pair == IDEOGRAPHIC_SPACE));
        assert_eq!(&file[61..64], &[0xC2, 0xBC, 0xDE]);
        // A character outside CP932 becomes 〓, never a numeric reference.
        assert_eq!(&file[118..120], GETA);
        assert_eq!(&file[256..258], b"\r\n");
        assert_eq!(&file[258..269], b"90000000001");
    }

    #[test]
    fn gaiji_codes_cover_the_user_defined_area() {
        assert_eq!(gaiji_bytes('\u{E000}'), Some([0xF0, 0x40]));
        assert_eq!(gaiji_bytes('\u{E03E}'), Some([0xF0, 0x7E]));
        assert_eq!(gaiji_bytes('\u{E03F}'), Some([0xF0, 0x80]));
        assert_eq!(gaiji_bytes('\u{E0BB}'), Some([0xF0, 0xFC]));
        assert_eq!(gaiji_bytes('\u{E0BC}'), Some([0xF1, 0x40]));
        assert_eq!(gaiji_bytes('\u{E757}'), Some([0xF9, 0xFC]));
        assert_eq!(gaiji_bytes('\u{E758}'), None);
        for c in ['\u{E000}', '\u{E123}', '\u{E757}'] {
            let bytes = gaiji_bytes(c).unwrap_or_default();
            let decoded = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&bytes);
            assert_eq!(decoded.as_deref(), Some(c.to_string().as_str()));
        }
    }

    #[test]
    fn cuts_at_a_character_boundary() {
        assert_eq!(encode_to_fit("あいう", 5), vec![0x82, 0xA0, 0x82, 0xA2]);
        assert_eq!(encode_to_fit("12345678901", 10), b"1234567890".to_vec());
    }
}
