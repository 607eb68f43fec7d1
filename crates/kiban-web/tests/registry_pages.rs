//! The resident-registry screens as a browser without script uses them, on
//! both engines: a movement through its confirmation step, field errors
//! next to their fields, domain rejections, CSRF, permissions and the
//! access log of every person read.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code, post_form as post};
use kiban_store::testing::BACKENDS;

const DEMO: &str = "990019";

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).map_or(0, |i| i + marker.len());
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A browser of its own (cookie store) logged in as `login`, through the
/// second factor when the role requires one.
async fn browser(app: &TestApp, login: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    app.login_screen_with(&client, DEMO, login).await;
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

async fn person_entries(app: &TestApp, person: i64) -> Vec<(String, String)> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(DEMO)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let entries = kiban_audit::entries_for_person(&mut tx, person, 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    entries
        .iter()
        .map(|e| (e.actor.clone(), e.action.code().to_owned()))
        .collect()
}

fn move_in_form<'a>(csrf: &'a str, step: &'a str, event_date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("step", step),
        ("rows", "4"),
        ("event_date", event_date),
        ("notified_on", "2024-04-05"),
        ("previous_address", "東京都千代田区千代田1番1号"),
        ("household_id", ""),
        ("address.postal_code", "100-0001"),
        ("address.address_line", "デモ市中央一丁目2番3号"),
        ("address.katagaki", ""),
        ("persons[0].name", "山田　太郎"),
        ("persons[0].name_kana", "やまだ　たろう"),
        ("persons[0].birth_date", "昭和55年4月1日"),
        ("persons[0].sex", "male"),
        ("persons[0].relationship", "head"),
        ("persons[0].nationality", "JP"),
        // A blank row between the two persons is left out.
        ("persons[1].name", ""),
        ("persons[1].name_kana", ""),
        ("persons[1].birth_date", ""),
        ("persons[1].sex", ""),
        ("persons[1].relationship", ""),
        ("persons[1].nationality", "JP"),
        ("persons[2].name", "山田　花子"),
        ("persons[2].name_kana", "ﾔﾏﾀﾞ ﾊﾅｺ"),
        ("persons[2].birth_date", "1982/5/5"),
        ("persons[2].sex", "female"),
        ("persons[2].relationship", "spouse"),
        ("persons[2].nationality", "JP"),
    ]
}

