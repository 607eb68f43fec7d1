//! The error catalogue: every code has a status and a message, codes are
//! unique snake_case, and `docs/API-DESIGN.md` lists the catalogue as it is
//! (generated and compared, so that the document cannot drift).
//!
//! After changing the catalogue, regenerate the table with
//! `KIBAN_UPDATE_DOCS=1 cargo nextest run -p kiban-web --test error_catalogue`.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use kiban_core::catalogue::{CALCULATION_CODES, ErrorCode, Message, markdown_table};

const START: &str = "<!-- error-catalogue:start -->\n";
const END: &str = "<!-- error-catalogue:end -->";

fn doc_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API-DESIGN.md")
}

#[test]
fn every_code_is_unique_snake_case_with_a_status_and_a_message() {
    let mut seen = BTreeSet::new();
    for &code in ErrorCode::ALL {
        let text = code.as_str();
        assert!(
            text.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && text.starts_with(|c: char| c.is_ascii_lowercase())
                && !text.ends_with('_')
                && !text.contains("__"),
            "not snake_case: {text}"
        );
        assert!(seen.insert(text), "twice: {text}");
        let entries: Vec<_> = Message::ENTRIES.iter().filter(|e| e.code == code).collect();
        let statuses: Vec<u16> = if entries.is_empty() {
            CALCULATION_CODES
                .iter()
                .filter(|(c, _)| *c == code)
                .map(|(_, s)| *s)
                .collect()
        } else {
            entries.iter().map(|e| e.status).collect()
        };
        assert!(!statuses.is_empty(), "no status for {text}");
        for status in statuses {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{text}: {status}"
            );
        }
        for entry in entries {
            assert!(!entry.template.trim().is_empty(), "{}", entry.name);
        }
    }
}

#[test]
fn the_design_document_lists_the_catalogue() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(START)
        .expect("docs/API-DESIGN.md: no catalogue start marker")
        + START.len();
    let end = doc
        .find(END)
        .expect("docs/API-DESIGN.md: no catalogue end marker");
    let table = markdown_table();
    if doc[start..end] != table {
        if std::env::var_os("KIBAN_UPDATE_DOCS").is_some() {
            let updated = format!("{}{}{}", &doc[..start], table, &doc[end..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "docs/API-DESIGN.md does not list the error catalogue as it is; \
                 regenerate it with KIBAN_UPDATE_DOCS=1 (see this test's header)"
            );
        }
    }
    for &code in ErrorCode::ALL {
        assert!(
            table.contains(&format!("| `{}` |", code.as_str())),
            "{} missing from docs/API-DESIGN.md",
            code.as_str()
        );
    }
}
