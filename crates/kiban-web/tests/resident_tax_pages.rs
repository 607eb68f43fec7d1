//! The resident-tax screens (個人住民税) as a browser without script uses
//! them, on both engines: 課税台帳照会 (the lookup form, a person's
//! assessment with its calculation explained step by step and its
//! versions of 更正, a person not assessed), the 突合 queue with the
//! assignment of a row (field errors, CSRF), the settings of a fiscal
//! year (a refused value next to its field), and the refusals of a role
//! without the tax permission.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code, csrf_field, post_form as post};
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};

const DEMO: &str = "990019";

fn api(rest: &str) -> String {
    format!("/api/v1/municipalities/{DEMO}{rest}")
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn redirect_of(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

async fn get_json(app: &TestApp, url: &str, token: &str) -> (u16, Value) {
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

/// Entries of the access log about `person` whose detail contains `text`.
async fn logged(app: &TestApp, person: u64, text: &str) -> i64 {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(DEMO)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*) FROM audit_log WHERE municipality_code = $1 \
             AND person_id = $2 AND detail LIKE $3",
            &[
                kiban_store::Arg::Int(i64::try_from(person).unwrap()),
                kiban_store::Arg::Text(format!("%{text}%")),
            ],
        )
        .await
        .unwrap()
        .unwrap();
    let n = row.int(0).unwrap();
    tx.commit().await.unwrap();
    n
}

/// A resident of デモ市 since 2024-04-01 (so assessed for 2026), with a
/// salary report and an unmatched declaration of somebody else imported;
/// the annual assessment run. Answers the resident's 宛名番号.
async fn assessed_resident(app: &TestApp) -> u64 {
    let registry = app.token(Some(DEMO), "registry_clerk").await;
    let tax = app.token(Some(DEMO), "tax_clerk").await;
    let (status, body) = app
        .post_json(
            &api("/movements"),
            Some(&registry),
            &json!({
                "kind": "move_in",
                "event_date": "2024-04-01",
                "notified_on": "2024-04-01",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央1丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [{"name": "山田　花子", "name_kana": "ヤマダ　ハナコ",
                             "birth_date": "1980-04-01", "sex": "female", "relationship": "head"}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["persons"][0]["person_id"].as_u64().unwrap();
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(DEMO)).await.unwrap();
    kiban_jobs::consumer::drain(
        &tenant,
        &kiban_addressee::storage::REGISTRY_CONSUMER,
        &kiban_jobs::consumer::RetryPolicy::default(),
    )
    .await
    .unwrap();
    let file = "source,payer_number,payer_name,collection,name,name_kana,birth_date,address_on_jan1,salary_revenue\n\
                salary_report,,株式会社デモ,ordinary,山田　花子,ヤマダ　ハナコ,1980-04-01,デモ市中央1丁目1番1号,4000000\n\
                declaration,,,ordinary,田中　次郎,タナカ　ジロウ,1966-06-06,どこか1-1,100\n";
    let response = app
        .client
        .post(app.url(&api("/resident-tax/2026/income-files")))
        .bearer_auth(&tax)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["matched"], 1, "{report}");
    app.resident_tax_assessed(DEMO).await;
    id
}

#[tokio::test]
async fn an_assessment_is_looked_up_and_explained_with_its_versions() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let id = assessed_resident(&app).await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let clerk = app.screen_session(DEMO, "tax_clerk").await;

        // The navigation leads to the lookup form, the current fiscal year
        // filled in.
        let (status, shell) = page(&clerk, &app, "/app").await;
        assert_eq!(status, 200);
        assert!(shell.contains("href=\"/app/resident-tax\""), "{shell}");
        let (status, form) = page(&clerk, &app, "/app/resident-tax").await;
        assert_eq!(status, 200, "{form}");
        let current = kiban_core::FiscalYear::containing(kiban_core::today_in_japan());
        assert!(
            form.contains(&format!(
                "name=\"fiscal_year\" value=\"{}\"",
                current.start_year()
            )),
            "{form}"
        );
        assert!(form.contains("accesskey=\"m\""));

        // The form leads to the person's page; a wrong number or year is
        // shown next to its field.
        let (status, location) = redirect_of(
            &clerk,
            &app,
            &format!("/app/resident-tax?addressee_id={id}&fiscal_year=2026"),
        )
        .await;
        assert_eq!(status, 303, "{backend:?}");
        assert_eq!(location, format!("/app/resident-tax/2026/assessments/{id}"));
        let (status, html) = page(
            &clerk,
            &app,
            "/app/resident-tax?addressee_id=abc&fiscal_year=2026",
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"addressee_id-error\""), "{html}");
        let (status, html) = page(
            &clerk,
            &app,
            &format!("/app/resident-tax?addressee_id={id}&fiscal_year=2040"),
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"fiscal_year-error\""), "{html}");

        // The page shows what the API answers, the working step by step.
        let (status, wire) = get_json(
            &app,
            &api(&format!("/resident-tax/2026/assessments/{id}")),
            &tax,
        )
        .await;
        assert_eq!(status, 200, "{wire}");
        let before = logged(&app, id, "resident_tax assessment 2026 versions").await;
        let url = format!("/app/resident-tax/2026/assessments/{id}");
        let (status, html) = page(&clerk, &app, &url).await;
        assert_eq!(status, 200, "{backend:?}: {html}");
        assert_eq!(
            logged(&app, id, "resident_tax assessment 2026 versions").await,
            before + 1,
            "the read is in the access log"
        );
        let total = kiban_core::Yen::new(wire["total"].as_i64().unwrap()).display_ja();
        assert_eq!(common::element_text(&html, "total"), Some(total.clone()));
        assert!(html.contains("令和8年度"), "{html}");
        assert_eq!(
            common::element_text(&html, "collection").as_deref(),
            Some("普通徴収")
        );
        let working = wire["calculation"]["working"].as_array().unwrap();
        assert!(working.len() > 10);
        for step in working {
            let label = step["step"].as_str().unwrap();
            assert!(
                html.contains(&askama_escaped(label)),
                "step {label}: {html}"
            );
        }
        for installment in wire["installments"].as_array().unwrap() {
            let period = installment["period"].as_u64().unwrap();
            assert!(html.contains(&format!("第{period}期")));
        }
        assert!(html.contains("第1版（表示中）"), "{html}");

        // A reassessment (更正): the new version in force, the first one
        // viewable.
        let (status, answer) = app
            .post_json(
                &api(&format!("/resident-tax/2026/assessments/{id}/reassess")),
                Some(&tax),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        let (_, html) = page(&clerk, &app, &url).await;
        assert!(html.contains("第2版（表示中）"), "{html}");
        assert!(html.contains(&format!("{url}?version=1")), "{html}");
        let (status, html) = page(&clerk, &app, &format!("{url}?version=1")).await;
        assert_eq!(status, 200);
        assert!(html.contains("更正前の版"), "{html}");
        let (status, _) = page(&clerk, &app, &format!("{url}?version=9")).await;
        assert_eq!(status, 404);

        // A person not assessed: a clear message.
        let (status, html) = page(&clerk, &app, "/app/resident-tax/2026/assessments/987654").await;
        assert_eq!(status, 404);
        assert!(html.contains("id=\"not-assessed\""), "{html}");

        // The addressee page links to it.
        let (_, html) = page(&clerk, &app, &format!("/app/addressee/{id}")).await;
        assert!(
            html.contains(&format!("/app/resident-tax?addressee_id={id}")),
            "{html}"
        );

        // A registry clerk has no tax permission: 403 page, no menu entry.
        let registry = app.screen_session(DEMO, "registry_clerk").await;
        let (status, _) = page(&registry, &app, "/app/resident-tax").await;
        assert_eq!(status, 403);
        let (status, html) = page(&registry, &app, &url).await;
        assert_eq!(status, 403);
        assert!(html.contains("権限がありません"));
        let (_, shell) = page(&registry, &app, "/app").await;
        assert!(!shell.contains("href=\"/app/resident-tax\""));
        let (_, html) = page(&registry, &app, &format!("/app/addressee/{id}")).await;
        assert!(html.contains("id=\"link-overview\""), "{html}");
        assert!(!html.contains("id=\"link-resident-tax\""), "{html}");
        // The supervisor holds it.
        let supervisor = app.screen_session(DEMO, "supervisor").await;
        let (status, _) = page(&supervisor, &app, &url).await;
        assert_eq!(status, 200);

        app.stop().await;
    }
}

