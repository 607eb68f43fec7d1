//! The cleansing report (データクレンジング結果): every problem found in an
//! extract, classified by when it can be fixed.

use serde::Serialize;

use super::layout::LegacyField;

/// When a problem can be fixed (対応時期), the classes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueClass {
    /// 移行前に現行システムで修正: the record cannot be migrated as it is,
    /// and nothing is imported while one remains.
    BeforeMigration,
    /// 移行時に一括修正: fixed automatically by the import, and reported.
    DuringMigration,
    /// 移行後に修正: migrated, and put on a follow-up list for clerks.
    AfterMigration,
}

impl IssueClass {
    /// The stable code: `before_migration`, `during_migration`,
    /// `after_migration`.
    pub const fn code(self) -> &'static str {
        match self {
            IssueClass::BeforeMigration => "before_migration",
            IssueClass::DuringMigration => "during_migration",
            IssueClass::AfterMigration => "after_migration",
        }
    }
}

/// The stable code of a problem (問題コード), as listed in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueCode {
    /// `invalid_date`: a date that does not exist, in any date field.
    InvalidDate,
    /// `missing_name`: 氏名 or カナ氏名 is blank.
    MissingName,
    /// `duplicate_person_id`: the 宛名番号 appeared in an earlier record.
    DuplicatePersonId,
    /// `household_without_head`: a household with residents has no resident
    /// head (続柄 `01`).
    HouseholdWithoutHead,
    /// `household_multiple_heads`: a household has more than one resident
    /// head.
    HouseholdMultipleHeads,
    /// `unmapped_gaiji`: a 外字 that the map does not cover.
    UnmappedGaiji,
    /// `invalid_individual_number`: a 個人番号 that is not 12 digits or whose
    /// check digit is wrong.
    InvalidIndividualNumber,
    /// `removal_before_residence`: 消除日 earlier than 住定日.
    RemovalBeforeResidence,
    /// `status_removal_mismatch`: 住民状態 `1` with a 消除日, or `2`/`3`
    /// without one.
    StatusRemovalMismatch,
    /// `gaiji_mapped`: a 外字 replaced through the map.
    GaijiMapped,
    /// `residence_before_head` (an addition to the contract's codes): a
    /// resident's 住定日 is earlier than that of the household's head; the
    /// household begins with its head, so the member's residence is recorded
    /// from the head's 住定日.
    ResidenceBeforeHead,
    /// `extra_spaces`: leading or repeated spaces in a name, normalized.
    ExtraSpaces,
    /// `missing_postal_code`: 郵便番号 blank for a resident.
    MissingPostalCode,
    /// `unknown_relationship_code`: a 続柄 outside the table, migrated as
    /// その他の親族.
    UnknownRelationshipCode,
    /// `missing_residence_status`: a foreign resident (国籍 set); the layout
    /// carries no 在留資格・在留期間, so they are migrated as unknown.
    MissingResidenceStatus,
}

impl IssueCode {
    /// Every code, in the order of the contract.
    pub const ALL: [IssueCode; 15] = [
        IssueCode::InvalidDate,
        IssueCode::MissingName,
        IssueCode::DuplicatePersonId,
        IssueCode::HouseholdWithoutHead,
        IssueCode::HouseholdMultipleHeads,
        IssueCode::UnmappedGaiji,
        IssueCode::InvalidIndividualNumber,
        IssueCode::RemovalBeforeResidence,
        IssueCode::StatusRemovalMismatch,
        IssueCode::GaijiMapped,
        IssueCode::ResidenceBeforeHead,
        IssueCode::ExtraSpaces,
        IssueCode::MissingPostalCode,
        IssueCode::UnknownRelationshipCode,
        IssueCode::MissingResidenceStatus,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            IssueCode::InvalidDate => "invalid_date",
            IssueCode::MissingName => "missing_name",
            IssueCode::DuplicatePersonId => "duplicate_person_id",
            IssueCode::HouseholdWithoutHead => "household_without_head",
            IssueCode::HouseholdMultipleHeads => "household_multiple_heads",
            IssueCode::UnmappedGaiji => "unmapped_gaiji",
            IssueCode::InvalidIndividualNumber => "invalid_individual_number",
            IssueCode::RemovalBeforeResidence => "removal_before_residence",
            IssueCode::StatusRemovalMismatch => "status_removal_mismatch",
            IssueCode::GaijiMapped => "gaiji_mapped",
            IssueCode::ResidenceBeforeHead => "residence_before_head",
            IssueCode::ExtraSpaces => "extra_spaces",
            IssueCode::MissingPostalCode => "missing_postal_code",
            IssueCode::UnknownRelationshipCode => "unknown_relationship_code",
            IssueCode::MissingResidenceStatus => "missing_residence_status",
        }
    }

    /// The class the contract puts the code in.
    pub const fn class(self) -> IssueClass {
        match self {
            IssueCode::InvalidDate
            | IssueCode::MissingName
            | IssueCode::DuplicatePersonId
            | IssueCode::HouseholdWithoutHead
            | IssueCode::HouseholdMultipleHeads
            | IssueCode::UnmappedGaiji
            | IssueCode::InvalidIndividualNumber
            | IssueCode::RemovalBeforeResidence
            | IssueCode::StatusRemovalMismatch => IssueClass::BeforeMigration,
            IssueCode::GaijiMapped | IssueCode::ExtraSpaces | IssueCode::ResidenceBeforeHead => {
                IssueClass::DuringMigration
            }
            IssueCode::MissingPostalCode
            | IssueCode::UnknownRelationshipCode
            | IssueCode::MissingResidenceStatus => IssueClass::AfterMigration,
        }
    }
}

