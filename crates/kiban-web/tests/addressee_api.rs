//! The addressee master (宛名, contract addressee-v1) through the API on
//! both engines: non-residents registered, changed and searched with their
//! history; residents followed through the registry's events; duplicates
//! flagged; 名寄せ and its undo; mailing addresses; the person overview;
//! and nothing ever crossing municipalities.

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

async fn put(app: &TestApp, url: &str, token: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn landowner() -> Value {
    json!({
        "name": "髙橋　一郎",
        "name_kana": "タカハシ　イチロウ",
        "birth_date": "1960-05-05",
        "sex": "male",
        "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田1丁目2番3号"},
        "effective_date": "2020-01-01",
    })
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
async fn resident(app: &TestApp, token: &str, name: &str, kana: &str, birth: &str) -> u64 {
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
                "persons": [{"name": name, "name_kana": kana, "birth_date": birth,
                             "sex": "female", "relationship": "head"}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["persons"][0]["person_id"].as_u64().unwrap()
}

fn ids(body: &Value) -> Vec<u64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["addressee_id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_non_resident_is_registered_changed_searched_and_kept_in_history() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let auditor = app.token(Some(DEMO), "auditor").await;

        // Bad input names its field, and nothing is stored.
        for (edit, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name_kana": "高橋"}), "name_kana"),
            (json!({"birth_date": "2026-02-30"}), "birth_date"),
            (json!({"birth_date": "R0.1.1"}), "birth_date"),
            (json!({"sex": "unknown"}), "sex"),
            (
                json!({"address": {"postal_code": "12", "address_line": "x"}}),
                "address.postal_code",
            ),
            (
                json!({"address": {"postal_code": "5300001"}}),
                "address.address_line",
            ),
            (json!({"address": null}), "address"),
            (json!({"individual_number": "123"}), "individual_number"),
        ] {
            let mut body = landowner();
            for (k, v) in edit.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, answer) = app
                .post_json(&path(DEMO, "/addressees"), Some(&tax), &body)
                .await;
            assert_eq!(status, 422, "{field}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{answer}");
        }
        let (status, answer) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &json!([1]))
            .await;
        assert_eq!(status, 422, "{answer}");

        // A registry clerk reads addressees but does not register them;
        // an auditor does neither.
        let (status, _) = app
            .post_json(&path(DEMO, "/addressees"), Some(&registry), &landowner())
            .await;
        assert_eq!(status, 403);
        let (status, _) = get(&app, &path(DEMO, "/addressees?name_kana=タ"), &auditor).await;
        assert_eq!(status, 403);

        let (status, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &landowner())
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["kind"], "non_resident");
        let id = body["addressee_id"].as_u64().unwrap();

        // One number space with the registry: the next resident gets
        // another number.
        let person = resident(
            &app,
            &registry,
            "住民　花子",
            "ジュウミン　ハナコ",
            "1990-01-01",
        )
        .await;
        assert_ne!(person, id);

        // Found whatever the script, width, voiced marks and variants.
        for query in [
            "name_kana=%E3%81%9F%E3%81%8B%E3%81%AF%E3%81%97", // たかはし
            "name_kana=%EF%BE%80%EF%BD%B6%EF%BE%8A%EF%BE%9E%EF%BD%BC", // ﾀｶﾊﾞｼ (voiced, half-width)
            "name=%E9%AB%98%E6%A9%8B",                        // 高橋 (not 髙)
            "birth_date=1960-05-05",
            "address=%E5%A4%A7%E9%98%AA%E5%BA%9C%E5%A4%A7%E9%98%AA%E5%B8%82%E5%8C%97%E5%8C%BA%E6%A2%85%E7%94%B01-2", // 大阪府大阪市北区梅田1-2
        ] {
            let (status, body) = get(
                &app,
                &format!("{}?{query}", path(DEMO, "/addressees")),
                &tax,
            )
            .await;
            assert_eq!(status, 200, "{query}: {body}");
            assert_eq!(ids(&body), vec![id], "{query}: {body}");
        }
        let (status, body) = get(
            &app,
            &path(DEMO, "/addressees?kind=resident&birth_date=1960-05-05"),
            &tax,
        )
        .await;
        assert_eq!((status, ids(&body)), (200, vec![]), "{body}");
        let (status, body) = get(&app, &path(DEMO, "/addressees"), &tax).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "missing_criteria");
        let (status, body) = get(&app, &path(DEMO, "/addressees?kind=alien&name=x"), &tax).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("kind"))
        );

        // A change is a new version; the old address stays searchable.
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{id}/changes")),
                Some(&tax),
                &json!({"effective_date": "2025-04-01",
                        "address": {"postal_code": "1050011", "address_line": "東京都港区芝公園4-2-8"}}),
            )
            .await;
        assert_eq!(
            (status, body["version_no"].clone()),
            (200, json!(2)),
            "{body}"
        );
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{id}/changes")),
                Some(&tax),
                &json!({"effective_date": "2025-05-01"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (422, json!("nothing_to_change")),
            "{body}"
        );
        let (_, body) = get(
            &app,
            &path(DEMO, "/addressees?address=%E5%A4%A7%E9%98%AA"),
            &tax,
        )
        .await;
        assert_eq!(ids(&body), vec![id]);
        assert_eq!(
            body["results"][0]["matched_on"],
            json!(["past_address"]),
            "{body}"
        );
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{id}?as_of=2024-01-01")),
            &tax,
        )
        .await;
        assert_eq!(
            body["address"]["address_line"], "大阪府大阪市北区梅田1丁目2番3号",
            "{body}"
        );
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{id}?as_of=2019-01-01")),
            &tax,
        )
        .await;
        assert_eq!(
            body["address"]["address_line"], "大阪府大阪市北区梅田1丁目2番3号",
            "before the first: the first"
        );
        let (_, body) = get(&app, &path(DEMO, &format!("/addressees/{id}")), &registry).await;
        assert_eq!(
            body["address"]["address_line"], "東京都港区芝公園4-2-8",
            "{body}"
        );
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{id}/history")),
            &tax,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let versions = body["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2, "{body}");
        assert_eq!(versions[0]["source"], "registered");
        assert_eq!(versions[1]["effective_date"], "2025-04-01");

        // A resident is changed through the registry.
        follow_registry(&app, DEMO).await;
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{person}/changes")),
                Some(&tax),
                &json!({"effective_date": "2025-04-01", "name": "別名　花子"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("changed_through_registry")),
            "{body}"
        );
        let (status, _) = get(&app, &path(DEMO, "/addressees/999999"), &tax).await;
        assert_eq!(status, 404);

        // The registration and the change went out as events.
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin_read().await.unwrap();
        let kinds: Vec<String> = tx
            .fetch_all(
                "SELECT event_kind FROM outbox WHERE municipality_code = $1 \
                 AND event_kind LIKE 'addressee%' ORDER BY event_id",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.text(0).unwrap())
            .collect();
        tx.commit().await.unwrap();
        assert_eq!(kinds, ["addressee_registered", "addressee_changed"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn residents_follow_the_registry_with_their_past() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let person = resident(
            &app,
            &registry,
            "住民　花子",
            "ジュウミン　ハナコ",
            "1990-01-01",
        )
        .await;
        let (_, body) = get(
            &app,
            &path(
                DEMO,
                "/addressees?name_kana=%E3%82%B8%E3%83%A5%E3%82%A6%E3%83%9F%E3%83%B3",
            ),
            &registry,
        )
        .await;
        assert_eq!(ids(&body), Vec::<u64>::new(), "not yet followed");
        follow_registry(&app, DEMO).await;
        let (_, body) = get(
            &app,
            &path(
                DEMO,
                "/addressees?name_kana=%E3%82%B7%E3%82%85%E3%81%86%E3%81%BF%E3%82%93",
            ),
            &registry,
        )
        .await; // しゅうみん
        assert_eq!(ids(&body), vec![person], "{body}");
        assert_eq!(body["results"][0]["kind"], "resident");

        // 転居 then 転出: the old address is a past address, the
        // destination is where the former resident is now.
        let (_, household) = get(&app, &path(DEMO, &format!("/persons/{person}")), &registry).await;
        let household = household["household_id"].as_u64().unwrap();
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&registry),
                &json!({"kind": "address_change", "event_date": "2025-01-10", "notified_on": "2025-01-10",
                        "household_id": household,
                        "address": {"postal_code": "1000002", "address_line": "デモ市北町5番5号"}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = app
            .post_json(
                &path(DEMO, "/movements"),
                Some(&registry),
                &json!({"kind": "move_out", "event_date": "2025-06-01", "notified_on": "2025-05-20",
                        "person_ids": [person], "destination_address": "札幌市中央区北1条西2丁目"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        follow_registry(&app, DEMO).await;
        let (_, body) = get(
            &app,
            &path(
                DEMO,
                "/addressees?address=%E3%83%87%E3%83%A2%E5%B8%82%E4%B8%AD%E5%A4%AE",
            ),
            &registry,
        )
        .await; // デモ市中央
        assert_eq!(ids(&body), vec![person], "{body}");
        assert_eq!(body["results"][0]["matched_on"], json!(["past_address"]));
        assert_eq!(body["results"][0]["kind"], "former_resident");
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{person}?as_of=2025-07-01")),
            &registry,
        )
        .await;
        assert_eq!(body["kind"], "former_resident", "{body}");
        assert_eq!(
            body["address"]["address_line"], "札幌市中央区北1条西2丁目",
            "{body}"
        );
        assert_eq!(body["address"]["postal_code"], Value::Null);
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{person}?as_of=2024-06-01")),
            &registry,
        )
        .await;
        assert_eq!(body["kind"], "resident", "{body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn duplicates_are_flagged_and_merged_and_unmerged() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let person = resident(
            &app,
            &registry,
            "山﨑　花子",
            "ヤマザキ　ハナコ",
            "1985-03-03",
        )
        .await;
        follow_registry(&app, DEMO).await;

        // The same person written with another variant and width: flagged.
        let same = json!({
            "name": "山崎　花子", "name_kana": "ﾔﾏｻｷ ﾊﾅｺ", "birth_date": "1985-03-03", "sex": "female",
            "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田2-2"},
        });
        let (status, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &same)
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "possible_duplicate");
        assert_eq!(body["candidates"][0]["addressee_id"], person, "{body}");
        assert_eq!(
            body["candidates"][0]["matched_on"],
            json!(["name", "name_kana", "birth_date"])
        );
        let mut confirmed = same.clone();
        confirmed["confirm_new"] = json!(true);
        let (status, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &confirmed)
            .await;
        assert_eq!(status, 201, "{body}");
        let other = body["addressee_id"].as_u64().unwrap();

        let merge = |from: u64, into: Value| {
            let app = &app;
            let tax = tax.clone();
            async move {
                app.post_json(
                    &path(DEMO, &format!("/addressees/{from}/merge")),
                    Some(&tax),
                    &json!({"into": into, "reason": "本人確認により同一人と判明"}),
                )
                .await
            }
        };
        let (status, body) = merge(other, json!(other)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (422, json!("merge_into_self"))
        );
        let (status, body) = merge(other, json!(987654)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (422, json!("merge_target_not_found"))
        );
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{other}/merge")),
                Some(&tax),
                &json!({"into": person, "reason": " "}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("reason")),
            "{body}"
        );
        let (status, body) = merge(other, json!(person)).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = merge(other, json!(person)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("already_merged"))
        );
        let (status, body) = merge(person, json!(other)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("merge_chain")),
            "{body}"
        );

        // Reads of the merged number answer the survivor; a search finds it once.
        let (_, body) = get(&app, &path(DEMO, &format!("/addressees/{other}")), &tax).await;
        assert_eq!(body["addressee_id"], person, "{body}");
        assert_eq!(body["merged_into"], person);
        let (_, body) = get(&app, &path(DEMO, "/addressees?birth_date=1985-03-03"), &tax).await;
        assert_eq!(ids(&body), vec![person], "{body}");
        let (_, body) = get(
            &app,
            &path(DEMO, "/addressees?address=%E5%A4%A7%E9%98%AA"),
            &tax,
        )
        .await;
        assert_eq!(
            ids(&body),
            vec![person],
            "the merged one's address finds the survivor: {body}"
        );

        // Undone, with both kept in history.
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{other}/unmerge")),
                Some(&tax),
                &json!({"reason": "別人と判明"}),
            )
            .await;
        assert_eq!(
            (status, body["merged_into"].clone()),
            (200, Value::Null),
            "{body}"
        );
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/addressees/{other}/unmerge")),
                Some(&tax),
                &json!({"reason": "再度"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("not_merged"))
        );
        let (_, body) = get(&app, &path(DEMO, "/addressees?birth_date=1985-03-03"), &tax).await;
        assert_eq!(ids(&body).len(), 2, "{body}");
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{other}/history")),
            &tax,
        )
        .await;
        let actions: Vec<&str> = body["merges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["merge", "unmerge"], "{body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn mailing_addresses_per_business_and_date() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let (_, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &landowner())
            .await;
        let id = body["addressee_id"].as_u64().unwrap();
        let url = |business: &str| {
            path(
                DEMO,
                &format!("/addressees/{id}/mailing-addresses/{business}"),
            )
        };
        let agent = json!({"kind": "tax_agent", "name": "税理　士郎",
                           "address": {"postal_code": "1000001", "address_line": "デモ市中央2-2"},
                           "valid_from": "2026-04-01", "valid_until": "2027-03-31"});
        let (status, body) = put(&app, &url("resident_tax"), &tax, &agent).await;
        assert_eq!(status, 200, "{body}");
        let all = json!({"kind": "mailing", "name": "髙橋　一郎",
                         "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田9-9"},
                         "valid_from": "2026-01-01"});
        let (status, _) = put(&app, &url("all"), &tax, &all).await;
        assert_eq!(status, 200);
        let (status, body) = put(&app, &url("water"), &tax, &all).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("business"))
        );
        let mut reversed = agent.clone();
        reversed["valid_until"] = json!("2026-03-31");
        let (status, body) = put(&app, &url("nhi"), &tax, &reversed).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("valid_until"))
        );
        let mut bad_kind = agent.clone();
        bad_kind["kind"] = json!("friend");
        let (status, body) = put(&app, &url("nhi"), &tax, &bad_kind).await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("kind"))
        );

        let read = |query: &str| {
            let app = &app;
            let tax = tax.clone();
            let url = path(DEMO, &format!("/addressees/{id}/mailing-address?{query}"));
            async move { get(app, &url, &tax).await }
        };
        let (_, body) = read("business=resident_tax&on=2026-06-01").await;
        assert_eq!(
            (body["kind"].clone(), body["source"].clone()),
            (json!("tax_agent"), json!("mailing_address")),
            "{body}"
        );
        let (_, body) = read("business=resident_tax&on=2027-06-01").await;
        assert_eq!(
            body["kind"], "mailing",
            "after the agent's period, the one for all: {body}"
        );
        let (_, body) = read("business=nhi&on=2026-06-01").await;
        assert_eq!(body["address"]["address_line"], "大阪府大阪市北区梅田9-9");
        let (_, body) = read("business=nhi&on=2025-06-01").await;
        assert_eq!(
            (body["source"].clone(), body["kind"].clone()),
            (json!("addressee"), Value::Null),
            "{body}"
        );
        let (_, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{id}/mailing-addresses")),
            &tax,
        )
        .await;
        assert_eq!(
            body["mailing_addresses"].as_array().unwrap().len(),
            2,
            "{body}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_overview_shows_each_business_the_role_may_read_and_logs_each() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let auditor = app.token(Some(DEMO), "auditor").await;
        let person = resident(
            &app,
            &registry,
            "概要　花子",
            "ガイヨウ　ハナコ",
            "1980-01-01",
        )
        .await;
        follow_registry(&app, DEMO).await;
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/addressees/{person}/overview")),
            &tax,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["addressee"]["addressee_id"], person);
        let businesses: Vec<&str> = body["businesses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["business"].as_str().unwrap())
            .collect();
        assert_eq!(businesses, ["registry"], "{body}");
        assert_eq!(body["businesses"][0]["summary"]["status"], "resident");
        let (status, _) = get(
            &app,
            &path(DEMO, &format!("/addressees/{person}/overview")),
            &auditor,
        )
        .await;
        assert_eq!(status, 403);

        // Logged: the addressee read and the registry's read, under the tax clerk.
        let (status, log) = get(
            &app,
            &path(DEMO, &format!("/persons/{person}/access-log")),
            &auditor,
        )
        .await;
        assert_eq!(status, 200, "{log}");
        let reads = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == "tax_clerk" && e["action"] == "read")
            .count();
        assert_eq!(reads, 2, "the addressee read and the registry's: {log}");
        app.stop().await;
    }
}

