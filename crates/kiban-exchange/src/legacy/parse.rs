//! Reading an extract: the file into records, each record into a person and
//! the problems found, and the checks across records.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use encoding_rs::SHIFT_JIS;
use kiban_core::kana::halfwidth_to_fullwidth_katakana;
use kiban_core::wareki::format_ja;
use kiban_core::{
    Date, Era, IndividualNumber, KanaName, Message, PersonName, PostalCode, Relationship, Sex,
    ValueError, Wareki,
};

use super::error::{LegacyFileError, LegacyFileProblem};
use super::gaiji::{GaijiMap, codes_text, is_gaiji_code, is_trail_byte};
use super::layout::{LegacyField, RECORD_LEN};
use super::person::{LegacyHousehold, LegacyPerson, LegacyStatus, Nationality};
use super::report::{CleansingIssue, CleansingReport, IssueClass, IssueCode};

/// The full-width space (U+3000) that pads double-byte fields and separates
/// the parts of a name.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// What an extract yields (移行データの読み取り結果): the cleansing report,
/// and the persons to import grouped by household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyExtract {
    /// The cleansing report.
    pub report: CleansingReport,
    /// The households in the order of their first record, each with its
    /// members. Empty when any `before_migration` problem exists, so that
    /// nothing can be imported by mistake.
    pub households: Vec<LegacyHousehold>,
}

impl LegacyExtract {
    /// Every person to import, household by household.
    pub fn persons(&self) -> impl Iterator<Item = &LegacyPerson> {
        self.households.iter().flat_map(|h| h.members.iter())
    }
}

/// Reads a legacy extract in the layout `fixed-cp932-v1` (旧システムの
/// 固定長 CP932 ファイル): `file` is the whole file, `gaiji` the 外字 map
/// given with it.
///
/// A malformed file (a record that is not 256 bytes, mixed line ends, an
/// unknown record kind, a missing trailer or a wrong count in it, bytes that
/// are not CP932 outside the 外字 area, or a value the layout does not allow
/// and no report code covers) is rejected as a whole with an error naming
/// the record and the byte. Otherwise every problem found is an entry of the
/// report, and the persons are returned only when no `before_migration`
/// problem exists.
pub fn parse_fixed_cp932(file: &[u8], gaiji: &GaijiMap) -> Result<LegacyExtract, LegacyFileError> {
    let records = split_records(file)?;
    let mut issues = Vec::new();
    let mut persons = Vec::with_capacity(records.len());
    let mut facts = Vec::with_capacity(records.len());
    let mut first_record_of = HashMap::with_capacity(records.len());
    for (index, bytes) in records.iter().enumerate() {
        let mut reader = RecordReader {
            number: index + 1,
            bytes,
            person_id_text: String::new(),
            issues: &mut issues,
        };
        let read = reader.read(gaiji, &mut first_record_of)?;
        persons.push(read.person);
        facts.push(read.fact);
    }
    check_households(&facts, &mut issues);
    issues.sort_by_key(|issue| (issue.record, issue.field));
    let blocked = issues
        .iter()
        .any(|issue| issue.class() == IssueClass::BeforeMigration);
    let households = if blocked {
        Vec::new()
    } else {
        group_by_household(persons.into_iter().flatten())
    };
    let imported = households.iter().map(|h| h.members.len()).sum();
    Ok(LegacyExtract {
        report: CleansingReport {
            records: records.len(),
            imported,
            issues,
        },
        households,
    })
}

impl LegacyExtract {
    /// Adds to the report what registering the households changes: a
    /// resident whose 住定日 precedes their head's is recorded from the
    /// head's 住定日, because a household begins with its head
    /// (`residence_before_head`, `during_migration`). The importer calls it
    /// before registering; the reader does not, as it knows nothing of how
    /// households are registered.
    pub fn note_registration_adjustments(&mut self) {
        note_residence_before_head(&self.households, &mut self.report.issues);
        note_missing_residence_status(&self.households, &mut self.report.issues);
        self.report
            .issues
            .sort_by_key(|issue| (issue.record, issue.field));
    }
}

