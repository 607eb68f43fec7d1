//! The `kiban` binary as operators use it: exit codes, messages, machine
//! output.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Scratch {
    dir: std::path::PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kiban-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.join("kiban.db").display())
    }

    fn kiban(&self, args: &[&str]) -> Output {
        self.kiban_with_stdin(args, "")
    }

    fn kiban_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiban"))
            .arg("--database-url")
            .arg(self.url())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn municipality_create_checks_the_check_digit() {
    let s = Scratch::new("municipality");
    let bad = s.kiban(&[
        "municipality",
        "create",
        "--code",
        "131017",
        "--name",
        "千代田区",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let message = text(&bad.stderr);
    assert!(
        message.contains("--code") && message.contains("検査数字"),
        "{message}"
    );

    let ok = s.kiban(&[
        "municipality",
        "create",
        "--code",
        "131016",
        "--name",
        "千代田区",
        "--prefecture",
        "東京都",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout).trim(), "131016");

    let again = s.kiban(&[
        "municipality",
        "create",
        "--code",
        "131016",
        "--name",
        "千代田区",
    ]);
    assert_eq!(again.status.code(), Some(2), "a duplicate is invalid input");

    let list = s.kiban(&["municipality", "list"]);
    assert_eq!(text(&list.stdout).trim(), "131016\t東京都\t千代田区");

    for bad_code in ["", "13101", "1310166", "13101a"] {
        let out = s.kiban(&["municipality", "create", "--code", bad_code, "--name", "x"]);
        assert_eq!(out.status.code(), Some(2), "{bad_code:?}");
    }
}

#[test]
fn users_and_tokens() {
    let s = Scratch::new("users");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let created = s.kiban_with_stdin(
        &[
            "user",
            "create",
            "--municipality",
            "990019",
            "--login",
            "sato",
            "--role",
            "registry_clerk",
            "--password-stdin",
        ],
        "a-long-enough-password\n",
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let bad_role = s.kiban(&[
        "user",
        "create",
        "--municipality",
        "990019",
        "--login",
        "x",
        "--role",
        "root",
    ]);
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(text(&bad_role.stderr).contains("root"));
    let short = s.kiban_with_stdin(
        &[
            "user",
            "create",
            "--municipality",
            "990019",
            "--login",
            "y",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short.stderr).contains("password"));
    let generated = s.kiban(&[
        "user",
        "create",
        "--municipality",
        "990019",
        "--login",
        "suzuki",
        "--role",
        "tax_clerk",
    ]);
    assert_eq!(generated.status.code(), Some(0));
    assert_eq!(
        text(&generated.stdout).trim().len(),
        20,
        "the generated password goes to stdout"
    );

    let token = s.kiban(&[
        "token",
        "create",
        "--municipality",
        "990019",
        "--login",
        "sato",
    ]);
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    assert!(text(&token.stdout).trim().starts_with("kbn_990019_"));
    let unknown = s.kiban(&[
        "token",
        "create",
        "--municipality",
        "990019",
        "--login",
        "nobody",
    ]);
    assert_eq!(unknown.status.code(), Some(2));

    let operator = s.kiban_with_stdin(&["user", "create", "--operator", "--login", "ops"], "");
    assert_eq!(
        operator.status.code(),
        Some(0),
        "{}",
        text(&operator.stderr)
    );
    let op_token = s.kiban(&["token", "create", "--operator", "--login", "ops"]);
    assert!(text(&op_token.stdout).trim().starts_with("kbn_op_"));
}

#[test]
fn calc_door() {
    let s = Scratch::new("calc");
    let out = s.kiban_with_stdin(
        &["calc", "wareki", "--input", "-"],
        r#"{"date": "1989-01-08"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["wareki"], "平成元年1月8日");

    let bad = s.kiban_with_stdin(
        &["calc", "age", "--input", "-"],
        r#"{"birth_date": "2000-02-30", "on": "2020-01-01"}"#,
    );
    assert_eq!(bad.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(json["error"]["field"], "birth_date");

    let malformed = s.kiban_with_stdin(&["calc", "age", "--input", "-"], "{oops");
    assert_eq!(malformed.status.code(), Some(2));
    let missing = s.kiban(&["calc", "age", "--input", "/nonexistent/input.json"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn demo_generate_is_resumable_and_idempotent() {
    let s = Scratch::new("demo");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let out = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "2500",
        "--chunk-size",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The same command again writes nothing more.
    let again = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "2500",
        "--chunk-size",
        "1000",
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("完了済み"),
        "{}",
        text(&again.stderr)
    );
    let unknown = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "131016",
        "--residents",
        "10",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn audit_verify_detects_an_edited_entry() {
    let s = Scratch::new("audit");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let out = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "3000",
        "--chunk-size",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let intact = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(intact.status.code(), Some(0), "{}", text(&intact.stderr));
    assert_eq!(text(&intact.stdout).trim(), "intact");

    // Edit one entry directly in the database file.
    let url = s.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = kiban_store::Database::connect(&url).await.unwrap();
        let tenant = db
            .tenant(kiban_core::MunicipalityCode::parse("990019").unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin().await.unwrap();
        let changed = tx
            .execute(
                "UPDATE audit_log SET detail = 'edited' WHERE municipality_code = $1 AND entry_id = 2",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(changed, 1);
        tx.commit().await.unwrap();
        db.close().await;
    });
    let broken = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(text(&broken.stdout).trim(), "broken entry_id=2");
}

fn count_persons(url: &str) -> (i64, i64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = kiban_store::Database::connect(url).await.unwrap();
        let tenant = db
            .tenant(kiban_core::MunicipalityCode::parse("990019").unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin_read().await.unwrap();
        let persons = tx
            .fetch_optional("SELECT COUNT(*) FROM persons WHERE municipality_code = $1", &[])
            .await
            .unwrap()
            .unwrap()
            .int(0)
            .unwrap();
        let distinct_codes = tx
            .fetch_optional(
                "SELECT COUNT(DISTINCT resident_record_code) FROM persons WHERE municipality_code = $1",
                &[],
            )
            .await
            .unwrap()
            .unwrap()
            .int(0)
            .unwrap();
        tx.commit().await.unwrap();
        db.close().await;
        (persons, distinct_codes)
    })
}

#[test]
fn demo_generate_resumes_after_being_killed() {
    let s = Scratch::new("resume");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let args = [
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "40000",
        "--chunk-size",
        "500",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(s.url())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some chunks are committed, then kill the process outright.
    let mut partial = 0;
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if s.dir.join("kiban.db").exists() {
            partial = count_persons(&s.url()).0;
            if partial >= 2000 {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let (after_kill, _) = count_persons(&s.url());
    assert_eq!(
        after_kill % 500,
        0,
        "only whole chunks are ever committed: {after_kill}"
    );
    let resumed = s.kiban(&args);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    if after_kill > 0 && after_kill < 40000 {
        assert!(
            text(&resumed.stderr).contains("再開"),
            "{}",
            text(&resumed.stderr)
        );
    }
    assert_eq!(
        count_persons(&s.url()),
        (40000, 40000),
        "nothing lost, nothing twice"
    );
    assert!(partial > 0 || after_kill == 40000);
}

/// Runs SQL statements on the database of `s` directly (as an attacker with
/// access to the database would), through the municipality's handle.
fn tamper(s: &Scratch, statements: &[&str]) {
    let url = s.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = kiban_store::Database::connect(&url).await.unwrap();
        let tenant = db
            .tenant(kiban_core::MunicipalityCode::parse("990019").unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin().await.unwrap();
        for sql in statements {
            let changed = tx.execute(sql, &[]).await.unwrap();
            assert_eq!(changed, 1, "{sql}");
        }
        tx.commit().await.unwrap();
        db.close().await;
    });
}

fn audited_scratch(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let out = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "2000",
        "--chunk-size",
        "250",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let intact = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(text(&intact.stdout).trim(), "intact");
    s
}

#[test]
fn audit_verify_names_a_deleted_entry() {
    let s = audited_scratch("audit-delete");
    tamper(
        &s,
        &["DELETE FROM audit_log WHERE municipality_code = $1 AND entry_id = 3"],
    );
    let broken = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(text(&broken.stdout).trim(), "broken entry_id=3");
    assert!(text(&broken.stderr).contains("利用履歴 3 がありません"));
}

#[test]
fn audit_verify_names_reordered_entries() {
    let s = audited_scratch("audit-reorder");
    tamper(
        &s,
        &[
            "UPDATE audit_log SET entry_id = -1 WHERE municipality_code = $1 AND entry_id = 4",
            "UPDATE audit_log SET entry_id = 4 WHERE municipality_code = $1 AND entry_id = 5",
            "UPDATE audit_log SET entry_id = 5 WHERE municipality_code = $1 AND entry_id = -1",
        ],
    );
    let broken = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(text(&broken.stdout).trim(), "broken entry_id=4");
}

#[test]
fn serve_refuses_to_start_without_the_master_key_of_its_sealed_values() {
    let s = Scratch::new("master-key");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let key_file = s.dir.join("master.key");
    let key = kiban_store::MasterKey::generate();
    std::fs::write(&key_file, key.to_hex().as_str()).unwrap();
    // Seal something with the key: the municipality's keys are made.
    let url = s.url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = kiban_store::Database::connect(&url)
            .await
            .unwrap()
            .with_master_key(key.clone());
        let tenant = db
            .tenant(kiban_core::MunicipalityCode::parse("990019").unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin().await.unwrap();
        tx.seal("test|990019", b"sealed").await.unwrap();
        tx.commit().await.unwrap();
        db.close().await;
    });
    let without = s.kiban(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        text(&without.stderr).contains("マスター鍵が設定されていません"),
        "{}",
        text(&without.stderr)
    );
    let wrong_file = s.dir.join("wrong.key");
    std::fs::write(
        &wrong_file,
        kiban_store::MasterKey::generate().to_hex().as_str(),
    )
    .unwrap();
    let wrong = s.kiban(&[
        "--master-key-file",
        wrong_file.to_str().unwrap(),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong.stderr).contains("マスター鍵が違います"),
        "{}",
        text(&wrong.stderr)
    );
    let short = s.kiban(&[
        "--master-key-file",
        key_file.with_extension("none").to_str().unwrap(),
        "migrate",
    ]);
    assert_eq!(short.status.code(), Some(2));
    std::fs::write(&wrong_file, "abcd").unwrap();
    let malformed = s.kiban(&["--master-key-file", wrong_file.to_str().unwrap(), "migrate"]);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(text(&malformed.stderr).contains("32バイト"));
}

#[test]
fn an_operator_resets_a_lost_second_factor() {
    let s = Scratch::new("reset-second-factor");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let created = s.kiban(&[
        "user",
        "create",
        "--municipality",
        "990019",
        "--login",
        "admin",
        "--role",
        "municipality_admin",
    ]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let reset = s.kiban(&[
        "user",
        "reset-second-factor",
        "--municipality",
        "990019",
        "--login",
        "admin",
    ]);
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset.stderr));
    assert!(text(&reset.stderr).contains("リセットしました"));
    let unknown = s.kiban(&[
        "user",
        "reset-second-factor",
        "--municipality",
        "990019",
        "--login",
        "nobody",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("nobody"));
    let verify = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(text(&verify.stdout).trim(), "intact");
}

#[test]
fn webhook_hosts_are_allowed_listed_and_disallowed() {
    let s = Scratch::new("webhook-hosts");
    let ok = s.kiban(&[
        "municipality",
        "create",
        "--code",
        "131016",
        "--name",
        "千代田区",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let m = ["--municipality", "131016"];
    let allow = |host: &str| s.kiban(&["webhook", "allow-host", m[0], m[1], host]);
    assert_eq!(allow("Renkei.Example.JP.").status.code(), Some(0));
    assert_eq!(
        allow("renkei.example.jp").status.code(),
        Some(0),
        "again: no error"
    );
    for bad in [
        "https://renkei.example.jp",
        "renkei.example.jp:443",
        "a/b",
        "",
    ] {
        let out = allow(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(text(&out.stderr).contains("ホスト名"), "{bad:?}");
    }
    let list = s.kiban(&["webhook", "list-hosts", m[0], m[1]]);
    let listed = text(&list.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with("renkei.example.jp\t"), "{listed}");
    let gone = s.kiban(&["webhook", "disallow-host", m[0], m[1], "renkei.example.jp"]);
    assert_eq!(gone.status.code(), Some(0), "{}", text(&gone.stderr));
    let again = s.kiban(&["webhook", "disallow-host", m[0], m[1], "renkei.example.jp"]);
    assert_eq!(again.status.code(), Some(2));
    let list = s.kiban(&["webhook", "list-hosts", m[0], m[1]]);
    assert!(text(&list.stdout).trim().is_empty());
}

#[test]
fn system_clients_are_created_listed_and_disabled() {
    let s = Scratch::new("clients");
    let key = s.dir.join("master.key");
    std::fs::write(&key, "00".repeat(32)).unwrap();
    let key = key.to_str().unwrap();
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let create = |scopes: &[&str]| {
        let mut args = vec![
            "--master-key-file",
            key,
            "client",
            "create",
            "--municipality",
            "990019",
            "--name",
            "税務システム",
        ];
        for scope in scopes {
            args.extend(["--scope", scope]);
        }
        s.kiban(&args)
    };
    let created = create(&["registry:persons:read", "registry:events:read"]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let client_id = printed["client_id"].as_str().unwrap().to_owned();
    let secret = printed["client_secret"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("kbc990019") && client_id.len() == 32);
    assert!(secret.len() >= 32);
    // Bad scopes and none at all: exit 2 naming the option.
    let bad = create(&["Registry:persons"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--scope"),
        "{}",
        text(&bad.stderr)
    );
    let none = s.kiban(&[
        "--master-key-file",
        key,
        "client",
        "create",
        "--municipality",
        "990019",
        "--name",
        "x",
    ]);
    assert_eq!(none.status.code(), Some(2));
    // Listed without the secret.
    let list = s.kiban(&["client", "list", "--municipality", "990019"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert!(listed.contains(&client_id));
    assert!(!listed.contains(&secret));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        listed[0]["scopes"],
        serde_json::json!(["registry:events:read", "registry:persons:read"])
    );
    assert!(listed[0]["disabled_at"].is_null());
    // Disabled; an unknown client is exit 2.
    let disable = s.kiban(&["client", "disable", "--municipality", "990019", &client_id]);
    assert_eq!(disable.status.code(), Some(0), "{}", text(&disable.stderr));
    let listed: serde_json::Value = serde_json::from_slice(
        &s.kiban(&["client", "list", "--municipality", "990019"])
            .stdout,
    )
    .unwrap();
    assert!(listed[0]["disabled_at"].is_string());
    let unknown = s.kiban(&[
        "client",
        "disable",
        "--municipality",
        "990019",
        "kbc990019xxxxxxxxxxxxxxxxxxxxxxx",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    // The secret appears nowhere in the database file.
    let bytes = std::fs::read(s.dir.join("kiban.db")).unwrap();
    let needle = secret.as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    let verify = s.kiban(&["audit", "verify", "--municipality", "990019"]);
    assert_eq!(text(&verify.stdout).trim(), "intact");
}

#[test]
fn serve_refuses_a_public_url_that_is_not_http() {
    let s = Scratch::new("public-url");
    for url in [
        "ftp://kiban.example.jp",
        "kiban.example.jp",
        "https://x.example.jp/?a=1",
    ] {
        let out = s.kiban(&["serve", "--listen", "127.0.0.1:0", "--public-url", url]);
        assert_eq!(out.status.code(), Some(2), "{url}");
        assert!(text(&out.stderr).contains("--public-url"), "{url}");
    }
}

/// (name, name_kana, birth_date, address_line) of every person registered.
fn registered_persons(url: &str) -> std::collections::HashSet<(String, String, String, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = kiban_store::Database::connect(url).await.unwrap();
        let tenant = db
            .tenant(kiban_core::MunicipalityCode::parse("990019").unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin_read().await.unwrap();
        let rows = tx
            .fetch_all(
                "SELECT name, name_kana, birth_date, address_line FROM persons WHERE municipality_code = $1",
                &[],
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        db.close().await;
        rows.iter()
            .map(|r| {
                (
                    r.text(0).unwrap(),
                    r.text(1).unwrap(),
                    r.text(2).unwrap(),
                    r.text(3).unwrap(),
                )
            })
            .collect()
    })
}

#[test]
fn demo_income_file_describes_the_generated_population() {
    let s = Scratch::new("demo-income");
    s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    let out_file = s.dir.join("income.csv");
    let out_path = out_file.to_str().unwrap();
    let args = [
        "demo",
        "income-file",
        "--municipality",
        "990019",
        "--fiscal-year",
        "2026",
        "--out",
        out_path,
    ];
    // Nothing generated yet.
    let none = s.kiban(&args);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none.stderr));
    assert!(text(&none.stderr).contains("demo generate"));

    let generated = s.kiban(&[
        "demo",
        "generate",
        "--municipality",
        "990019",
        "--residents",
        "3000",
        "--chunk-size",
        "1000",
        "--non-residents",
        "400",
    ]);
    assert_eq!(
        generated.status.code(),
        Some(0),
        "{}",
        text(&generated.stderr)
    );
    let out = s.kiban(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("rows="),
        "{}",
        text(&out.stdout)
    );
    let first = std::fs::read_to_string(&out_file).unwrap();
    let mut lines = first.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..6],
        [
            "source",
            "payer_number",
            "payer_name",
            "payer_postal_code",
            "payer_address",
            "collection"
        ]
    );
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let columns = [
        at("name"),
        at("name_kana"),
        at("birth_date"),
        at("address_on_jan1"),
    ];
    // The rows name the registered persons: name, reading, birth date and
    // address as registered, but for the few written differently on purpose
    // and the non-residents.
    let persons = registered_persons(&s.url());
    let (mut rows, mut found) = (0, 0);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        rows += 1;
        let key = (
            f[columns[0]].to_owned(),
            f[columns[1]].to_owned(),
            f[columns[2]].to_owned(),
            f[columns[3]].to_owned(),
        );
        if persons.contains(&key) {
            found += 1;
        }
    }
    assert!(rows > 1_500, "{rows}");
    assert!(found * 100 > rows * 90, "{found} of {rows}");

    // The same command again writes the same file.
    let again = s.kiban(&args);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), first);

    // A year without rule data is refused, naming the option.
    let mut old = args;
    old[5] = "2019";
    let refused = s.kiban(&old);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("--fiscal-year"));
}

/// A 全銀協 result file through `kiban collection import-payments`: once
/// (exit 0, the report written), refused the second time (exit 2), and a
/// malformed one refused naming record and field (exit 2).
#[test]
fn a_transfer_result_file_is_imported_once() {
    use kiban_collection::zengin::{self, Header, TransferFile};
    let s = Scratch::new("transfer-result");
    let ok = s.kiban(&[
        "municipality",
        "create",
        "--code",
        "990019",
        "--name",
        "デモ市",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let header = Header {
        consignor_code: "1234567890".into(),
        consignor_name: "ﾃﾞﾓｼ".into(),
        debit_month: 6,
        debit_day: 30,
        bank_code: "0001".into(),
        bank_name: String::new(),
        branch_code: "001".into(),
        branch_name: String::new(),
        account_type: "1".into(),
        account_number: "7654321".into(),
    };
    let bytes = zengin::write(&TransferFile::request(header, Vec::new())).unwrap();
    let file = s.dir.join("result.txt");
    std::fs::write(&file, &bytes).unwrap();
    let report = s.dir.join("report.json");
    let import = |path: &std::path::Path| {
        s.kiban(&[
            "collection",
            "import-payments",
            "--municipality",
            "990019",
            "--format",
            "zengin-transfer-result",
            "--in",
            path.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
    };
    let first = import(&file);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["records"], 0);
    let again = import(&file);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("取込済み"),
        "{}",
        text(&again.stderr)
    );
    let mut short = bytes.clone();
    short.remove(130);
    let bad = s.dir.join("bad.txt");
    std::fs::write(&bad, &short).unwrap();
    let refused = import(&bad);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("record 2, record"),
        "{}",
        text(&refused.stderr)
    );
}