#[tokio::test]
async fn move_in_through_confirmation_then_views_with_access_log() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = browser(&app, "registry_clerk").await;
        let (status, html) = page(&clerk, &app, "/app/registry/movements/move_in").await;
        assert_eq!(status, 200);
        assert!(html.contains("転入届の入力") && !html.contains("<script"));
        assert!(html.contains("name=\"event_date\" value=\"\" inputmode=\"text\" placeholder=\"令和7年4月1日\" autofocus"));
        let csrf = csrf_of(&html);

        // Field errors: the message names the field, stands next to it, and
        // the typed value is kept; nothing is recorded.
        let mut form = move_in_form(&csrf, "confirm", "令和0年4月1日");
        form.retain(|(k, _)| *k != "persons[2].sex");
        let (status, html, _) = post(&clerk, &app, "/app/registry/movements/move_in", &form).await;
        assert_eq!(status, 422, "{backend:?}");
        assert!(
            html.contains("id=\"f-event_date-error\">転入日: "),
            "{html}"
        );
        assert!(html.contains("value=\"令和0年4月1日\""));
        assert!(html.contains("id=\"f-persons_2__sex-error\">性別: 入力してください"));
        assert!(html.contains("3人目の性別: 入力してください"));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM movements WHERE municipality_code = $1"
            )
            .await,
            0
        );

        // The confirmation step shows the dates in 和暦 with 西暦 and
        // records nothing yet.
        let form = move_in_form(&csrf, "confirm", "令和6年4月1日");
        let (status, html, _) = post(&clerk, &app, "/app/registry/movements/move_in", &form).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("転入届の確認"));
        assert!(html.contains("令和6年（2024年）4月1日"));
        assert!(html.contains("昭和57年（1982年）5月5日"));
        assert!(!html.contains("2人目"), "blank rows are not confirmed");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM movements WHERE municipality_code = $1"
            )
            .await,
            0
        );

        // Without the CSRF token nothing is recorded.
        let forged = move_in_form("", "commit", "令和6年4月1日");
        let (status, _, _) = post(&clerk, &app, "/app/registry/movements/move_in", &forged).await;
        assert_eq!(status, 403);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM movements WHERE municipality_code = $1"
            )
            .await,
            0
        );

        // Commit: to the head's view with the movement confirmed.
        let form = move_in_form(&csrf, "commit", "令和6年4月1日");
        let (status, _, location) =
            post(&clerk, &app, "/app/registry/movements/move_in", &form).await;
        assert_eq!(status, 303, "{backend:?}");
        let location = location.unwrap();
        assert!(location.starts_with("/app/registry/persons/"), "{location}");
        let head: i64 = location
            .trim_start_matches("/app/registry/persons/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let before = person_entries(&app, head).await.len();
        let (status, html) = page(&clerk, &app, &location).await;
        assert_eq!(status, 200);
        assert!(html.contains("を登録しました"));
        assert!(html.contains("山田　太郎") && html.contains("ヤマダ　タロウ"));
        assert!(html.contains("山田　花子"), "the household's members");
        assert!(html.contains("昭和55年（1980年）4月1日"));
        assert!(html.contains("<span class=\"kind\">転入</span>"));
        // Three reads (record, household, history), each in the access log.
        let after = person_entries(&app, head).await;
        assert_eq!(after.len(), before + 3, "{after:?}");
        assert!(after.iter().all(|(actor, _)| actor == "registry_clerk"));

        // Search: kana typed in hiragana, the address without the city.
        let (status, html) = page(
            &clerk,
            &app,
            "/app/registry?name_kana=%E3%82%84%E3%81%BE%E3%81%A0",
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"result-count\">2<"), "{html}");
        let (_, html) = page(
            &clerk,
            &app,
            "/app/registry?address=%E4%B8%AD%E5%A4%AE%E4%B8%80%E4%B8%81%E7%9B%AE",
        )
        .await;
        assert!(html.contains("id=\"result-count\">2<"));
        let (status, html) = page(
            &clerk,
            &app,
            "/app/registry?birth_date=%E4%BB%A4%E5%92%8C0%E5%B9%B41%E6%9C%881%E6%97%A5",
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"birth_date-error\">生年月日: "));

        // 支援措置 on the head: the screens withhold the address (person
        // view, history, search, household) and log the attempt.
        let token = app.token(Some(DEMO), "registry_clerk").await;
        let today = jiff::tz::offset(9)
            .to_datetime(jiff::Timestamp::now())
            .date()
            .to_string();
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{DEMO}/persons/{head}/support-measures"),
                Some(&token),
                &serde_json::json!({"reason": "domestic_violence", "starts_on": today}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (_, html) = page(&clerk, &app, &format!("/app/registry/persons/{head}")).await;
        assert!(!html.contains("中央一丁目"), "{html}");
        assert!(html.contains("支援措置により表示しません"));
        let (_, html) = page(
            &clerk,
            &app,
            "/app/registry?name_kana=%E3%82%84%E3%81%BE%E3%81%A0",
        )
        .await;
        // The measure covers the household: both members' rows withhold it.
        let results = html.split("id=\"results\"").nth(1).unwrap();
        assert!(!results.contains("中央一丁目"), "{results}");
        assert_eq!(results.matches("支援措置により表示しません").count(), 2);
        let entries = person_entries(&app, head).await;
        assert!(
            entries.iter().any(|(_, action)| action == "refused"),
            "{entries:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn rejections_show_on_the_form_and_roles_are_enforced() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = browser(&app, "registry_clerk").await;
        let (_, html) = page(&clerk, &app, "/app/registry/movements/move_in").await;
        let csrf = csrf_of(&html);
        let form = move_in_form(&csrf, "commit", "2024-04-01");
        let (status, _, location) =
            post(&clerk, &app, "/app/registry/movements/move_in", &form).await;
        assert_eq!(status, 303);
        let head = location.unwrap();
        let head = head
            .trim_start_matches("/app/registry/persons/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let (_, html) = page(&clerk, &app, &format!("/app/registry/persons/{head}")).await;
        let household = html
            .split("id=\"person-household\" href=\"/app/registry/households/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();

        // A 転出 dated before the 転入: 409, the message on the form, the
        // values kept, nothing recorded.
        let (status, html) = page(
            &clerk,
            &app,
            &format!("/app/registry/movements/move_out?household_id={household}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("value=\"{head}\"")),
            "the members are offered"
        );
        let movements = count(
            &app,
            "SELECT COUNT(*) FROM movements WHERE municipality_code = $1",
        )
        .await;
        let form = [
            ("csrf", csrf.as_str()),
            ("step", "commit"),
            ("household_id", household.as_str()),
            ("person_ids", head.as_str()),
            ("event_date", "平成31年4月30日"),
            ("notified_on", "2024-05-01"),
            ("destination_address", "大阪府大阪市北区梅田1番1号"),
            ("new_head_person_id", ""),
        ];
        let (status, html, _) = post(&clerk, &app, "/app/registry/movements/move_out", &form).await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("異動日に住民ではありません"), "{html}");
        assert!(html.contains("value=\"平成31年4月30日\""));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM movements WHERE municipality_code = $1"
            )
            .await,
            movements
        );

        // The head leaves while the spouse stays: the new head is needed.
        let form = [
            ("csrf", csrf.as_str()),
            ("step", "commit"),
            ("household_id", household.as_str()),
            ("person_ids", head.as_str()),
            ("event_date", "令和6年5月1日"),
            ("notified_on", "令和6年5月1日"),
            ("destination_address", "大阪府大阪市北区梅田1番1号"),
            ("new_head_person_id", ""),
        ];
        let (status, html, _) = post(&clerk, &app, "/app/registry/movements/move_out", &form).await;
        assert_eq!(status, 409, "{html}");
        assert!(
            html.contains("id=\"f-new_head_person_id-error\">新しい世帯主: "),
            "{html}"
        );

        // A tax clerk may search but not open a movement form; the refusal
        // is in the access log. An auditor may not search.
        let tax = browser(&app, "tax_clerk").await;
        let (status, _) = page(&tax, &app, "/app/registry?name_kana=%E3%83%A4").await;
        assert_eq!(status, 200);
        let (status, html) = page(
            &tax,
            &app,
            &format!("/app/registry/movements/cancellation?person_id={head}"),
        )
        .await;
        assert_eq!(status, 403);
        assert!(html.contains("権限がありません"));
        let entries = person_entries(&app, head.parse().unwrap()).await;
        assert!(
            entries
                .iter()
                .any(|(actor, action)| actor == "tax_clerk" && action == "refused"),
            "{entries:?}"
        );
        let auditor = browser(&app, "auditor").await;
        let (status, _) = page(&auditor, &app, "/app/registry").await;
        assert_eq!(status, 403);
        let (status, _) = page(&auditor, &app, &format!("/app/registry/persons/{head}")).await;
        assert_eq!(status, 403);

        // Not logged in: to the login page.
        let anonymous = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = anonymous
            .get(app.url("/app/registry"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        app.stop().await;
    }
}

