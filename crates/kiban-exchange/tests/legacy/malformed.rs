//! Malformed files are rejected as a whole, naming the record and the byte.

use kiban_exchange::legacy::{
    LegacyField, LegacyFileError, LegacyFileProblem, LegacyRecordSpec, write_fixed_cp932,
};

use crate::common::{head, reject, resident};

fn three(crlf: bool) -> Vec<u8> {
    write_fixed_cp932(&[head(1), resident(2, 1, "02"), head(3)], crlf)
}

/// The offset in the file of a 1-based byte of a 1-based record.
fn offset(record: usize, byte: usize, crlf: bool) -> usize {
    (record - 1) * if crlf { 258 } else { 256 } + byte - 1
}

fn error(record: usize, byte: usize, problem: LegacyFileProblem) -> LegacyFileError {
    LegacyFileError {
        record,
        byte,
        problem,
    }
}

#[test]
fn empty_file() {
    let e = reject(b"");
    assert_eq!(e, error(1, 1, LegacyFileProblem::Empty));
    assert_eq!(
        e.message().text(),
        "レコード1の1バイト目: ファイルが空です（トレーラレコードがありません）"
    );
}

#[test]
fn short_record() {
    // The last record (the trailer) is cut short.
    let mut file = three(false);
    file.truncate(file.len() - 56);
    assert_eq!(
        reject(&file),
        error(4, 201, LegacyFileProblem::RecordLength { length: 200 })
    );
    // A record of 255 bytes followed by CR LF.
    let mut file = three(true);
    file.remove(offset(2, 100, true));
    let e = reject(&file);
    assert_eq!(
        e,
        error(2, 256, LegacyFileProblem::RecordLength { length: 255 })
    );
    assert_eq!(
        e.message().text(),
        "レコード2の256バイト目: レコードが255バイトで終わっています（256バイトでなければなりません）"
    );
}

#[test]
fn long_record() {
    let mut file = three(true);
    file.insert(offset(3, 100, true), b' ');
    assert_eq!(
        reject(&file),
        error(3, 257, LegacyFileProblem::MissingLineBreak)
    );
    let mut file = three(false);
    file.insert(offset(3, 100, false), b' ');
    assert_eq!(
        reject(&file),
        error(
            4,
            1,
            LegacyFileProblem::UnknownRecordKind("「 」".to_owned())
        )
    );
}

#[test]
fn mixed_line_ends() {
    // CR LF after the first record, not after the second.
    let mut file = three(true);
    file.drain(offset(2, 257, true)..offset(2, 259, true));
    let e = reject(&file);
    assert_eq!(e, error(2, 257, LegacyFileProblem::MissingLineBreak));
    assert_eq!(
        e.message().text(),
        "レコード2の257バイト目: レコードの後に CR LF がありません（最初のレコードの後にはあります）"
    );
    // No CR LF after the first record, one after the third.
    let mut file = three(false);
    let at = offset(4, 1, false);
    file.splice(at..at, *b"\r\n");
    assert_eq!(
        reject(&file),
        error(3, 257, LegacyFileProblem::UnexpectedLineBreak)
    );
    // LF alone.
    let mut file = three(true);
    file.remove(offset(1, 257, true));
    assert_eq!(
        reject(&file),
        error(1, 257, LegacyFileProblem::BadLineBreak)
    );
}

#[test]
fn trailer_problems() {
    let mut file = three(true);
    file[offset(4, 11, true)] = b'5';
    let e = reject(&file);
    assert_eq!(
        e,
        error(
            4,
            2,
            LegacyFileProblem::TrailerCountMismatch {
                declared: 5,
                actual: 3
            }
        )
    );
    assert_eq!(
        e.message().text(),
        "レコード4の2バイト目: トレーラの件数 5 が個人レコードの数 3 と一致しません"
    );
    let mut file = three(true);
    file[offset(4, 5, true)] = b' ';
    assert_eq!(
        reject(&file),
        error(4, 5, LegacyFileProblem::TrailerCountNotDigits)
    );
    let mut file = three(true);
    file[offset(4, 200, true)] = b'X';
    assert_eq!(
        reject(&file),
        error(4, 200, LegacyFileProblem::TrailerNotBlank)
    );
    // No trailer at all.
    let file = three(true);
    let without = &file[..offset(4, 1, true)];
    assert_eq!(
        reject(without),
        error(4, 1, LegacyFileProblem::MissingTrailer)
    );
    // A record after the trailer.
    let mut file = three(true);
    file.extend_from_slice(&three(true)[..258]);
    assert_eq!(
        reject(&file),
        error(5, 1, LegacyFileProblem::RecordAfterTrailer)
    );
}