/// One problem found in one record (クレンジング結果の1件).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleansingIssue {
    /// The 1-based record number.
    pub record: usize,
    /// The record's 宛名番号, as written in the file.
    pub person_id: String,
    /// The field the problem is in.
    pub field: LegacyField,
    /// The stable code of the problem; its class follows from it.
    pub code: IssueCode,
    /// What is wrong, in Japanese, for the clerks who fix it. Never contains
    /// a 個人番号.
    pub message: String,
}

impl CleansingIssue {
    /// The class of the problem.
    pub fn class(&self) -> IssueClass {
        self.code.class()
    }
}

/// The number of issue entries in each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IssueSummary {
    /// Entries of class `before_migration`.
    pub before_migration: usize,
    /// Entries of class `during_migration`.
    pub during_migration: usize,
    /// Entries of class `after_migration`.
    pub after_migration: usize,
}

/// The cleansing report (データクレンジング結果) of one extract.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CleansingReport {
    /// The number of person records in the file (the trailer not counted).
    pub records: usize,
    /// The number of persons that can be imported: every person record, or
    /// 0 when any `before_migration` problem exists.
    pub imported: usize,
    /// The problems, ordered by record and, within a record, by field.
    pub issues: Vec<CleansingIssue>,
}

impl CleansingReport {
    /// The number of entries in each class.
    pub fn summary(&self) -> IssueSummary {
        let mut summary = IssueSummary::default();
        for issue in &self.issues {
            match issue.class() {
                IssueClass::BeforeMigration => summary.before_migration += 1,
                IssueClass::DuringMigration => summary.during_migration += 1,
                IssueClass::AfterMigration => summary.after_migration += 1,
            }
        }
        summary
    }

    /// Whether any problem must be fixed in the current system first, in
    /// which case nothing is imported.
    pub fn has_before_migration_issues(&self) -> bool {
        self.issues
            .iter()
            .any(|issue| issue.class() == IssueClass::BeforeMigration)
    }

    /// The report as the JSON document of the contract (`--report FILE`):
    /// `{"records", "imported", "summary": {"before_migration",
    /// "during_migration", "after_migration"}, "issues": [{"record",
    /// "person_id", "field", "class", "code", "message"}]}`, keys in that
    /// order.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let summary = self.summary();
        let wire = ReportJson {
            records: self.records,
            imported: self.imported,
            summary: SummaryJson {
                before_migration: summary.before_migration,
                during_migration: summary.during_migration,
                after_migration: summary.after_migration,
            },
            issues: self
                .issues
                .iter()
                .map(|issue| IssueJson {
                    record: issue.record,
                    person_id: &issue.person_id,
                    field: issue.field.code(),
                    class: issue.class().code(),
                    code: issue.code.code(),
                    message: &issue.message,
                })
                .collect(),
        };
        serde_json::to_string(&wire)
    }
}

/// The report on the wire; the field order is the contract's.
#[derive(Serialize)]
struct ReportJson<'a> {
    records: usize,
    imported: usize,
    summary: SummaryJson,
    issues: Vec<IssueJson<'a>>,
}

#[derive(Serialize)]
struct SummaryJson {
    before_migration: usize,
    during_migration: usize,
    after_migration: usize,
}

#[derive(Serialize)]
struct IssueJson<'a> {
    record: usize,
    person_id: &'a str,
    field: &'static str,
    class: &'static str,
    code: &'static str,
    message: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_contract_shape() {
        let report = CleansingReport {
            records: 3,
            imported: 0,
            issues: vec![
                CleansingIssue {
                    record: 2,
                    person_id: "0000000002".to_owned(),
                    field: LegacyField::BirthDate,
                    code: IssueCode::InvalidDate,
                    message: "生年月日が存在しない日付です".to_owned(),
                },
                CleansingIssue {
                    record: 3,
                    person_id: "0000000003".to_owned(),
                    field: LegacyField::PostalCode,
                    code: IssueCode::MissingPostalCode,
                    message: "郵便番号が空白です".to_owned(),
                },
            ],
        };
        assert_eq!(
            report.to_json().ok().as_deref(),
            Some(concat!(
                r#"{"records":3,"imported":0,"#,
                r#""summary":{"before_migration":1,"during_migration":0,"after_migration":1},"#,
                r#""issues":[{"record":2,"person_id":"0000000002","field":"birth_date","class":"before_migration","code":"invalid_date","message":"生年月日が存在しない日付です"},"#,
                r#"{"record":3,"person_id":"0000000003","field":"postal_code","class":"after_migration","code":"missing_postal_code","message":"郵便番号が空白です"}]}"#
            ))
        );
    }

    #[test]
    fn every_code_has_a_distinct_name() {
        let mut names: Vec<_> = IssueCode::ALL.iter().map(|c| c.code()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), IssueCode::ALL.len());
    }
}