#[tokio::test]
async fn no_addressee_crosses_municipalities() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let demo = app.token(Some(DEMO), "tax_clerk").await;
        let chiyoda = app.token(Some(CHIYODA), "tax_clerk").await;
        let (_, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&demo), &landowner())
            .await;
        let id = body["addressee_id"].as_u64().unwrap();
        // The same person registered in Chiyoda is not a duplicate of
        // Demo's: no key is shared across municipalities.
        let (status, body) = app
            .post_json(&path(CHIYODA, "/addressees"), Some(&chiyoda), &landowner())
            .await;
        assert_eq!(status, 201, "{body}");
        let theirs = body["addressee_id"].as_u64().unwrap();
        for url in [
            format!("/addressees/{id}"),
            format!("/addressees/{id}/history"),
            format!("/addressees/{id}/overview"),
            format!("/addressees/{id}/mailing-address"),
            "/addressees?birth_date=1960-05-05".to_owned(),
        ] {
            let (status, _) = get(&app, &path(DEMO, &url), &chiyoda).await;
            assert_eq!(status, 404, "{url}");
        }
        let (_, body) = get(
            &app,
            &path(CHIYODA, "/addressees?birth_date=1960-05-05"),
            &chiyoda,
        )
        .await;
        assert_eq!(ids(&body), vec![theirs], "{body}");
        // Demo's number means nothing in Chiyoda (unless Chiyoda has it).
        let foreign = id.max(theirs) + 100;
        let (status, body) = app
            .post_json(
                &path(CHIYODA, &format!("/addressees/{theirs}/merge")),
                Some(&chiyoda),
                &json!({"into": foreign, "reason": "他団体"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (422, json!("merge_target_not_found"))
        );
        app.stop().await;
    }
}

