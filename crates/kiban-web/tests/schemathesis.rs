//! The OpenAPI document against a third-party checker: schemathesis (pinned
//! in `tests/api/requirements.txt`, installed into `.venv-api` by
//! `scripts/setup-schemathesis.sh`) generates requests for every operation
//! of the document the server serves at `/api/openapi.json` and checks each
//! answer with `not_a_server_error`, `status_code_conformance`,
//! `content_type_conformance` and `response_schema_conformance`: no 500, no
//! status the document does not list, no body of another type or shape
//! than the document says. A short run on each engine; any failure fails
//! the test with schemathesis's report.
//!
//! Nothing here lists the operations: schemathesis reads them from the
//! served document. The test only seeds residents (and a seal
//! registration, a support measure, a finished job, a certificate) and
//! tells schemathesis the ids by parameter name, so that most requests
//! reach real records while some still carry generated values. Each
//! principal runs over every operation: a registry clerk (allowed most),
//! an auditor (the access log) and the service operator; operations that
//! delete (logging out the token itself) run last, with a token of their own.
//!
//! `KIBAN_SCHEMATHESIS_MAX_EXAMPLES` (default 10) and
//! `KIBAN_SCHEMATHESIS_SEED` (default fixed) make a longer or another run.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestApp;
use kiban_store::Backend;
use serde_json::{Value, json};

const DEMO: &str = "990019";
const IMPRESSION: &[u8] = include_bytes!("../../kiban-print/tests/fixtures/impression.png");

/// The workspace's root directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The schemathesis command of the project's environment, installed first
/// when missing (quick when it is there).
fn schemathesis() -> PathBuf {
    let root = workspace();
    let status = Command::new("bash")
        .arg(root.join("scripts/setup-schemathesis.sh"))
        .status()
        .unwrap();
    assert!(status.success(), "scripts/setup-schemathesis.sh failed");
    root.join(".venv-api/bin/schemathesis")
}

/// Records that requests about real data can name, by the name of the
/// path parameter or body field that carries them.
struct Seeded {
    /// (parameter or field name, values).
    values: Vec<(&'static str, Vec<Value>)>,
}

async fn post(app: &TestApp, token: &str, rest: &str, body: &Value) -> Value {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{DEMO}{rest}"),
            Some(token),
            body,
        )
        .await;
    assert!((200..300).contains(&status), "{rest}: {status} {body}");
    body
}