/// Every foreign person (国籍 set) is migrated with 在留資格・在留期間
/// unknown, which the layout does not carry: one `after_migration` issue
/// each, for the clerks' follow-up list.
fn note_missing_residence_status(households: &[LegacyHousehold], issues: &mut Vec<CleansingIssue>) {
    for household in households {
        for member in &household.members {
            if !member.nationality.is_japanese() {
                issues.push(CleansingIssue {
                    record: member.record,
                    person_id: format!("{:010}", member.person_id),
                    field: LegacyField::Nationality,
                    code: IssueCode::MissingResidenceStatus,
                    message: format!(
                        "外国人住民（国籍 {}）の在留資格・在留期間が移行データにないため、未設定で登録します。職権修正で在留資格・在留期間を登録してください",
                        member.nationality
                    ),
                });
            }
        }
    }
}

fn note_residence_before_head(households: &[LegacyHousehold], issues: &mut Vec<CleansingIssue>) {
    for household in households {
        let Some(head) = household.head() else {
            continue;
        };
        let founded = head.residence_start_date;
        for member in &household.members {
            if member.status.is_resident() && member.residence_start_date < founded {
                issues.push(CleansingIssue {
                    record: member.record,
                    person_id: format!("{:010}", member.person_id),
                    field: LegacyField::ResidenceStartDate,
                    code: IssueCode::ResidenceBeforeHead,
                    message: format!(
                        "住定日（{}）が世帯主の住定日（{}）より前のため、世帯主の住定日から記録します",
                        format_ja(member.residence_start_date),
                        format_ja(founded)
                    ),
                });
            }
        }
    }
}

/// Builds the error for a byte of a record.
fn at(record: usize, byte: usize, problem: LegacyFileProblem) -> LegacyFileError {
    LegacyFileError {
        record,
        byte,
        problem,
    }
}

/// Splits the file into records of 256 bytes, checks the line ends, the
/// record kinds and the trailer, and returns the person records.
fn split_records(file: &[u8]) -> Result<Vec<&[u8]>, LegacyFileError> {
    if file.is_empty() {
        return Err(at(1, 1, LegacyFileProblem::Empty));
    }
    let mut persons = Vec::with_capacity(file.len() / RECORD_LEN);
    let mut crlf = None;
    let mut rest = file;
    let mut number = 0;
    loop {
        number += 1;
        if rest.is_empty() {
            return Err(at(number, 1, LegacyFileProblem::MissingTrailer));
        }
        let body = rest.get(..RECORD_LEN).unwrap_or(rest);
        if let Some(i) = body.iter().position(|b| matches!(b, b'\r' | b'\n')) {
            return Err(at(
                number,
                i + 1,
                LegacyFileProblem::RecordLength { length: i },
            ));
        }
        if body.len() < RECORD_LEN {
            return Err(at(
                number,
                body.len() + 1,
                LegacyFileProblem::RecordLength { length: body.len() },
            ));
        }
        let after = rest.get(RECORD_LEN..).unwrap_or_default();
        let line_break = match after {
            [b'\r', b'\n', ..] => true,
            [b'\r' | b'\n', ..] => {
                return Err(at(number, RECORD_LEN + 1, LegacyFileProblem::BadLineBreak));
            }
            _ => false,
        };
        match crlf {
            None => crlf = Some(line_break),
            Some(true) if !line_break => {
                return Err(at(
                    number,
                    RECORD_LEN + 1,
                    LegacyFileProblem::MissingLineBreak,
                ));
            }
            Some(false) if line_break => {
                return Err(at(
                    number,
                    RECORD_LEN + 1,
                    LegacyFileProblem::UnexpectedLineBreak,
                ));
            }
            Some(_) => {}
        }
        rest = after
            .get(if line_break { 2 } else { 0 }..)
            .unwrap_or_default();
        match body.first() {
            Some(b'1') => persons.push(body),
            Some(b'9') => {
                if !rest.is_empty() {
                    return Err(at(number + 1, 1, LegacyFileProblem::RecordAfterTrailer));
                }
                check_trailer(number, body, persons.len())?;
                return Ok(persons);
            }
            other => {
                let kind = match other {
                    Some(b) if matches!(b, 0x20..=0x7E) => format!("「{}」", char::from(*b)),
                    Some(b) => format!("0x{b:02X}"),
                    None => String::new(),
                };
                return Err(at(number, 1, LegacyFileProblem::UnknownRecordKind(kind)));
            }
        }
    }
}

