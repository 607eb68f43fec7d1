//! Why a standard export cannot be imported: the file, the line and the
//! field at fault, and what is wrong there.

/// A problem found in an export (取込エラー), naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}: {problem}", file, line.map(|l| format!(" line {l}")).unwrap_or_default(), field.as_ref().map(|f| format!(" field {f}")).unwrap_or_default())]
pub struct ExchangeError {
    /// The file (e.g. `persons.csv`, `manifest.json`).
    pub file: String,
    /// The 1-based line in the file, when one line is at fault.
    pub line: Option<u64>,
    /// The field (column name, or manifest key), when one field is at fault.
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong (the catalogue has its Japanese message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A file listed by the format is missing from the directory.
    #[error("file missing")]
    MissingFile,
    /// The manifest lists a file the format does not know.
    #[error("a file the format does not have")]
    UnknownFile,
    /// The manifest lists a file twice.
    #[error("listed twice in the manifest")]
    DuplicateFile,
    /// The manifest is not the JSON document of the format.
    #[error("not a manifest: {0}")]
    Manifest(String),
    /// The manifest's 団体コード is not a municipality code.
    #[error("not a manifest: invalid municipality code")]
    ManifestMunicipalityCode,
    /// The manifest's chain head is not a SHA-256 in lower-case hex.
    #[error("not a manifest: not a SHA-256 (64 lower-case hex digits)")]
    ManifestDigestForm,
    /// A manifest member that must hold the value given.
    #[error("not a manifest: must be {0}")]
    ManifestExpected(String),
    /// The format or its version is not the one this version reads.
    #[error("format {found} not supported (only {expected})")]
    Format {
        /// What this version reads.
        expected: String,
        /// What the manifest says.
        found: String,
    },
    /// The row count differs from the manifest's.
    #[error("{found} rows, the manifest says {expected}")]
    RowCount {
        /// The manifest's count.
        expected: u64,
        /// The count in the file.
        found: u64,
    },
    /// The SHA-256 differs from the manifest's.
    #[error("SHA-256 differs from the manifest (the file was changed)")]
    Digest,
    /// The bytes are not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// The CSV cannot be read.
    #[error("not CSV: {0}")]
    Csv(String),
    /// The header is not the entity's column list.
    #[error("wrong header (expected {expected})")]
    Header {
        /// The expected header.
        expected: String,
    },
    /// A record has the wrong number of fields.
    #[error("{found} fields (expected {expected})")]
    FieldCount {
        /// The entity's field count.
        expected: u64,
        /// The record's.
        found: u64,
    },
    /// A required field is empty.
    #[error("required field empty")]
    Required,
    /// Text longer than the field allows.
    #[error("{found} characters (at most {max})")]
    TooLong {
        /// The limit.
        max: usize,
        /// The length found.
        found: usize,
    },
    /// A control character (line break, tab, …) in text.
    #[error("control character U+{0:04X}")]
    ControlCharacter(u32),
    /// A private-use character in a field that may not hold 外字.
    #[error(
        "private-use character U+{0:04X} (gaiji are written as standard characters and variation selectors)"
    )]
    PrivateUse(u32),
    /// A variation selector in a field that may not hold IVS.
    #[error("variation selector U+{0:04X} not allowed in this field")]
    VariationSelector(u32),
    /// Not a canonical integer.
    #[error("not a canonical integer (no leading 0 or +)")]
    NotInteger,
    /// Not `0` or `1`.
    #[error("not 0 or 1")]
    NotFlag,
    /// Not a date `YYYY-MM-DD` that exists.
    #[error("not an existing date YYYY-MM-DD")]
    NotDate,
    /// Not an RFC 3339 timestamp.
    #[error("not an RFC 3339 timestamp")]
    NotTimestamp,
    /// Not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// Not canonical Base64.
    #[error("not canonical Base64 (standard alphabet, padded with =)")]
    NotBase64,
    /// A code outside its code table.
    #[error("code {code} not in code table {table}")]
    UnknownCode {
        /// The code table.
        table: &'static str,
        /// The code found.
        code: String,
    },
    /// The key of an earlier row again.
    #[error("duplicate key ({0})")]
    DuplicateKey(String),
    /// A reference to a row that does not exist.
    #[error("{key} not in {target}")]
    UnknownReference {
        /// The target file.
        target: &'static str,
        /// The key referred to.
        key: String,
    },
    /// The access log is not numbered 1, 2, 3, … in order.
    #[error("access log not numbered 1, 2, 3, … (expected {expected})")]
    AuditGap {
        /// The number expected.
        expected: i64,
    },
    /// Not a 個人番号 (12 digits whose check digit matches). The value is
    /// never repeated.
    #[error("not an individual number (12 digits with a matching check digit)")]
    IndividualNumber,
    /// The current 個人番号 of another person too.
    #[error("the current individual number of person {0} too")]
    SharedIndividualNumber(u64),
    /// The access log does not give the chain head of the manifest.
    #[error("the access log's chain head differs from the manifest's audit_chain.head_hash")]
    AuditChain,
}

