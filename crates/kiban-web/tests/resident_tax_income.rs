//! Income records of the resident tax (所得情報, contract resident-tax-v1
//! "Income records") through the API on both engines: a file imported and
//! matched (個人番号 first, else フリガナ・生年月日・1月1日の住所), the
//! same file refused twice, a malformed file refused naming row and column
//! with nothing stored, the 突合 queue and a clerk's assignment, and
//! nothing crossing municipalities.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code};
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};

const DEMO: &str = "990019";
const CHIYODA: &str = "131016";

fn path(m: &str, rest: &str) -> String {
    format!("/api/v1/municipalities/{m}{rest}")
}

async fn get(app: &TestApp, url: &str, token: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post_csv(app: &TestApp, url: &str, token: &str, csv: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs the addressee index's consumer of the registry's events to the end.
async fn follow_registry(app: &TestApp, m: &str) {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    kiban_jobs::consumer::drain(
        &tenant,
        &kiban_addressee::storage::REGISTRY_CONSUMER,
        &kiban_jobs::consumer::RetryPolicy::default(),
    )
    .await
    .unwrap();
}

/// A resident moved in on 2024-04-01; answers the person's number.
async fn resident(
    app: &TestApp,
    token: &str,
    name: &str,
    kana: &str,
    birth: &str,
    number: Option<&str>,
) -> u64 {
    let mut person = json!({"name": name, "name_kana": kana, "birth_date": birth,
                            "sex": "female", "relationship": "head"});
    if let Some(number) = number {
        person["individual_number"] = json!(number);
    }
    let (status, body) = app
        .post_json(
            &path(DEMO, "/movements"),
            Some(token),
            &json!({
                "kind": "move_in",
                "event_date": "2024-04-01",
                "notified_on": "2024-04-01",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央1丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [person],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["persons"][0]["person_id"].as_u64().unwrap()
}

const HEADER: &str = "source,payer_number,payer_name,collection,name,name_kana,birth_date,address_on_jan1,individual_number,salary_revenue";

fn csv(rows: &[&str]) -> String {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

#[tokio::test]
async fn an_income_file_is_matched_queued_and_assigned() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let other = app.token(Some(CHIYODA), "tax_clerk").await;

        let hanako = resident(
            &app,
            &registry,
            "山田　花子",
            "ヤマダ　ハナコ",
            "1980-04-01",
            None,
        )
        .await;
        let numbered = resident(
            &app,
            &registry,
            "鈴木　一子",
            "スズキ　イチコ",
            "1975-01-01",
            Some("123456789018"),
        )
        .await;
        let yu1 = resident(
            &app,
            &registry,
            "佐藤　優",
            "サトウ　ユウ",
            "1990-09-09",
            None,
        )
        .await;
        let yu2 = resident(
            &app,
            &registry,
            "佐藤　悠",
            "サトウ　ユウ",
            "1990-09-09",
            None,
        )
        .await;
        follow_registry(&app, DEMO).await;

        let file = csv(&[
            // By フリガナ, birth date and address, written differently.
            "salary_report,12345678,株式会社デモ,special,山田 花子,ﾔﾏﾀﾞ ﾊﾅｺ,1980-04-01,デモ市中央１－１－１,,4000000",
            // By number, although the kana differs.
            "pension_report,,,ordinary,鈴木　一子,スズキ　カズコ,1975-01-01,どこか,123456789018,1000",
            // Nobody.
            "declaration,,,ordinary,田中　次郎,タナカ　ジロウ,1966-06-06,デモ市中央1-1-1,,100",
            // Two addressees.
            "declaration,,,ordinary,佐藤　ゆう,サトウ　ユウ,1990-09-09,デモ市中央1丁目1番1号,,200",
        ]);
        let url = path(DEMO, "/resident-tax/2026/income-files");

        // Another municipality's clerk can neither import here nor read the
        // queue; a registry clerk has no tax permission.
        let (status, _) = post_csv(&app, &url, &other, &file).await;
        assert_eq!(status, 404, "{backend:?}");
        let (status, _) = post_csv(&app, &url, &registry, &file).await;
        assert_eq!(status, 403, "{backend:?}");

        let (status, report) = post_csv(&app, &url, &tax, &file).await;
        assert_eq!(status, 201, "{backend:?}: {report}");
        assert_eq!(report["rows"], 4);
        assert_eq!(report["matched"], 2);
        assert_eq!(report["unmatched"], 1);
        assert_eq!(report["ambiguous"], 1);
        let issues = report["issues"].as_array().unwrap();
        assert_eq!(issues[0]["row"], 3);
        assert_eq!(issues[0]["code"], "unmatched");
        assert_eq!(issues[0]["candidates"], json!([]));
        assert_eq!(issues[1]["row"], 4);
        assert_eq!(issues[1]["code"], "ambiguous");
        assert_eq!(issues[1]["candidates"], json!([yu1, yu2]));

        // The same file again: refused, nothing added.
        let (status, answer) = post_csv(&app, &url, &tax, &file).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(answer["error"]["code"], "duplicate");

        // A malformed file names row and column and stores nothing.
        let bad = csv(&[
            "declaration,,,ordinary,田中　三郎,タナカ　サブロウ,1966-06-06,デモ市中央1-1-1,,100",
            "declaration,,,ordinary,田中　四郎,タナカ　シロウ,2026-02-30,デモ市中央1-1-1,,-5",
        ]);
        let (status, answer) = post_csv(&app, &url, &tax, &bad).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], "import_invalid");
        assert_eq!(answer["error"]["field"], "row 2 birth_date");
        assert_eq!(answer["total"], 2);
        assert_eq!(answer["problems"][1]["column"], "salary_revenue");
        assert_eq!(answer["problems"][1]["code"], "negative_amount");
        let (status, answer) = post_csv(
            &app,
            &url,
            &tax,
            "source,collection,name,name_kana,birth_date,address_on_jan1,bonus\n",
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(answer["problems"][0]["column"], "bonus");
        assert_eq!(answer["problems"][0]["code"], "unknown_column");

        // A fiscal year without rule data is refused.
        let (status, answer) = post_csv(
            &app,
            &path(DEMO, "/resident-tax/2040/income-files"),
            &tax,
            &file,
        )
        .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "fiscal_year");

        // The queue holds the two rows of the file, and only those.
        let queue_url = path(DEMO, "/resident-tax/2026/income-matching");
        let (status, _) = get(&app, &queue_url, &other).await;
        assert_eq!(status, 404);
        let (status, queue) = get(&app, &queue_url, &tax).await;
        assert_eq!(status, 200, "{queue}");
        let items = queue["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{queue}");
        assert_eq!(items[0]["status"], "unmatched");
        assert_eq!(items[0]["row"], 3);
        assert_eq!(items[0]["record"]["name_kana"], "タナカ　ジロウ");
        assert_eq!(items[1]["status"], "ambiguous");
        assert_eq!(items[1]["candidates"], json!([yu1, yu2]));
        let (status, page) = get(&app, &format!("{queue_url}?limit=1"), &tax).await;
        assert_eq!(status, 200);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["next_after"], items[0]["record_id"]);
        let (status, _) = get(&app, &format!("{queue_url}?limit=0"), &tax).await;
        assert_eq!(status, 422);

        // A clerk assigns the ambiguous row; another municipality cannot.
        let record = items[1]["record_id"].as_i64().unwrap();
        let assign_url = path(
            DEMO,
            &format!("/resident-tax/2026/income-matching/{record}/assign"),
        );
        let (status, _) = app
            .post_json(&assign_url, Some(&other), &json!({"addressee_id": yu2}))
            .await;
        assert_eq!(status, 404);
        let (status, answer) = app
            .post_json(
                &path(
                    CHIYODA,
                    &format!("/resident-tax/2026/income-matching/{record}/assign"),
                ),
                Some(&other),
                &json!({"addressee_id": yu2}),
            )
            .await;
        assert_eq!(status, 404, "{answer}");
        let (status, answer) = app
            .post_json(&assign_url, Some(&tax), &json!({"addressee_id": 999_999}))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "addressee_id");
        let (status, answer) = app.post_json(&assign_url, Some(&tax), &json!({})).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "addressee_id");
        let (status, assigned) = app
            .post_json(&assign_url, Some(&tax), &json!({"addressee_id": yu2}))
            .await;
        assert_eq!(status, 201, "{assigned}");
        assert_eq!(assigned["addressee_id"], yu2);
        assert_eq!(assigned["assigned_record_id"], record);
        let (_, queue) = get(&app, &queue_url, &tax).await;
        assert_eq!(queue["items"].as_array().unwrap().len(), 1);

        // What the assessment reads: the matched rows and the assignment.
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin_read().await.unwrap();
        let year = kiban_core::FiscalYear::new(2026).unwrap();
        let with_records =
            kiban_resident_tax::storage::income::addressees_with_records(&mut tx, year)
                .await
                .unwrap();
        let with_records: Vec<u64> = with_records.iter().map(|a| a.get()).collect();
        let mut expected = vec![hanako, numbered, yu2];
        expected.sort_unstable();
        assert_eq!(with_records, expected, "{backend:?}");
        tx.commit().await.unwrap();

        // The access log names the persons recorded about.
        let mut tx = tenant.begin_read().await.unwrap();
        let entries = kiban_audit::entries_for_person(&mut tx, i64::try_from(hanako).unwrap(), 50)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.detail.starts_with("resident_tax income_record")
                    && e.actor == "tax_clerk"),
            "{backend:?}"
        );
        app.stop().await;
    }
}