/// Checks the trailer: ten digits that count the person records, then
/// spaces.
fn check_trailer(number: usize, body: &[u8], persons: usize) -> Result<(), LegacyFileError> {
    let count = body.get(1..11).unwrap_or_default();
    if let Some(i) = count.iter().position(|b| !b.is_ascii_digit()) {
        return Err(at(number, 2 + i, LegacyFileProblem::TrailerCountNotDigits));
    }
    let declared = count
        .iter()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    if usize::try_from(declared).ok() != Some(persons) {
        return Err(at(
            number,
            2,
            LegacyFileProblem::TrailerCountMismatch {
                declared,
                actual: persons,
            },
        ));
    }
    let blank = body.get(11..).unwrap_or_default();
    if let Some(i) = blank.iter().position(|b| *b != b' ') {
        return Err(at(number, 12 + i, LegacyFileProblem::TrailerNotBlank));
    }
    Ok(())
}

/// What the household checks need to know of a record.
struct HouseholdFact {
    record: usize,
    person_id_text: String,
    household_id: u64,
    household_id_text: String,
    resident: bool,
    head_code: bool,
}

/// What one record yields: the person, when its record has no
/// `before_migration` problem, and the facts for the household checks.
struct RecordRead {
    person: Option<LegacyPerson>,
    fact: HouseholdFact,
}

/// A date field as read.
enum DateRead {
    Blank,
    Valid(Date),
    Invalid,
}

/// A double-byte field decoded, with the 外字 codes found in it.
struct DoubleByteText {
    text: String,
    mapped: Vec<u16>,
    unmapped: Vec<u16>,
}

/// Reads one person record, collecting its problems.
struct RecordReader<'r> {
    number: usize,
    bytes: &'r [u8],
    person_id_text: String,
    issues: &'r mut Vec<CleansingIssue>,
}

