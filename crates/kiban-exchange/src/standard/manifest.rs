//! `manifest.json`: what an export holds, with each file's row count and
//! SHA-256.

use serde::{Deserialize, Serialize};

use super::error::{ExchangeError, Problem};
use super::spec::{CODE_TABLES_FILE, ENTITIES, INDIVIDUAL_NUMBERS_FILE, MANIFEST_FILE};

/// The name of the format in the manifest.
pub const FORMAT_NAME: &str = "kiban-standard-exchange";
/// The version of the format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest of an export (マニフェスト).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The exporting municipality's code.
    pub municipality_code: String,
    /// Its name.
    pub municipality_name: String,
    /// Its prefecture.
    pub prefecture: String,
    /// When the export was taken (RFC 3339, UTC).
    pub exported_at: String,
    /// The access log's hash chain at the source.
    pub audit_chain: AuditChain,
    /// Whether the 個人番号 travel with the export (encrypted) or not. An
    /// export written before this field existed holds none.
    #[serde(default)]
    pub individual_numbers: IndividualNumbers,
    /// Every file but the manifest, in the order of the format.
    pub files: Vec<ManifestFile>,
}

/// The source's access-log chain: its length and the hash of its last
/// entry, computed with the source's municipality code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditChain {
    /// The number of entries.
    pub entries: u64,
    /// The `entry_hash` of the last entry (64 zeros when there is none).
    pub head_hash: String,
}

/// The encryption of [`INDIVIDUAL_NUMBERS_FILE`]: age (age-encryption.org/v1)
/// to one X25519 recipient.
pub const INDIVIDUAL_NUMBERS_ENCRYPTION: &str = "age-x25519";

/// Whether an export holds the 個人番号 (`individual_numbers` of the
/// manifest): the text `"not_exported"`, or where and how they are
/// encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IndividualNumbers {
    /// Not in the export (`"not_exported"`).
    LeftOut(LeftOut),
    /// In [`INDIVIDUAL_NUMBERS_FILE`], encrypted to one recipient.
    Encrypted(EncryptedNumbers),
}

impl Default for IndividualNumbers {
    fn default() -> Self {
        Self::LeftOut(LeftOut::NotExported)
    }
}

/// The mark of an export without 個人番号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftOut {
    /// `"not_exported"`: no 個人番号 left the source.
    NotExported,
}

/// Where the encrypted 個人番号 are, and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedNumbers {
    /// Always [`INDIVIDUAL_NUMBERS_FILE`] (also listed in `files`).
    pub file: String,
    /// Always [`INDIVIDUAL_NUMBERS_ENCRYPTION`].
    pub encryption: String,
    /// The recipient's public key (`age1…`), so that the receiver knows
    /// which of its identities opens the file.
    pub recipient: String,
}

impl IndividualNumbers {
    /// Whether the export holds them.
    pub fn exported(&self) -> bool {
        matches!(self, Self::Encrypted(_))
    }
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// The file name.
    pub file: String,
    /// Data rows (the header not counted).
    pub rows: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

fn manifest_error(field: Option<&str>, problem: Problem) -> ExchangeError {
    ExchangeError {
        file: MANIFEST_FILE.to_owned(),
        line: None,
        field: field.map(str::to_owned),
        problem,
    }
}

impl Manifest {
    /// The manifest as written (pretty JSON with a final line break).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self).map(|mut s| {
            s.push('\n');
            s
        })
    }

    /// Reads and checks a manifest: the format and version, the
    /// municipality code's form, and that it lists exactly the files of the
    /// format.
    pub fn parse(bytes: &[u8]) -> Result<Self, ExchangeError> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| manifest_error(None, Problem::Manifest(e.to_string())))?;
        if manifest.format != FORMAT_NAME || manifest.format_version != FORMAT_VERSION {
            return Err(manifest_error(
                Some("format_version"),
                Problem::Format {
                    expected: format!("{FORMAT_NAME} {FORMAT_VERSION}"),
                    found: format!("{} {}", manifest.format, manifest.format_version),
                },
            ));
        }
        if kiban_core::MunicipalityCode::parse(&manifest.municipality_code).is_err() {
            return Err(manifest_error(
                Some("municipality_code"),
                Problem::ManifestMunicipalityCode,
            ));
        }
        let head = &manifest.audit_chain.head_hash;
        if head.len() != 64 || !head.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(manifest_error(
                Some("audit_chain.head_hash"),
                Problem::ManifestDigestForm,
            ));
        }
        if let IndividualNumbers::Encrypted(numbers) = &manifest.individual_numbers {
            if numbers.file != INDIVIDUAL_NUMBERS_FILE {
                return Err(manifest_error(
                    Some("individual_numbers.file"),
                    Problem::ManifestExpected(INDIVIDUAL_NUMBERS_FILE.to_owned()),
                ));
            }
            if numbers.encryption != INDIVIDUAL_NUMBERS_ENCRYPTION {
                return Err(manifest_error(
                    Some("individual_numbers.encryption"),
                    Problem::ManifestExpected(INDIVIDUAL_NUMBERS_ENCRYPTION.to_owned()),
                ));
            }
            if !manifest
                .files
                .iter()
                .any(|f| f.file == INDIVIDUAL_NUMBERS_FILE)
            {
                return Err(ExchangeError {
                    file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
                    line: None,
                    field: None,
                    problem: Problem::MissingFile,
                });
            }
        }
        let numbers = manifest.individual_numbers.exported();
        for (i, f) in manifest.files.iter().enumerate() {
            let known = f.file == CODE_TABLES_FILE
                || ENTITIES.iter().any(|e| e.file == f.file)
                || (numbers && f.file == INDIVIDUAL_NUMBERS_FILE);
            let at = format!("files[{i}].file");
            if !known {
                return Err(manifest_error(Some(&at), Problem::UnknownFile));
            }
            if manifest.files[..i].iter().any(|o| o.file == f.file) {
                return Err(manifest_error(Some(&at), Problem::DuplicateFile));
            }
        }
        for name in ENTITIES
            .iter()
            .map(|e| e.file)
            .chain(std::iter::once(CODE_TABLES_FILE))
        {
            if !manifest.files.iter().any(|f| f.file == name) {
                return Err(ExchangeError {
                    file: name.to_owned(),
                    line: None,
                    field: None,
                    problem: Problem::MissingFile,
                });
            }
        }
        Ok(manifest)
    }

    /// The manifest's entry of a file.
    pub fn file(&self, name: &str) -> Option<&ManifestFile> {
        self.files.iter().find(|f| f.file == name)
    }
}
