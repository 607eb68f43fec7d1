//! `kiban import-legacy` with generated extracts: a clean file is
//! registered with histories starting at 住定日 and removals kept; a file
//! with any `before_migration` problem imports nothing; the report is
//! always written.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiban_core::MunicipalityCode;
use kiban_core::numbers::INDIVIDUAL_NUMBER;
use kiban_exchange::legacy::{LegacyRecordSpec, write_fixed_cp932};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Backend, Database};
use serde_json::Value;

const CODE: &str = "990019";
const GAIJI_CSV: &str = "sjis,unicode\nF040,U+8FBB U+E0102\nF041,U+9AD9\n";

struct Files {
    dir: PathBuf,
}

impl Files {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("kiban-legacy-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("gaiji.csv"), GAIJI_CSV).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn individual_number(base: u64) -> String {
    INDIVIDUAL_NUMBER
        .complete(&format!("{base:011}"))
        .unwrap()
        .1
}

/// A clean resident: born 昭和55年4月1日, resident since 平成10年5月1日.
fn resident(person_id: u64, household_id: u64, relationship: &str) -> LegacyRecordSpec {
    LegacyRecordSpec {
        person_id: format!("{person_id:010}"),
        household_id: format!("{household_id:010}"),
        name: "山田　太郎".to_owned(),
        name_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".to_owned(),
        birth_date: "3550401".to_owned(),
        sex: "1".to_owned(),
        relationship: relationship.to_owned(),
        postal_code: "4010013".to_owned(),
        address: "山梨県大月市大月二丁目６番２０号".to_owned(),
        katagaki: String::new(),
        residence_start_date: "4100501".to_owned(),
        status: "1".to_owned(),
        removal_date: String::new(),
        individual_number: individual_number(person_id),
        nationality: String::new(),
    }
}

/// The clean extract: a household of three (the child born here later), a
/// head living alone whose name has a mapped 外字 and no postal code, a
/// moved-out and a deceased person.
fn clean() -> Vec<LegacyRecordSpec> {
    let head = resident(1001, 501, "01");
    let spouse = LegacyRecordSpec {
        name: "山田　花子".to_owned(),
        name_kana: "ﾔﾏﾀﾞ ﾊﾅｺ".to_owned(),
        sex: "2".to_owned(),
        birth_date: "3570910".to_owned(),
        residence_start_date: "4080401".to_owned(),
        ..resident(1002, 501, "02")
    };
    let child = LegacyRecordSpec {
        name: "山田　一郎".to_owned(),
        name_kana: "ﾔﾏﾀﾞ ｲﾁﾛｳ".to_owned(),
        birth_date: "4150720".to_owned(),
        residence_start_date: "4150720".to_owned(),
        ..resident(1003, 501, "03")
    };
    let alone = LegacyRecordSpec {
        name: "\u{E000}　次郎".to_owned(),
        name_kana: "ﾂｼﾞ ｼﾞﾛｳ".to_owned(),
        postal_code: String::new(),
        ..resident(2001, 502, "01")
    };
    let moved_out = LegacyRecordSpec {
        name: "佐藤　三郎".to_owned(),
        name_kana: "ｻﾄｳ ｻﾌﾞﾛｳ".to_owned(),
        status: "2".to_owned(),
        removal_date: "5020315".to_owned(),
        ..resident(3001, 503, "01")
    };
    let deceased = LegacyRecordSpec {
        name: "山田　梅".to_owned(),
        name_kana: "ﾔﾏﾀﾞ ｳﾒ".to_owned(),
        sex: "2".to_owned(),
        birth_date: "2100101".to_owned(),
        relationship: "04".to_owned(),
        status: "3".to_owned(),
        removal_date: "4300601".to_owned(),
        ..resident(1004, 501, "04")
    };
    vec![head, spouse, child, alone, moved_out, deceased]
}

fn run(url: &str, files: &Files, records: &[LegacyRecordSpec]) -> (Output, Value) {
    std::fs::write(
        files.dir.join("extract.dat"),
        write_fixed_cp932(records, true),
    )
    .unwrap();
    let _ = std::fs::remove_file(files.dir.join("report.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_kiban"))
        .args([
            "--database-url",
            url,
            "import-legacy",
            "--municipality",
            CODE,
        ])
        .args([
            "--format",
            "fixed-cp932-v1",
            "--in",
            &files.path("extract.dat"),
        ])
        .args(["--gaiji-map", &files.path("gaiji.csv")])
        .args(["--report", &files.path("report.json")])
        .output()
        .unwrap();
    let report = std::fs::read_to_string(files.dir.join("report.json")).unwrap();
    (out, serde_json::from_str(&report).unwrap())
}

fn kiban(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

async fn setup(backend: Backend) -> TestDatabase {
    let test = TestDatabase::new(backend).await.unwrap();
    let out = kiban(
        &test.url,
        &["municipality", "create", "--code", CODE, "--name", "移行市"],
    );
    assert!(out.status.success(), "{out:?}");
    test
}

async fn query(db: &Database, sql: &str) -> Vec<Vec<String>> {
    let tenant = db
        .tenant(MunicipalityCode::parse(CODE).unwrap())
        .await
        .unwrap();
    let mut tx = tenant.begin_read().await.unwrap();
    let rows = tx.fetch_all(sql, &[]).await.unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            (0..8)
                .map_while(|i| {
                    r.opt_text(i)
                        .map(|t| t.unwrap_or_default())
                        .or_else(|_| {
                            r.opt_int(i)
                                .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
                        })
                        .ok()
                })
                .collect()
        })
        .collect()
}