impl RecordReader<'_> {
    fn read(
        &mut self,
        gaiji: &GaijiMap,
        first_record_of: &mut HashMap<u64, usize>,
    ) -> Result<RecordRead, LegacyFileError> {
        let issues_before = self.issues.len();
        let (person_id, person_id_text) = self.number_field(LegacyField::PersonId)?;
        self.person_id_text = person_id_text;
        match first_record_of.entry(person_id) {
            Entry::Occupied(first) => {
                let first = *first.get();
                self.issue(
                    LegacyField::PersonId,
                    IssueCode::DuplicatePersonId,
                    format!("宛名番号がレコード{first}と重複しています"),
                );
            }
            Entry::Vacant(slot) => {
                slot.insert(self.number);
            }
        }
        let (household_id, household_id_text) = self.number_field(LegacyField::HouseholdId)?;
        let name = self.name(gaiji)?;
        let name_kana = self.name_kana()?;
        let birth_date = self.required_date(LegacyField::BirthDate)?;
        let sex = match self.ascii(LegacyField::Sex)? {
            "1" => Sex::Male,
            "2" => Sex::Female,
            _ => {
                return Err(self.invalid(LegacyField::Sex, 0, Message::LegacySexCode {}));
            }
        };
        let relationship_code = self.ascii(LegacyField::Relationship)?.to_owned();
        let relationship = self.relationship(&relationship_code);
        let postal_code = self.postal_code()?;
        let address = self.double_byte(LegacyField::Address, gaiji)?.text;
        let katagaki = Some(self.double_byte(LegacyField::Katagaki, gaiji)?.text)
            .filter(|text| !text.is_empty());
        let residence_start_date = self.required_date(LegacyField::ResidenceStartDate)?;
        let status_code = self.ascii(LegacyField::Status)?.to_owned();
        if !matches!(status_code.as_str(), "1" | "2" | "3") {
            return Err(self.invalid(LegacyField::Status, 0, Message::LegacyStatusCode {}));
        }
        let removal = self.date(LegacyField::RemovalDate)?;
        let individual_number = self.individual_number()?;
        let nationality = self.nationality()?;
        let reserved = LegacyField::Reserved.slice(self.bytes);
        if let Some(i) = reserved.iter().position(|b| *b != b' ') {
            return Err(self.invalid(LegacyField::Reserved, i, Message::LegacyMustBeBlank {}));
        }

        let resident = status_code == "1";
        if resident && postal_code.is_none() {
            self.issue(
                LegacyField::PostalCode,
                IssueCode::MissingPostalCode,
                "住民の郵便番号が空白です".to_owned(),
            );
        }
        let status = self.status(&status_code, &removal);
        if let (Some(start), DateRead::Valid(removed_on)) = (residence_start_date, &removal)
            && *removed_on < start
        {
            self.issue(
                LegacyField::RemovalDate,
                IssueCode::RemovalBeforeResidence,
                format!(
                    "消除日（{}）が住定日（{}）より前です",
                    format_ja(*removed_on),
                    format_ja(start)
                ),
            );
        }

        let blocked = self.issues[issues_before..]
            .iter()
            .any(|issue| issue.class() == IssueClass::BeforeMigration);
        let person = match (
            blocked,
            name,
            name_kana,
            birth_date,
            residence_start_date,
            status,
            individual_number,
        ) {
            (
                false,
                Some(name),
                Some(name_kana),
                Some(birth_date),
                Some(residence_start_date),
                Some(status),
                Ok(individual_number),
            ) => Some(LegacyPerson {
                record: self.number,
                person_id,
                household_id,
                name,
                name_kana,
                birth_date,
                sex,
                relationship,
                postal_code,
                address,
                katagaki,
                residence_start_date,
                status,
                individual_number,
                nationality,
            }),
            _ => None,
        };
        Ok(RecordRead {
            person,
            fact: HouseholdFact {
                record: self.number,
                person_id_text: self.person_id_text.clone(),
                household_id,
                household_id_text,
                resident,
                head_code: relationship_code == "01",
            },
        })
    }

    /// Records a problem of this record.
    fn issue(&mut self, field: LegacyField, code: IssueCode, message: String) {
        self.issues.push(CleansingIssue {
            record: self.number,
            person_id: self.person_id_text.clone(),
            field,
            code,
            message,
        });
    }

    /// The error for a value the layout does not allow, at the `offset`th
    /// byte (0-based) of the field.
    fn invalid(&self, field: LegacyField, offset: usize, reason: Message) -> LegacyFileError {
        at(
            self.number,
            field.start() + offset,
            LegacyFileProblem::InvalidField {
                field,
                reason: reason.text(),
            },
        )
    }

    /// A single-byte field, which must be printable ASCII.
    fn ascii(&self, field: LegacyField) -> Result<&'_ str, LegacyFileError> {
        let bytes = field.slice(self.bytes);
        if let Some(i) = bytes.iter().position(|b| !matches!(b, 0x20..=0x7E)) {
            return Err(self.invalid(field, i, Message::LegacyMustBeAscii {}));
        }
        Ok(std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// 宛名番号 or 世帯番号: ten digits.
    fn number_field(&self, field: LegacyField) -> Result<(u64, String), LegacyFileError> {
        let text = self.ascii(field)?;
        if let Some(i) = text.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(self.invalid(field, i, Message::LegacyMustBeTenDigits {}));
        }
        let value = text
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        Ok((value, text.to_owned()))
    }

    /// A double-byte field: decoded, 外字 replaced and reported, padding
    /// removed.
    fn double_byte(
        &mut self,
        field: LegacyField,
        gaiji: &GaijiMap,
    ) -> Result<DoubleByteText, LegacyFileError> {
        let mut decoded = decode_double_byte(field.slice(self.bytes), gaiji).map_err(|offset| {
            at(
                self.number,
                field.start() + offset,
                LegacyFileProblem::Undecodable { field },
            )
        })?;
        let trimmed = decoded.text.trim_end_matches(IDEOGRAPHIC_SPACE).len();
        decoded.text.truncate(trimmed);
        if !decoded.mapped.is_empty() {
            self.issue(
                field,
                IssueCode::GaijiMapped,
                format!(
                    "{}の外字 {} を外字対応表で置き換えました",
                    field.label_ja(),
                    codes_text(&decoded.mapped)
                ),
            );
        }
        if !decoded.unmapped.is_empty() {
            self.issue(
                field,
                IssueCode::UnmappedGaiji,
                format!(
                    "{}の外字 {} が外字対応表にありません",
                    field.label_ja(),
                    codes_text(&decoded.unmapped)
                ),
            );
        }
        Ok(decoded)
    }

    /// Reports a blank name, or leading or repeated spaces in it. Returns
    /// whether the name is there at all.
    fn check_name_spaces(&mut self, field: LegacyField, text: &str, space: char) -> bool {
        if text.is_empty() {
            self.issue(
                field,
                IssueCode::MissingName,
                format!("{}が空白です", field.label_ja()),
            );
            return false;
        }
        let doubled: String = [space, space].iter().collect();
        if text.starts_with(space) || text.contains(&doubled) {
            self.issue(
                field,
                IssueCode::ExtraSpaces,
                format!(
                    "{}の先頭の空白、または姓と名の間の複数の空白を1つに整えました",
                    field.label_ja()
                ),
            );
        }
        true
    }

    /// 氏名.
    fn name(&mut self, gaiji: &GaijiMap) -> Result<Option<PersonName>, LegacyFileError> {
        let text = self.double_byte(LegacyField::Name, gaiji)?.text;
        if !self.check_name_spaces(LegacyField::Name, &text, IDEOGRAPHIC_SPACE) {
            return Ok(None);
        }
        PersonName::parse(&text).map(Some).map_err(|e| {
            self.invalid(
                LegacyField::Name,
                0,
                Message::LegacyNameUnreadable {
                    detail: e.message().text(),
                },
            )
        })
    }

    /// カナ氏名: half-width katakana and spaces, made full-width.
    fn name_kana(&mut self) -> Result<Option<KanaName>, LegacyFileError> {
        let bytes = LegacyField::NameKana.slice(self.bytes);
        if let Some(i) = bytes.iter().position(|b| !matches!(b, b' ' | 0xA1..=0xDF)) {
            return Err(self.invalid(
                LegacyField::NameKana,
                i,
                Message::LegacyMustBeHalfwidthKana {},
            ));
        }
        let halfwidth: String = bytes
            .iter()
            .map(|b| match b {
                0xA1..=0xDF => char::from_u32(0xFF61 + u32::from(b - 0xA1)).unwrap_or(' '),
                _ => ' ',
            })
            .collect();
        let text = halfwidth.trim_end_matches(' ');
        if !self.check_name_spaces(LegacyField::NameKana, text, ' ') {
            return Ok(None);
        }
        KanaName::parse(&halfwidth_to_fullwidth_katakana(text))
            .map(Some)
            .map_err(|e| {
                self.invalid(
                    LegacyField::NameKana,
                    0,
                    Message::LegacyKanaUnreadable {
                        detail: e.message().text(),
                    },
                )
            })
    }

    /// A date field: 元号 digit and `YYMMDD`, or spaces.
    fn date(&mut self, field: LegacyField) -> Result<DateRead, LegacyFileError> {
        let text = self.ascii(field)?.to_owned();
        if text.trim().is_empty() {
            return Ok(DateRead::Blank);
        }
        match legacy_date(&text) {
            Ok(date) => Ok(DateRead::Valid(date)),
            Err(detail) => {
                self.issue(
                    field,
                    IssueCode::InvalidDate,
                    format!("{}が正しくありません（{detail}）", field.label_ja()),
                );
                Ok(DateRead::Invalid)
            }
        }
    }

    /// A date field that must be given.
    fn required_date(&mut self, field: LegacyField) -> Result<Option<Date>, LegacyFileError> {
        Ok(match self.date(field)? {
            DateRead::Valid(date) => Some(date),
            DateRead::Invalid => None,
            DateRead::Blank => {
                self.issue(
                    field,
                    IssueCode::InvalidDate,
                    format!("{}がありません", field.label_ja()),
                );
                None
            }
        })
    }

    /// 続柄: codes `01`–`06`; any other is reported and migrated as
    /// その他の親族.
    fn relationship(&mut self, code: &str) -> Relationship {
        match code {
            "01" => Relationship::Head,
            "02" => Relationship::Spouse,
            "03" => Relationship::Child,
            "04" => Relationship::Parent,
            "05" => Relationship::OtherRelative,
            "06" => Relationship::Cohabitant,
            other => {
                self.issue(
                    LegacyField::Relationship,
                    IssueCode::UnknownRelationshipCode,
                    format!(
                        "続柄コード「{other}」は表（01〜06）にないため、その他の親族として移行します"
                    ),
                );
                Relationship::OtherRelative
            }
        }
    }

    /// 郵便番号: seven digits or spaces.
    fn postal_code(&self) -> Result<Option<PostalCode>, LegacyFileError> {
        let field = LegacyField::PostalCode;
        let text = self.ascii(field)?;
        if text.bytes().all(|b| b == b' ') {
            return Ok(None);
        }
        if let Some(i) = text.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(self.invalid(field, i, Message::LegacyMustBePostalDigits {}));
        }
        PostalCode::parse(text)
            .map(Some)
            .map_err(|e| self.invalid(field, 0, e.message()))
    }

    /// 住民状態 against 消除日.
    fn status(&mut self, code: &str, removal: &DateRead) -> Option<LegacyStatus> {
        let field = LegacyField::RemovalDate;
        let label = match code {
            "1" => "住民（1）",
            "2" => "転出（2）",
            _ => "死亡（3）",
        };
        match (code, removal) {
            ("1", DateRead::Blank) => Some(LegacyStatus::Resident),
            ("1", _) => {
                self.issue(
                    field,
                    IssueCode::StatusRemovalMismatch,
                    format!("住民状態が{label}ですが消除日があります"),
                );
                None
            }
            (_, DateRead::Blank) => {
                self.issue(
                    field,
                    IssueCode::StatusRemovalMismatch,
                    format!("住民状態が{label}ですが消除日がありません"),
                );
                None
            }
            ("2", DateRead::Valid(removed_on)) => Some(LegacyStatus::MovedOut {
                removed_on: *removed_on,
            }),
            (_, DateRead::Valid(removed_on)) => Some(LegacyStatus::Deceased {
                removed_on: *removed_on,
            }),
            (_, DateRead::Invalid) => None,
        }
    }

    /// 個人番号: twelve digits with a check digit, or spaces. `Err(())` when
    /// it is given and wrong (reported).
    fn individual_number(
        &mut self,
    ) -> Result<Result<Option<IndividualNumber>, ()>, LegacyFileError> {
        let field = LegacyField::IndividualNumber;
        let text = self.ascii(field)?.to_owned();
        if text.bytes().all(|b| b == b' ') {
            return Ok(Ok(None));
        }
        let message = if text.bytes().all(|b| b.is_ascii_digit()) {
            match IndividualNumber::parse(&text) {
                Ok(number) => return Ok(Ok(Some(number))),
                Err(ValueError::CheckDigit { .. }) => {
                    "個人番号の検査数字（チェックディジット）が正しくありません"
                }
                Err(_) => "個人番号が12桁の数字ではありません",
            }
        } else {
            "個人番号が12桁の数字ではありません"
        };
        self.issue(
            field,
            IssueCode::InvalidIndividualNumber,
            message.to_owned(),
        );
        Ok(Err(()))
    }

    /// 国籍: spaces for Japan or two upper-case letters.
    fn nationality(&self) -> Result<Nationality, LegacyFileError> {
        let field = LegacyField::Nationality;
        let bytes = field.slice(self.bytes);
        match bytes {
            [a, b] => Nationality::from_field([*a, *b]),
            _ => None,
        }
        .ok_or_else(|| self.invalid(field, 0, Message::LegacyNationalityCode {}))
    }
}

