//! The access log (利用履歴) screen and its CSV export (`/app/audit/access-log`),
//! for the roles that audit their own municipality.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use kiban_audit::{Actor, AuditAction, StoredEntry};
use kiban_auth::{Permission, Role};
use kiban_core::Message;

use crate::kit::display::{date_ja, sanitize_login as sanitize, short_date_ja, stored_japan_time};
use crate::kit::form::parse_day;
use kiban_store::TenantDb;
use serde::Deserialize;

use crate::kit::page::render;
use crate::{ApiError, AppState};

use crate::kit::page::{Chrome, screen};

/// The most access-log entries one screen or export shows.
const ACCESS_LOG_SCREEN_LIMIT: u32 = 5_000;

// ---------------------------------------------------------------------------
// The access log (利用履歴).

/// The query of the access-log screen and its export.
#[derive(Deserialize, Default)]
pub struct AccessLogQuery {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

struct EntryRow {
    entry_id: i64,
    /// Japan time, `YYYY-MM-DD HH:MM:SS` (the CSV).
    at: String,
    /// Japan time with the date in 和暦 and 西暦 (the screen).
    at_ja: String,
    actor: String,
    role: String,
    action: &'static str,
    person_id: String,
    purpose: String,
    detail: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "audit/access_log.html")]
struct AccessLogPage<'a> {
    chrome: Chrome,
    query: &'a AccessLogQuery,
    heading: Option<String>,
    rows: Vec<EntryRow>,
    csv_query: String,
}

fn entry_row(entry: &StoredEntry) -> EntryRow {
    let time = stored_japan_time(&entry.at);
    EntryRow {
        entry_id: entry.entry_id,
        at: time.as_ref().map_or_else(
            || entry.at.clone(),
            |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        at_ja: time.as_ref().map_or_else(
            || entry.at.clone(),
            |t| format!("{} {}", date_ja(t.date()), t.strftime("%H:%M:%S")),
        ),
        actor: entry.actor.clone(),
        role: role_label(&entry.role),
        action: entry.action.label_ja(),
        person_id: entry.person_id.map(|p| p.to_string()).unwrap_or_default(),
        purpose: entry.purpose.clone().unwrap_or_default(),
        detail: entry.detail.clone(),
        request_id: entry.request_id.clone().unwrap_or_default(),
    }
}

/// The Japanese name of a role code as the access log stores it.
fn role_label(code: &str) -> String {
    match code {
        "operator" => "運用事業者".to_owned(),
        other => Role::parse(other).map_or_else(|_| other.to_owned(), |r| r.label_ja().to_owned()),
    }
}

/// The start of a Japanese calendar day as a stored time (UTC).
fn day_start_utc(date: kiban_core::Date) -> Result<String, ApiError> {
    let zoned = date
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(kiban_core::JAPAN_OFFSET))
        .map_err(ApiError::internal)?;
    Ok(zoned.timestamp().to_string())
}

/// What a query asks for.
enum Selection {
    Person(i64),
    Actor {
        actor: String,
        from: kiban_core::Date,
        to: kiban_core::Date,
    },
}

fn selection(query: &AccessLogQuery) -> Result<Option<Selection>, ApiError> {
    let person = query.person_id.trim();
    if !person.is_empty() {
        return person
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Some(Selection::Person(n)))
            .ok_or_else(|| ApiError::invalid("person_id", Message::PersonIdMustBePositive {}));
    }
    let actor = query.actor.trim();
    if actor.is_empty() {
        return Ok(None);
    }
    let today = kiban_core::today_in_japan();
    let to = parse_day("to", "期間（終了日）", &query.to)?.unwrap_or(today);
    let from = match parse_day("from", "期間（開始日）", &query.from)? {
        Some(d) => d,
        None => to.checked_sub(jiff::Span::new().days(30)).unwrap_or(to),
    };
    if from > to {
        return Err(ApiError::invalid("from", Message::PeriodReversed {}));
    }
    Ok(Some(Selection::Actor {
        actor: actor.to_owned(),
        from,
        to,
    }))
}