/// A household of three (two adults and a child) moved in, a seal
/// registration, a support measure, a certificate and a finished
/// `population-statistics` run in デモ市.
async fn seed(app: &TestApp, clerk: &str) -> Seeded {
    app.set_certifier(DEMO, "デモ市長", "基盤 太郎").await;
    let person = |name: &str, kana: &str, birth: &str, relationship: &str| {
        json!({"name": name, "name_kana": kana, "birth_date": birth, "sex": "female",
               "relationship": relationship})
    };
    let mut head = person("検査 一子", "ケンサ イチコ", "1970-01-01", "head");
    head["individual_number"] = json!("404040404043");
    let moved_in = post(
        app,
        clerk,
        "/movements",
        &json!({
            "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
            "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
            "previous_address": "東京都千代田区千代田1番1号",
            "persons": [
                head,
                person("検査 二子", "ケンサ ニコ", "1972-02-02", "other_relative"),
                person("検査 三子", "ケンサ ミツコ", "2015-03-03", "child"),
            ],
        }),
    )
    .await;
    let household = moved_in["household_id"].clone();
    let persons: Vec<Value> = moved_in["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].clone())
        .collect();
    let impression = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(IMPRESSION)
    };
    let seal = post(
        app,
        clerk,
        "/seal-registrations",
        &json!({"person_id": persons[0], "procedure": "identity_verified",
                "impression_png_base64": impression}),
    )
    .await;
    let measure = post(
        app,
        clerk,
        &format!("/persons/{}/support-measures", persons[1]),
        &json!({"reason": "stalking", "starts_on": "2024-05-01"}),
    )
    .await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/municipalities/{DEMO}/certificates")))
        .bearer_auth(clerk)
        .json(&json!({"kind": "resident_record_copy", "household_id": household}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "a certificate for the checker");
    let verification = response.headers()["x-kiban-verification-code"]
        .to_str()
        .unwrap()
        .to_owned();
    let job = app.finished_job(DEMO).await;
    Seeded {
        values: vec![
            ("m", vec![json!(DEMO)]),
            ("municipality_code", vec![json!(DEMO)]),
            ("person_id", persons),
            ("household_id", vec![household]),
            ("id", vec![seal["registration_id"].clone()]),
            ("registration_id", vec![seal["registration_id"].clone()]),
            ("measure_id", vec![measure["measure_id"].clone()]),
            ("job_id", vec![json!(job)]),
            ("code", vec![json!(verification)]),
            (
                "kind",
                kiban_calc::kinds().into_iter().map(Value::from).collect(),
            ),
            (
                "consumer",
                kiban_web::consumers()
                    .iter()
                    .map(|c| Value::from(c.name))
                    .collect(),
            ),
        ],
    }
}

/// The TOML string of `value`.
fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

/// schemathesis's configuration: each seeded name a dictionary, bound to
/// the path parameters and body fields of that name, used in most but not
/// all generated requests.
fn config(seeded: &Seeded) -> String {
    let mut dictionaries = String::from("[dictionaries]\n");
    let mut parameters = String::from("[parameters]\n");
    for (name, values) in &seeded.values {
        // Each id both as a string and as a number: the document's type
        // keeps the one that fits.
        let mut entries = Vec::new();
        for value in values {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            entries.push(toml_string(&text));
            if let Value::Number(n) = value {
                entries.push(n.to_string());
            }
        }
        writeln!(
            dictionaries,
            "{name} = {{ values = [{}] }}",
            entries.join(", ")
        )
        .unwrap();
        for location in ["path", "body"] {
            writeln!(
                parameters,
                "{} = {{ dictionary = {}, probability = 0.8 }}",
                toml_string(&format!("{location}.{name}")),
                toml_string(name)
            )
            .unwrap();
        }
    }
    format!("{dictionaries}\n{parameters}")
}

/// How many examples per operation the main run generates (the other
/// principals' runs a quarter of it).
fn max_examples() -> u32 {
    std::env::var("KIBAN_SCHEMATHESIS_MAX_EXAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}

/// One run of schemathesis: the principal of `token` over the operations
/// `options` select; its report, or a panic with it when anything failed.
#[expect(
    clippy::print_stdout,
    reason = "the report of a passing run is shown with --no-capture"
)]
fn check(app: &TestApp, dir: &Path, label: &str, token: &str, options: &[&str]) -> String {
    let seed = std::env::var("KIBAN_SCHEMATHESIS_SEED").unwrap_or_else(|_| "16".into());
    let started = std::time::Instant::now();
    let output = Command::new(schemathesis())
        .current_dir(dir)
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .arg("--checks")
        .arg("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance")
        .args(["--seed", &seed, "--workers", "2", "--generation-database", "none"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(options)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis as {label} found failures ({:?}):\n{report}",
        started.elapsed()
    );
    println!(
        "schemathesis as {label}: passed in {:?}\n{report}",
        started.elapsed()
    );
    report
}

/// The checker over every operation of the served document on `backend`,
/// `examples` per operation for the registry clerk.
async fn conforms(backend: Backend, examples: u32) {
    let app = TestApp::spawn(backend).await;
    let clerk = app.token(Some(DEMO), "registry_clerk").await;
    let seeded = seed(&app, &clerk).await;
    let dir = std::env::temp_dir().join(format!(
        "kiban-schemathesis-{}-{backend:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("schemathesis.toml"), config(&seeded)).unwrap();
    let auditor = app.token(Some(DEMO), "auditor").await;
    let operator = app.token(None, "ops").await;
    let throwaway = app.token(Some(DEMO), "registry_clerk").await;
    let all = examples.to_string();
    let few = (examples / 4).max(1).to_string();
    // The clerk's run covers every phase (boundary values, then generated
    // requests); the others only what their refusals and their own
    // operations answer. Deleting operations last: one logs the token out.
    // The roles without write access: a short fuzzing run of every
    // operation but the deletion.
    let fuzzing = vec![
        "--max-examples",
        &few,
        "--phases",
        "fuzzing",
        "--exclude-method",
        "DELETE",
    ];
    let runs: [(&str, &str, Vec<&str>); 4] = [
        (
            "registry_clerk",
            &clerk,
            vec!["--max-examples", &all, "--exclude-method", "DELETE"],
        ),
        ("auditor", &auditor, fuzzing.clone()),
        ("operator", &operator, fuzzing),
        (
            "registry_clerk (deleting)",
            &throwaway,
            vec!["--max-examples", &few, "--include-method", "DELETE"],
        ),
    ];
    for (label, token, options) in &runs {
        // schemathesis calls the server, which runs on this runtime's
        // other thread.
        tokio::task::block_in_place(|| check(&app, &dir, label, token, options));
    }
    std::fs::remove_dir_all(&dir).ok();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_as_its_document_says_on_sqlite() {
    conforms(Backend::Sqlite, max_examples()).await;
}

/// A shorter run on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_as_its_document_says_on_postgres() {
    conforms(Backend::Postgres, (max_examples() / 2).max(1)).await;
}