/// Reads `era digit + YYMMDD`, explaining why it is not a date.
fn legacy_date(text: &str) -> Result<Date, String> {
    let (era_digit, ymd) = text.split_at_checked(1).unwrap_or((text, ""));
    let era = match era_digit {
        "1" => Era::Meiji,
        "2" => Era::Taisho,
        "3" => Era::Showa,
        "4" => Era::Heisei,
        "5" => Era::Reiwa,
        other => {
            return Err(format!(
                "元号「{other}」は 1（明治）〜5（令和）でなければなりません"
            ));
        }
    };
    if ymd.len() != 6 || !ymd.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("「{ymd}」は年月日の6桁の数字ではありません"));
    }
    let part = |range: std::ops::Range<usize>| {
        ymd.get(range)
            .and_then(|digits| digits.parse::<u32>().ok())
            .unwrap_or(0)
    };
    Wareki::new(era, part(0..2), part(2..4), part(4..6))
        .map(Wareki::to_date)
        .map_err(|e| match e {
            ValueError::InvalidDate(message) => message.text(),
            other => other.message().text(),
        })
}

/// Whether a byte can start a double-byte character of CP932.
fn is_lead_byte(byte: u8) -> bool {
    matches!(byte, 0x81..=0x9F | 0xE0..=0xFC)
}