/// The number after `prefix` in a redirect such as
/// `/app/registry/persons/12?recorded=34`.
fn number_after(location: &str, prefix: &str) -> String {
    location
        .split(prefix)
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

#[tokio::test]
async fn correction_split_death_and_cancellation_through_their_forms() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = browser(&app, "registry_clerk").await;
        let (_, html) = page(&clerk, &app, "/app/registry/movements/move_in").await;
        let csrf = csrf_of(&html);
        let (status, _, location) = post(
            &clerk,
            &app,
            "/app/registry/movements/move_in",
            &move_in_form(&csrf, "commit", "2024-04-01"),
        )
        .await;
        assert_eq!(status, 303);
        let head = number_after(&location.unwrap(), "/app/registry/persons/");
        let (_, html) = page(&clerk, &app, &format!("/app/registry/persons/{head}")).await;
        let household = number_after(
            &html,
            "id=\"person-household\" href=\"/app/registry/households/",
        );
        let spouse = (head.parse::<u64>().unwrap() + 1).to_string();
        let commit = |kind: &'static str, fields: Vec<(&'static str, String)>| {
            let clerk = clerk.clone();
            let csrf = csrf.clone();
            let app = &app;
            async move {
                let mut form: Vec<(&str, String)> =
                    vec![("csrf", csrf), ("step", "commit".to_owned())];
                form.extend(fields);
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post(
                    &clerk,
                    app,
                    &format!("/app/registry/movements/{kind}"),
                    &pairs,
                )
                .await
            }
        };

        // 職権修正 of the spouse's name: the old name stays in the history.
        let (status, html) = page(
            &clerk,
            &app,
            &format!("/app/registry/movements/ex_officio_correction?person_id={spouse}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("山田　花子"), "the person is shown");
        let (status, body, location) = commit(
            "ex_officio_correction",
            vec![
                ("person_id", spouse.clone()),
                ("event_date", "令和6年6月1日".into()),
                ("notified_on", "令和6年6月1日".into()),
                ("reason", "氏名の誤記".into()),
                ("changes.name", "山田　華子".into()),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let (_, html) = page(&clerk, &app, &location.unwrap()).await;
        assert!(html.contains("id=\"person-name\">山田　華子"));
        assert!(html.contains("<span class=\"kind\">職権修正</span>"));

        // 世帯分離: the spouse forms a household of her own.
        let (status, body, location) = commit(
            "household_split",
            vec![
                ("household_id", household.clone()),
                ("person_ids", spouse.clone()),
                ("new_head_person_id", spouse.clone()),
                ("event_date", "2024-07-01".into()),
                ("notified_on", "2024-07-01".into()),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let (_, html) = page(&clerk, &app, &location.unwrap()).await;
        let new_household = number_after(
            &html,
            "id=\"person-household\" href=\"/app/registry/households/",
        );
        assert_ne!(new_household, household);

        // 死亡 of the head, now alone in the household.
        let (status, html) = page(
            &clerk,
            &app,
            &format!("/app/registry/movements/death?household_id={household}&person_id={head}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<option value=\"{head}\" selected>")),
            "{html}"
        );
        let (status, body, location) = commit(
            "death",
            vec![
                ("household_id", household.clone()),
                ("person_id", head.clone()),
                ("new_head_person_id", String::new()),
                ("event_date", "令和6年8月1日".into()),
                ("notified_on", "令和6年8月2日".into()),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let location = location.unwrap();
        let death = number_after(&location, "recorded=");
        let (_, html) = page(&clerk, &app, &location).await;
        assert!(html.contains("死亡（令和6年8月1日消除）"), "{html}");

        // 取消し of the death: the head is a resident again, both stay in
        // the history.
        let (status, html) = page(
            &clerk,
            &app,
            &format!("/app/registry/movements/cancellation?person_id={head}&movement_id={death}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<option value=\"{death}\" selected>")));
        let (status, body, location) = commit(
            "cancellation",
            vec![
                ("person_id", head.clone()),
                ("movement_id", death.clone()),
                ("event_date", "令和6年8月3日".into()),
                ("notified_on", "令和6年8月3日".into()),
                ("reason", "届出の誤り".into()),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(
            number_after(&location.unwrap(), "/app/registry/persons/"),
            head,
            "to the person the cancelled movement was about"
        );
        let (_, html) = page(&clerk, &app, &format!("/app/registry/persons/{head}")).await;
        assert!(html.contains("id=\"person-status\">住民<"), "{html}");
        assert!(html.contains("<span class=\"kind\">異動の取消し</span>"));
        assert!(html.contains("<span class=\"tag\">取消済</span>"));
        app.stop().await;
    }
}

/// The person page links to the 個人番号 page, to certificate issuance and
/// to 支援措置, each only for the roles that may use it; the 支援措置
/// screen (supervisor) records a measure through its 確認画面 with dates
/// in 和暦, extends it and ends it early, CSRF-checked and logged.
#[tokio::test]
async fn person_links_and_the_support_measure_screen() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let token = app.token(Some(DEMO), "registry_clerk").await;
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{DEMO}/movements"),
                Some(&token),
                &serde_json::json!({
                    "kind": "move_in",
                    "event_date": "2024-04-01",
                    "notified_on": "2024-04-05",
                    "address": {"postal_code": "1000001", "address_line": "デモ市中央三丁目4番5号"},
                    "previous_address": "東京都千代田区千代田1番1号",
                    "persons": [{"name": "保護 花子", "name_kana": "ホゴ ハナコ",
                                 "birth_date": "1985-06-01", "sex": "female", "relationship": "head"}],
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let person = body["persons"][0]["person_id"].as_i64().unwrap();
        let household = body["household_id"].as_u64().unwrap();
        let person_page = format!("/app/registry/persons/{person}");
        let screen = format!("/app/protection/persons/{person}/support-measures");
        let certificate_link = format!("href=\"/app/certificates/new?household_id={household}\"");

        // The registry clerk: 個人番号 and 証明書交付; not 支援措置, whose
        // screen refuses them (logged).
        let clerk = browser(&app, "registry_clerk").await;
        let (_, html) = page(&clerk, &app, &person_page).await;
        assert!(html.contains(&format!(
            "href=\"/app/registry/persons/{person}/individual-number\""
        )));
        assert!(html.contains(&certificate_link));
        assert!(!html.contains("link-support-measures"));
        let (status, _) = page(&clerk, &app, &screen).await;
        assert_eq!(status, 403);
        assert!(
            person_entries(&app, person)
                .await
                .contains(&("registry_clerk".to_owned(), "refused".to_owned()))
        );

        // A tax clerk may read the person but neither issue nor protect.
        let tax = browser(&app, "tax_clerk").await;
        let (_, html) = page(&tax, &app, &person_page).await;
        assert!(html.contains("link-individual-number"));
        assert!(!html.contains(&certificate_link));
        assert!(!html.contains("link-support-measures"));

        // The supervisor.
        let supervisor = browser(&app, "supervisor").await;
        let (_, html) = page(&supervisor, &app, &person_page).await;
        assert!(html.contains(&format!("href=\"{screen}\"")));
        let (status, html) = page(&supervisor, &app, &screen).await;
        assert_eq!(status, 200);
        assert!(html.contains("支援措置は記録されていません") && !html.contains("<script"));
        let csrf = csrf_of(&html);
        let today = kiban_core::today_in_japan();
        let today_wareki = kiban_core::wareki::format_ja(today);
        let count_measures = || {
            count(
                &app,
                "SELECT COUNT(*) FROM support_measures WHERE municipality_code = $1",
            )
        };

        // Field errors name the field; nothing is recorded.
        let record = |step: &'static str, ends_on: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("action", "record".to_owned()),
                ("step", step.to_owned()),
                ("reason", "stalking".to_owned()),
                ("starts_on", today_wareki.clone()),
                ("ends_on", ends_on.to_owned()),
            ]
        };
        let post_form = async |form: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(&supervisor, &app, &screen, &pairs).await
        };
        let (status, html, _) = post_form(record("confirm", "令和0年1月1日")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("終了日: "), "{html}");
        assert!(html.contains("<option value=\"stalking\" selected>"));
        assert_eq!(count_measures().await, 0);

        // The 確認画面 shows 和暦 with 西暦 and records nothing yet.
        let (status, html, _) = post_form(record("confirm", "")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("支援措置の記録の確認"));
        assert!(html.contains(&kiban_core::wareki::format_ja_with_western(today)));
        assert_eq!(count_measures().await, 0);

        // Without the CSRF token nothing is recorded.
        let mut forged = record("commit", "");
        forged[0].1 = String::new();
        let (status, _, _) = post_form(forged).await;
        assert_eq!(status, 403);
        assert_eq!(count_measures().await, 0);

        // Recorded: back to the list with a notice.
        let (status, _, location) = post_form(record("commit", "")).await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(location.contains("done=recorded&measure="), "{location}");
        let (_, html) = page(&supervisor, &app, &location).await;
        assert!(html.contains("を記録しました") && html.contains("措置中"));
        let first = location.rsplit('=').next().unwrap().to_owned();

        // Extended once: a second measure; the first is not offered again.
        let extend = |step: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("action", "extend".to_owned()),
                ("step", step.to_owned()),
                ("measure_id", first.clone()),
            ]
        };
        let (status, html, _) = post_form(extend("confirm")).await;
        assert_eq!(status, 200);
        assert!(html.contains("支援措置の延長の確認") && html.contains("延長後の開始日"));
        let (status, _, location) = post_form(extend("commit")).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().contains("done=extended"));
        assert_eq!(count_measures().await, 2);
        let (_, html) = page(&supervisor, &app, &screen).await;
        assert!(!html.contains(&format!("id=\"extend-{first}\"")));
        let (status, html, _) = post_form(extend("commit")).await;
        assert_eq!(status, 422);
        assert!(html.contains("延長できません"));
        assert_eq!(count_measures().await, 2);

        // Ended early today (和暦 typed).
        let end = |step: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("action", "end".to_owned()),
                ("step", step.to_owned()),
                ("measure_id", first.clone()),
                ("ended_on", today_wareki.clone()),
            ]
        };
        let (status, html, _) = post_form(end("confirm")).await;
        assert_eq!(status, 200);
        assert!(html.contains("支援措置の早期終了の確認"));
        let (status, _, location) = post_form(end("commit")).await;
        assert_eq!(status, 303);
        let (_, html) = page(&supervisor, &app, &location.unwrap()).await;
        assert!(html.contains("早期終了しました") && html.contains("早期終了"));

        // Every view and change is in the person's access log.
        let entries = person_entries(&app, person).await;
        let supervisor_entries: Vec<&str> = entries
            .iter()
            .filter(|(actor, _)| actor == "supervisor")
            .map(|(_, action)| action.as_str())
            .collect();
        assert_eq!(
            supervisor_entries
                .iter()
                .filter(|a| **a == "change")
                .count(),
            3,
            "{supervisor_entries:?}"
        );
        assert!(supervisor_entries.contains(&"read"));
        app.stop().await;
    }
}

