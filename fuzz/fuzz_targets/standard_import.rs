//! Fuzzes the checks of the standard exchange format's importer: no input
//! may panic, and every rejection must name a known file (and, inside a
//! CSV file, a line from 1 and a field of the entity).
//!
//! The first byte picks an entity; the rest is read (1) as that entity's
//! CSV file on its own, (2) in place of that file within a small valid
//! export whose manifest is updated to the new bytes, so that the input
//! reaches every field and reference check, and (3) as a manifest.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use kiban_exchange::standard::{
    AuditChain, CODE_TABLES_FILE, ENTITIES, FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, Manifest,
    ManifestFile, References, TableReader, TableWriter, Value, read_export, write_code_tables,
};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn text(t: &str) -> Value {
    Value::Text(t.to_owned())
}

/// One person in one household, registered by one movement.
fn rows(file: &str) -> Vec<Vec<Value>> {
    let int = Value::Int;
    match file {
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
        "households.csv" => vec![vec![int(1), int(1), text("4010013"), text("大月市大月"), Value::Null]],
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
            text("大月市大月"),
            Value::Null,
            text("resident"),
            text("2024-04-01"),
            Value::Null,
            int(1),
        ]],
        "movement_persons.csv" | "movement_households.csv" => vec![vec![int(1), int(1)]],
        _ => Vec::new(),
    }
}

static BASE: LazyLock<(BTreeMap<String, Vec<u8>>, Manifest)> = LazyLock::new(|| {
    let mut files = BTreeMap::new();
    let mut listed = Vec::new();
    for spec in ENTITIES {
        let mut out = Vec::new();
        if let Ok(mut writer) = TableWriter::new(spec, &mut out) {
            for row in rows(spec.file) {
                let _ = writer.write_row(&row);
            }
            if let Ok(written) = writer.finish() {
                listed.push(ManifestFile {
                    file: spec.file.to_owned(),
                    rows: written.rows,
                    sha256: written.sha256,
                });
            }
        }
        files.insert(spec.file.to_owned(), out);
    }
    let mut out = Vec::new();
    if let Ok(written) = write_code_tables(&mut out) {
        listed.push(ManifestFile {
            file: CODE_TABLES_FILE.to_owned(),
            rows: written.rows,
            sha256: written.sha256,
        });
    }
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
    (files, manifest)
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let spec = &ENTITIES[usize::from(selector) % ENTITIES.len()];

    // (1) The file on its own.
    let mut references = References::new();
    match TableReader::new(spec, body) {
        Ok(mut reader) => {
            while let Some(next) = reader.next_row() {
                match next {
                    Ok((line, row)) => {
                        assert!(line >= 2);
                        assert_eq!(row.len(), spec.fields.len());
                        for (field, value) in spec.fields.iter().zip(&row) {
                            assert!(!(field.required && *value == Value::Null));
                        }
                        if let Err(e) = references.check_row(spec, line, &row) {
                            assert_eq!(e.file, spec.file);
                            assert!(!e.to_string().is_empty());
                            break;
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.file, spec.file);
                        assert!(e.line.is_some_and(|l| l >= 2));
                        if let Some(field) = &e.field {
                            assert!(spec.fields.iter().any(|f| f.column == field));
                        }
                        assert!(!e.to_string().is_empty());
                        break;
                    }
                }
            }
        }
        Err(e) => {
            assert_eq!(e.file, spec.file);
            assert!(!e.to_string().is_empty());
        }
    }

    // (2) In place of that file in a valid export, the manifest updated.
    let (base, manifest) = &*BASE;
    let mut files = base.clone();
    files.insert(spec.file.to_owned(), body.to_vec());
    let mut manifest = manifest.clone();
    for f in &mut manifest.files {
        if f.file == spec.file {
            f.sha256 = hex::encode(Sha256::digest(body));
            f.rows = body.iter().filter(|&&b| b == b'\n').count().saturating_sub(1) as u64;
        }
    }
    if let Ok(json) = manifest.to_json() {
        files.insert(MANIFEST_FILE.to_owned(), json.into_bytes());
    }
    match read_export(&files) {
        Ok(export) => {
            assert_eq!(export.tables.len(), ENTITIES.len());
            for (spec, rows) in &export.tables {
                assert!(rows.iter().all(|r| r.len() == spec.fields.len()));
            }
        }
        Err(e) => {
            let known = e.file == MANIFEST_FILE
                || e.file == CODE_TABLES_FILE
                || ENTITIES.iter().any(|s| s.file == e.file);
            assert!(known, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    // (3) As a manifest.
    let _ = Manifest::parse(body);
});