/// A text as askama writes it into HTML.
fn askama_escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn the_matching_queue_assigns_a_row() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let id = assessed_resident(&app).await;
        let clerk = app.screen_session(DEMO, "tax_clerk").await;
        let url = "/app/resident-tax/2026/income-matching";
        let (status, html) = page(&clerk, &app, url).await;
        assert_eq!(status, 200, "{backend:?}: {html}");
        assert!(html.contains("タナカ　ジロウ"), "{html}");
        assert!(html.contains("昭和41年6月6日"), "{html}");
        let marker = "data-record-id=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let record: String = html[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let csrf = csrf_field(&html);
        let assign = format!("{url}/{record}/assign");
        let number = id.to_string();

        // Without the page's token: refused.
        let (status, _, _) = post(&clerk, &app, &assign, &[("addressee_id", &number)]).await;
        assert_eq!(status, 403);
        // A blank or unknown number is shown on the row's field.
        let (status, html, _) = post(
            &clerk,
            &app,
            &assign,
            &[("csrf", &csrf), ("addressee_id", "")],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            html.contains(&format!("id=\"assign-{record}-error\"")),
            "{html}"
        );
        let (status, html, _) = post(
            &clerk,
            &app,
            &assign,
            &[("csrf", &csrf), ("addressee_id", "987654")],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("data-field=\"addressee_id\""), "{html}");
        assert!(html.contains("value=\"987654\""), "{html}");

        // Assigned: back to the queue with a notice; the row has left it,
        // and the change is in the access log about the person.
        let before = logged(&app, id, "").await;
        let (status, _, location) = post(
            &clerk,
            &app,
            &assign,
            &[("csrf", &csrf), ("addressee_id", &number)],
        )
        .await;
        assert_eq!(status, 303, "{backend:?}");
        let location = location.unwrap();
        assert!(location.starts_with(url), "{location}");
        let (status, html) = page(&clerk, &app, &location).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"notice\""), "{html}");
        assert!(html.contains("id=\"no-matching\""), "{html}");
        assert!(logged(&app, id, "").await > before);

        // A registry clerk may not see the queue.
        let registry = app.screen_session(DEMO, "registry_clerk").await;
        let (status, _) = page(&registry, &app, url).await;
        assert_eq!(status, 403);

        app.stop().await;
    }
}

