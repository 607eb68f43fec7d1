//! Snapshots (insta) of the content area of the main screens, as a browser
//! without script receives it: what a reviewer reads when a screen changes.
//! The CSRF token, times, today's date and request ids are redacted; the
//! records are made afresh, so their numbers are stable.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on broken setup"
)]

mod common;

use common::TestApp;
use kiban_core::wareki::{format_ja, format_ja_with_western};
use kiban_store::Backend;
use serde_json::json;

const DEMO: &str = "990019";

/// The `<main>` element of a page, redacted, one trimmed line per line of
/// markup (blank lines left out).
fn content(html: &str) -> String {
    let start = html.find("<main").expect("a content area");
    let end = html.rfind("</main>").expect("the end of the content area") + "</main>".len();
    redact(&html[start..end])
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn redact(html: &str) -> String {
    let today = kiban_core::today_in_japan();
    let mut text = html
        .replace(&format_ja_with_western(today), "[today]")
        .replace(&format_ja(today), "[today]")
        .replace(&today.to_string(), "[today]");
    // The CSRF token of every form.
    let marker = "name=\"csrf\" value=\"";
    let mut from = 0;
    while let Some(found) = text[from..].find(marker) {
        let start = from + found + marker.len();
        let end = start + text[start..].find('"').unwrap_or(0);
        text.replace_range(start..end, "[csrf]");
        from = start;
    }
    // Times (`10:05`, `10:05:31`) and request ids (long runs of hex).
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
        if digit(i)
            && digit(i + 1)
            && chars.get(i + 2) == Some(&':')
            && digit(i + 3)
            && digit(i + 4)
        {
            i += 5;
            if chars.get(i) == Some(&':') && digit(i + 1) && digit(i + 2) {
                i += 3;
            }
            out.push_str("[time]");
            continue;
        }
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() || **c == '-')
            .count();
        if run >= 20 {
            out.push_str("[id]");
            i += run;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn main_screens() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token(Some(DEMO), "registry_clerk").await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{DEMO}/movements"),
            Some(&token),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [
                    {"name": "見本 太郎", "name_kana": "ミホン タロウ", "birth_date": "1980-04-01",
                     "sex": "male", "relationship": "head"},
                    {"name": "見本 花子", "name_kana": "ミホン ハナコ", "birth_date": "1982-06-15",
                     "sex": "female", "relationship": "spouse"}
                ],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let person = body["persons"][0]["person_id"].as_u64().unwrap();
    let household = body["persons"][0]["household_id"].as_u64().unwrap();

    let clerk = app.screen_session(DEMO, "registry_clerk").await;
    let search = get(
        &clerk,
        &app,
        "/app/registry?name_kana=%E3%83%9F%E3%83%9B%E3%83%B3",
    )
    .await;
    insta::assert_snapshot!("search_results", content(&search));
    let person_page = get(&clerk, &app, &format!("/app/registry/persons/{person}")).await;
    insta::assert_snapshot!("person", content(&person_page));
    let household_page = get(
        &clerk,
        &app,
        &format!("/app/registry/households/{household}"),
    )
    .await;
    insta::assert_snapshot!("household", content(&household_page));

    // A 転居 of the household: its form, then its confirmation.
    let form = get(
        &clerk,
        &app,
        &format!("/app/registry/movements/address_change?household_id={household}"),
    )
    .await;
    insta::assert_snapshot!("movement_form", content(&form));
    let csrf = common::csrf_field(&form);
    let household_text = household.to_string();
    let confirm = clerk
        .post(app.url("/app/registry/movements/address_change"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("step", "confirm"),
            ("household_id", household_text.as_str()),
            ("event_date", "令和6年5月1日"),
            ("notified_on", "令和6年5月2日"),
            ("address.postal_code", "1000002"),
            ("address.address_line", "デモ市中央二丁目2番2号"),
            ("address.katagaki", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    insta::assert_snapshot!("movement_confirm", content(&confirm.text().await.unwrap()));

    let seal = get(&clerk, &app, &format!("/app/seal?person_id={person}")).await;
    insta::assert_snapshot!("seal_index", content(&seal));
    let batch = get(&clerk, &app, "/app/batch").await;
    insta::assert_snapshot!("batch_console", content(&batch));

    let auditor = app.screen_session(DEMO, "auditor").await;
    let log = get(
        &auditor,
        &app,
        &format!("/app/audit/access-log?person_id={person}"),
    )
    .await;
    insta::assert_snapshot!("access_log", content(&log));

    // 宛名検索: a non-resident registered through the API, found by フリガナ.
    let tax = app.token(Some(DEMO), "tax_clerk").await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{DEMO}/addressees"),
            Some(&tax),
            &json!({
                "name": "見本 一郎", "name_kana": "ミホン イチロウ", "birth_date": "1960-05-05",
                "sex": "male", "effective_date": "2020-01-01",
                "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田1丁目2番3号"},
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let addressees = get(
        &clerk,
        &app,
        "/app/addressee?name_kana=%E3%83%9F%E3%83%9B%E3%83%B3&kind=non_resident",
    )
    .await;
    insta::assert_snapshot!("addressee_search", content(&addressees));
    app.stop().await;
}
