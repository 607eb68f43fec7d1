//! 口座振替 through the API on both engines: the collection settings (set
//! by a supervisor, read by a tax clerk), an addressee's bank account, each
//! bad field refused with 422 naming it, and another municipality that can
//! neither read nor register the account.

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

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(url)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn settings() -> Value {
    json!({"consignor_code": "1234567890", "consignor_name_kana": "ﾃﾞﾓｼ", "bank_code": "0001",
           "branch_code": "001", "account_type": "1", "account_number": "7654321", "demand_fee": 100})
}

fn account() -> Value {
    json!({"bank_code": "0001", "branch_code": "001", "account_type": "1", "account_number": "1234567",
           "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "businesses": ["resident_tax"], "valid_from": "2027-04-01"})
}

/// A non-resident (住登外者) of `m` with number `id`.
async fn addressee(app: &TestApp, m: &str, id: i64) {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    tx.execute(
        "INSERT INTO addressees (municipality_code, addressee_id, kind, registered_at, registered_by) \
         VALUES ($1, $2, 'non_resident', $3, 'test')",
        &[
            kiban_store::Arg::Int(id),
            kiban_store::Arg::from(kiban_store::now_text()),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The field a 422 names.
fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn settings_and_bank_accounts_on_both_engines() {
    use reqwest::Method;
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let supervisor = app.token(Some(DEMO), "supervisor").await;
        let clerk = app.token(Some(DEMO), "tax_clerk").await;
        let other = app.token(Some(CHIYODA), "tax_clerk").await;
        let settings_url = path(DEMO, "/collection/settings");

        // Settings: none yet; a clerk may not change them; each bad field named.
        let (status, _) = send(&app, Method::GET, &settings_url, &clerk, None).await;
        assert_eq!(status, 404);
        let (status, _) = send(&app, Method::PUT, &settings_url, &clerk, Some(&settings())).await;
        assert_eq!(status, 403);
        for (name, bad) in [
            ("consignor_code", json!("123456789")),
            ("consignor_name_kana", json!("デモシ")),
            ("bank_code", json!("1")),
            ("account_type", json!("5")),
            ("account_number", json!("12345678")),
            ("demand_fee", json!(-1)),
            ("branch_name_kana", json!("ﾎﾝﾃﾝ①")),
        ] {
            let mut body = settings();
            body[name] = bad;
            let (status, body) =
                send(&app, Method::PUT, &settings_url, &supervisor, Some(&body)).await;
            assert_eq!((status, field(&body)), (422, name), "{backend:?} {body}");
        }
        let (status, body) = send(
            &app,
            Method::PUT,
            &settings_url,
            &supervisor,
            Some(&settings()),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["version"], 1);
        let (status, body) = send(&app, Method::GET, &settings_url, &clerk, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["consignor_name_kana"], "ﾃﾞﾓｼ");
        assert_eq!(body["demand_fee"], 100);

        // A bank account: each bad field named, then registered and read.
        addressee(&app, DEMO, 7_001).await;
        let url = path(DEMO, "/collection/addressees/7001/bank-account");
        for (name, bad) in [
            ("bank_code", json!("01")),
            ("branch_code", json!("0001")),
            ("account_type", json!("")),
            ("account_number", json!("123456")),
            ("holder_kana", json!("山田太郎")),
            ("holder_kana", json!("ﾔﾏﾀﾞ ﾀﾛｳ ﾔﾏﾀﾞ ﾀﾛｳ ﾔﾏﾀﾞ ﾀﾛｳ ﾔﾏﾀﾞ")),
            ("valid_from", json!("2027-02-30")),
            ("businesses[0]", json!(["late_fee"])),
        ] {
            let mut body = account();
            let key = name.trim_end_matches("[0]");
            body[key] = bad;
            let (status, body) = send(&app, Method::PUT, &url, &clerk, Some(&body)).await;
            assert_eq!((status, field(&body)), (422, name), "{backend:?} {body}");
        }
        let (status, body) = send(&app, Method::PUT, &url, &clerk, Some(&account())).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["version"], 1);
        let (status, body) = send(
            &app,
            Method::GET,
            &format!("{url}?as_of=2027-06-30"),
            &clerk,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["holder_kana"], "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(body["businesses"], json!(["resident_tax"]));
        let (status, _) = send(
            &app,
            Method::GET,
            &format!("{url}?as_of=2027-03-31"),
            &clerk,
            None,
        )
        .await;
        assert_eq!(status, 404, "not in force yet");

        // Another municipality: not through our path, not through its own.
        let (status, _) = send(&app, Method::GET, &url, &other, None).await;
        assert_eq!(status, 404);
        let (status, _) = send(&app, Method::PUT, &url, &other, Some(&account())).await;
        assert_eq!(status, 404);
        let own = path(CHIYODA, "/collection/addressees/7001/bank-account");
        let (status, _) = send(&app, Method::PUT, &own, &other, Some(&account())).await;
        assert_eq!(status, 404);
        let (status, _) = send(&app, Method::GET, &own, &other, None).await;
        assert_eq!(status, 404);

        // The registration and the read are in the person's access log.
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin().await.unwrap();
        let rows = tx
            .fetch_all(
                "SELECT action FROM audit_log WHERE municipality_code = $1 AND person_id = 7001 \
                 AND detail LIKE 'collection bank account%' ORDER BY entry_id",
                &[],
            )
            .await
            .unwrap();
        let actions: Vec<String> = rows.iter().map(|r| r.text(0).unwrap()).collect();
        assert_eq!(actions, ["change", "read"]);
        tx.rollback().await.unwrap();
        app.stop().await;
    }
}