/// The follow-up list 移行後要確認（在留資格未設定）: linked from the search
/// screen, listing a foreign resident migrated without 在留資格 (the legacy
/// import's bulk path), whose person page shows the status as unknown.
#[tokio::test]
async fn the_follow_up_list_shows_migrated_foreign_residents() {
    use kiban_registry::domain::{
        Address, AddressText, Nationality, StatusOfResidence, parse_date,
    };
    use kiban_registry::storage::bulk::{NewHousehold, NewResident, register_households};
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let db = app.database.as_ref().unwrap().db.clone();
        let tenant = db.tenant(code(DEMO)).await.unwrap();
        let mut tx = tenant.begin().await.unwrap();
        let household = NewHousehold {
            address: Address {
                postal_code: kiban_core::PostalCode::parse("1000001").unwrap(),
                address_line: AddressText::parse("デモ市中央一丁目1番1号").unwrap(),
                katagaki: None,
            },
            members: vec![NewResident {
                name: kiban_core::PersonName::parse("スミス ジョン").unwrap(),
                name_kana: kiban_core::KanaName::parse("スミス ジョン").unwrap(),
                birth_date: parse_date("birth_date", "1985-03-01").unwrap(),
                sex: kiban_core::Sex::Male,
                relationship: kiban_core::Relationship::Head,
                nationality: Nationality::parse("US").unwrap(),
                status_of_residence: Some(StatusOfResidence::unknown_after_migration()),
                period_of_stay_until: None,
                resident_from: parse_date("resident_from", "2020-04-01").unwrap(),
                previous_address: None,
                born_here: false,
            }],
        };
        let actor = kiban_audit::Actor::new("migration", "system");
        let stats = register_households(&mut tx, &actor, &[household])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let person = stats.first_person_id;
        let clerk = browser(&app, "registry_clerk").await;
        let (status, search) = page(&clerk, &app, "/app/registry").await;
        assert_eq!(status, 200);
        assert!(search.contains("href=\"/app/registry/follow-up/missing-residence-status\""));
        let (status, list) = page(
            &clerk,
            &app,
            "/app/registry/follow-up/missing-residence-status",
        )
        .await;
        assert_eq!(status, 200, "{list}");
        assert!(list.contains("移行後要確認（在留資格未設定）"));
        assert!(
            list.contains(&format!("href=\"/app/registry/persons/{person}\"")),
            "{list}"
        );
        let (status, view) = page(&clerk, &app, &format!("/app/registry/persons/{person}")).await;
        assert_eq!(status, 200);
        assert!(view.contains("未設定（移行後要確認）"), "{view}");
        app.stop().await;
    }
}