#[tokio::test]
async fn the_settings_are_shown_and_changed_with_refusals_next_to_their_fields() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.screen_session(DEMO, "tax_clerk").await;
        let tax = app.token(Some(DEMO), "tax_clerk").await;
        let url = "/app/resident-tax/2026/settings";
        let (status, html) = page(&clerk, &app, url).await;
        assert_eq!(status, 200, "{backend:?}: {html}");
        assert!(html.contains("name=\"installment_unit\""), "{html}");
        assert!(html.contains("name=\"ordinary_due_dates[3]\""), "{html}");
        let csrf = csrf_field(&html);

        let form = |unit: &'static str, second: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("rates.municipal_income_rate", "0.06".to_owned()),
                ("rates.prefectural_income_rate", "0.04".to_owned()),
                ("rates.municipal_per_capita", "3000".to_owned()),
                ("rates.prefectural_per_capita", "1000".to_owned()),
                ("rates.designated_city", String::new()),
                ("non_taxable_grade", "1".to_owned()),
                ("ordinary_due_dates[0]", "令和8年6月30日".to_owned()),
                ("ordinary_due_dates[1]", second.to_owned()),
                ("ordinary_due_dates[2]", "2026-11-02".to_owned()),
                ("ordinary_due_dates[3]", "2027-02-01".to_owned()),
                ("ordinary_due_dates[4]", String::new()),
                ("installment_unit", unit.to_owned()),
                ("collection_agency_code", "12345".to_owned()),
            ]
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let clerk = clerk.clone();
            let target = app.url(url);
            async move {
                let response = clerk.post(target).form(&fields).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }
        };

        // A date that is no date, then a unit the storage refuses: each
        // shown next to its field.
        let (status, html) = send(form("100", "令和8年8月32日")).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("id=\"ordinary_due_dates[1]-error\""),
            "{html}"
        );
        let (status, html) = send(form("7", "2026-08-31")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"installment_unit-error\""), "{html}");
        assert!(html.contains("value=\"7\""), "the value typed is kept");

        // Accepted: recorded as the API reads it.
        let (status, _) = send(form("100", "2026-08-31")).await;
        assert_eq!(status, 303);
        let (status, settings) = get_json(&app, &api("/resident-tax/2026/settings"), &tax).await;
        assert_eq!(status, 200);
        assert_eq!(settings["installment_unit"], 100);
        assert_eq!(settings["ordinary_due_dates"][0], "2026-06-30");
        let (_, html) = page(&clerk, &app, &format!("{url}?saved=1")).await;
        assert!(html.contains("id=\"notice\""), "{html}");

        // A year without rule data is refused by name.
        let (status, html) = page(&clerk, &app, "/app/resident-tax/2040/settings").await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("年度を確認してください"), "{html}");

        // A registry clerk may not use it.
        let registry = app.screen_session(DEMO, "registry_clerk").await;
        let (status, _) = page(&registry, &app, url).await;
        assert_eq!(status, 403);

        app.stop().await;
    }
}

