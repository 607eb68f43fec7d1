//! The standard exchange format in memory: a small export written with
//! [`TableWriter`] reads back, and each kind of bad input is an error naming
//! the file, the line and the field.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::collections::BTreeMap;

use kiban_exchange::standard::{
    AuditChain, CODE_TABLES_FILE, ENTITIES, FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, Manifest,
    ManifestFile, Problem, TableWriter, Value, read_export, spec, write_code_tables,
};

fn int(v: i64) -> Value {
    Value::Int(v)
}

fn text(t: &str) -> Value {
    Value::Text(t.to_owned())
}

/// One household of one person registered by one movement.
fn rows(file: &str) -> Vec<Vec<Value>> {
    match file {
        "number_sequences.csv" => vec![vec![text("person_id"), int(2)]],
        "movements.csv" => vec![vec![
            int(1),
            text("move_in"),
            text("2024-04-01"),
            text("2024-04-01"),
            text("2024-04-01T00:00:00.000000Z"),
            text("clerk"),
            Value::Null,
            text(r#"{"v":1}"#),
        ]],
        "households.csv" => vec![vec![
            int(1),
            int(1),
            text("4010013"),
            text("大月市大月二丁目６番２０号"),
            Value::Null,
        ]],
        "persons.csv" => vec![vec![
            int(1),
            int(1),
            text("12345678901"),
            text("辻\u{E0102}　太郎"),
            text("辻\u{E0102}太郎"),
            text("ツジ　タロウ"),
            text("ツジタロウ"),
            text("1980-04-01"),
            text("male"),
            text("head"),
            text("JP"),
            Value::Null,
            Value::Null,
            text("4010013"),
            text("大月市大月二丁目６番２０号"),
            Value::Null,
            text("resident"),
            text("2024-04-01"),
            Value::Null,
            int(1),
        ]],
        "movement_persons.csv" => vec![vec![int(1), int(1)]],
        "movement_households.csv" => vec![vec![int(1), int(1)]],
        _ => Vec::new(),
    }
}

fn export(edit: impl Fn(&str, &mut Vec<Vec<Value>>)) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut listed = Vec::new();
    for spec in ENTITIES {
        let mut data = rows(spec.file);
        edit(spec.file, &mut data);
        let mut out = Vec::new();
        let mut writer = TableWriter::new(spec, &mut out).unwrap();
        for row in &data {
            writer.write_row(row).unwrap();
        }
        let written = writer.finish().unwrap();
        listed.push(ManifestFile {
            file: spec.file.to_owned(),
            rows: written.rows,
            sha256: written.sha256,
        });
        files.insert(spec.file.to_owned(), out);
    }
    let mut out = Vec::new();
    let written = write_code_tables(&mut out).unwrap();
    listed.push(ManifestFile {
        file: CODE_TABLES_FILE.to_owned(),
        rows: written.rows,
        sha256: written.sha256,
    });
    files.insert(CODE_TABLES_FILE.to_owned(), out);
    let manifest = Manifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        municipality_code: "990019".to_owned(),
        municipality_name: "デモ市".to_owned(),
        prefecture: "デモ県".to_owned(),
        exported_at: "2026-01-01T00:00:00Z".to_owned(),
        audit_chain: AuditChain {
            entries: 0,
            head_hash: "0".repeat(64),
        },
        individual_numbers: Default::default(),
        files: listed,
    };
    files.insert(
        MANIFEST_FILE.to_owned(),
        manifest.to_json().unwrap().into_bytes(),
    );
    files
}

#[test]
fn a_small_export_reads_back() {
    let read = read_export(&export(|_, _| {})).unwrap();
    let persons = read
        .tables
        .iter()
        .find(|(s, _)| s.file == "persons.csv")
        .unwrap();
    assert_eq!(persons.1, rows("persons.csv"));
}

/// `check(edit, (file, line, field), problem)`.
fn check(
    edit: impl Fn(&str, &mut Vec<Vec<Value>>),
    at: (&str, Option<u64>, Option<&str>),
    problem: Problem,
) {
    let error = read_export(&export(edit)).unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.line, error.field.as_deref()),
        at,
        "{error}"
    );
    assert_eq!(error.problem, problem, "{error}");
    assert!(!error.to_string().is_empty());
}

#[test]
fn bad_input_names_file_line_and_field() {
    check(
        |f, r| {
            if f == "movement_persons.csv" {
                r[0][0] = int(7);
            }
        },
        ("movement_persons.csv", Some(2), Some("person_id")),
        Problem::UnknownReference {
            target: "persons.csv",
            key: "7".to_owned(),
        },
    );
    check(
        |f, r| {
            if f == "households.csv" {
                r[0][1] = int(9);
            }
        },
        ("households.csv", Some(2), Some("head_person_id")),
        Problem::UnknownReference {
            target: "persons.csv",
            key: "9".to_owned(),
        },
    );
    check(
        |f, r| {
            if f == "persons.csv" {
                r[0][7] = text("1980-02-30");
            }
        },
        ("persons.csv", Some(2), Some("birth_date")),
        Problem::NotDate,
    );
    check(
        |f, r| {
            if f == "persons.csv" {
                r[0][10] = text("J\u{E0100}");
            }
        },
        ("persons.csv", Some(2), Some("nationality")),
        Problem::VariationSelector(0xE0100),
    );
    check(
        |f, r| {
            if f == "movements.csv" {
                r[0][7] = text("{not json");
            }
        },
        ("movements.csv", Some(2), Some("payload")),
        Problem::NotJson("key must be a string at line 1 column 2".to_owned()),
    );
    check(
        |f, r| {
            if f == "movement_households.csv" {
                let row = r[0].clone();
                r.push(row);
            }
        },
        ("movement_households.csv", Some(3), None),
        Problem::DuplicateKey("1,1".to_owned()),
    );
    check(
        |f, r| {
            if f == "persons.csv" {
                r[0][0] = Value::Null;
            }
        },
        ("persons.csv", Some(2), Some("person_id")),
        Problem::Required,
    );
}

