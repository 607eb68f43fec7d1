//! `kiban ops` (contract ops-v1) as the operator uses it, on both engines:
//! incidents (create, close, list, bad input), the monthly report as JSON
//! and as a Japanese PDF, and `kiban serve` recording its own probe.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kiban_store::testing::{BACKENDS, TestDatabase};
use serde_json::Value;

fn kiban(t: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .args(args)
        .env("KIBAN_DATABASE_URL", &t.url)
        .env("KIBAN_MASTER_KEY", t.master_key.to_hex().as_str())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn incidents_and_report(t: &TestDatabase) {
    let out = kiban(
        t,
        &[
            "municipality",
            "create",
            "--code",
            "990019",
            "--name",
            "デモ市",
        ],
    );
    assert!(out.status.success(), "{out:?}");

    let created = json(&kiban(
        t,
        &[
            "ops",
            "incident",
            "create",
            "--severity",
            "2",
            "--summary",
            "夜間バッチの遅延",
        ],
    ));
    assert_eq!(created["id"], 1);
    let created = json(&kiban(
        t,
        &[
            "ops",
            "incident",
            "create",
            "--severity",
            "4",
            "--summary",
            "操作の問い合わせ",
            "--municipality",
            "990019",
        ],
    ));
    assert_eq!(created["id"], 2);
    for (args, says) in [
        (vec!["--severity", "5", "--summary", "x"], "severity"),
        (vec!["--severity", "1", "--summary", "  "], "--summary"),
        (
            vec![
                "--severity",
                "1",
                "--summary",
                "x",
                "--municipality",
                "131016",
            ],
            "登録されていません",
        ),
        (
            vec!["--severity", "1", "--summary", "x", "--municipality", "123"],
            "--municipality",
        ),
    ] {
        let mut all = vec!["ops", "incident", "create"];
        all.extend(args);
        let out = kiban(t, &all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {out:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{all:?}: {}",
            text(&out.stderr)
        );
    }
    let out = kiban(
        t,
        &[
            "ops",
            "incident",
            "close",
            "1",
            "--resolution",
            "処理順を変更",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let again = kiban(t, &["ops", "incident", "close", "1", "--resolution", "x"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("既に完了"));
    let unknown = kiban(t, &["ops", "incident", "close", "9", "--resolution", "x"]);
    assert_eq!(unknown.status.code(), Some(2));
    let list = json(&kiban(t, &["ops", "incident", "list"]));
    let incidents = list["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2);
    assert_eq!(incidents[0]["id"], 2);
    assert_eq!(incidents[0]["municipality_code"], "990019");
    assert_eq!(incidents[1]["resolution"], "処理順を変更");
    assert!(incidents[1]["closed_at"].is_string());

    for (month, code) in [("2026-13", 2), ("2026/11", 2), ("", 2)] {
        let out = kiban(t, &["ops", "sla-report", "--month", month]);
        assert_eq!(out.status.code(), Some(code), "{month}: {out:?}");
        assert!(text(&out.stderr).contains("--month"));
    }
    let out = kiban(
        t,
        &[
            "ops",
            "sla-report",
            "--month",
            "2026-11",
            "--municipality",
            "131016",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let month = kiban_ops::Month::containing(jiff::Timestamp::now()).label();
    let pdf = std::env::temp_dir().join(format!(
        "kiban-ops-{}-{}.pdf",
        std::process::id(),
        t.url.len()
    ));
    let report = json(&kiban(
        t,
        &[
            "ops",
            "sla-report",
            "--month",
            &month,
            "--municipality",
            "990019",
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    ));
    assert_eq!(report["month"], month.as_str());
    assert_eq!(report["availability"]["target"], "0.9950");
    assert!(report["response_ms"]["p99"].is_null());
    assert_eq!(report["incidents"].as_array().unwrap().len(), 2);
    assert_eq!(report["usage"][0]["municipality_code"], "990019");
    for key in ["backups", "jobs", "online_within_3s"] {
        assert!(report.get(key).is_some(), "{key}");
    }
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let pdftotext = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let page = text(&pdftotext.stdout);
    for expected in [
        "月次運用報告書",
        "可用性",
        "夜間バッチの遅延",
        "990019",
        "デモ市",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let _ = std::fs::remove_file(&pdf);
}

#[tokio::test]
async fn incidents_and_the_monthly_report() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        incidents_and_report(&t).await;
        t.cleanup().await.unwrap();
    }
}

/// `kiban serve` probes itself once it listens and writes its counts when
/// stopped.
#[tokio::test]
async fn serve_records_its_probe_and_counts() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let mut server = Command::new(env!("CARGO_BIN_EXE_kiban"))
            .args(["serve", "--listen", "127.0.0.1:0", "--no-worker"])
            .env("KIBAN_DATABASE_URL", &t.url)
            .env("KIBAN_MASTER_KEY", t.master_key.to_hex().as_str())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let month = kiban_ops::Month::containing(jiff::Timestamp::now());
        let (from, to) = month.minute_bounds();
        let started = Instant::now();
        loop {
            let (probed, down) = kiban_store::ops::probe_minutes(&t.db, &from, &to)
                .await
                .unwrap();
            if probed >= 1 {
                assert_eq!(down, 0);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no probe recorded"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Ctrl-C: the server stops and writes what it counted.
        let killed = Command::new("kill")
            .args(["-INT", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        assert!(server.wait().unwrap().success());
        let (from, to) = month.hour_bounds();
        let stats = kiban_store::ops::request_stats_between(&t.db, &from, &to)
            .await
            .unwrap();
        assert!(
            stats
                .iter()
                .any(|r| r.route == "GET /healthz" && r.municipality.is_empty()),
            "{stats:#?}"
        );
        t.cleanup().await.unwrap();
    }
}