fn codes(report: &Value) -> Vec<(u64, String, String, String)> {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["record"].as_u64().unwrap(),
                i["field"].as_str().unwrap().to_owned(),
                i["class"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_clean_extract_is_registered_with_its_history() {
    for backend in BACKENDS {
        let test = setup(backend).await;
        let files = Files::new();
        let (out, report) = run(&test.url, &files, &clean());
        assert!(out.status.success(), "{backend:?}: {out:?}");
        assert_eq!(report["records"], 6);
        assert_eq!(report["imported"], 6);
        assert_eq!(
            codes(&report),
            vec![
                (
                    2,
                    "residence_start_date".to_owned(),
                    "during_migration".to_owned(),
                    "residence_before_head".to_owned()
                ),
                (
                    4,
                    "name".to_owned(),
                    "during_migration".to_owned(),
                    "gaiji_mapped".to_owned()
                ),
                (
                    4,
                    "postal_code".to_owned(),
                    "after_migration".to_owned(),
                    "missing_postal_code".to_owned()
                ),
            ]
        );
        assert_eq!(report["summary"]["during_migration"], 2);
        assert_eq!(report["summary"]["after_migration"], 1);
        // Legacy 宛名番号 are kept; removed persons are 除票 with their date.
        let persons = query(
            &test.db,
            "SELECT person_id, household_id, status, resident_from, removed_on, name, relationship \
             FROM persons WHERE municipality_code = $1 ORDER BY person_id",
        )
        .await;
        let brief: Vec<(String, String, String, String)> = persons
            .iter()
            .map(|p| (p[0].clone(), p[2].clone(), p[3].clone(), p[4].clone()))
            .collect();
        assert_eq!(
            brief,
            vec![
                (
                    "1001".into(),
                    "resident".into(),
                    "1998-05-01".into(),
                    String::new()
                ),
                (
                    "1002".into(),
                    "resident".into(),
                    "1998-05-01".into(),
                    String::new()
                ),
                (
                    "1003".into(),
                    "resident".into(),
                    "2003-07-20".into(),
                    String::new()
                ),
                (
                    "1004".into(),
                    "deceased".into(),
                    "1998-05-01".into(),
                    "2018-06-01".into()
                ),
                (
                    "2001".into(),
                    "resident".into(),
                    "1998-05-01".into(),
                    String::new()
                ),
                (
                    "3001".into(),
                    "moved_out".into(),
                    "1998-05-01".into(),
                    "2020-03-15".into()
                ),
            ]
        );
        assert_eq!(persons[0][1], "501");
        assert_eq!(persons[4][1], "502");
        assert_eq!(persons[4][5], "\u{8FBB}\u{E0102}\u{3000}次郎");
        // Histories start at 住定日: 転入 of the household, 出生 of the child,
        // and the removals at their 消除日.
        let movements = query(
            &test.db,
            "SELECT kind, event_date FROM movements WHERE municipality_code = $1 \
             ORDER BY event_date, movement_id",
        )
        .await;
        let kinds: Vec<(String, String)> = movements
            .iter()
            .map(|m| (m[0].clone(), m[1].clone()))
            .collect();
        assert!(
            kinds.contains(&("birth".into(), "2003-07-20".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("death".into(), "2018-06-01".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("move_out".into(), "2020-03-15".into())),
            "{kinds:?}"
        );
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.0 == "move_in" && k.1 == "1998-05-01")
                .count(),
            4,
            "{kinds:?}"
        );
        let verify = kiban(&test.url, &["audit", "verify", "--municipality", CODE]);
        assert!(verify.status.success(), "{verify:?}");
        // New numbers continue after the legacy ones.
        let next = query(
            &test.db,
            "SELECT next_value FROM number_sequences WHERE municipality_code = $1 \
             AND sequence_name = 'person_id'",
        )
        .await;
        assert!(next[0][0].parse::<u64>().unwrap() > 3001);
        // A second run is refused: the registry is no longer empty.
        let (again, report) = run(&test.url, &files, &clean());
        assert_eq!(again.status.code(), Some(2));
        assert_eq!(report["imported"], 0);
        test.cleanup().await.unwrap();
    }
}

/// One file per `before_migration` problem: exit 2, the entry in the
/// report, and nothing imported.
#[tokio::test]
async fn any_before_migration_problem_imports_nothing() {
    let test = setup(Backend::Sqlite).await;
    let files = Files::new();
    let with = |n: usize, edit: &dyn Fn(&mut LegacyRecordSpec)| {
        let mut records = clean();
        edit(&mut records[n]);
        records
    };
    let cases: Vec<(&str, Vec<LegacyRecordSpec>, (u64, &str))> = vec![
        (
            "invalid_date",
            with(1, &|r| r.birth_date = "4310501".into()),
            (2, "birth_date"),
        ),
        (
            "missing_name",
            with(1, &|r| r.name = String::new()),
            (2, "name"),
        ),
        (
            "duplicate_person_id",
            with(3, &|r| r.person_id = "0000001001".into()),
            (4, "person_id"),
        ),
        (
            "household_without_head",
            with(0, &|r| r.relationship = "05".into()),
            (1, "relationship"),
        ),
        (
            "household_multiple_heads",
            with(1, &|r| r.relationship = "01".into()),
            (1, "relationship"),
        ),
        (
            "unmapped_gaiji",
            with(1, &|r| r.name = "\u{E005}　花子".into()),
            (2, "name"),
        ),
        (
            "invalid_individual_number",
            with(1, &|r| r.individual_number = "123456789012".into()),
            (2, "individual_number"),
        ),
        (
            "removal_before_residence",
            with(4, &|r| r.removal_date = "4050101".into()),
            (5, "removal_date"),
        ),
        (
            "status_removal_mismatch",
            with(1, &|r| r.removal_date = "5010501".into()),
            (2, "removal_date"),
        ),
    ];
    for (code, records, (record, field)) in cases {
        let (out, report) = run(&test.url, &files, &records);
        assert_eq!(out.status.code(), Some(2), "{code}: {out:?}");
        assert_eq!(report["imported"], 0, "{code}");
        let entries = codes(&report);
        assert!(
            entries.contains(&(
                record,
                field.to_owned(),
                "before_migration".to_owned(),
                code.to_owned()
            )),
            "{code}: {entries:?}"
        );
        assert!(report["summary"]["before_migration"].as_u64().unwrap() >= 1);
        let persons = query(
            &test.db,
            "SELECT COUNT(*) FROM persons WHERE municipality_code = $1",
        )
        .await;
        assert_eq!(persons[0][0], "0", "{code}");
    }
    // An unknown 続柄 is migrated as その他の親族 and listed for after.
    let (out, report) = run(
        &test.url,
        &files,
        &with(1, &|r| r.relationship = "09".into()),
    );
    assert!(out.status.success(), "{out:?}");
    assert!(codes(&report).contains(&(
        2,
        "relationship".to_owned(),
        "after_migration".to_owned(),
        "unknown_relationship_code".to_owned()
    )));
    assert_eq!(report["imported"], 6);
    test.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_malformed_file_is_rejected_with_a_report() {
    let test = setup(Backend::Sqlite).await;
    let files = Files::new();
    let mut bytes = write_fixed_cp932(&clean(), true);
    bytes.remove(300);
    std::fs::write(files.dir.join("extract.dat"), &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kiban"))
        .args([
            "--database-url",
            &test.url,
            "import-legacy",
            "--municipality",
            CODE,
        ])
        .args([
            "--format",
            "fixed-cp932-v1",
            "--in",
            &files.path("extract.dat"),
        ])
        .args(["--report", &files.path("report.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("レコード2"), "{stderr}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&files.path("report.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(report["imported"], 0);
    assert_eq!(report["file_error"]["record"], 2);
    let wrong_format = kiban(
        &test.url,
        &[
            "import-legacy",
            "--municipality",
            CODE,
            "--format",
            "fixed-sjis-v9",
            "--in",
            &files.path("extract.dat"),
            "--report",
            &files.path("report.json"),
        ],
    );
    assert_eq!(wrong_format.status.code(), Some(2));
    test.cleanup().await.unwrap();
}

/// Foreign residents (国籍 set) are imported with 在留資格・在留期間 "not
/// yet known": the layout has neither. The report lists each as the
/// `after_migration` issue `missing_residence_status`.
#[tokio::test]
async fn foreign_residents_are_imported_with_their_status_unknown() {
    for backend in BACKENDS {
        let test = setup(backend).await;
        let files = Files::new();
        let mut records = clean();
        records.push(LegacyRecordSpec {
            name: "スミス　ジョン".to_owned(),
            name_kana: "ｽﾐｽ ｼﾞｮﾝ".to_owned(),
            nationality: "US".to_owned(),
            ..resident(4001, 504, "01")
        });
        records.push(LegacyRecordSpec {
            name: "グエン　ラン".to_owned(),
            name_kana: "ｸﾞｴﾝ ﾗﾝ".to_owned(),
            sex: "2".to_owned(),
            nationality: "VN".to_owned(),
            ..resident(4002, 504, "02")
        });
        let (out, report) = run(&test.url, &files, &records);
        assert!(out.status.success(), "{backend:?}: {out:?}");
        assert_eq!(report["records"], 8);
        assert_eq!(report["imported"], 8);
        let foreign: Vec<_> = codes(&report)
            .into_iter()
            .filter(|c| c.3 == "missing_residence_status")
            .collect();
        assert_eq!(
            foreign,
            vec![
                (
                    7,
                    "nationality".to_owned(),
                    "after_migration".to_owned(),
                    "missing_residence_status".to_owned()
                ),
                (
                    8,
                    "nationality".to_owned(),
                    "after_migration".to_owned(),
                    "missing_residence_status".to_owned()
                ),
            ]
        );
        let issue = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "missing_residence_status")
            .unwrap();
        assert_eq!(issue["person_id"], "0000004001");
        assert!(
            issue["message"].as_str().unwrap().contains("在留資格"),
            "{issue}"
        );
        assert_eq!(report["summary"]["after_migration"], 3);
        let persons = query(
            &test.db,
            "SELECT person_id, status, nationality, status_of_residence, \
             CASE WHEN period_of_stay_until IS NULL THEN 'none' ELSE 'set' END \
             FROM persons WHERE municipality_code = $1 AND person_id >= 4000 ORDER BY person_id",
        )
        .await;
        assert_eq!(
            persons,
            vec![
                vec![
                    "4001".to_owned(),
                    "resident".to_owned(),
                    "US".to_owned(),
                    "未設定（移行後要確認）".to_owned(),
                    "none".to_owned()
                ],
                vec![
                    "4002".to_owned(),
                    "resident".to_owned(),
                    "VN".to_owned(),
                    "未設定（移行後要確認）".to_owned(),
                    "none".to_owned()
                ],
            ]
        );
        let verify = kiban(&test.url, &["audit", "verify", "--municipality", CODE]);
        assert!(verify.status.success(), "{verify:?}");
        test.cleanup().await.unwrap();
    }
}
