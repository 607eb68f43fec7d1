//! The addressee-master screens (宛名管理) as a browser without script uses
//! them, on both engines: search, the registration of a non-resident
//! through its 確認画面 with the duplicate warning, field errors next to
//! their fields, the addressee page with its change, 名寄せ (through its
//! 確認画面) and mailing forms, the person overview, the link from the
//! registry's person page, and the refusals (auditor, another
//! municipality, no CSRF token).

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code, post_form as post};
use kiban_store::testing::BACKENDS;
use serde_json::json;

const DEMO: &str = "990019";
const CHIYODA: &str = "131016";

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).map_or(0, |i| i + marker.len());
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A browser of its own (cookie store) logged in as `login` of `m`.
async fn browser(app: &TestApp, m: &str, login: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    app.login_screen_with(&client, m, login).await;
    client
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(DEMO)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let row = tx.fetch_optional(sql, &[]).await.unwrap().unwrap();
    let n = row.int(0).unwrap();
    tx.commit().await.unwrap();
    n
}

async fn addressees(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM addressee_versions WHERE municipality_code = $1",
    )
    .await
}

/// The registration form of a landowner living elsewhere, at `step`.
fn landowner<'a>(
    csrf: &'a str,
    step: &'a str,
    name: &'a str,
    birth: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("step", step),
        ("name", name),
        ("name_kana", "たかはし　いちろう"),
        ("birth_date", birth),
        ("sex", "male"),
        ("address.postal_code", "5300001"),
        ("address.address_line", "大阪府大阪市北区梅田1丁目2番3号"),
        ("address.katagaki", ""),
        ("individual_number", ""),
        ("effective_date", ""),
    ]
}