/// A system client's access token, by client credentials with HTTP Basic.
async fn client_token(app: &TestApp, m: &str, scopes: &[&str]) -> String {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let created = kiban_auth::clients::create_client(
        &tenant,
        &kiban_audit::Actor::new("kiban-cli", "operator"),
        "税務システム",
        &scopes,
    )
    .await
    .unwrap();
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&created.client_id, Some(created.client_secret.to_string()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_system_client_reads_its_own_municipality_s_addressees_only() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let (_, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&tax), &landowner())
            .await;
        let id = body["addressee_id"].as_u64().unwrap();
        let reader = client_token(&app, DEMO, &["addressee:addressees:read"]).await;
        let foreign = client_token(&app, CHIYODA, &["addressee:addressees:read"]).await;
        let (status, body) = get(
            &app,
            &path(DEMO, "/addressees?birth_date=1960-05-05"),
            &reader,
        )
        .await;
        assert_eq!((status, ids(&body)), (200, vec![id]), "{body}");
        let (status, _) = get(&app, &path(DEMO, &format!("/addressees/{id}")), &reader).await;
        assert_eq!(status, 200);
        // Without the scope to create, and never in another municipality.
        let (status, body) = app
            .post_json(&path(DEMO, "/addressees"), Some(&reader), &landowner())
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (403, json!("insufficient_scope"))
        );
        for url in [
            format!("/addressees/{id}"),
            "/addressees?birth_date=1960-05-05".to_owned(),
        ] {
            let (status, _) = get(&app, &path(DEMO, &url), &foreign).await;
            assert_eq!(status, 404, "{url}");
        }
        let (status, body) = get(
            &app,
            &path(CHIYODA, "/addressees?birth_date=1960-05-05"),
            &foreign,
        )
        .await;
        assert_eq!((status, ids(&body)), (200, vec![]), "{body}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_system_client_reads_the_feed_of_its_scopes_and_municipality_only() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let registry = app.token(Some(DEMO), "registry_clerk").await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        resident(
            &app,
            &registry,
            "連携　花子",
            "レンケイ　ハナコ",
            "1990-01-01",
        )
        .await;
        app.post_json(&path(DEMO, "/addressees"), Some(&tax), &landowner())
            .await;
        let registry_reader = client_token(&app, DEMO, &["registry:events:read"]).await;
        let both = client_token(
            &app,
            DEMO,
            &["registry:events:read", "addressee:events:read"],
        )
        .await;
        let foreign = client_token(
            &app,
            CHIYODA,
            &["registry:events:read", "addressee:events:read"],
        )
        .await;
        let none = client_token(&app, DEMO, &["addressee:addressees:read"]).await;
        let types = |body: &Value| -> Vec<String> {
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_owned())
                .collect()
        };
        let (status, body) = get(&app, &path(DEMO, "/events?after=0"), &both).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            types(&body),
            ["resident_moved_in", "addressee_registered"],
            "{body}"
        );
        let (_, body) = get(&app, &path(DEMO, "/events?after=0"), &registry_reader).await;
        assert_eq!(types(&body), ["resident_moved_in"], "{body}");
        let (status, _) = get(&app, &path(DEMO, "/events?after=0"), &foreign).await;
        assert_eq!(status, 404);
        let (_, body) = get(&app, &path(CHIYODA, "/events?after=0"), &foreign).await;
        assert_eq!(types(&body), Vec::<String>::new(), "{body}");
        let (status, _) = get(&app, &path(DEMO, "/events?after=0"), &none).await;
        assert_eq!(status, 403);
        app.stop().await;
    }
}