/// Reads the selected entries and writes the reader's own entry (`read` on
/// the screen, `export` for the CSV) in the same transaction.
async fn read_entries(
    tenant: &TenantDb,
    actor: &Actor,
    selection: &Selection,
    action: AuditAction,
) -> Result<(String, Vec<StoredEntry>), ApiError> {
    let mut tx = tenant.begin().await?;
    let (heading, entries, person, detail) = match selection {
        Selection::Person(person) => {
            let mut entries =
                kiban_audit::entries_for_person(&mut tx, *person, ACCESS_LOG_SCREEN_LIMIT).await?;
            entries.reverse();
            (
                format!("宛名番号 {person} の利用履歴（古い順）"),
                entries,
                Some(*person),
                "access_log_screen person".to_owned(),
            )
        }
        Selection::Actor {
            actor: who,
            from,
            to,
        } => {
            let end = to
                .checked_add(jiff::Span::new().days(1))
                .map_err(ApiError::internal)?;
            let entries = kiban_audit::entries_by_actor(
                &mut tx,
                who,
                &day_start_utc(*from)?,
                &day_start_utc(end)?,
                ACCESS_LOG_SCREEN_LIMIT,
            )
            .await?;
            (
                format!(
                    "職員 {who} の利用履歴（{} 〜 {}）",
                    short_date_ja(*from),
                    short_date_ja(*to)
                ),
                entries,
                None,
                format!("access_log_screen actor {} {from} {to}", sanitize(who)),
            )
        }
    };
    kiban_audit::append(&mut tx, &actor.entry(action, person, detail)).await?;
    tx.commit().await?;
    Ok((heading, entries))
}

fn query_string(query: &AccessLogQuery) -> String {
    let pairs = [
        ("person_id", query.person_id.trim()),
        ("actor", query.actor.trim()),
        ("from", query.from.trim()),
        ("to", query.to.trim()),
    ];
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /app/audit/access-log`: who looked at a person, or what a staff member
/// did in a period (auditors and administrators).
pub async fn access_log(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<AccessLogQuery>,
) -> Result<Response, ApiError> {
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::AuditRead,
        "access_log_screen",
        None,
    )
    .await
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let mut chrome = s.chrome;
    let (heading, rows, status) = match selection(&query) {
        Err(e) => {
            chrome.error = Some(e.message);
            (None, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(None) => (None, Vec::new(), StatusCode::OK),
        Ok(Some(selection)) => {
            let (heading, entries) =
                read_entries(&s.tenant, &s.actor, &selection, AuditAction::Read).await?;
            (
                Some(heading),
                entries.iter().map(entry_row).collect(),
                StatusCode::OK,
            )
        }
    };
    let page = AccessLogPage {
        chrome,
        query: &query,
        heading,
        rows,
        csv_query: query_string(&query),
    };
    Ok((status, s.jar, render(&page)?).into_response())
}

/// `GET /app/audit/access-log.csv`: the same selection as CSV (UTF-8 with a BOM,
/// as spreadsheet software in Japanese offices expects); the export is
/// itself logged (`export`).
pub async fn access_log_csv(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<AccessLogQuery>,
) -> Result<Response, ApiError> {
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::AuditRead,
        "access_log_export",
        None,
    )
    .await
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(selection) = selection(&query)? else {
        return Err(ApiError::invalid(
            "person_id",
            Message::PersonOrActorRequired {},
        ));
    };
    let (_, entries) = read_entries(&s.tenant, &s.actor, &selection, AuditAction::Export).await?;
    let mut out = Vec::from("\u{FEFF}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record([
                "番号",
                "日時（日本時間）",
                "職員",
                "役割",
                "操作",
                "宛名番号",
                "利用目的",
                "内容",
                "リクエストID",
            ])
            .map_err(ApiError::internal)?;
        for entry in &entries {
            let row = entry_row(entry);
            writer
                .write_record([
                    row.entry_id.to_string().as_str(),
                    &row.at,
                    &row.actor,
                    &row.role,
                    row.action,
                    &row.person_id,
                    &row.purpose,
                    &row.detail,
                    &row.request_id,
                ])
                .map_err(ApiError::internal)?;
        }
        writer.flush().map_err(ApiError::internal)?;
    }
    let filename = format!(
        "access-log-{}-{}.csv",
        s.chrome.municipality_code,
        kiban_core::today_in_japan()
    );
    Ok((
        s.jar,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        out,
    )
        .into_response())
}