/// The number of a `/app/addressee/{id}?…` location.
fn id_of(location: &str) -> u64 {
    location
        .trim_start_matches("/app/addressee/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Registers a landowner through the form and its confirmation.
async fn register(client: &reqwest::Client, app: &TestApp, name: &str) -> u64 {
    let (_, html) = page(client, app, "/app/addressee/new").await;
    let csrf = csrf_of(&html);
    let form = landowner(&csrf, "commit", name, "昭和35年5月5日");
    let (status, html, location) = post(client, app, "/app/addressee/new", &form).await;
    assert_eq!(status, 303, "{html}");
    id_of(&location.unwrap())
}

#[tokio::test]
async fn screens_render_for_a_tax_clerk_and_refuse_others() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = browser(&app, DEMO, "tax_clerk").await;

        // The navigation leads to the master; the search has the focus.
        let (status, html) = page(&tax, &app, "/app").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("<a href=\"/app/addressee\">宛名管理</a>"),
            "{html}"
        );
        let (status, html) = page(&tax, &app, "/app/addressee").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(html.contains("<h1>宛名検索</h1>") && !html.contains("<script"));
        assert!(html.contains("id=\"name_kana\" name=\"name_kana\" value=\"\" autofocus"));

        // The registration form: a bad date of birth is shown next to its
        // field, the value kept, nothing stored.
        let (status, html) = page(&tax, &app, "/app/addressee/new").await;
        assert_eq!(status, 200);
        assert!(html.contains("住登外者登録の入力"));
        assert!(
            html.contains("id=\"f-name\" name=\"name\" value=\"\" autofocus"),
            "{html}"
        );
        let csrf = csrf_of(&html);
        for bad in ["令和0年1月1日", "令和5年2月30日"] {
            let form = landowner(&csrf, "confirm", "髙橋　一郎", bad);
            let (status, html, _) = post(&tax, &app, "/app/addressee/new", &form).await;
            assert_eq!(status, 422, "{bad}: {html}");
            assert!(
                html.contains("id=\"f-birth_date-error\">生年月日: "),
                "{html}"
            );
            assert!(html.contains(&format!("value=\"{bad}\"")));
            assert!(html.contains("<a href=\"#f-birth_date\">生年月日: "));
        }
        // An error of the API's parser stands next to its field too.
        let mut form = landowner(&csrf, "confirm", "髙橋　一郎", "昭和35年5月5日");
        form.retain(|(k, _)| *k != "address.postal_code");
        form.push(("address.postal_code", "12"));
        let (status, html, _) = post(&tax, &app, "/app/addressee/new", &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("id=\"f-address_postal_code-error\">郵便番号: "),
            "{html}"
        );
        assert_eq!(addressees(&app).await, 0);

        // The 確認画面 shows the date in 和暦 and stores nothing.
        let form = landowner(&csrf, "confirm", "髙橋　一郎", "昭和35年5月5日");
        let (status, html, _) = post(&tax, &app, "/app/addressee/new", &form).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("住登外者登録の確認"));
        assert!(html.contains("昭和35年（1960年）5月5日"));
        assert!(html.contains("id=\"commit\" autofocus"));
        assert_eq!(addressees(&app).await, 0);

        // Without the CSRF token nothing is stored.
        let forged = landowner("", "commit", "髙橋　一郎", "昭和35年5月5日");
        let (status, _, _) = post(&tax, &app, "/app/addressee/new", &forged).await;
        assert_eq!(status, 403);
        assert_eq!(addressees(&app).await, 0);

        let id = register(&tax, &app, "髙橋　一郎").await;
        let (status, html) =
            page(&tax, &app, &format!("/app/addressee/{id}?done=registered")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("住登外者を登録しました。"));
        assert!(html.contains("髙橋　一郎") && html.contains("タカハシ　イチロウ"));
        assert!(html.contains("昭和35年（1960年）5月5日"));
        assert!(html.contains("〒530-0001 大阪府大阪市北区梅田1丁目2番3号"));
        assert!(html.contains("住登外者登録"), "the history's first version");
        assert!(html.contains("id=\"change-form\"") && html.contains("id=\"merge-form\""));
        assert!(html.contains("id=\"mailing-form\""));

        // Searched by kana in hiragana, by date of birth in 和暦; each row
        // links to the addressee and its overview.
        let (status, html) = page(
            &tax,
            &app,
            "/app/addressee?name_kana=%E3%81%9F%E3%81%8B%E3%81%AF%E3%81%97",
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<a href=\"/app/addressee/{id}\">髙橋　一郎</a>")),
            "{html}"
        );
        assert!(html.contains(&format!("href=\"/app/addressee/{id}/overview\"")));
        assert!(html.contains("<td>住登外者</td>") && html.contains("<td>フリガナ</td>"));
        let (status, html) = page(
            &tax,
            &app,
            "/app/addressee?birth_date=%E6%98%AD%E5%92%8C35%E5%B9%B45%E6%9C%885%E6%97%A5&kind=non_resident",
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("<td>生年月日</td>"), "{html}");
        // A bad date of birth on the search: next to the field.
        let (status, html) = page(
            &tax,
            &app,
            "/app/addressee?birth_date=%E4%BB%A4%E5%92%8C0%E5%B9%B41%E6%9C%881%E6%97%A5",
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("id=\"birth_date-error\">生年月日: "),
            "{html}"
        );
        // No criteria: the catalogue's message above the form.
        let (status, html) = page(&tax, &app, "/app/addressee?name_kana=&kind=").await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"search-error\""), "{html}");

        let (status, html) = page(&tax, &app, &format!("/app/addressee/{id}/overview")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("個人状況照会") && html.contains("髙橋　一郎"));
        assert!(
            html.contains("id=\"no-businesses\""),
            "a non-resident has no registry record"
        );
        let (status, _) = page(&tax, &app, "/app/addressee/999999").await;
        assert_eq!(status, 404);

        // The auditor: every screen refused, and no navigation entry.
        let auditor = browser(&app, DEMO, "auditor").await;
        let (_, html) = page(&auditor, &app, "/app").await;
        assert!(!html.contains("href=\"/app/addressee\""));
        for path in [
            "/app/addressee".to_owned(),
            "/app/addressee/new".to_owned(),
            format!("/app/addressee/{id}"),
            format!("/app/addressee/{id}/overview"),
        ] {
            let (status, html) = page(&auditor, &app, &path).await;
            assert_eq!(status, 403, "{path}");
            assert!(html.contains("権限がありません"));
        }
        // A registry clerk reads but does not change.
        let registry = browser(&app, DEMO, "registry_clerk").await;
        let (status, html) = page(&registry, &app, &format!("/app/addressee/{id}")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("id=\"change-form\"") && !html.contains("id=\"mailing-form\""));
        let (status, _) = page(&registry, &app, "/app/addressee/new").await;
        assert_eq!(status, 403);

        // Another municipality's clerk sees nothing of Demo's.
        let chiyoda = browser(&app, CHIYODA, "tax_clerk").await;
        for path in [
            format!("/app/addressee/{id}"),
            format!("/app/addressee/{id}/overview"),
        ] {
            let (status, _) = page(&chiyoda, &app, &path).await;
            assert_eq!(status, 404, "{path}");
        }
        let (status, html) = page(
            &chiyoda,
            &app,
            "/app/addressee?name_kana=%E3%82%BF%E3%82%AB%E3%83%8F%E3%82%B7",
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"no-results\""), "{html}");
        app.stop().await;
    }
}

