//! Security on both engines: the second factor (TOTP) through the API and
//! the screens, idle sessions, 個人番号 sealed at rest and revealed only with
//! a purpose, the access-log screens and their CSV export, and staff
//! management by the municipality's own administrator.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use common::{PASSWORD, TestApp, code, csrf_field, element_text, get_text, new_client};
use kiban_store::Backend;
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};

const DEMO: &str = "990019";
const CHIYODA: &str = "131016";
/// A valid 個人番号 (the contract's example).
const NUMBER: &str = "123456789018";
/// Another valid one.
const OTHER_NUMBER: &str = "987654321093";

/// Everything the server logs in this test binary, at every level.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn path(m: &str, rest: &str) -> String {
    format!("/api/v1/municipalities/{m}{rest}")
}

async fn get(app: &TestApp, url: &str, token: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn person_with_number(name: &str, kana: &str, relationship: &str, number: &str) -> Value {
    json!({"name": name, "name_kana": kana, "birth_date": "1980-04-01", "sex": "male",
           "relationship": relationship, "individual_number": number})
}

/// 転入 of one person with a 個人番号; returns the person id.
async fn move_in_with_number(app: &TestApp, token: &str, m: &str, number: &str) -> u64 {
    let (status, body) = app
        .post_json(
            &path(m, "/movements"),
            Some(token),
            &json!({
                "kind": "move_in",
                "event_date": "2024-04-01",
                "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [person_with_number("番号 太郎", "バンゴウ タロウ", "head", number)],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["persons"][0]["person_id"].as_u64().unwrap()
}

async fn entries_of(app: &TestApp, m: &str, actor: &str) -> Vec<kiban_audit::StoredEntry> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let entries = kiban_audit::entries_by_actor(
        &mut tx,
        actor,
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        10_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    entries
}

#[tokio::test]
async fn api_logins_need_the_second_factor_once_per_code() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let db = app.database.as_ref().unwrap().db.clone();
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let login = |otp: Option<String>| {
            let mut body =
                json!({"municipality_code": DEMO, "login": "registry_clerk", "password": PASSWORD});
            if let Some(otp) = otp {
                body["otp"] = Value::String(otp);
            }
            body
        };
        // Not enrolled yet: the API sends the clerk to the screens.
        let (status, body) = app.post_json("/api/v1/sessions", None, &login(None)).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "second_factor_enrolment_required");
        // A role without 個人番号 logs in with its password alone.
        let (status, _) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &json!({"municipality_code": DEMO, "login": "tax_clerk", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 201);

        let enrolment = kiban_auth::begin_enrolment(&tenant, "registry_clerk")
            .await
            .unwrap();
        let secret = enrolment.secret;
        let step = kiban_auth::current_step();
        let wrong = format!(
            "{:06}",
            (secret.code_for_step(step).parse::<u32>().unwrap() + 1) % 1_000_000
        );
        assert!(matches!(
            kiban_auth::confirm_enrolment(&tenant, "registry_clerk", &wrong).await,
            Err(kiban_auth::AuthError::WrongSecondFactor)
        ));
        kiban_auth::confirm_enrolment(&tenant, "registry_clerk", &secret.code_for_step(step))
            .await
            .unwrap();
        // The secret is sealed: its Base32 and bytes are not stored.
        let mut tx = tenant.begin().await.unwrap();
        let row = tx
            .fetch_optional(
                "SELECT totp_sealed_secret FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
                &[kiban_store::Arg::from("registry_clerk")],
            )
            .await
            .unwrap()
            .unwrap();
        tx.rollback().await.unwrap();
        let sealed = row.opt_bytes(0).unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains(secret.to_base32().as_str()));

        // Without a code, with a wrong one, then with the right one once.
        let (status, body) = app.post_json("/api/v1/sessions", None, &login(None)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (401, json!("invalid_otp"))
        );
        let (status, _) = app
            .post_json("/api/v1/sessions", None, &login(Some(wrong)))
            .await;
        assert_eq!(status, 401);
        let enrolment_code = secret.code_for_step(step);
        let (status, _) = app
            .post_json("/api/v1/sessions", None, &login(Some(enrolment_code)))
            .await;
        assert_eq!(status, 401, "the enrolment's code cannot be used again");
        let next = secret.code_for_step(step + 1);
        let (status, body) = app
            .post_json("/api/v1/sessions", None, &login(Some(next.clone())))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = app
            .post_json("/api/v1/sessions", None, &login(Some(next)))
            .await;
        assert_eq!(status, 401, "a code is refused the second time (replay)");
        app.stop().await;
    }
}

#[tokio::test]
async fn idle_sessions_end() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let db = app.database.as_ref().unwrap().db.clone();
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let issued = kiban_auth::issue_staff_token(
            &tenant,
            "auditor",
            kiban_auth::TokenKind::Session,
            jiff::SignedDuration::from_hours(8),
        )
        .await
        .unwrap();
        let idle = jiff::SignedDuration::from_mins(30);
        let kind = kiban_auth::TokenKind::Session;
        assert!(
            kiban_auth::authenticate_idle(&db, &issued.token, kind, idle)
                .await
                .is_ok()
        );
        let mut tx = tenant.begin().await.unwrap();
        tx.execute(
            "UPDATE staff_tokens SET last_used_at = $3 WHERE municipality_code = $1 AND token_id = $2",
            &[
                kiban_store::Arg::from(issued.token_id.as_str()),
                kiban_store::Arg::from("2020-01-01T00:00:00Z"),
            ],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(matches!(
            kiban_auth::authenticate_idle(&db, &issued.token, kind, idle).await,
            Err(kiban_auth::AuthError::InvalidCredentials)
        ));
        // The same session through the screens: back to the login page.
        let cookie = format!("kiban_session={}", issued.token);
        let response = app
            .client
            .get(app.url("/app"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/login");
        app.stop().await;
    }
}

#[tokio::test]
async fn individual_numbers_are_sealed_masked_and_revealed_with_a_purpose() {
    let logs = captured_logs();
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let person = move_in_with_number(&app, &clerk, DEMO, NUMBER).await;

        // Views show the number masked.
        let (status, body) = get(&app, &path(DEMO, &format!("/persons/{person}")), &clerk).await;
        assert_eq!(status, 200, "{body}");
        let view: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(view["individual_number_masked"], "********9018");
        assert!(!body.contains(NUMBER));
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/persons/{person}/history")),
            &clerk,
        )
        .await;
        assert!(
            body.contains("********9018") && !body.contains(NUMBER),
            "{body}"
        );

        // Search by number: permitted roles only, through the keyed hash.
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/persons?individual_number={NUMBER}")),
            &clerk,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let found: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(found["results"][0]["person_id"].as_u64(), Some(person));
        assert!(!body.contains(NUMBER));
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/persons?individual_number={OTHER_NUMBER}")),
            &clerk,
        )
        .await;
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["results"],
            json!([])
        );
        let bad = "123456789019";
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/persons?individual_number={bad}")),
            &clerk,
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body.contains("\"field\":\"individual_number\"") && !body.contains(bad),
            "{body}"
        );
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let (status, _) = get(
            &app,
            &path(DEMO, &format!("/persons?individual_number={NUMBER}")),
            &tax,
        )
        .await;
        assert_eq!(status, 403);

        // Reveal: purpose required; tax clerks and auditors refused; other
        // municipalities get 404.
        let reveal = path(DEMO, &format!("/persons/{person}/individual-number/reveal"));
        let (status, body) = app.post_json(&reveal, Some(&clerk), &json!({})).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("purpose"))
        );
        let (status, _) = app
            .post_json(&reveal, Some(&clerk), &json!({"purpose": "x"}))
            .await;
        assert_eq!(status, 422);
        let (status, body) = app
            .post_json(
                &reveal,
                Some(&clerk),
                &json!({"purpose": "本人確認のため", "porpose": 1}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("porpose"))
        );
        for login in ["tax_clerk", "nhi_clerk", "auditor", "municipality_admin"] {
            let token = app.token(Some(DEMO), login).await;
            let (status, body) = app
                .post_json(
                    &reveal,
                    Some(&token),
                    &json!({"purpose": "税額の確認のため"}),
                )
                .await;
            assert_eq!(status, 403, "{login}: {body}");
            assert!(!body.to_string().contains(NUMBER));
        }
        let foreign = app.token(Some(CHIYODA), "registry_clerk").await;
        let (status, _) = app
            .post_json(
                &reveal,
                Some(&foreign),
                &json!({"purpose": "他団体からの試み"}),
            )
            .await;
        assert_eq!(status, 404);
        let operator = app.token(None, "ops").await;
        let (status, _) = app
            .post_json(
                &reveal,
                Some(&operator),
                &json!({"purpose": "運用者からの試み"}),
            )
            .await;
        assert_eq!(status, 403);
        let (status, body) = app
            .post_json(
                &reveal,
                Some(&clerk),
                &json!({"purpose": "転入届の本人確認のため"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["individual_number"], NUMBER);

        // The access log has the reveal with its purpose and the refusals.
        let auditor = app.token(Some(DEMO), "auditor").await;
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/persons/{person}/access-log")),
            &auditor,
        )
        .await;
        assert_eq!(status, 200);
        let log: Value = serde_json::from_str(&body).unwrap();
        let entries = log["entries"].as_array().unwrap();
        assert!(
            entries.iter().any(|e| e["action"] == "reveal"
                && e["actor"] == "registry_clerk"
                && e["purpose"] == "転入届の本人確認のため"),
            "{body}"
        );
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "refused" && e["actor"] == "tax_clerk")
        );
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "refused" && e["actor"] == "operator:ops")
        );
        assert!(!body.contains(NUMBER));

        // A rejected movement does not echo the number it was given.
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({
                    "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2099-04-05",
                    "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
                    "previous_address": "東京都千代田区千代田1番1号",
                    "persons": [person_with_number("番号 次郎", "バンゴウ ジロウ", "head", OTHER_NUMBER)],
                }),
            )
            .await;
        assert!(status == 422 || status == 409, "{body}");
        assert!(!body.to_string().contains(OTHER_NUMBER), "{body}");
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({
                    "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                    "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
                    "previous_address": "東京都千代田区千代田1番1号",
                    "persons": [person_with_number("番号 次郎", "バンゴウ ジロウ", "head", "987654321094")],
                }),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("persons[0].individual_number"))
        );
        assert!(!body.to_string().contains("987654321094"), "{body}");

        // A number already another resident's is refused, naming the field
        // (and the person), never the number; nothing is written.
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({
                    "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                    "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
                    "previous_address": "東京都千代田区千代田1番1号",
                    "persons": [person_with_number("重複 三郎", "ジュウフク サブロウ", "head", NUMBER)],
                }),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "individual_number_in_use");
        assert_eq!(body["error"]["field"], "persons[0].individual_number");
        assert!(!body.to_string().contains(NUMBER));
        let (_, found) = get(
            &app,
            &path(
                DEMO,
                "/persons?name_kana=%E3%82%B8%E3%83%A5%E3%82%A6%E3%83%95%E3%82%AF",
            ),
            &clerk,
        )
        .await;
        assert_eq!(
            serde_json::from_str::<Value>(&found).unwrap()["results"],
            json!([]),
            "nothing written"
        );

        // A sealed number copied to another person's row does not open.
        let second = move_in_with_number(&app, &clerk, DEMO, OTHER_NUMBER).await;
        let db = app.database.as_ref().unwrap().db.clone();
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin().await.unwrap();
        tx.execute(
            "UPDATE individual_numbers SET sealed_number = \
             (SELECT sealed_number FROM individual_numbers WHERE municipality_code = $1 AND person_id = $2) \
             WHERE municipality_code = $1 AND person_id = $3",
            &[kiban_store::Arg::Int(person as i64), kiban_store::Arg::Int(second as i64)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let swapped = path(DEMO, &format!("/persons/{second}/individual-number/reveal"));
        let (status, body) = app
            .post_json(
                &swapped,
                Some(&clerk),
                &json!({"purpose": "移し替えの検査"}),
            )
            .await;
        assert_eq!(status, 500, "{body}");
        assert!(!body.to_string().contains(NUMBER));

        // Nothing stores or logs the numbers in plain text.
        if backend == Backend::Sqlite {
            let url = &app.database.as_ref().unwrap().url;
            let file = url.strip_prefix("sqlite://").unwrap().to_owned();
            for suffix in ["", "-wal"] {
                if let Ok(bytes) = std::fs::read(format!("{file}{suffix}")) {
                    for number in [NUMBER, OTHER_NUMBER] {
                        assert!(
                            !bytes.windows(number.len()).any(|w| w == number.as_bytes()),
                            "{number} in plain text in the database file{suffix}"
                        );
                    }
                }
            }
        }
        app.stop().await;
    }
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logs.contains("request") || !logs.is_empty(),
        "the server's logs were captured"
    );
    for number in [NUMBER, OTHER_NUMBER, "987654321094", "123456789019"] {
        let line = logs
            .lines()
            .find(|l| l.contains(number))
            .unwrap_or_default();
        assert!(!logs.contains(number), "{number} in the logs: {line}");
    }
}