#[tokio::test]
async fn a_declaration_is_entered_matched_or_queued_with_errors_next_to_their_fields() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let id = assessed_resident(&app).await;
        let clerk = app.screen_session(DEMO, "tax_clerk").await;
        let url = "/app/resident-tax/2026/declarations/new";
        let (status, html) = page(&clerk, &app, url).await;
        assert_eq!(status, 200, "{backend:?}: {html}");
        let csrf = csrf_field(&html);
        let declaration = |kana: &'static str, birth: &'static str, salary: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("name", "山田　花子".to_owned()),
                ("name_kana", kana.to_owned()),
                ("birth_date", birth.to_owned()),
                ("sex", "female".to_owned()),
                ("address_on_jan1", "デモ市中央1丁目1番1号".to_owned()),
                ("salary_revenue", salary.to_owned()),
                ("business_income", "1,200,000".to_owned()),
            ]
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let clerk = clerk.clone();
            let target = app.url(url);
            async move {
                let response = clerk.post(target).form(&fields).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }
        };

        // A date that is no date, a negative amount: next to their fields,
        // nothing stored.
        let (status, html) = send(declaration("ヤマダ　ハナコ", "昭和55年2月30日", "0")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"birth_date-error\""), "{html}");
        let (status, html) = send(declaration("ヤマダ　ハナコ", "昭和55年4月1日", "-5")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"salary_revenue-error\""), "{html}");
        assert!(html.contains("value=\"-5\""), "the value typed is kept");

        // Typed in 和暦, matched to the resident.
        let before = logged(&app, id, "").await;
        let (status, html) = send(declaration("ヤマダ　ハナコ", "昭和55年4月1日", "0")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"declaration-matched\""), "{html}");
        assert!(html.contains(&format!("/app/addressee/{id}\"")), "{html}");
        assert!(logged(&app, id, "").await > before, "the entry is logged");

        // Somebody unknown: waiting in the 突合 queue.
        let (status, html) = send(declaration("ヤマダ　ハナエ", "1999-09-09", "0")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"declaration-queued\""), "{html}");
        let (_, queue) = page(&clerk, &app, "/app/resident-tax/2026/income-matching").await;
        assert!(queue.contains("ヤマダ　ハナエ"), "{queue}");

        // Without the page's token, or without the tax permission: refused.
        let (status, _, _) = post(&clerk, &app, url, &[("name", "x")]).await;
        assert_eq!(status, 403);
        let registry = app.screen_session(DEMO, "registry_clerk").await;
        let (status, _) = page(&registry, &app, url).await;
        assert_eq!(status, 403);

        app.stop().await;
    }
}