#[tokio::test]
async fn duplicates_merge_change_mailing_and_the_overview_of_a_resident() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let tax = browser(&app, DEMO, "tax_clerk").await;
        let first = register(&tax, &app, "髙橋　一郎").await;

        // The same person written with another variant: the candidates are
        // shown on the 確認画面 (409) with the box 「別人として登録する」.
        let (_, html) = page(&tax, &app, "/app/addressee/new").await;
        let csrf = csrf_of(&html);
        let form = landowner(&csrf, "commit", "高橋　一郎", "1960-05-05");
        let (status, html, _) = post(&tax, &app, "/app/addressee/new", &form).await;
        assert_eq!(status, 409, "{backend:?}: {html}");
        assert!(html.contains("重複候補"));
        assert!(html.contains(&format!(
            "<a href=\"/app/addressee/{first}\">髙橋　一郎</a>"
        )));
        assert!(html.contains("id=\"confirm_new\" name=\"confirm_new\" value=\"true\" autofocus"));
        assert_eq!(addressees(&app).await, 1);
        let mut form = landowner(&csrf, "commit", "高橋　一郎", "1960-05-05");
        form.push(("confirm_new", "true"));
        let (status, html, location) = post(&tax, &app, "/app/addressee/new", &form).await;
        assert_eq!(status, 303, "{html}");
        let second = id_of(&location.unwrap());
        assert_ne!(first, second);

        // 名寄せ: a wrong number next to its field, then the 確認画面, then
        // recorded.
        let merge_path = format!("/app/addressee/{second}/merge");
        let (status, html, _) = post(
            &tax,
            &app,
            &merge_path,
            &[
                ("csrf", &csrf),
                ("step", "confirm"),
                ("into", "abc"),
                ("reason", "同一人"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("id=\"merge-f-into-error\">名寄せ先の宛名番号: "),
            "{html}"
        );
        let first_text = first.to_string();
        let (status, html, _) = post(
            &tax,
            &app,
            &merge_path,
            &[
                ("csrf", &csrf),
                ("step", "confirm"),
                ("into", &first_text),
                ("reason", "本人に確認した"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("名寄せの確認") && html.contains("本人に確認した"));
        assert!(html.contains(&format!("宛名番号 {first}")));
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{second}")).await;
        assert!(!html.contains("id=\"merged-into\""), "nothing merged yet");
        let (status, _, location) = post(
            &tax,
            &app,
            &merge_path,
            &[
                ("csrf", &csrf),
                ("step", "commit"),
                ("into", &first_text),
                ("reason", "本人に確認した"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.unwrap(),
            format!("/app/addressee/{second}?done=merged")
        );
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{second}?done=merged")).await;
        assert!(html.contains("名寄せしました。") && html.contains("id=\"merged-into\""));
        assert!(html.contains("id=\"unmerge-form\"") && html.contains("本人に確認した"));
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{first}")).await;
        assert!(html.contains(&format!("<a href=\"/app/addressee/{second}\">{second}</a>")));
        let (status, _, location) = post(
            &tax,
            &app,
            &format!("/app/addressee/{second}/unmerge"),
            &[("csrf", &csrf), ("reason", "別人と判明した")],
        )
        .await;
        assert_eq!(status, 303);
        assert!(location.unwrap().ends_with("done=unmerged"));

        // A change of the non-resident: a bad date next to its field, then
        // recorded as a new version.
        let change_path = format!("/app/addressee/{first}/change");
        let change = |date: &'static str| {
            vec![
                ("effective_date", date),
                ("name", ""),
                ("name_kana", ""),
                ("address.postal_code", "1050011"),
                ("address.address_line", "東京都港区芝公園4丁目2番8号"),
                ("address.katagaki", ""),
            ]
        };
        let mut form = change("令和0年4月1日");
        form.push(("csrf", &csrf));
        let (status, html, _) = post(&tax, &app, &change_path, &form).await;
        assert_eq!(status, 422);
        assert!(
            html.contains("id=\"change-f-effective_date-error\">変更日: "),
            "{html}"
        );
        let mut form = change("令和8年4月1日");
        form.push(("csrf", &csrf));
        let (status, html, _) = post(&tax, &app, &change_path, &form).await;
        assert_eq!(status, 303, "{html}");
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{first}?as_of=R8.4.1")).await;
        assert!(html.contains("東京都港区芝公園4丁目2番8号") && html.contains("宛名の変更"));
        let (_, html) = page(
            &tax,
            &app,
            &format!("/app/addressee/{first}?as_of=2021-01-01"),
        )
        .await;
        assert!(html.contains("令和3年（2021年）1月1日 現在"));
        assert!(html.contains("id=\"record\"><dl class=\"record\">"));

        // A mailing address for the resident tax.
        let (status, html, _) = post(
            &tax,
            &app,
            &format!("/app/addressee/{first}/mailing"),
            &[
                ("csrf", &csrf),
                ("business", "resident_tax"),
                ("kind", "tax_agent"),
                ("name", "山田　次郎"),
                ("address.postal_code", "1000001"),
                ("address.address_line", "東京都千代田区千代田1番1号"),
                ("address.katagaki", ""),
                ("valid_from", "令和8年1月1日"),
                ("valid_until", "令和7年1月1日"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("id=\"mailing-f-valid_until-error\""),
            "{html}"
        );
        let (status, html, _) = post(
            &tax,
            &app,
            &format!("/app/addressee/{first}/mailing"),
            &[
                ("csrf", &csrf),
                ("business", "resident_tax"),
                ("kind", "tax_agent"),
                ("name", "山田　次郎"),
                ("address.postal_code", "1000001"),
                ("address.address_line", "東京都千代田区千代田1番1号"),
                ("address.katagaki", ""),
                ("valid_from", "令和8年1月1日"),
                ("valid_until", ""),
            ],
        )
        .await;
        assert_eq!(status, 303, "{html}");
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{first}?done=mailing")).await;
        assert!(html.contains("送付先を設定しました。"));
        assert!(
            html.contains("<td>個人住民税</td><td>納税管理人</td><td>山田　次郎</td>"),
            "{html}"
        );

        // A resident: indexed from the registry's events; the registry's
        // person page links to the overview, which shows the registry.
        let registry_token = app.token(Some(DEMO), "registry_clerk").await;
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{DEMO}/movements"),
                Some(&registry_token),
                &json!({
                    "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-01",
                    "address": {"postal_code": "1000001", "address_line": "デモ市中央1丁目1番1号"},
                    "previous_address": "東京都千代田区千代田1番1号",
                    "persons": [{"name": "住民　花子", "name_kana": "ジュウミン　ハナコ",
                                 "birth_date": "1985-03-03", "sex": "female", "relationship": "head"}],
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let person = body["persons"][0]["person_id"].as_u64().unwrap();
        let household = body["persons"][0]["household_id"].as_u64().unwrap();
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        kiban_jobs::consumer::drain(
            &tenant,
            &kiban_addressee::storage::REGISTRY_CONSUMER,
            &kiban_jobs::consumer::RetryPolicy::default(),
        )
        .await
        .unwrap();
        let (status, html) = page(&tax, &app, &format!("/app/registry/persons/{person}")).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!(
            "id=\"link-overview\" href=\"/app/addressee/{person}/overview\""
        )));
        let (status, html) = page(&tax, &app, &format!("/app/addressee/{person}/overview")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"business-registry\""));
        assert!(
            html.contains(&format!("<dt>世帯番号</dt><dd>{household}</dd>")),
            "{html}"
        );
        assert!(html.contains("令和6年（2024年）4月1日"));
        assert!(html.contains(&format!("href=\"/app/registry/persons/{person}\"")));
        let (_, html) = page(&tax, &app, &format!("/app/addressee/{person}")).await;
        assert!(html.contains("住民記録の異動で変更します。"));
        assert!(!html.contains("id=\"change-form\""));
        // The auditor has no link from the person page (no registry read
        // either); the registry clerk has the link.
        let registry = browser(&app, DEMO, "registry_clerk").await;
        let (_, html) = page(&registry, &app, &format!("/app/registry/persons/{person}")).await;
        assert!(html.contains("id=\"link-overview\""));
        app.stop().await;
    }
}