#[tokio::test]
async fn screens_mask_reveal_and_show_the_access_log() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let person = move_in_with_number(&app, &clerk, DEMO, NUMBER).await;
        let screen = format!("/app/registry/persons/{person}/individual-number");

        // A tax clerk sees the number masked, with no way to reveal it.
        app.login_screen(DEMO, "tax_clerk").await;
        let html = app
            .client
            .get(app.url(&screen))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            element_text(&html, "individual-number").as_deref(),
            Some("********9018")
        );
        assert!(html.contains("reveal-not-permitted") && !html.contains("reveal-form"));
        let csrf = csrf_field(&html);
        let refused = app
            .client
            .post(app.url(&format!("{screen}/reveal")))
            .form(&[("purpose", "見てみたい"), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        assert!(!refused.text().await.unwrap().contains(NUMBER));
        let staff = app.client.get(app.url("/app/staff")).send().await.unwrap();
        assert_eq!(staff.status(), 403, "a clerk cannot manage staff");

        // The registry clerk (second factor enrolled on the way) reveals it
        // with a purpose.
        let clerk_client = new_client();
        app.login_screen_with(&clerk_client, DEMO, "registry_clerk")
            .await;
        let html = get_text(&clerk_client, &app.url(&screen)).await;
        assert!(html.contains("reveal-form"));
        let csrf = csrf_field(&html);
        let empty = clerk_client
            .post(app.url(&format!("{screen}/reveal")))
            .form(&[("purpose", ""), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(empty.status(), 422);
        let shown = clerk_client
            .post(app.url(&format!("{screen}/reveal")))
            .form(&[("purpose", "窓口での本人確認"), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 200);
        let html = shown.text().await.unwrap();
        assert_eq!(
            element_text(&html, "individual-number").as_deref(),
            Some(NUMBER)
        );

        // The auditor sees who looked, searches by staff member and period,
        // and exports CSV (logged as an export).
        let auditor = new_client();
        app.login_screen_with(&auditor, DEMO, "auditor").await;
        let html = get_text(
            &auditor,
            &app.url(&format!("/app/audit/access-log?person_id={person}")),
        )
        .await;
        assert!(
            html.contains("個人番号表示") && html.contains("窓口での本人確認"),
            "{html}"
        );
        assert!(html.contains("拒否") && html.contains("税務担当"));
        assert!(!html.contains(NUMBER));
        let today = kiban_core::today_in_japan();
        let html = get_text(
            &auditor,
            &app.url(&format!(
                "/app/audit/access-log?actor=registry_clerk&from={today}&to={today}"
            )),
        )
        .await;
        assert!(html.contains("職員 registry_clerk の利用履歴") && html.contains("個人番号表示"));
        // Times on the screen in 和暦 with the 西暦 year; the period may be
        // typed in 和暦 too.
        let today_ja = kiban_core::wareki::format_ja(today);
        let time_ja = kiban_core::wareki::format_ja_with_western(today);
        assert!(html.contains(&time_ja), "{html}");
        let html = get_text(
            &auditor,
            &app.url(&format!(
                "/app/audit/access-log?actor=registry_clerk&from={}",
                today_ja
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            )),
        )
        .await;
        assert!(
            html.contains(&format!("（{today_ja} 〜 {today_ja}）"))
                && html.contains("個人番号表示"),
            "{html}"
        );
        let bad = auditor
            .get(app.url("/app/audit/access-log?actor=registry_clerk&from=2026-13-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let message = bad.text().await.unwrap();
        assert!(message.contains("期間（開始日）"), "{message}");
        let csv = auditor
            .get(app.url(&format!("/app/audit/access-log.csv?person_id={person}")))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(
            csv.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let bytes = csv.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{FEFF}番号,日時（日本時間）,職員".as_bytes()));
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(text.contains("窓口での本人確認") && !text.contains(NUMBER));
        let actions: Vec<&str> = entries_of(&app, DEMO, "auditor")
            .await
            .iter()
            .map(|e| e.action.code())
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        assert!(
            actions.contains(&"export") && actions.contains(&"read"),
            "{actions:?}"
        );
        let clerk_page = app
            .client
            .get(app.url("/app/audit/access-log"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            clerk_page.status(),
            403,
            "a tax clerk cannot read the access log"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn administrators_manage_their_own_staff_only() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        app.login_screen(DEMO, "municipality_admin").await;
        let html = app
            .client
            .get(app.url("/app/staff"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("staff-registry_clerk") && html.contains("住民記録担当"));
        let csrf = csrf_field(&html);
        let post = |url: String, form: Vec<(&'static str, String)>| {
            let client = app.client.clone();
            let url = app.url(&url);
            async move {
                let response = client.post(url).form(&form).send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };

        // Create: a generated initial password, shown once.
        let (status, html) = post(
            "/app/staff".into(),
            vec![
                ("login", "new.clerk".into()),
                ("display_name", "新任 職員".into()),
                ("role", "tax_clerk".into()),
                ("csrf", csrf.clone()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        let password = element_text(&html, "new-password").unwrap();
        let password = password.rsplit(' ').next().unwrap_or_default().to_owned();
        let password = html
            .split("id=\"new-password\"")
            .nth(1)
            .and_then(|rest| rest.split("<code>").nth(1))
            .and_then(|rest| rest.split("</code>").next())
            .map(str::to_owned)
            .unwrap_or(password);
        assert_eq!(password.len(), 16);
        let (status, _) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &json!({"municipality_code": DEMO, "login": "new.clerk", "password": password}),
            )
            .await;
        assert_eq!(
            status, 201,
            "the new account logs in with its initial password"
        );
        let (status, html) = post(
            "/app/staff".into(),
            vec![
                ("login", "new.clerk".into()),
                ("display_name", "二重".into()),
                ("role", "tax_clerk".into()),
                ("csrf", csrf.clone()),
            ],
        )
        .await;
        assert_eq!(status, 409, "{html}");

        // Disable, enable, reset password and second factor, assign a role.
        let (status, _) = post(
            "/app/staff/new.clerk/disable".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &json!({"municipality_code": DEMO, "login": "new.clerk", "password": password}),
            )
            .await;
        assert_eq!(status, 401, "a disabled account cannot log in");
        let (status, _) = post(
            "/app/staff/new.clerk/enable".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 200);
        let (status, html) = post(
            "/app/staff/new.clerk/reset-password".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("new-password"));
        let (status, _) = post(
            "/app/staff/new.clerk/reset-second-factor".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 200);
        let (status, html) = post(
            "/app/staff/new.clerk/role".into(),
            vec![("role", "auditor".into()), ("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("役割を変更しました"));
        let (status, _) = post(
            "/app/staff/new.clerk/role".into(),
            vec![("role", "root".into()), ("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 422);
        let (status, _) = post(
            "/app/staff/municipality_admin/disable".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 422, "an administrator cannot disable themselves");
        let (status, _) = post(
            "/app/staff/nobody/disable".into(),
            vec![("csrf", csrf.clone())],
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = post("/app/staff/new.clerk/disable".into(), vec![]).await;
        assert_eq!(status, 403, "CSRF");
        let db = app.database.as_ref().unwrap().db.clone();
        let demo = db.tenant(code(DEMO)).await.unwrap();
        let account = kiban_auth::find_staff(&demo, "new.clerk")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.role, kiban_auth::Role::Auditor);
        let changes: Vec<String> = entries_of(&app, DEMO, "municipality_admin")
            .await
            .iter()
            .filter(|e| e.action == kiban_audit::AuditAction::Change)
            .map(|e| e.detail.clone())
            .collect();
        for expected in [
            "staff_create new.clerk tax_clerk",
            "staff_disable new.clerk",
            "staff_enable new.clerk",
            "staff_reset_password new.clerk",
            "staff_reset_second_factor new.clerk",
            "staff_set_role new.clerk auditor",
            "second_factor_enrolled",
        ] {
            assert!(
                changes.iter().any(|d| d == expected),
                "{expected} in {changes:?}"
            );
        }

        // The administrator of 千代田区 acts in 千代田区 only: the same login
        // there is another account, and デモ市's stays as it was.
        let chiyoda_admin = new_client();
        app.login_screen_with(&chiyoda_admin, CHIYODA, "municipality_admin")
            .await;
        let html = get_text(&chiyoda_admin, &app.url("/app/staff")).await;
        assert!(
            !html.contains("new.clerk"),
            "another municipality's staff are not listed"
        );
        let csrf = csrf_field(&html);
        let response = chiyoda_admin
            .post(app.url("/app/staff/new.clerk/disable"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let account = kiban_auth::find_staff(&demo, "new.clerk")
            .await
            .unwrap()
            .unwrap();
        assert!(!account.disabled);

        // Operators have no staff screens: even with a session they cannot
        // list, change or audit a municipality's staff.
        let operator = kiban_auth::issue_operator_token(
            &db,
            "ops",
            kiban_auth::TokenKind::Session,
            jiff::SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
        let cookies = format!("kiban_session={}; kiban_csrf=op-csrf", operator.token);
        for (method, url) in [
            ("GET", "/app/staff"),
            ("POST", "/app/staff/registry_clerk/disable"),
            ("GET", "/app/audit/access-log?person_id=1"),
            ("GET", "/app/registry/persons/1/individual-number"),
        ] {
            let browser = new_client();
            let request = if method == "GET" {
                browser.get(app.url(url))
            } else {
                browser.post(app.url(url)).form(&[("csrf", "op-csrf")])
            };
            let response = request
                .header("cookie", cookies.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "operator {method} {url}");
        }
        let clerk_account = kiban_auth::find_staff(&demo, "registry_clerk")
            .await
            .unwrap()
            .unwrap();
        assert!(!clerk_account.disabled);

        // Clerks are refused and logged.
        let clerk = new_client();
        app.login_screen_with(&clerk, DEMO, "nhi_clerk").await;
        let response = clerk.get(app.url("/app/staff")).send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert!(
            entries_of(&app, DEMO, "nhi_clerk")
                .await
                .iter()
                .any(|e| e.action == kiban_audit::AuditAction::Refused && e.detail == "staff_list")
        );
        app.stop().await;
    }
}

/// How many rows of `table` of municipality `m` match `condition`.
async fn rows(app: &TestApp, m: &str, table: &str, condition: &str) -> i64 {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let row = tx
        .fetch_optional(
            &format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1 AND {condition}"),
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    let n = row.int(0).unwrap();
    tx.commit().await.unwrap();
    n
}

fn names_the_master_key_settings(text: &str) -> bool {
    text.contains("マスター鍵")
        && text.contains("--master-key-file")
        && text.contains("KIBAN_MASTER_KEY")
}

/// A server started without a master key: every request that would seal or
/// open a value (a movement carrying a 個人番号, a search by it, its reveal,
/// second-factor enrolment) gets 503 `master_key_not_configured` (a page on
/// the screens) naming the settings, and stores nothing; the rest works.
#[tokio::test]
async fn without_a_master_key_sealing_requests_get_503_and_store_nothing() {
    for backend in BACKENDS {
        let app = TestApp::spawn_without_master_key(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let mut move_in = json!({
            "kind": "move_in",
            "event_date": "2024-04-01",
            "notified_on": "2024-04-05",
            "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号"},
            "previous_address": "東京都千代田区千代田1番1号",
            "persons": [person_with_number("番号 太郎", "バンゴウ タロウ", "head", NUMBER)],
        });

        // API: the movement with a number is refused, nothing is stored.
        let (status, body) = app
            .post_json(&path(DEMO, "/movements"), Some(&clerk), &move_in)
            .await;
        assert_eq!(status, 503, "{backend:?} {body}");
        assert_eq!(body["error"]["code"], "master_key_not_configured");
        assert!(names_the_master_key_settings(
            body["error"]["message"].as_str().unwrap()
        ));
        assert!(!body.to_string().contains(NUMBER));
        for table in ["movements", "persons", "individual_numbers", "tenant_keys"] {
            assert_eq!(rows(&app, DEMO, table, "1 = 1").await, 0, "{table}");
        }

        // The same movement without a number is recorded.
        move_in["persons"][0]
            .as_object_mut()
            .unwrap()
            .remove("individual_number");
        let (status, body) = app
            .post_json(&path(DEMO, "/movements"), Some(&clerk), &move_in)
            .await;
        assert_eq!(status, 201, "{body}");
        let person = body["persons"][0]["person_id"].as_u64().unwrap();

        // A search by number and a reveal cannot be answered.
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/persons?individual_number={NUMBER}")),
            &clerk,
        )
        .await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("master_key_not_configured"));
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/persons/{person}/individual-number/reveal")),
                Some(&clerk),
                &json!({"purpose": "窓口での本人確認"}),
            )
            .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "master_key_not_configured");
        assert!(
            !entries_of(&app, DEMO, "registry_clerk")
                .await
                .iter()
                .any(|e| e.action == kiban_audit::AuditAction::Reveal),
            "nothing was revealed"
        );

        // Screens: the movement form with a number gets a page, not JSON.
        let browser = app.screen_session(DEMO, "registry_clerk").await;
        let html = get_text(&browser, &app.url("/app/registry/movements/move_in")).await;
        let csrf = csrf_field(&html);
        let form = [
            ("csrf", csrf.as_str()),
            ("step", "commit"),
            ("rows", "1"),
            ("event_date", "令和6年4月1日"),
            ("notified_on", "2024-04-05"),
            ("previous_address", "東京都千代田区千代田1番1号"),
            ("household_id", ""),
            ("address.postal_code", "100-0001"),
            ("address.address_line", "デモ市中央一丁目5番"),
            ("address.katagaki", ""),
            ("persons[0].name", "番号　花子"),
            ("persons[0].name_kana", "バンゴウ　ハナコ"),
            ("persons[0].birth_date", "昭和55年4月1日"),
            ("persons[0].sex", "female"),
            ("persons[0].relationship", "head"),
            ("persons[0].nationality", "JP"),
            ("persons[0].individual_number", OTHER_NUMBER),
        ];
        let response = browser
            .post(app.url("/app/registry/movements/move_in"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.unwrap();
        assert!(names_the_master_key_settings(&html), "{html}");
        assert!(!html.contains(OTHER_NUMBER));
        assert_eq!(rows(&app, DEMO, "movements", "1 = 1").await, 1);
        assert_eq!(rows(&app, DEMO, "individual_numbers", "1 = 1").await, 0);

        // The reveal screen.
        let screen = format!("/app/registry/persons/{person}/individual-number");
        let html = get_text(&browser, &app.url(&screen)).await;
        let csrf = csrf_field(&html);
        let response = browser
            .post(app.url(&format!("{screen}/reveal")))
            .form(&[("purpose", "窓口での本人確認"), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert!(names_the_master_key_settings(
            &response.text().await.unwrap()
        ));

        // Second-factor enrolment at a supervisor's first login.
        let supervisor = new_client();
        let html = get_text(&supervisor, &app.url("/login")).await;
        let csrf = csrf_field(&html);
        let response = supervisor
            .post(app.url("/login"))
            .form(&[
                ("municipality_code", DEMO),
                ("login", "supervisor"),
                ("password", PASSWORD),
                ("otp", ""),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/app/staff/enrol");
        let response = supervisor
            .get(app.url("/app/staff/enrol"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert!(names_the_master_key_settings(
            &response.text().await.unwrap()
        ));
        assert_eq!(
            rows(
                &app,
                DEMO,
                "staff_accounts",
                "totp_sealed_secret IS NOT NULL"
            )
            .await,
            0
        );
        app.stop().await;
    }
}
