//! Snapshots of the JSON of the main API responses (person read, search,
//! history, household, a movement's 201, a seal registration, a
//! certificate's issue and verification, a job's status), so that a change
//! to what other systems receive shows in review. Ids, timestamps and
//! digests that vary from run to run are redacted.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code};
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};

const M: &str = "990019";

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn impression() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(include_bytes!(
        "../../kiban-print/tests/fixtures/impression.png"
    ))
}

#[tokio::test]
async fn main_responses() {
    let app = TestApp::spawn(BACKENDS[0]).await;
    let token = app.token(Some(M), "registry_clerk").await;
    let base = format!("/api/v1/municipalities/{M}");

    let (status, moved_in) = app
        .post_json(
            &format!("{base}/movements"),
            Some(&token),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号", "katagaki": "デモマンション101"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [
                    {"name": "見本 太郎", "name_kana": "ミホン タロウ", "birth_date": "1980-04-01",
                     "sex": "male", "relationship": "head", "individual_number": "123456789018"},
                    {"name": "見本 花子", "name_kana": "ミホン ハナコ", "birth_date": "1982-05-05",
                     "sex": "female", "relationship": "spouse"}
                ],
            }),
        )
        .await;
    assert_eq!(status, 201, "{moved_in}");
    insta::assert_json_snapshot!("movement_created", moved_in, {
        ".movement_id" => "[id]", ".household_id" => "[id]",
        ".persons[].person_id" => "[id]", ".persons[].household_id" => "[id]",
    });
    let person = moved_in["persons"][0]["person_id"].as_u64().unwrap();
    let household = moved_in["household_id"].as_u64().unwrap();

    let (status, read) = get(
        &app,
        &format!("{base}/persons/{person}?as_of=2024-06-01"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    insta::assert_json_snapshot!("person", read, {
        ".person_id" => "[id]", ".household_id" => "[id]", ".resident_record_code" => "[code]",
    });

    let (status, found) = get(
        &app,
        &format!("{base}/persons?name_kana=ミホン&as_of=2024-06-01"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    insta::assert_json_snapshot!("search", found, {
        ".results[].person_id" => "[id]", ".results[].household_id" => "[id]",
        ".results[].resident_record_code" => "[code]",
    });

    let (status, history) = get(&app, &format!("{base}/persons/{person}/history"), &token).await;
    assert_eq!(status, 200, "{history}");
    insta::assert_json_snapshot!("history", history, {
        ".versions[].movement_id" => "[id]", ".versions[].recorded_at" => "[timestamp]",
        ".versions[].recorded_sequence" => "[sequence]",
        ".versions[].record.person_id" => "[id]", ".versions[].record.household_id" => "[id]",
        ".versions[].record.resident_record_code" => "[code]",
    });

    let (status, members) = get(
        &app,
        &format!("{base}/households/{household}?as_of=2024-06-01"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{members}");
    insta::assert_json_snapshot!("household", members, {
        ".household_id" => "[id]", ".head_person_id" => "[id]",
        ".members[].person_id" => "[id]", ".members[].household_id" => "[id]",
        ".members[].resident_record_code" => "[code]",
    });

    let (status, seal) = app
        .post_json(
            &format!("{base}/seal-registrations"),
            Some(&token),
            &json!({"person_id": person, "procedure": "identity_verified",
                    "impression_png_base64": impression()}),
        )
        .await;
    assert_eq!(status, 201, "{seal}");
    insta::assert_json_snapshot!("seal_registered", seal, {
        ".registration_id" => "[id]", ".seal_card_number" => "[card]",
    });

    // A certificate: the PDF's headers, then its verification.
    app.set_certifier(M, "市長", "見本 一郎").await;
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(M)).await.unwrap();
    let issuer = token.clone();
    let response = app
        .client
        .post(app.url(&format!("{base}/certificates")))
        .bearer_auth(&issuer)
        .json(
            &json!({"kind": "resident_record_copy", "person_ids": [person],
                      "items": ["relationship"], "purpose": "スナップショットの検査"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // Header names with `_` for `-`, as redaction paths need.
    let headers: Value = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            name.as_str().starts_with("x-kiban-")
                || *name == "content-type"
                || *name == "content-disposition"
        })
        .map(|(name, value)| {
            (
                name.as_str().replace('-', "_"),
                Value::String(value.to_str().unwrap().to_owned()),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let verification = headers["x_kiban_verification_code"]
        .as_str()
        .unwrap()
        .to_owned();
    insta::assert_json_snapshot!("certificate_issued_headers", headers, {
        ".x_kiban_certificate_id" => "[id]", ".x_kiban_verification_code" => "[code]",
        ".x_kiban_certificate_number" => "[number]", ".x_kiban_sha256" => "[sha256]",
        ".content_disposition" => "[file]",
    });
    let (status, verified) = get(
        &app,
        &format!("/api/v1/certificates/verify/{verification}"),
        &issuer,
    )
    .await;
    assert_eq!(status, 200, "{verified}");
    insta::assert_json_snapshot!("certificate_verified", verified, {
        ".issued_on" => "[date]", ".sha256" => "[sha256]",
    });

    // A job: submitted, run to its end, read.
    let (status, submitted) = app
        .post_json(
            &format!("{base}/jobs"),
            Some(&token),
            &json!({"job": "population-statistics", "params": {"as_of": "2024-06-01"}}),
        )
        .await;
    assert_eq!(status, 202, "{submitted}");
    insta::assert_json_snapshot!("job_submitted", submitted, {".job_id" => "[id]"});
    let job = submitted["job_id"].as_i64().unwrap();
    kiban_jobs::engine::run_to_end(
        &tenant,
        &kiban_web::job_kinds(),
        job,
        &kiban_jobs::EngineOptions::default(),
        std::time::Duration::from_millis(10),
        |_| {},
    )
    .await
    .unwrap();
    let (status, run) = get(&app, &format!("{base}/jobs/{job}"), &token).await;
    assert_eq!(status, 200, "{run}");
    insta::assert_json_snapshot!("job", run, {
        ".job_id" => "[id]", ".submitted_at" => "[timestamp]", ".started_at" => "[timestamp]",
        ".finished_at" => "[timestamp]", ".outputs[].sha256" => "[sha256]",
        ".outputs[].bytes" => "[bytes]",
    });
    app.stop().await;
}