impl ExchangeError {
    /// The catalogue's message for people: where, then what.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        let file = self.file.clone();
        let problem = self.problem.message().text();
        match (self.line, &self.field) {
            (None, None) => M::ImportInFile { file, problem },
            (Some(line), None) => M::ImportAtLine {
                file,
                line: line.to_string(),
                problem,
            },
            (None, Some(field)) => M::ImportInField {
                file,
                field: field.clone(),
                problem,
            },
            (Some(line), Some(field)) => M::ImportAtLineField {
                file,
                line: line.to_string(),
                field: field.clone(),
                problem,
            },
        }
    }
}

/// A character as `U+XXXX`.
fn code_point(c: u32) -> String {
    format!("U+{c:04X}")
}

impl Problem {
    /// The catalogue's message for people.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Problem::MissingFile => M::ImportMissingFile {},
            Problem::UnknownFile => M::ImportUnknownFile {},
            Problem::DuplicateFile => M::ImportDuplicateFile {},
            Problem::Manifest(detail) => M::ImportManifest {
                detail: detail.clone(),
            },
            Problem::ManifestMunicipalityCode => M::ImportManifestMunicipality {},
            Problem::ManifestDigestForm => M::ImportManifestDigest {},
            Problem::ManifestExpected(expected) => M::ImportManifestExpected {
                expected: expected.clone(),
            },
            Problem::Format { expected, found } => M::ImportFormat {
                expected: expected.clone(),
                found: found.clone(),
            },
            Problem::RowCount { expected, found } => M::ImportRowCount {
                expected: expected.to_string(),
                found: found.to_string(),
            },
            Problem::Digest => M::ImportDigest {},
            Problem::NotUtf8 => M::ImportNotUtf8 {},
            Problem::Csv(detail) => M::ImportCsv {
                detail: detail.clone(),
            },
            Problem::Header { expected } => M::ImportHeader {
                expected: expected.clone(),
            },
            Problem::FieldCount { expected, found } => M::ImportFieldCount {
                expected: expected.to_string(),
                found: found.to_string(),
            },
            Problem::Required => M::ImportRequired {},
            Problem::TooLong { max, found } => M::ImportTooLong {
                max: max.to_string(),
                found: found.to_string(),
            },
            Problem::ControlCharacter(c) => M::ImportControlCharacter {
                code_point: code_point(*c),
            },
            Problem::PrivateUse(c) => M::ImportPrivateUse {
                code_point: code_point(*c),
            },
            Problem::VariationSelector(c) => M::ImportVariationSelector {
                code_point: code_point(*c),
            },
            Problem::NotInteger => M::ImportNotInteger {},
            Problem::NotFlag => M::ImportNotFlag {},
            Problem::NotDate => M::ImportNotDate {},
            Problem::NotTimestamp => M::ImportNotTimestamp {},
            Problem::NotJson(detail) => M::ImportNotJson {
                detail: detail.clone(),
            },
            Problem::NotBase64 => M::ImportNotBase64 {},
            Problem::UnknownCode { table, code } => M::ImportUnknownCode {
                table: (*table).to_owned(),
                code: code.clone(),
            },
            Problem::DuplicateKey(key) => M::ImportDuplicateKey { key: key.clone() },
            Problem::UnknownReference { target, key } => M::ImportUnknownReference {
                target: (*target).to_owned(),
                key: key.clone(),
            },
            Problem::AuditGap { expected } => M::ImportAuditGap {
                expected: expected.to_string(),
            },
            Problem::IndividualNumber => M::ImportIndividualNumber {},
            Problem::SharedIndividualNumber(person_id) => M::ImportSharedIndividualNumber {
                person_id: person_id.to_string(),
            },
            Problem::AuditChain => M::ImportAuditChain {},
        }
    }
}