#[test]
fn the_manifest_guards_the_files() {
    let mut files = export(|_, _| {});
    let persons = String::from_utf8(files["persons.csv"].clone()).unwrap();
    files.insert(
        "persons.csv".to_owned(),
        persons.replace(",male,", ",female,").into_bytes(),
    );
    let error = read_export(&files).unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.problem),
        ("persons.csv", Problem::Digest)
    );

    let mut files = export(|_, _| {});
    files.remove("outbox.csv");
    assert_eq!(
        read_export(&files).unwrap_err().problem,
        Problem::MissingFile
    );

    let mut files = export(|_, _| {});
    let manifest = String::from_utf8(files[MANIFEST_FILE].clone()).unwrap();
    files.insert(
        MANIFEST_FILE.to_owned(),
        manifest
            .replace("\"format_version\": 1", "\"format_version\": 2")
            .into_bytes(),
    );
    assert!(matches!(
        read_export(&files).unwrap_err().problem,
        Problem::Format { .. }
    ));
}

/// `individual_numbers`: `"not_exported"` by default (and for a manifest
/// written before the field existed); when encrypted, the file must be
/// listed, with the digest of its bytes; otherwise it may not be.
#[test]
fn the_manifest_says_whether_individual_numbers_travel() {
    use kiban_exchange::standard::{
        EncryptedNumbers, INDIVIDUAL_NUMBERS_ENCRYPTION, INDIVIDUAL_NUMBERS_FILE, IndividualNumbers,
    };
    use sha2::{Digest, Sha256};
    let files = export(|_, _| {});
    let text = String::from_utf8(files[MANIFEST_FILE].clone()).unwrap();
    assert!(
        text.contains("\"individual_numbers\": \"not_exported\""),
        "{text}"
    );
    let old = text.replace("  \"individual_numbers\": \"not_exported\",\n", "");
    assert_ne!(old, text);
    assert_eq!(
        Manifest::parse(old.as_bytes()).unwrap().individual_numbers,
        IndividualNumbers::default()
    );

    let encrypted = b"age-encryption.org/v1\n(not really)".to_vec();
    let with_numbers = |listed: bool, bytes: &[u8]| {
        let mut files = files.clone();
        let mut manifest = Manifest::parse(&files[MANIFEST_FILE]).unwrap();
        manifest.individual_numbers = IndividualNumbers::Encrypted(EncryptedNumbers {
            file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
            encryption: INDIVIDUAL_NUMBERS_ENCRYPTION.to_owned(),
            recipient: "age1…".to_owned(),
        });
        if listed {
            manifest.files.push(ManifestFile {
                file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
                rows: 1,
                sha256: hex::encode(Sha256::digest(&encrypted)),
            });
        }
        files.insert(INDIVIDUAL_NUMBERS_FILE.to_owned(), bytes.to_vec());
        files.insert(
            MANIFEST_FILE.to_owned(),
            manifest.to_json().unwrap().into_bytes(),
        );
        files
    };
    assert!(read_export(&with_numbers(true, &encrypted)).is_ok());
    let error = read_export(&with_numbers(false, &encrypted)).unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.problem),
        (INDIVIDUAL_NUMBERS_FILE, Problem::MissingFile)
    );
    let error = read_export(&with_numbers(true, b"altered")).unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.problem),
        (INDIVIDUAL_NUMBERS_FILE, Problem::Digest)
    );
    // Listed while the manifest says not_exported: refused.
    let mut files = files.clone();
    let mut manifest = Manifest::parse(&files[MANIFEST_FILE]).unwrap();
    manifest.files.push(ManifestFile {
        file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
        rows: 1,
        sha256: hex::encode(Sha256::digest(&encrypted)),
    });
    files.insert(
        MANIFEST_FILE.to_owned(),
        manifest.to_json().unwrap().into_bytes(),
    );
    assert_eq!(
        read_export(&files).unwrap_err().problem,
        Problem::UnknownFile
    );
}

#[test]
fn every_code_table_is_named_once() {
    let mut names: Vec<_> = spec::CODE_TABLES.iter().map(|t| t.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), spec::CODE_TABLES.len());
}

/// The layout specification for vendors documents every file, field,
/// excluded table and code.
#[test]
fn the_layout_specification_covers_every_field() {
    let doc = include_str!("../../../docs/exchange-format.md");
    for entity in ENTITIES.iter().chain([&spec::INDIVIDUAL_NUMBERS]) {
        let heading = format!("### {}: ", entity.file);
        let start = doc.find(&heading).unwrap_or_else(|| panic!("{heading}"));
        let section = &doc[start..];
        let end = section[4..].find("\n### ").map_or(section.len(), |e| e + 4);
        let section = &section[..end];
        for (i, field) in entity.fields.iter().enumerate() {
            let row = format!("| {} | {} | `{}` ", i + 1, field.name_ja, field.column);
            assert!(section.contains(&row), "{}: {row}", entity.file);
        }
        for omitted in entity.omitted {
            assert!(section.contains(&format!("`{}`", omitted.column)));
        }
    }
    for excluded in spec::EXCLUDED {
        assert!(
            doc.contains(&format!("- `{}`: ", excluded.table)),
            "{}",
            excluded.table
        );
    }
    for table in spec::CODE_TABLES {
        assert!(doc.contains(&format!("### {}（{}）", table.name, table.name_ja)));
        for (code, label) in table.codes {
            assert!(doc.contains(&format!("| `{code}` | {label} |")), "{code}");
        }
    }
}
