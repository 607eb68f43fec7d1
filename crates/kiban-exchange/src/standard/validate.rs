//! Checks across rows and files: unique keys, references to other
//! entities (in any order: a reference to an entity not read yet is checked
//! when the whole export has been read), the numbering of the access log,
//! and [`read_export`], the whole check of an export held in memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::error::{ExchangeError, Problem};
use super::manifest::Manifest;
use super::spec::{
    CODE_TABLES_FILE, ENTITIES, EntitySpec, INDIVIDUAL_NUMBERS_FILE, Load, MANIFEST_FILE,
};
use super::table::{TableReader, Value, WrittenFile};

/// A key of a row: two integers for the common keys, else the values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ints(i64, i64),
    Values(Vec<Value>),
}

impl Key {
    fn of(values: &[&Value]) -> Key {
        match values {
            [Value::Int(a)] => Key::Ints(*a, i64::MIN),
            [Value::Int(a), Value::Int(b)] => Key::Ints(*a, *b),
            _ => Key::Values(values.iter().map(|v| (*v).clone()).collect()),
        }
    }
}

fn key_text(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| v.to_field().into_owned())
        .collect::<Vec<_>>()
        .join(",")
}

struct Pending {
    file: &'static str,
    line: u64,
    field: &'static str,
    target: &'static str,
    key: Key,
    key_text: String,
}

/// The keys seen so far and the references still to check (整合性検査).
pub struct References {
    keys: HashMap<&'static str, HashSet<Key>>,
    complete: HashSet<&'static str>,
    current: HashSet<Key>,
    pending: Vec<Pending>,
    next_audit_entry: i64,
}

impl Default for References {
    fn default() -> Self {
        Self::new()
    }
}

fn is_referenced(file: &str) -> bool {
    ENTITIES
        .iter()
        .any(|e| e.references.iter().any(|r| r.target == file))
}

impl References {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self {
            keys: HashMap::new(),
            complete: HashSet::new(),
            current: HashSet::new(),
            pending: Vec::new(),
            next_audit_entry: 1,
        }
    }

    /// Checks one row of `spec` (read at `line`): its key is new, each
    /// reference to a fully read entity resolves (others are kept for
    /// [`References::finish`]), and access-log entries are numbered 1, 2, ….
    pub fn check_row(
        &mut self,
        spec: &'static EntitySpec,
        line: u64,
        row: &[Value],
    ) -> Result<(), ExchangeError> {
        let error = |field: Option<&str>, problem| ExchangeError {
            file: spec.file.to_owned(),
            line: Some(line),
            field: field.map(str::to_owned),
            problem,
        };
        let key_values: Vec<&Value> = spec
            .key_positions()
            .into_iter()
            .filter_map(|i| row.get(i))
            .collect();
        let key = Key::of(&key_values);
        if !self.current.insert(key) {
            return Err(error(None, Problem::DuplicateKey(key_text(&key_values))));
        }
        if spec.load == Load::AuditChain {
            let id = match row.first() {
                Some(Value::Int(id)) => *id,
                _ => 0,
            };
            if id != self.next_audit_entry {
                return Err(error(
                    spec.fields.first().map(|f| f.column),
                    Problem::AuditGap {
                        expected: self.next_audit_entry,
                    },
                ));
            }
            self.next_audit_entry += 1;
        }
        for reference in spec.references {
            let values: Vec<&Value> = reference
                .columns
                .iter()
                .filter_map(|c| spec.position(c).and_then(|i| row.get(i)))
                .collect();
            if values.iter().any(|v| **v == Value::Null) {
                continue;
            }
            let field = reference.columns.first().copied().unwrap_or("");
            let key = Key::of(&values);
            if self.complete.contains(reference.target) {
                let known = self
                    .keys
                    .get(reference.target)
                    .is_some_and(|k| k.contains(&key));
                if !known {
                    return Err(error(
                        Some(field),
                        Problem::UnknownReference {
                            target: reference.target,
                            key: key_text(&values),
                        },
                    ));
                }
            } else {
                self.pending.push(Pending {
                    file: spec.file,
                    line,
                    field,
                    target: reference.target,
                    key,
                    key_text: key_text(&values),
                });
            }
        }
        Ok(())
    }

    /// Marks the entity as fully read.
    pub fn end_entity(&mut self, spec: &'static EntitySpec) {
        let keys = std::mem::take(&mut self.current);
        if is_referenced(spec.file) {
            self.keys.insert(spec.file, keys);
        }
        self.complete.insert(spec.file);
    }

    /// Checks the references that pointed forward.
    pub fn finish(self) -> Result<(), ExchangeError> {
        for p in &self.pending {
            let known = self.keys.get(p.target).is_some_and(|k| k.contains(&p.key));
            if !known {
                return Err(ExchangeError {
                    file: p.file.to_owned(),
                    line: Some(p.line),
                    field: Some(p.field.to_owned()),
                    problem: Problem::UnknownReference {
                        target: p.target,
                        key: p.key_text.clone(),
                    },
                });
            }
        }
        Ok(())
    }
}

