//! 支援措置 through the API on both engines: a protected person's address is
//! withheld from every registry read, shown to a supervisor only with an
//! explicit confirmation, and every attempt is in the access log.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::TestApp;
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

/// A household of two moved in on 2024-04-01: (household, [head, child]).
async fn family(app: &TestApp, token: &str) -> (u64, [u64; 2]) {
    let (status, body) = app
        .post_json(
            &path(DEMO, "/movements"),
            Some(token),
            &json!({
                "kind": "move_in",
                "event_date": "2024-04-01",
                "notified_on": "2024-04-01",
                "address": {"postal_code": "1000001", "address_line": "デモ市秘匿町1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [
                    {"name": "保護 花子", "name_kana": "ホゴ ハナコ", "birth_date": "1990-01-01",
                     "sex": "female", "relationship": "head"},
                    {"name": "保護 一郎", "name_kana": "ホゴ イチロウ", "birth_date": "2015-01-01",
                     "sex": "male", "relationship": "child"},
                ],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let household = body["household_id"].as_u64().unwrap();
    let persons = body["persons"].as_array().unwrap();
    (
        household,
        [
            persons[0]["person_id"].as_u64().unwrap(),
            persons[1]["person_id"].as_u64().unwrap(),
        ],
    )
}

fn today() -> String {
    // Today in Japan (UTC+9), as the server counts it.
    let japan = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(9);
    japan.to_string()[..10].to_owned()
}

#[tokio::test]
async fn a_protected_address_is_withheld_and_every_attempt_logged() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let supervisor = app.token(Some(DEMO), "supervisor").await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let auditor = app.token(Some(DEMO), "auditor").await;
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        let (household, [mother, child]) = family(&app, &clerk).await;
        let person_url = path(DEMO, &format!("/persons/{mother}"));

        // Before: the address is shown.
        let (status, body) = get(&app, &person_url, &tax).await;
        assert_eq!(status, 200);
        assert_eq!(body["address"]["address_line"], "デモ市秘匿町1番1号");

        // Bad requests name their field; a tax clerk may not record one.
        let measures = path(DEMO, &format!("/persons/{mother}/support-measures"));
        let (status, body) = app
            .post_json(
                &measures,
                Some(&clerk),
                &json!({"reason": "dv", "starts_on": "2026-01-01"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some("reason")),
            "{body}"
        );
        let (status, body) = app
            .post_json(
                &measures,
                Some(&clerk),
                &json!({"reason": "domestic_violence", "starts_on": "2026-02-30"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some("starts_on")),
            "{body}"
        );
        let (status, _) = app
            .post_json(
                &measures,
                Some(&tax),
                &json!({"reason": "domestic_violence", "starts_on": today()}),
            )
            .await;
        assert_eq!(status, 403);
        // Another municipality's clerk cannot see that the person exists.
        let (status, _) = app
            .post_json(
                &path(DEMO, &format!("/persons/{mother}/support-measures")),
                Some(&other),
                &json!({"reason": "domestic_violence", "starts_on": today()}),
            )
            .await;
        assert_eq!(status, 404);

        let (status, measure) = app
            .post_json(
                &measures,
                Some(&clerk),
                &json!({"reason": "domestic_violence", "starts_on": today()}),
            )
            .await;
        assert_eq!(status, 201, "{measure}");

        // Every read withholds the address: person, history, household, search.
        for token in [&clerk, &tax, &supervisor] {
            let (status, body) = get(&app, &person_url, token).await;
            assert_eq!(status, 200);
            assert_eq!(body["address"], Value::Null, "{body}");
            assert_eq!(body["address_withheld"], true);
            assert_eq!(
                body["name"], "保護\u{3000}花子",
                "the record itself stays readable"
            );
            assert!(!body.to_string().contains("秘匿町"), "{body}");
        }
        let (_, body) = get(&app, &format!("{person_url}/history"), &clerk).await;
        for version in body["versions"].as_array().unwrap() {
            assert_eq!(version["record"]["address"], Value::Null, "{version}");
        }
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/households/{household}")),
            &clerk,
        )
        .await;
        assert_eq!(body["address"], Value::Null, "{body}");
        assert_eq!(body["address_withheld"], true);
        let (_, body) = get(&app, &path(DEMO, "/persons?name_kana=ホゴ"), &clerk).await;
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let child_view = results
            .iter()
            .find(|r| r["person_id"].as_u64() == Some(child))
            .unwrap();
        assert_eq!(
            child_view["address"],
            Value::Null,
            "a household member's address is the protected person's"
        );
        assert!(!body.to_string().contains("秘匿町"), "{body}");

        // A clerk's confirmation does not help; a supervisor's does.
        let (_, body) = get(
            &app,
            &format!("{person_url}?confirm_support_measure=true"),
            &clerk,
        )
        .await;
        assert_eq!(body["address"], Value::Null);
        let (_, body) = get(
            &app,
            &format!("{person_url}?confirm_support_measure=true"),
            &supervisor,
        )
        .await;
        assert_eq!(body["address"]["address_line"], "デモ市秘匿町1番1号");
        assert!(body.get("address_withheld").is_none());

        // The access log shows each refusal and the override.
        let (status, log) = get(&app, &format!("{person_url}/access-log"), &auditor).await;
        assert_eq!(status, 200);
        let entries = log["entries"].as_array().unwrap();
        let refused = entries
            .iter()
            .filter(|e| e["action"] == "refused" && e["role"] != "tax_clerk")
            .count();
        assert!(refused >= 6, "{log}");
        assert!(
            entries
                .iter()
                .any(|e| e["actor"] == "supervisor" && e["action"] == "read"),
            "{log}"
        );

        // Ending the measure today keeps it recorded and protects to the end
        // of today; a second end is a conflict.
        let id = measure["measure_id"].as_i64().unwrap();
        let end_url = path(DEMO, &format!("/support-measures/{id}/end"));
        let (status, body) = app
            .post_json(&end_url, Some(&clerk), &json!({"ended_on": today()}))
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = app
            .post_json(&end_url, Some(&clerk), &json!({"ended_on": today()}))
            .await;
        assert_eq!(status, 409);
        let (status, _) = app
            .post_json(
                &path(CHIYODA, &format!("/support-measures/{id}/end")),
                Some(&other),
                &json!({"ended_on": today()}),
            )
            .await;
        assert_eq!(status, 404, "another municipality has no such measure");
        let (_, body) = get(&app, &measures, &clerk).await;
        assert_eq!(body["measures"][0]["ended_on"], today());

        app.stop().await;
    }
}

/// Ends of one measure sent at the same time: one is recorded, the others
/// are refused as already ended (409), never a 500 (both inserting an end
/// on PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ends_of_one_measure_record_one_end() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (_, [mother, _]) = family(&app, &clerk).await;
        let (status, measure) = app
            .post_json(
                &path(DEMO, &format!("/persons/{mother}/support-measures")),
                Some(&clerk),
                &json!({"reason": "domestic_violence", "starts_on": today()}),
            )
            .await;
        assert_eq!(status, 201, "{measure}");
        let id = measure["measure_id"].as_i64().unwrap();
        let mut ends = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let request = app
                .client
                .post(app.url(&path(DEMO, &format!("/support-measures/{id}/end"))))
                .bearer_auth(&clerk)
                .json(&json!({"ended_on": today()}));
            ends.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
        let mut statuses = ends.join_all().await;
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409, 409, 409], "{backend:?}");
        app.stop().await;
    }
}
