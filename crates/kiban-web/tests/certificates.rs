//! Certificates and seal registration through the JSON API, on both
//! engines: issued PDFs read back with pdftotext and pdffonts, verification
//! codes, refusals, the access log, every seal procedure and the abolition
//! that follows a registry move-out.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use std::process::Command;

use base64::Engine;
use common::{TestApp, code};
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const DEMO: &str = "990019";
const CHIYODA: &str = "131016";
/// 辻 with the Moji_Joho selector U+E0102 (a form IPAmj明朝 carries).
const IVS_SURNAME: &str = "辻\u{E0102}";
const IMPRESSION: &[u8] = include_bytes!("../../kiban-print/tests/fixtures/impression.png");

fn path(m: &str, rest: &str) -> String {
    format!("/api/v1/municipalities/{m}{rest}")
}

fn person(name: &str, kana: &str, birth: &str, sex: &str, relationship: &str) -> Value {
    json!({"name": name, "name_kana": kana, "birth_date": birth, "sex": sex, "relationship": relationship})
}

/// Sets the certifier (市長名) of a municipality.
async fn set_certifier(app: &TestApp, m: &str) {
    app.set_certifier(m, "デモ市長", "基盤 太郎").await;
}

/// 転入 of a family of three (head with an IVS surname, spouse, a child of
/// ten); returns the household and the person ids.
async fn move_in_family(app: &TestApp, token: &str) -> (u64, [u64; 3]) {
    let (status, body) = app
        .post_json(
            &path(DEMO, "/movements"),
            Some(token),
            &json!({
                "kind": "move_in",
                "event_date": "2024-04-01",
                "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号", "katagaki": "デモマンション101"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [
                    person(&format!("{IVS_SURNAME} 太郎"), "ツジ タロウ", "1980-04-01", "male", "head"),
                    person(&format!("{IVS_SURNAME} 花子"), "ツジ ハナコ", "1982-05-05", "female", "spouse"),
                    person(&format!("{IVS_SURNAME} 一郎"), "ツジ イチロウ", "2016-06-01", "male", "child"),
                ],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let household = body["household_id"].as_u64().unwrap();
    let ids: Vec<u64> = body["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_u64().unwrap())
        .collect();
    (household, [ids[0], ids[1], ids[2]])
}

struct Pdf {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

async fn issue(app: &TestApp, m: &str, token: &str, body: &Value) -> Pdf {
    let response = app
        .client
        .post(app.url(&path(m, "/certificates")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    Pdf {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

fn error_of(pdf: &Pdf) -> Value {
    serde_json::from_slice(&pdf.body).unwrap_or(Value::Null)
}

fn header(pdf: &Pdf, name: &str) -> String {
    pdf.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn poppler(tool: &str, pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "kiban-cert-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.pdf");
    std::fs::write(&file, pdf).unwrap();
    let mut command = Command::new(tool);
    if tool == "pdftotext" {
        command.args(["-layout", file.to_str().unwrap(), "-"]);
    } else {
        command.arg(file.to_str().unwrap());
    }
    let output = command.output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(output.status.success(), "{tool} failed");
    String::from_utf8(output.stdout).unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Text as pdftotext gives it, without spaces and variation selectors.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !('\u{E0100}'..='\u{E01EF}').contains(c))
        .collect()
}

async fn get_json(app: &TestApp, url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.client.get(app.url(url));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit(app: &TestApp, m: &str, person: u64) -> Vec<(String, String)> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let entries = kiban_audit::entries_for_person(&mut tx, i64::try_from(person).unwrap(), 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    entries
        .iter()
        .map(|e| (e.action.code().to_owned(), e.detail.clone()))
        .collect()
}

#[tokio::test]
async fn a_household_copy_prints_verifies_and_is_logged() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (household, [head, spouse, child]) = move_in_family(&app, &clerk).await;

        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "household_id": household,
                    "items": ["relationship", "resident_record_code"], "purpose": "児童手当の申請"}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        assert_eq!(header(&pdf, "content-type"), "application/pdf");
        assert!(pdf.body.starts_with(b"%PDF"));
        let id = header(&pdf, "x-kiban-certificate-id");
        assert!(!id.is_empty());
        let code = header(&pdf, "x-kiban-verification-code");
        assert!(code.starts_with("990019-"), "{code}");

        // The text layer: title, names (IVS kept out of the comparison),
        // items, the certification, the anti-copy wording, the code.
        let text = plain(&poppler("pdftotext", &pdf.body));
        for expected in [
            "住民票",
            "辻太郎",
            "辻花子",
            "辻一郎",
            "デモ市中央一丁目2番3号",
            "世帯主",
            "偽造防止用紙",
            "デモ市長",
            "基盤太郎",
            &code,
        ] {
            assert!(text.contains(expected), "{expected} missing in:\n{text}");
        }
        // The IVS name is set in IPAmj明朝, embedded as a subset.
        let fonts = poppler("pdffonts", &pdf.body);
        assert!(fonts.contains("IPAmjMincho"), "{fonts}");
        assert!(
            fonts
                .lines()
                .filter(|l| l.contains("IPA"))
                .all(|l| l.contains("+")),
            "{fonts}"
        );

        // Verification: kind, municipality, date, digest; nothing personal.
        let (status, verified) =
            get_json(&app, &format!("/api/v1/certificates/verify/{code}"), None).await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["valid"], true);
        assert_eq!(verified["kind"], "resident_record_copy");
        assert_eq!(verified["municipality_code"], DEMO);
        assert_eq!(
            verified["sha256"],
            hex::encode(Sha256::digest(&pdf.body)).as_str()
        );
        assert_eq!(verified.as_object().unwrap().len(), 5);
        assert_eq!(verified["issued_on"].as_str().unwrap().len(), 10);
        // An altered code fails (its check part), so does an unknown one.
        let mut altered: Vec<char> = code.chars().collect();
        altered[8] = if altered[8] == '7' { '8' } else { '7' };
        let altered: String = altered.into_iter().collect();
        let (status, _) = get_json(
            &app,
            &format!("/api/v1/certificates/verify/{altered}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = get_json(&app, "/api/v1/certificates/verify/nonsense", None).await;
        assert_eq!(status, 404);

        // Each person's access log has the print, with the purpose.
        for person in [head, spouse, child] {
            let entries = audit(&app, DEMO, person).await;
            assert!(
                entries
                    .iter()
                    .any(|(action, detail)| action == "print" && detail.contains(&id)),
                "{entries:?}"
            );
        }

        // Two persons of the household, chosen by id, in the order given.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [spouse, child]}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        let text = plain(&poppler("pdftotext", &pdf.body));
        assert!(text.contains("辻花子") && text.contains("辻一郎"), "{text}");
        // The head is printed as 世帯主 only, not as a listed person.
        assert_eq!(text.matches("辻太郎").count(), 1, "{text}");
        assert_ne!(header(&pdf, "x-kiban-verification-code"), code);

        // 住民票記載事項証明書 of chosen items.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "record_item_certificate", "person_ids": [head],
                    "items": ["birth_date", "address"]}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        let text = plain(&poppler("pdftotext", &pdf.body));
        assert!(text.contains("記載事項証明書"), "{text}");
        assert!(text.contains("昭和55年4月1日"), "{text}");
        app.stop().await;
    }
}

#[tokio::test]
async fn refusals_name_the_field_and_are_logged() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (household, [head, _, child]) = move_in_family(&app, &clerk).await;
        let cases = [
            (
                json!({"kind": "resident_record_copy", "household_id": household, "items": ["relationship", "individual_number"]}),
                422,
                "missing_field",
                Some("purpose"),
            ),
            (
                json!({"kind": "resident_record_copy", "household_id": household, "items": ["permanent_domicile"]}),
                422,
                "item_not_held",
                Some("items[0]"),
            ),
            (
                json!({"kind": "resident_record_copy", "household_id": household, "items": ["nickname"]}),
                422,
                "invalid_item",
                Some("items[0]"),
            ),
            (
                json!({"kind": "family_register", "household_id": household}),
                422,
                "invalid_value",
                Some("kind"),
            ),
            (
                json!({"kind": "resident_record_copy"}),
                422,
                "missing_field",
                Some("person_ids"),
            ),
            (
                json!({"kind": "resident_record_copy", "person_ids": [head, 999_999]}),
                422,
                "not_certifiable",
                Some("person_ids[1]"),
            ),
            (
                json!({"kind": "removed_record_copy", "person_ids": [child]}),
                422,
                "not_certifiable",
                Some("person_ids[0]"),
            ),
            (
                json!({"kind": "seal_certificate", "seal_card_number": "12345678"}),
                422,
                "unknown_seal_card",
                Some("seal_card_number"),
            ),
        ];
        for (body, status, error_code, field) in cases {
            let pdf = issue(&app, DEMO, &clerk, &body).await;
            let error = error_of(&pdf);
            assert_eq!(pdf.status, status, "{body} → {error}");
            assert_eq!(error["error"]["code"], error_code, "{body} → {error}");
            assert_eq!(error["error"]["field"].as_str(), field, "{body} → {error}");
        }
        // The refused removed_record_copy is in the child's access log.
        assert!(
            audit(&app, DEMO, child)
                .await
                .iter()
                .any(|(action, detail)| action == "refused" && detail.contains("certificate"))
        );
        // Malformed JSON.
        let response = app
            .client
            .post(app.url(&path(DEMO, "/certificates")))
            .bearer_auth(&clerk)
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);

        // Roles and tenancy: an operator 403, a tax clerk 403, a token of
        // another municipality 404, no token 401.
        let body = json!({"kind": "resident_record_copy", "household_id": household});
        let ops = app.token(None, "ops").await;
        assert_eq!(issue(&app, DEMO, &ops, &body).await.status, 403);
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        assert_eq!(issue(&app, DEMO, &tax, &body).await.status, 403);
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        assert_eq!(issue(&app, DEMO, &other, &body).await.status, 404);
        let (status, _) = app
            .post_json(&path(DEMO, "/certificates"), None, &body)
            .await;
        assert_eq!(status, 401);
        // A municipality without a certifier cannot issue.
        let pdf = issue(&app, CHIYODA, &other, &body).await;
        assert!(pdf.status == 409 || pdf.status == 422, "{}", pdf.status);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_removed_record_copy_after_a_move_out() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [_, spouse, _]) = move_in_family(&app, &clerk).await;
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({"kind": "move_out", "event_date": "2025-03-31", "notified_on": "2025-03-20",
                        "person_ids": [spouse], "destination_address": "大阪府大阪市北区梅田1丁目1番1号"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "removed_record_copy", "person_ids": [spouse]}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        let text = plain(&poppler("pdftotext", &pdf.body));
        for expected in ["除票", "辻花子", "転出", "大阪府大阪市北区梅田1丁目1番1号"]
        {
            assert!(text.contains(expected), "{expected} missing in:\n{text}");
        }
        // A 住民票の写し of a removed person is refused.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [spouse]}),
        )
        .await;
        assert_eq!(pdf.status, 422);
        app.stop().await;
    }
}

fn impression_base64() -> String {
    base64::engine::general_purpose::STANDARD.encode(IMPRESSION)
}

async fn seal_post(app: &TestApp, token: &str, rest: &str, body: &Value) -> (u16, Value) {
    app.post_json(&path(DEMO, rest), Some(token), body).await
}

#[tokio::test]
async fn seal_registration_procedures_refusals_and_certificate() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [head, spouse, child]) = move_in_family(&app, &clerk).await;
        let register = |person: u64, procedure: &str| json!({"person_id": person, "procedure": procedure, "impression_png_base64": impression_base64()});

        // Same-day registration after an identity check.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(head, "identity_verified"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "registered");
        let head_registration = body["registration_id"].as_i64().unwrap();
        let first_card = body["seal_card_number"].as_str().unwrap().to_owned();
        assert_eq!(first_card.len(), 8);
        // A second registration of the same person: 409.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(head, "inquiry"),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "already_registered");
        // Under 15: 422 naming person_id. Unknown person: 422. Not a PNG: 422.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(child, "identity_verified"),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "under_minimum_age");
        assert_eq!(body["error"]["field"], "person_id");
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(999_999, "identity_verified"),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "not_resident");
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &json!({"person_id": spouse, "procedure": "inquiry", "impression_png_base64": "R0lGODlhAQABAAAAACw="}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "impression_png_base64");

        // The inquiry procedure: awaiting the reply, then registered.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(spouse, "inquiry"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "awaiting_reply");
        assert_eq!(body["seal_card_number"], Value::Null);
        let spouse_registration = body["registration_id"].as_i64().unwrap();
        // No card reissue before registration.
        let (status, _) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{spouse_registration}/card-reissue"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 409);
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{spouse_registration}/reply"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "registered");
        assert_eq!(body["seal_card_number"].as_str().unwrap().len(), 8);
        // A second reply: 409.
        let (status, _) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{spouse_registration}/reply"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 409);

        // 印鑑登録証明書 by card number: impression, name, birth date, address.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "seal_certificate", "seal_card_number": first_card}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        let text = plain(&poppler("pdftotext", &pdf.body));
        for expected in [
            "印鑑登録証明書",
            "辻太郎",
            "昭和55年4月1日",
            "デモ市中央一丁目2番3号",
        ] {
            assert!(text.contains(expected), "{expected} missing in:\n{text}");
        }
        // A mistyped card number (check digit) and a valid-looking unknown one.
        let mut wrong: Vec<char> = first_card.chars().collect();
        wrong[7] = if wrong[7] == '0' { '1' } else { '0' };
        let wrong: String = wrong.into_iter().collect();
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "seal_certificate", "seal_card_number": wrong}),
        )
        .await;
        assert_eq!(pdf.status, 422);

        // Lost card: a new number; the old one no longer certifies.
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{head_registration}/card-reissue"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let new_card = body["seal_card_number"].as_str().unwrap().to_owned();
        assert_ne!(new_card, first_card);
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "seal_certificate", "seal_card_number": first_card}),
        )
        .await;
        assert_eq!(pdf.status, 409, "{}", error_of(&pdf));
        assert_eq!(error_of(&pdf)["error"]["code"], "seal_card_invalid");

        // Abolition on request: the new card stops working too.
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{head_registration}/abolish"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"status": "abolished"}));
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "seal_certificate", "seal_card_number": new_card}),
        )
        .await;
        assert_eq!(pdf.status, 409);
        let (status, _) = seal_post(
            &app,
            &clerk,
            &format!("/seal-registrations/{head_registration}/abolish"),
            &json!({}),
        )
        .await;
        assert_eq!(status, 409);
        // History is kept: every change is a version.
        let (status, body) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{head_registration}")),
            Some(&clerk),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "abolished");
        let changes: Vec<&str> = body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["change"].as_str().unwrap())
            .collect();
        assert_eq!(
            changes,
            ["applied", "card_reissued", "abolished_on_request"]
        );
        // Another municipality's token: 404.
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        let (status, _) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{head_registration}")),
            Some(&other),
        )
        .await;
        assert_eq!(status, 404);
        // Every change is in the holder's access log.
        let entries = audit(&app, DEMO, head).await;
        for expected in ["applied", "card_reissued", "abolished_on_request"] {
            assert!(
                entries
                    .iter()
                    .any(|(action, d)| action == "change" && d.contains(expected)),
                "{expected}: {entries:?}"
            );
        }
        assert!(entries.iter().any(|(action, _)| action == "refused"));

        // An adult ward cannot register; recording it abolishes a seal in force.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-adult-wards",
            &json!({"person_id": spouse, "adult_ward": true}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{spouse_registration}")),
            Some(&clerk),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "abolished");
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &register(spouse, "identity_verified"),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "adult_ward");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_registry_move_out_abolishes_the_seal_once() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [head, spouse, _]) = move_in_family(&app, &clerk).await;
        let mut registrations = Vec::new();
        for person in [head, spouse] {
            let (status, body) = seal_post(
                &app,
                &clerk,
                "/seal-registrations",
                &json!({"person_id": person, "procedure": "identity_verified", "impression_png_base64": impression_base64()}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            registrations.push(body["registration_id"].as_i64().unwrap());
        }
        let tenant = app
            .database
            .as_ref()
            .unwrap()
            .db
            .tenant(code(DEMO))
            .await
            .unwrap();
        // The events so far (the move-in) abolish nothing.
        let report = kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();
        assert_eq!(report.abolished, 0);
        assert!(report.events_read >= 1);

        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({"kind": "move_out", "event_date": "2025-03-31", "notified_on": "2025-03-20",
                        "person_ids": [spouse], "destination_address": "大阪府大阪市北区梅田1丁目1番1号"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let report = kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();
        assert_eq!(report.abolished, 1);
        assert_eq!(report.events_read, 1);
        // Idempotent: nothing more on the next run.
        let report = kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();
        assert_eq!(report, kiban_seal::storage::ConsumeReport::default());

        let (_, body) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{}", registrations[1])),
            Some(&clerk),
        )
        .await;
        assert_eq!(body["status"], "abolished");
        assert_eq!(body["history"][1]["change"], "abolished_moved_out");
        assert_eq!(body["history"][1]["effective_on"], "2025-03-31");
        let (_, body) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{}", registrations[0])),
            Some(&clerk),
        )
        .await;
        assert_eq!(body["status"], "registered");
        // A person who moved out cannot register again.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &json!({"person_id": spouse, "procedure": "identity_verified", "impression_png_base64": impression_base64()}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "not_resident");

        // Death of the head abolishes the head's seal (its own event kind).
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({"kind": "death", "event_date": "2025-06-01", "notified_on": "2025-06-02",
                        "person_id": head, "new_head_person_id": head + 2}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let report = kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();
        assert_eq!(report.abolished, 1);
        let (_, body) = get_json(
            &app,
            &path(DEMO, &format!("/seal-registrations/{}", registrations[0])),
            Some(&clerk),
        )
        .await;
        assert_eq!(body["history"][1]["change"], "abolished_deceased");
        app.stop().await;
    }
}

/// 転出 of the spouse, the seal consumer, 取消し of the 転出, the consumer:
/// the seal is under review, not silently registered.
async fn move_out_then_cancel(
    app: &TestApp,
    clerk: &str,
    tenant: &kiban_store::TenantDb,
    person: u64,
    move_out_on: &str,
) -> kiban_seal::storage::ConsumeReport {
    let (status, body) = app
        .post_json(
            &path(DEMO, "/movements"),
            Some(clerk),
            &json!({"kind": "move_out", "event_date": move_out_on, "notified_on": move_out_on,
                    "person_ids": [person], "destination_address": "大阪府大阪市北区梅田1丁目1番1号"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let move_out = body["movement_id"].as_u64().unwrap();
    let report = kiban_seal::storage::drain_registry_events(tenant)
        .await
        .unwrap();
    assert_eq!(report.abolished, 1);
    let (status, body) = app
        .post_json(
            &path(DEMO, "/movements"),
            Some(clerk),
            &json!({"kind": "cancellation", "event_date": move_out_on, "notified_on": move_out_on,
                    "movement_id": move_out, "reason": "転出届の誤り（転出していない）"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    kiban_seal::storage::drain_registry_events(tenant)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cancelled_move_out_puts_the_seal_on_the_review_list() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [_, spouse, _]) = move_in_family(&app, &clerk).await;
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &json!({"person_id": spouse, "procedure": "identity_verified", "impression_png_base64": impression_base64()}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let registration = body["registration_id"].as_i64().unwrap();
        let card = body["seal_card_number"].as_str().unwrap().to_owned();
        let tenant = app
            .database
            .as_ref()
            .unwrap()
            .db
            .tenant(code(DEMO))
            .await
            .unwrap();
        kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();

        let report = move_out_then_cancel(&app, &clerk, &tenant, spouse, "2025-03-31").await;
        assert_eq!(report.under_review, 1);
        assert_eq!(report.abolished, 0);
        // Idempotent: nothing more on the next run.
        let report = kiban_seal::storage::drain_registry_events(&tenant)
            .await
            .unwrap();
        assert_eq!(report, kiban_seal::storage::ConsumeReport::default());
        let seal = format!("/seal-registrations/{registration}");
        let (_, body) = get_json(&app, &path(DEMO, &seal), Some(&clerk)).await;
        assert_eq!(body["status"], "restoration_review", "{body}");
        let changes: Vec<&str> = body["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["change"].as_str().unwrap())
            .collect();
        assert_eq!(
            changes,
            ["applied", "abolished_moved_out", "abolition_under_review"]
        );
        assert_eq!(body["seal_card_number"], Value::Null);

        // On the review list (API), with the card it had; every holder
        // listed is logged as read.
        let (status, list) =
            get_json(&app, &path(DEMO, "/seal-restoration-reviews"), Some(&clerk)).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["registrations"].as_array().unwrap().len(), 1);
        assert_eq!(list["registrations"][0]["registration_id"], registration);
        assert_eq!(list["registrations"][0]["person_id"], spouse);
        assert_eq!(
            list["registrations"][0]["cancelled_abolition"],
            "abolished_moved_out"
        );
        assert_eq!(list["registrations"][0]["seal_card_number_before"], card);
        // Another municipality's list is empty, and its decisions are 404.
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        let (_, others) = get_json(
            &app,
            &format!("/api/v1/municipalities/{CHIYODA}/seal-restoration-reviews"),
            Some(&other),
        )
        .await;
        assert_eq!(others["registrations"], json!([]));
        let (status, _) = app
            .post_json(
                &format!(
                    "/api/v1/municipalities/{CHIYODA}/seal-registrations/{registration}/restore"
                ),
                Some(&other),
                &json!({"reason": "越境"}),
            )
            .await;
        assert_eq!(status, 404);

        // Under review, the card certifies nothing and no new application
        // is taken.
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &json!({"person_id": spouse, "procedure": "identity_verified", "impression_png_base64": impression_base64()}),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "already_registered");

        // A decision needs its reason.
        let (status, body) = seal_post(&app, &clerk, &format!("{seal}/restore"), &json!({})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "reason");
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("{seal}/restore"),
            &json!({"reason": "  "}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "reason");
        // Restored: registered again with the card it had.
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("{seal}/restore"),
            &json!({"reason": "本人が登録証を所持していることを確認"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "registered");
        assert_eq!(body["seal_card_number"], card.as_str());
        let (_, body) = get_json(&app, &path(DEMO, &seal), Some(&clerk)).await;
        assert_eq!(body["history"][3]["change"], "restored");
        assert_eq!(
            body["history"][3]["reason"],
            "本人が登録証を所持していることを確認"
        );
        let (_, list) =
            get_json(&app, &path(DEMO, "/seal-restoration-reviews"), Some(&clerk)).await;
        assert_eq!(list["registrations"], json!([]));
        // A second decision is refused (409) and logged.
        let (status, body) = seal_post(
            &app,
            &clerk,
            &format!("{seal}/confirm-abolition"),
            &json!({"reason": "二度目"}),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "not_under_review");

        // Again: moved out, cancelled, and this time the abolition is
        // confirmed on the screens (the card was returned at the counter).
        let report = move_out_then_cancel(&app, &clerk, &tenant, spouse, "2025-06-30").await;
        assert_eq!(report.under_review, 1);
        app.login_screen(DEMO, "registry_clerk").await;
        let html = common::get_text(&app.client, &app.url("/app/seal")).await;
        assert!(html.contains("href=\"/app/seal/reviews\""), "{html}");
        let html = common::get_text(&app.client, &app.url("/app/seal/reviews")).await;
        assert!(
            html.contains(&format!("href=\"/app/seal/{registration}\"")),
            "{html}"
        );
        assert!(html.contains("廃止（転出）"), "{html}");
        let html =
            common::get_text(&app.client, &app.url(&format!("/app/seal/{registration}"))).await;
        assert!(html.contains("転出取消により復活確認待ち"), "{html}");
        let csrf = common::csrf_field(&html);
        let response = app
            .client
            .post(app.url(&format!("/app/seal/{registration}/review")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("decision", "confirm_abolition"),
                ("reason", "転出届の際に登録証を返納済み"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert_eq!(
            common::element_text(&html, "seal-status").as_deref(),
            Some("廃止")
        );
        assert!(html.contains("転出届の際に登録証を返納済み"), "{html}");
        let html = common::get_text(&app.client, &app.url("/app/seal/reviews")).await;
        assert!(html.contains("id=\"no-reviews\""), "{html}");

        // Each step is in the holder's access log.
        let entries = audit(&app, DEMO, spouse).await;
        for expected in [
            "abolition_under_review",
            "restored",
            "abolition_confirmed",
            "restoration_review list",
        ] {
            assert!(
                entries.iter().any(|(_, d)| d.contains(expected)),
                "{expected}: {entries:?}"
            );
        }
        assert!(entries.iter().any(|(action, _)| action == "refused"));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_person_under_a_support_measure_is_not_certified() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (household, [head, spouse, _]) = move_in_family(&app, &clerk).await;
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/persons/{spouse}/support-measures")),
                Some(&clerk),
                &json!({"reason": "domestic_violence",
                        "starts_on": kiban_core::today_in_japan().to_string()}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        // The whole household's copy is refused (403, a clear code), and the
        // attempt is in the protected person's access log.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "household_id": household}),
        )
        .await;
        assert_eq!(pdf.status, 403, "{}", error_of(&pdf));
        assert_eq!(error_of(&pdf)["error"]["code"], "protected_person");
        assert_eq!(error_of(&pdf)["error"]["field"], "household_id");
        let entries = audit(&app, DEMO, spouse).await;
        assert!(
            entries
                .iter()
                .any(|(action, d)| action == "refused" && d.contains("protected_person")),
            "{entries:?}"
        );
        // Asking to confirm without the permission changes nothing.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [spouse], "confirm_support_measure": true}),
        )
        .await;
        assert_eq!(pdf.status, 403);
        // The measure covers the household: the head's own copy (which
        // shows the shared address) is refused as well.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [head]}),
        )
        .await;
        assert_eq!(pdf.status, 403, "{}", error_of(&pdf));
        // The supervisor (係長 at the counter) overrides the measure and
        // issues the certificate in person: without the confirmation still
        // refused, with it issued, and both the override and the print are
        // in the protected person's access log under the supervisor.
        let supervisor = app.token(Some(DEMO), "supervisor").await;
        let pdf = issue(
            &app,
            DEMO,
            &supervisor,
            &json!({"kind": "resident_record_copy", "person_ids": [spouse], "purpose": "本人確認済み（係長確認）"}),
        )
        .await;
        assert_eq!(pdf.status, 403, "{}", error_of(&pdf));
        assert_eq!(error_of(&pdf)["error"]["code"], "protected_person");
        let pdf = issue(
            &app,
            DEMO,
            &supervisor,
            &json!({"kind": "resident_record_copy", "person_ids": [spouse],
                    "purpose": "本人確認済み（係長確認）", "confirm_support_measure": true}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin().await.unwrap();
        let entries =
            kiban_audit::entries_for_person(&mut tx, i64::try_from(spouse).unwrap(), 1_000)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        let by_supervisor: Vec<(String, String)> = entries
            .iter()
            .filter(|e| e.actor == "supervisor")
            .map(|e| (e.action.code().to_owned(), e.detail.clone()))
            .collect();
        assert!(
            by_supervisor
                .iter()
                .any(|(action, d)| action == "read" && d.contains("support_measure override")),
            "{by_supervisor:?}"
        );
        assert!(
            by_supervisor.iter().any(|(action, _)| action == "print"),
            "{by_supervisor:?}"
        );
        // A supervisor still records no movement.
        let (status, _) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&supervisor),
                &json!({"kind": "death", "event_date": "2025-06-01", "notified_on": "2025-06-02",
                        "person_id": head, "new_head_person_id": spouse}),
            )
            .await;
        assert_eq!(status, 403);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_individual_number_is_printed_only_when_asked_with_a_purpose() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        set_certifier(&app, DEMO).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let mut input = person("番号 太郎", "バンゴウ タロウ", "1975-01-01", "male", "head");
        input["individual_number"] = json!("404040404043");
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&clerk),
                &json!({"kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                        "address": {"postal_code": "1000001", "address_line": "デモ市中央二丁目1番1号"},
                        "previous_address": "東京都千代田区千代田1番1号", "persons": [input]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["persons"][0]["person_id"].as_u64().unwrap();
        // Not asked: not printed.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [id]}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        assert!(!plain(&poppler("pdftotext", &pdf.body)).contains("404040404043"));
        // Asked by a permitted role with a purpose: printed, and revealed in
        // the access log.
        let pdf = issue(
            &app,
            DEMO,
            &clerk,
            &json!({"kind": "resident_record_copy", "person_ids": [id],
                    "items": ["individual_number"], "purpose": "年金の手続"}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{}", error_of(&pdf));
        assert!(
            plain(&poppler("pdftotext", &pdf.body)).contains("404040404043"),
            "the number is printed"
        );
        assert!(
            audit(&app, DEMO, id)
                .await
                .iter()
                .any(|(action, d)| action == "reveal" && d.contains("individual_number"))
        );
        app.stop().await;
    }
}

/// A client of its own, connecting from `local` (any address of the
/// loopback network), without cookies or redirects.
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn verify_status(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = client.get(app.url(path));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap()
}

/// The public verification is limited per client address: past the burst
/// the API answers 429 `rate_limited` and the screen a page, both with
/// `Retry-After`; another address keeps its own quota; behind a trusted
/// proxy the client is the one named by `X-Forwarded-For`, and the header
/// from anyone else changes nothing.
#[tokio::test]
async fn the_public_verification_is_rate_limited_per_client_address() {
    let config = kiban_web::WebConfig {
        verify_rate_per_minute: 1,
        verify_burst: 3,
        trusted_proxies: vec!["127.0.0.3".parse().unwrap()],
        ..TestApp::config()
    };
    let app = TestApp::spawn_with_config(kiban_store::Backend::Sqlite, config).await;
    let api = "/api/v1/certificates/verify/990019-AAAAA-AAAAA-AAAAA-AAAAA-AAAA";
    let screen = "/app/certificates/verify?code=990019-AAAAA";
    let first = client_from("127.0.0.1");

    // The burst: two API requests and one screen request pass.
    for path in [api, api, screen] {
        let response = verify_status(&app, &first, path, None).await;
        assert_ne!(response.status(), 429, "{path}");
    }
    // The next one is refused, on the API as JSON …
    let refused = verify_status(&app, &first, api, None).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("待ってから")
    );
    // … and on the screen as a page.
    let page = verify_status(&app, &first, screen, None).await;
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("しばらくお待ちください")
    );
    // A forwarded address from a peer that is not a trusted proxy is ignored.
    let forged = verify_status(&app, &first, api, Some("203.0.113.9")).await;
    assert_eq!(forged.status(), 429);

    // Another client address is not affected.
    let second = client_from("127.0.0.2");
    let response = verify_status(&app, &second, api, None).await;
    assert_ne!(response.status(), 429);

    // Behind the trusted proxy each forwarded client has its own quota.
    let proxy = client_from("127.0.0.3");
    for _ in 0..3 {
        let response = verify_status(&app, &proxy, api, Some("203.0.113.5")).await;
        assert_ne!(response.status(), 429);
    }
    let response = verify_status(&app, &proxy, api, Some("203.0.113.5")).await;
    assert_eq!(response.status(), 429);
    let response = verify_status(&app, &proxy, api, Some("203.0.113.6, 127.0.0.3")).await;
    assert_ne!(response.status(), 429);
    app.stop().await;
}

/// Changes of one registration sent at the same time are applied one after
/// the other: card reissues each get the next version and a new card, and
/// of abolitions and a reissue racing, those applied after the abolition
/// are refused (409) on the state it left, never a 500 (found by
/// schemathesis on PostgreSQL: two changes wrote the same next version).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_of_one_seal_registration_are_serialized() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [head, _, _]) = move_in_family(&app, &clerk).await;
        let (status, body) = seal_post(
            &app,
            &clerk,
            "/seal-registrations",
            &json!({"person_id": head, "procedure": "identity_verified",
                    "impression_png_base64": impression_base64()}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let id = body["registration_id"].as_i64().unwrap();
        let at_once = |changes: &[&str]| {
            let mut set = tokio::task::JoinSet::new();
            for change in changes {
                let request = app
                    .client
                    .post(app.url(&path(DEMO, &format!("/seal-registrations/{id}/{change}"))))
                    .bearer_auth(&clerk)
                    .json(&json!({}));
                set.spawn(async move {
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    (
                        status,
                        response.json::<Value>().await.unwrap_or(Value::Null),
                    )
                });
            }
            set.join_all()
        };
        let mut cards: Vec<String> = at_once(&["card-reissue"; 6])
            .await
            .into_iter()
            .map(|(status, body)| {
                assert_eq!(status, 200, "{backend:?}: {body}");
                body["seal_card_number"].as_str().unwrap().to_owned()
            })
            .collect();
        cards.sort();
        cards.dedup();
        assert_eq!(cards.len(), 6, "{backend:?}: a new card each time");
        let answers = at_once(&["abolish", "card-reissue", "abolish"]).await;
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409)
                && statuses.iter().filter(|s| **s == 409).count() >= 1,
            "{backend:?}: {answers:?}"
        );
        app.stop().await;
    }
}

/// 課税（所得）証明書 through the certificate API (contract resident-tax-v1):
/// a taxed resident's (incomes, deductions, tax) and a 非課税証明書 for a
/// resident without income, each with a verification code; a year not
/// assessed, a missing year and a subject of another kind refused naming
/// the field; another municipality's clerk gets 404; a tax clerk issues it
/// but gets 403 for a certificate of the registry.
#[tokio::test]
async fn a_tax_certificate_states_the_assessment_of_the_year() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        set_certifier(&app, DEMO).await;
        let (_, [taro, hanako, _]) = move_in_family(&app, &registry).await;
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        kiban_addressee::storage::index_all(&tenant).await.unwrap();
        let file = "source,payer_number,payer_name,collection,name,name_kana,birth_date,address_on_jan1,individual_number,salary_revenue\n\
            salary_report,12345678,株式会社デモ,ordinary,辻 太郎,ツジ タロウ,1980-04-01,デモ市中央一丁目2番3号,,5000000\n";
        let response = app
            .client
            .post(app.url(&path(DEMO, "/resident-tax/2026/income-files")))
            .bearer_auth(&tax)
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "{backend:?}");
        app.resident_tax_assessed(DEMO).await;

        let body = json!({"kind": "tax_certificate", "addressee_id": taro, "fiscal_year": 2026,
                          "purpose": "児童手当の申請"});
        let pdf = issue(&app, DEMO, &registry, &body).await;
        assert_eq!(pdf.status, 201, "{backend:?}: {:?}", error_of(&pdf));
        assert_eq!(header(&pdf, "content-type"), "application/pdf");
        assert!(!header(&pdf, "x-kiban-verification-code").is_empty());
        let text = plain(&poppler("pdftotext", &pdf.body));
        for expected in [
            "令和8年度",
            "令和7年分",
            "課税",
            "証明書",
            "太郎",
            "給与所得",
            "5,000,000",
            "市民税",
            "都民税",
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
        assert!(!text.contains("非課税証明書"), "{text}");

        let pdf = issue(
            &app,
            DEMO,
            &registry,
            &json!({"kind": "tax_certificate", "addressee_id": hanako, "fiscal_year": 2026}),
        )
        .await;
        assert_eq!(pdf.status, 201, "{:?}", error_of(&pdf));
        let text = plain(&poppler("pdftotext", &pdf.body));
        assert!(text.contains("非課税証明書"), "{text}");

        for (body, field) in [
            (
                json!({"kind": "tax_certificate", "addressee_id": taro, "fiscal_year": 2025}),
                "fiscal_year",
            ),
            (
                json!({"kind": "tax_certificate", "addressee_id": taro}),
                "fiscal_year",
            ),
            (
                json!({"kind": "tax_certificate", "person_ids": [taro]}),
                "addressee_id",
            ),
            (
                json!({"kind": "resident_record_copy", "addressee_id": taro, "fiscal_year": 2026}),
                "addressee_id",
            ),
        ] {
            let pdf = issue(&app, DEMO, &registry, &body).await;
            assert_eq!(pdf.status, 422, "{body}: {:?}", error_of(&pdf));
            assert_eq!(error_of(&pdf)["error"]["field"], json!(field), "{body}");
        }
        // The tax office's counter issues the 課税証明書 too, but not a
        // certificate of the registry (refused and logged).
        let body = json!({"kind": "tax_certificate", "addressee_id": taro, "fiscal_year": 2026});
        let pdf = issue(&app, DEMO, &tax, &body).await;
        assert_eq!(pdf.status, 201, "{:?}", error_of(&pdf));
        let copy = json!({"kind": "resident_record_copy", "person_ids": [taro],
                          "purpose": "確認"});
        assert_eq!(issue(&app, DEMO, &tax, &copy).await.status, 403);
        assert_eq!(issue(&app, DEMO, &other, &body).await.status, 404);
        let log = audit(&app, DEMO, taro).await;
        assert!(
            log.iter()
                .any(|(action, detail)| action == "print" && detail.contains("tax_certificate")),
            "{log:?}"
        );
        app.stop().await;
    }
}