/// Compares a file as read with its manifest entry.
pub fn check_against_manifest(
    manifest: &Manifest,
    file: &str,
    read: &WrittenFile,
) -> Result<(), ExchangeError> {
    let error = |problem| ExchangeError {
        file: file.to_owned(),
        line: None,
        field: None,
        problem,
    };
    let Some(entry) = manifest.file(file) else {
        return Err(error(Problem::MissingFile));
    };
    if entry.rows != read.rows {
        return Err(error(Problem::RowCount {
            expected: entry.rows,
            found: read.rows,
        }));
    }
    if entry.sha256 != read.sha256 {
        return Err(error(Problem::Digest));
    }
    Ok(())
}

/// Reads `code_tables.csv` through (its header and records), returning its
/// row count and digest; its codes are informative, the fields are checked
/// against the code tables of this version.
pub fn read_code_tables(bytes: &[u8]) -> Result<WrittenFile, ExchangeError> {
    use sha2::{Digest, Sha256};
    let error = |line, problem| ExchangeError {
        file: CODE_TABLES_FILE.to_owned(),
        line,
        field: None,
        problem,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if first {
                    if record.iter().collect::<Vec<_>>() != ["table", "code", "label_ja"] {
                        return Err(error(
                            Some(1),
                            Problem::Header {
                                expected: "table,code,label_ja".to_owned(),
                            },
                        ));
                    }
                    first = false;
                } else {
                    rows += 1;
                }
            }
            Err(e) => {
                return Err(error(
                    e.position().map(|p| p.line()),
                    Problem::Csv(e.to_string()),
                ));
            }
        }
    }
    if first {
        return Err(error(
            Some(1),
            Problem::Header {
                expected: "table,code,label_ja".to_owned(),
            },
        ));
    }
    Ok(WrittenFile {
        rows,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

/// An export read and checked in memory: the manifest and every entity's
/// rows, in the order of [`ENTITIES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedExport {
    /// The manifest.
    pub manifest: Manifest,
    /// Each entity with its rows (one value per field).
    pub tables: Vec<(&'static EntitySpec, Vec<Vec<Value>>)>,
}

/// Reads and checks a whole export given as file name → bytes: the
/// manifest, every file's header, every field, keys and references, the
/// numbering of the access log, and every file's row count and SHA-256
/// against the manifest. Pure (no IO); the importer runs the same checks
/// while streaming from disk. The encrypted 個人番号, when the export holds
/// them, are checked against the manifest's digest only: reading them needs
/// the recipient's identity.
pub fn read_export(files: &BTreeMap<String, Vec<u8>>) -> Result<ValidatedExport, ExchangeError> {
    let missing = |file: &str| ExchangeError {
        file: file.to_owned(),
        line: None,
        field: None,
        problem: Problem::MissingFile,
    };
    let manifest = Manifest::parse(
        files
            .get(MANIFEST_FILE)
            .ok_or_else(|| missing(MANIFEST_FILE))?,
    )?;
    let code_tables = files
        .get(CODE_TABLES_FILE)
        .ok_or_else(|| missing(CODE_TABLES_FILE))?;
    check_against_manifest(&manifest, CODE_TABLES_FILE, &read_code_tables(code_tables)?)?;
    if manifest.individual_numbers.exported() {
        use sha2::{Digest, Sha256};
        let bytes = files
            .get(INDIVIDUAL_NUMBERS_FILE)
            .ok_or_else(|| missing(INDIVIDUAL_NUMBERS_FILE))?;
        let listed = manifest.file(INDIVIDUAL_NUMBERS_FILE);
        if listed.is_none_or(|f| f.sha256 != hex::encode(Sha256::digest(bytes))) {
            return Err(ExchangeError {
                file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
                line: None,
                field: None,
                problem: Problem::Digest,
            });
        }
    }
    let mut references = References::new();
    let mut tables = Vec::with_capacity(ENTITIES.len());
    for spec in ENTITIES {
        let bytes = files.get(spec.file).ok_or_else(|| missing(spec.file))?;
        let mut reader = TableReader::new(spec, bytes.as_slice())?;
        let mut rows = Vec::new();
        while let Some(next) = reader.next_row() {
            let (line, row) = next?;
            references.check_row(spec, line, &row)?;
            rows.push(row);
        }
        references.end_entity(spec);
        check_against_manifest(&manifest, spec.file, &reader.finish()?)?;
        tables.push((spec, rows));
    }
    references.finish()?;
    Ok(ValidatedExport { manifest, tables })
}