/// Decodes a double-byte field two bytes at a time: codes of the 外字 area
/// through the map (U+FFFD where it has none), everything else as CP932.
/// `Err` gives the 0-based offset of the first byte that is not CP932.
fn decode_double_byte(bytes: &[u8], gaiji: &GaijiMap) -> Result<DoubleByteText, usize> {
    let mut out = DoubleByteText {
        text: String::with_capacity(bytes.len() * 2),
        mapped: Vec::new(),
        unmapped: Vec::new(),
    };
    let mut run_start = 0;
    let mut i = 0;
    while let Some(&lead) = bytes.get(i) {
        let Some(&trail) = bytes.get(i + 1) else {
            return Err(i);
        };
        if is_gaiji_code(lead, trail) {
            decode_run(
                bytes.get(run_start..i).unwrap_or_default(),
                run_start,
                &mut out.text,
            )?;
            let code = u16::from_be_bytes([lead, trail]);
            match gaiji.get(code) {
                Some(character) => {
                    out.text.push_str(character);
                    if !out.mapped.contains(&code) {
                        out.mapped.push(code);
                    }
                }
                None => {
                    out.text.push('\u{FFFD}');
                    if !out.unmapped.contains(&code) {
                        out.unmapped.push(code);
                    }
                }
            }
            run_start = i + 2;
        } else if !is_lead_byte(lead) {
            return Err(i);
        } else if !is_trail_byte(trail) {
            return Err(i + 1);
        }
        i += 2;
    }
    decode_run(
        bytes.get(run_start..).unwrap_or_default(),
        run_start,
        &mut out.text,
    )?;
    Ok(out)
}