#[test]
fn unknown_record_kind() {
    let mut file = three(true);
    file[offset(2, 1, true)] = b'2';
    assert_eq!(
        reject(&file),
        error(
            2,
            1,
            LegacyFileProblem::UnknownRecordKind("「2」".to_owned())
        )
    );
    file[offset(2, 1, true)] = 0x82;
    let e = reject(&file);
    assert_eq!(
        e,
        error(
            2,
            1,
            LegacyFileProblem::UnknownRecordKind("0x82".to_owned())
        )
    );
    assert_eq!(
        e.message().text(),
        "レコード2の1バイト目: レコード種別 0x82 は扱えません（1: 個人、9: トレーラ）"
    );
}

#[test]
fn undecodable_bytes() {
    let undecodable = |field: LegacyField| LegacyFileProblem::Undecodable { field };
    // 0x8540 is not assigned in CP932: the 3rd character of the name.
    let mut file = three(true);
    file[offset(2, 26, true)] = 0x85;
    file[offset(2, 27, true)] = 0x40;
    let e = reject(&file);
    assert_eq!(e, error(2, 26, undecodable(LegacyField::Name)));
    assert_eq!(
        e.message().text(),
        "レコード2の26バイト目: 氏名に CP932 として読めないバイトがあります"
    );
    // 0xFF cannot start a character (in the address).
    let mut file = three(true);
    file[offset(1, 121, true)] = 0xFF;
    assert_eq!(
        reject(&file),
        error(1, 121, undecodable(LegacyField::Address))
    );
    // A trail byte that cannot follow: the 外字 lead 0xF0 before 0x7F.
    let mut file = three(true);
    file[offset(3, 179, true)] = 0xF0;
    file[offset(3, 180, true)] = 0x7F;
    assert_eq!(
        reject(&file),
        error(3, 180, undecodable(LegacyField::Katagaki))
    );
    // Half a character: an ASCII byte in a double-byte field.
    let file = write_fixed_cp932(
        &[LegacyRecordSpec {
            name: "A山田".to_owned(),
            ..head(1)
        }],
        true,
    );
    assert_eq!(reject(&file), error(1, 22, undecodable(LegacyField::Name)));
}

#[test]
fn values_the_layout_does_not_allow() {
    let invalid = |field: LegacyField, reason: &str| LegacyFileProblem::InvalidField {
        field,
        reason: reason.to_owned(),
    };
    let cases: [(LegacyRecordSpec, usize, LegacyFileProblem); 8] = [
        (
            LegacyRecordSpec {
                person_id: "00000A0001".to_owned(),
                ..head(1)
            },
            7,
            invalid(LegacyField::PersonId, "10桁の数字でなければなりません"),
        ),
        (
            LegacyRecordSpec {
                household_id: "1".to_owned(),
                ..head(1)
            },
            13,
            invalid(LegacyField::HouseholdId, "10桁の数字でなければなりません"),
        ),
        (
            LegacyRecordSpec {
                name_kana: "ﾔﾏﾀﾞ 太郎".to_owned(),
                ..head(1)
            },
            67,
            invalid(LegacyField::NameKana, "半角カナか空白でなければなりません"),
        ),
        (
            LegacyRecordSpec {
                sex: "3".to_owned(),
                ..head(1)
            },
            109,
            invalid(LegacyField::Sex, "1（男）か 2（女）でなければなりません"),
        ),
        (
            LegacyRecordSpec {
                postal_code: "401001".to_owned(),
                ..head(1)
            },
            118,
            invalid(
                LegacyField::PostalCode,
                "7桁の数字か空白でなければなりません",
            ),
        ),
        (
            LegacyRecordSpec {
                status: "4".to_owned(),
                ..head(1)
            },
            216,
            invalid(
                LegacyField::Status,
                "1（住民）、2（転出）、3（死亡）のいずれかでなければなりません",
            ),
        ),
        (
            LegacyRecordSpec {
                nationality: "vn".to_owned(),
                ..head(1)
            },
            236,
            invalid(
                LegacyField::Nationality,
                "空白（日本）か ISO 3166-1 の英大文字2字でなければなりません",
            ),
        ),
        (
            LegacyRecordSpec {
                birth_date: "３５５".to_owned(),
                ..head(1)
            },
            102,
            invalid(
                LegacyField::BirthDate,
                "半角の英数字か空白でなければなりません",
            ),
        ),
    ];
    for (spec, byte, problem) in cases {
        let file = write_fixed_cp932(&[spec], true);
        assert_eq!(reject(&file), error(1, byte, problem));
    }
    let mut file = three(true);
    file[offset(2, 250, true)] = b'X';
    let e = reject(&file);
    assert_eq!(
        e.message().text(),
        "レコード2の250バイト目: 予備: 空白でなければなりません"
    );
}