/// Decodes whole double-byte characters with no 外字 among them, refusing
/// any byte pair that CP932 does not map (never substituting).
fn decode_run(run: &[u8], offset: usize, out: &mut String) -> Result<(), usize> {
    if run.is_empty() {
        return Ok(());
    }
    if let Some(text) = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(run) {
        out.push_str(&text);
        return Ok(());
    }
    let bad = run
        .chunks(2)
        .position(|unit| {
            SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(unit)
                .is_none()
        })
        .unwrap_or(0);
    Err(offset + 2 * bad)
}

/// The checks across the records of a household: exactly one resident head.
fn check_households(facts: &[HouseholdFact], issues: &mut Vec<CleansingIssue>) {
    let mut households: HashMap<u64, Vec<&HouseholdFact>> = HashMap::new();
    for fact in facts.iter().filter(|fact| fact.resident) {
        households.entry(fact.household_id).or_default().push(fact);
    }
    for residents in households.values() {
        let heads: Vec<&HouseholdFact> = residents
            .iter()
            .copied()
            .filter(|fact| fact.head_code)
            .collect();
        let (reported, code) = match heads.len() {
            1 => continue,
            0 => (residents, IssueCode::HouseholdWithoutHead),
            _ => (&heads, IssueCode::HouseholdMultipleHeads),
        };
        for fact in reported {
            let message = if heads.is_empty() {
                format!(
                    "世帯{}に住民の世帯主（続柄01）がいません",
                    fact.household_id_text
                )
            } else {
                format!(
                    "世帯{}に住民の世帯主（続柄01）が{}人います",
                    fact.household_id_text,
                    heads.len()
                )
            };
            issues.push(CleansingIssue {
                record: fact.record,
                person_id: fact.person_id_text.clone(),
                field: LegacyField::Relationship,
                code,
                message,
            });
        }
    }
}

/// Groups persons by household, households in the order of their first
/// record.
fn group_by_household(persons: impl Iterator<Item = LegacyPerson>) -> Vec<LegacyHousehold> {
    let mut households: Vec<LegacyHousehold> = Vec::new();
    let mut index_of: HashMap<u64, usize> = HashMap::new();
    for person in persons {
        let index = *index_of.entry(person.household_id).or_insert_with(|| {
            households.push(LegacyHousehold {
                household_id: person.household_id,
                members: Vec::new(),
            });
            households.len() - 1
        });
        if let Some(household) = households.get_mut(index) {
            household.members.push(person);
        }
    }
    households
}
