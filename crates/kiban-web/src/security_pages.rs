//! Security screens: second-factor enrolment (`/enrol`), the 個人番号 of a
//! person, masked or revealed with a purpose (`/app/persons/{id}/individual-number`),
//! the access log (`/app/access-log`, CSV export) and staff management by
//! the municipality's own administrator (`/app/staff`).
//!
//! Every staff screen acts in the logged-in staff member's own municipality
//! (no municipality in the path, so another municipality's accounts or
//! residents cannot even be named), checks the role's permission and writes
//! a refusal to the access log when it is missing. Operators get 403.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use jiff::Timestamp;
use kiban_audit::{Actor, AuditAction, StoredEntry};
use kiban_auth::{AuthError, Permission, Principal, Role, TokenKind};
use kiban_core::Message;
use kiban_core::wareki::{format_ja, format_ja_with_western, parse_date_input};
use kiban_registry::domain::PersonId;
use kiban_registry::storage::{self as registry, Revealed};
use kiban_store::TenantDb;
use serde::Deserialize;

use crate::pages::{NAVIGATION, NavItem, csrf_from, render};
use crate::registry_api::registry_error;
use crate::session::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::{ApiError, AppState};

/// The most access-log entries one screen or export shows.
const ACCESS_LOG_SCREEN_LIMIT: u32 = 5_000;
/// The shortest purpose accepted for a reveal (利用目的).
const PURPOSE_MIN_CHARS: usize = 4;
/// The longest purpose accepted.
const PURPOSE_MAX_CHARS: usize = 200;

/// What every staff screen shows around its content.
pub(crate) struct Frame {
    pub(crate) municipality_name: String,
    pub(crate) municipality_code: String,
    pub(crate) user_name: String,
    pub(crate) role_label: &'static str,
    pub(crate) navigation: &'static [NavItem],
    pub(crate) csrf: String,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
}

/// A logged-in staff member on a screen, allowed the permission asked for.
pub(crate) struct Screen {
    pub(crate) tenant: TenantDb,
    pub(crate) actor: Actor,
    pub(crate) role: Role,
    pub(crate) frame: Frame,
    pub(crate) jar: CookieJar,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    frame: Frame,
    title: &'a str,
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Writes one `refused` entry in the caller's own municipality.
pub(crate) async fn refuse(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: Option<i64>,
    detail: &str,
) -> Result<(), ApiError> {
    let mut tx = tenant.begin().await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Refused, person_id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn message(status: StatusCode, frame: Frame, title: &str) -> Result<Response, ApiError> {
    Ok((status, render(&MessagePage { frame, title })?).into_response())
}

/// Resolves the screen's staff member and checks `permission`. `Err` holds
/// the response to send: the login page, 403 for operators, or 403 with a
/// `refused` entry for a role without the permission.
pub(crate) async fn screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    operation: &str,
    person: Option<i64>,
) -> Result<Result<Screen, Response>, ApiError> {
    let Some(principal) = session::screen_principal(state, &jar).await? else {
        return Ok(Err(Redirect::to("/login").into_response()));
    };
    let mut actor = Actor::new(principal.actor(), principal.role_code());
    actor.request_id = request_id(headers);
    let Principal::Staff {
        municipality,
        display_name,
        role,
        ..
    } = &principal
    else {
        // Operators have no staff screens: they never see resident data.
        return Ok(Err(ApiError::forbidden().into_response()));
    };
    let tenant = state.db.tenant(*municipality).await?;
    let m = kiban_store::platform::find_municipality(&state.db, *municipality)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (jar, csrf) = csrf_from(jar, state.config.secure_cookies);
    let frame = Frame {
        municipality_name: m.name,
        municipality_code: m.code.as_str().to_owned(),
        user_name: display_name.clone(),
        role_label: role.label_ja(),
        navigation: NAVIGATION,
        csrf,
        notice: None,
        error: None,
    };
    if !principal.may(*municipality, permission) {
        refuse(&tenant, &actor, person, operation).await?;
        let page = message(
            StatusCode::FORBIDDEN,
            frame,
            "この操作を行う権限がありません",
        )?;
        return Ok(Err((jar, page).into_response()));
    }
    Ok(Ok(Screen {
        tenant,
        actor,
        role: *role,
        frame,
        jar,
    }))
}

// ---------------------------------------------------------------------------
// Second-factor enrolment.

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage<'a> {
    user_name: &'a str,
    qr_data_uri: String,
    secret: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

/// The QR code of an `otpauth://` URI as an SVG data URI (made here, no
/// outside service).
fn qr_data_uri(uri: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(ApiError::internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

async fn enrol_page(
    state: &AppState,
    jar: CookieJar,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, ApiError> {
    let Some(Principal::Staff {
        municipality,
        login,
        display_name,
        ..
    }) = session::enrolment_principal(state, &jar).await?
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let tenant = state.db.tenant(municipality).await?;
    let enrolment = match kiban_auth::begin_enrolment(&tenant, &login).await {
        Ok(e) => e,
        Err(AuthError::AlreadyEnrolled) => return Ok(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into()),
    };
    let account = format!("{municipality}/{login}");
    let uri = enrolment.secret.otpauth_uri(&account);
    let secret = enrolment.secret.to_base32();
    let (jar, csrf) = csrf_from(jar, state.config.secure_cookies);
    let page = EnrolPage {
        user_name: &display_name,
        qr_data_uri: qr_data_uri(&uri)?,
        secret: &secret,
        csrf: &csrf,
        error,
    };
    Ok((status, jar, render(&page)?).into_response())
}

/// `GET /enrol`: the QR code and the key of a new second factor.
pub async fn enrol_form(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    enrol_page(&state, jar, StatusCode::OK, None).await
}

/// The form of `POST /enrol`.
#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /enrol`: confirms the second factor with a code and logs in.
pub async fn enrol_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<EnrolForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    let Some(principal) = session::enrolment_principal(&state, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Principal::Staff {
        municipality,
        login,
        ..
    } = &principal
    else {
        return Err(ApiError::forbidden());
    };
    let tenant = state.db.tenant(*municipality).await?;
    match kiban_auth::confirm_enrolment(&tenant, login, &form.code).await {
        Ok(()) => {}
        Err(AuthError::WrongSecondFactor) => {
            return enrol_page(
                &state,
                jar,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("確認コードが正しくありません。アプリに表示されている6桁のコードを入力してください。"),
            )
            .await;
        }
        Err(AuthError::AlreadyEnrolled) => return Ok(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into()),
    }
    let mut actor = Actor::new(principal.actor(), principal.role_code());
    actor.request_id = request_id(&headers);
    let mut tx = tenant.begin().await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Change, None, "second_factor_enrolled"),
    )
    .await?;
    tx.commit().await?;
    kiban_auth::revoke(&state.db, &principal).await?;
    let ttl = jiff::SignedDuration::from_hours(state.config.session_hours);
    let issued = kiban_auth::issue_staff_token(&tenant, login, TokenKind::Session, ttl).await?;
    let secure = state.config.secure_cookies;
    let jar = jar
        .add(session::cookie(SESSION_COOKIE, issued.token, secure))
        .add(session::cookie(
            CSRF_COOKIE,
            session::new_csrf_token(),
            secure,
        ));
    Ok((jar, Redirect::to("/app")).into_response())
}

// ---------------------------------------------------------------------------
// 個人番号 of a person.

#[derive(Template)]
#[template(path = "individual_number.html")]
struct NumberPage<'a> {
    frame: Frame,
    person_id: u64,
    masked: Option<String>,
    revealed: Option<&'a str>,
    purpose: &'a str,
    may_reveal: bool,
}

fn path_person(text: &str) -> Option<PersonId> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(PersonId::new)
}

fn person_number(person: PersonId) -> Option<i64> {
    i64::try_from(person.get()).ok()
}

/// `GET /app/persons/{person_id}/individual-number`: the 個人番号 masked, with
/// the reveal form for roles that may reveal it.
pub async fn individual_number(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(person_id): Path<String>,
) -> Result<Response, ApiError> {
    let person = path_person(&person_id);
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::RegistryRead,
        "individual_number_masked",
        person.and_then(person_number),
    )
    .await?
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.frame, "該当する住民はいません");
    };
    let masked = registry::masked_individual_number(&s.tenant, &s.actor, person)
        .await
        .map_err(registry_error)?;
    let Some(masked) = masked else {
        return message(StatusCode::NOT_FOUND, s.frame, "該当する住民はいません");
    };
    let page = NumberPage {
        frame: s.frame,
        person_id: person.get(),
        masked,
        revealed: None,
        purpose: "",
        may_reveal: s.role.allows(Permission::IndividualNumber),
    };
    Ok((s.jar, render(&page)?).into_response())
}

/// The form of a reveal.
#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    csrf: String,
}

/// A purpose (利用目的) as given, or the error naming the field.
pub(crate) fn parse_purpose(raw: &str) -> Result<String, ApiError> {
    let purpose = raw.trim();
    let chars = purpose.chars().count();
    if !(PURPOSE_MIN_CHARS..=PURPOSE_MAX_CHARS).contains(&chars)
        || purpose.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "purpose",
            Message::PurposeLength {
                min: PURPOSE_MIN_CHARS.to_string(),
                max: PURPOSE_MAX_CHARS.to_string(),
            },
        ));
    }
    Ok(purpose.to_owned())
}

/// `POST /app/persons/{person_id}/individual-number/reveal`: shows the
/// 個人番号 in full to a permitted role that states a purpose; the reveal is
/// logged with the purpose.
pub async fn reveal_individual_number(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Form(form): Form<RevealForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    let person = path_person(&person_id);
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::IndividualNumber,
        "individual_number_reveal",
        person.and_then(person_number),
    )
    .await?
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.frame, "該当する住民はいません");
    };
    let purpose = match parse_purpose(&form.purpose) {
        Ok(p) => p,
        Err(e) => {
            let masked = registry::masked_individual_number(&s.tenant, &s.actor, person)
                .await
                .map_err(registry_error)?;
            let Some(masked) = masked else {
                return message(StatusCode::NOT_FOUND, s.frame, "該当する住民はいません");
            };
            let mut frame = s.frame;
            frame.error = Some(e.message);
            let page = NumberPage {
                frame,
                person_id: person.get(),
                masked,
                revealed: None,
                purpose: "",
                may_reveal: true,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, s.jar, render(&page)?).into_response());
        }
    };
    if !state.db.has_master_key() {
        // Nothing could be opened: answer so before writing anything.
        return Err(ApiError::master_key_not_configured());
    }
    let mut actor = s.actor;
    actor.purpose = Some(purpose.clone());
    let revealed = registry::reveal_individual_number(&s.tenant, &actor, person)
        .await
        .map_err(registry_error)?;
    let number = match revealed {
        Revealed::NoSuchPerson => {
            return message(StatusCode::NOT_FOUND, s.frame, "該当する住民はいません");
        }
        Revealed::NoNumber => None,
        Revealed::Number(n) => Some(n),
    };
    let page = NumberPage {
        frame: s.frame,
        person_id: person.get(),
        masked: None,
        revealed: Some(number.as_ref().map_or("（登録なし）", |n| n.as_str())),
        purpose: &purpose,
        may_reveal: true,
    };
    Ok((s.jar, render(&page)?).into_response())
}

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
#[template(path = "access_log.html")]
struct AccessLogPage<'a> {
    frame: Frame,
    query: &'a AccessLogQuery,
    heading: Option<String>,
    rows: Vec<EntryRow>,
    csv_query: String,
}

/// A stored time (RFC 3339, UTC) in Japan time (UTC+9, as
/// `registry::japan_date`); `None` if unreadable.
fn japan_time(at: &str) -> Option<jiff::civil::DateTime> {
    at.parse::<Timestamp>()
        .ok()
        .map(|t| jiff::tz::offset(9).to_datetime(t))
}

fn entry_row(entry: &StoredEntry) -> EntryRow {
    let time = japan_time(&entry.at);
    EntryRow {
        entry_id: entry.entry_id,
        at: time.as_ref().map_or_else(
            || entry.at.clone(),
            |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        at_ja: time.as_ref().map_or_else(
            || entry.at.clone(),
            |t| {
                format!(
                    "{} {}",
                    format_ja_with_western(t.date()),
                    t.strftime("%H:%M:%S")
                )
            },
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
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
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

pub(crate) fn parse_day(
    field: &str,
    label: &str,
    raw: &str,
) -> Result<Option<kiban_core::Date>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    parse_date_input(raw).map(Some).map_err(|e| {
        ApiError::invalid(
            field,
            Message::ScreenDate {
                label: label.into(),
                detail: e.message().text(),
            },
        )
    })
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
    let today = registry::japan_date(Timestamp::now());
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
                    format_ja(*from),
                    format_ja(*to)
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

/// A login as written into an entry's detail: its own characters only.
fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
        .take(80)
        .collect()
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

/// `GET /app/access-log`: who looked at a person, or what a staff member
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
    .await?
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let mut frame = s.frame;
    let (heading, rows, status) = match selection(&query) {
        Err(e) => {
            frame.error = Some(e.message);
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
        frame,
        query: &query,
        heading,
        rows,
        csv_query: query_string(&query),
    };
    Ok((status, s.jar, render(&page)?).into_response())
}

/// `GET /app/access-log.csv`: the same selection as CSV (UTF-8 with a BOM,
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
    .await?
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
        s.frame.municipality_code,
        registry::japan_date(Timestamp::now())
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

// ---------------------------------------------------------------------------
// Staff management (職員管理).

struct StaffRow {
    login: String,
    display_name: String,
    role_code: &'static str,
    role_label: &'static str,
    disabled: bool,
    locked: bool,
    second_factor: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    frame: Frame,
    staff: Vec<StaffRow>,
    roles: Vec<(&'static str, &'static str)>,
    new_password: Option<String>,
}

async fn staff_page(
    s: Screen,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    new_password: Option<String>,
) -> Result<Response, ApiError> {
    let staff = kiban_auth::list_staff(&s.tenant)
        .await?
        .into_iter()
        .map(|a| StaffRow {
            login: a.login,
            display_name: a.display_name,
            role_code: a.role.code(),
            role_label: a.role.label_ja(),
            disabled: a.disabled,
            locked: a.locked,
            second_factor: a.second_factor,
        })
        .collect();
    let mut frame = s.frame;
    frame.notice = notice;
    frame.error = error;
    let page = StaffPage {
        frame,
        staff,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label_ja())).collect(),
        new_password,
    };
    Ok((status, s.jar, render(&page)?).into_response())
}

/// `GET /app/staff`: the municipality's staff accounts.
pub async fn staff_list(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match screen(
        &state,
        jar,
        &headers,
        Permission::ManageStaff,
        "staff_list",
        None,
    )
    .await?
    {
        Ok(s) => staff_page(s, StatusCode::OK, None, None, None).await,
        Err(response) => Ok(response),
    }
}

/// The form of `POST /app/staff`.
#[derive(Deserialize)]
pub struct CreateStaffForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    csrf: String,
}

fn auth_message(e: AuthError) -> Result<(StatusCode, String), ApiError> {
    match e {
        AuthError::InvalidInput { message, .. } => Ok((StatusCode::UNPROCESSABLE_ENTITY, message)),
        e @ (AuthError::Duplicate(_) | AuthError::NoSuchAccount(_)) => match e.message() {
            Some(message) => Ok((
                StatusCode::from_u16(message.status()).unwrap_or(StatusCode::CONFLICT),
                message.text(),
            )),
            None => Err(e.into()),
        },
        other => Err(other.into()),
    }
}

/// `POST /app/staff`: creates an account with a generated initial password.
pub async fn staff_create(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CreateStaffForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::ManageStaff,
        "staff_create",
        None,
    )
    .await?
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let role = match Role::parse(form.role.trim()) {
        Ok(r) => r,
        Err(message) => {
            return staff_page(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
                None,
            )
            .await;
        }
    };
    let password = kiban_auth::generate_password();
    let login = form.login.trim().to_owned();
    match kiban_auth::create_staff_by(
        &s.tenant,
        &s.actor,
        &login,
        form.display_name.trim(),
        role,
        &password,
    )
    .await
    {
        Ok(_) => {
            let notice = format!("職員 {login}（{}）を登録しました。", role.label_ja());
            staff_page(s, StatusCode::OK, Some(notice), None, Some(password)).await
        }
        Err(e) => {
            let (status, message) = auth_message(e)?;
            staff_page(s, status, None, Some(message), None).await
        }
    }
}

/// The form of a change to an account.
#[derive(Deserialize)]
pub struct StaffActionForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /app/staff/{login}/{action}`: `disable`, `enable`,
/// `reset-password`, `reset-second-factor` or `role`.
pub async fn staff_action(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((login, action)): Path<(String, String)>,
    Form(form): Form<StaffActionForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    let operation = match action.as_str() {
        "disable" => "staff_disable",
        "enable" => "staff_enable",
        "reset-password" => "staff_reset_password",
        "reset-second-factor" => "staff_reset_second_factor",
        "role" => "staff_set_role",
        _ => return Err(ApiError::not_found()),
    };
    let s = match screen(
        &state,
        jar,
        &headers,
        Permission::ManageStaff,
        operation,
        None,
    )
    .await?
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let mut new_password = None;
    let result = match action.as_str() {
        "disable" => kiban_auth::set_disabled(&s.tenant, &s.actor, &login, true).await,
        "enable" => kiban_auth::set_disabled(&s.tenant, &s.actor, &login, false).await,
        "reset-password" => {
            let password = kiban_auth::generate_password();
            let r = kiban_auth::reset_password(&s.tenant, &s.actor, &login, &password).await;
            new_password = Some(password);
            r
        }
        "reset-second-factor" => kiban_auth::reset_second_factor(&s.tenant, &s.actor, &login).await,
        _ => match Role::parse(form.role.trim()) {
            Ok(role) => kiban_auth::set_role(&s.tenant, &s.actor, &login, role).await,
            Err(message) => Err(AuthError::InvalidInput {
                field: "role",
                message,
            }),
        },
    };
    match result {
        Ok(()) => {
            let what = match action.as_str() {
                "disable" => "無効にしました",
                "enable" => "有効にしました",
                "reset-password" => "のパスワードを再発行しました",
                "reset-second-factor" => {
                    "の二要素認証をリセットしました（次回ログイン時に再登録します）"
                }
                _ => "の役割を変更しました",
            };
            let separator = if what.starts_with('の') { "" } else { "を" };
            let notice = format!("職員 {}{separator}{what}。", sanitize(&login));
            staff_page(s, StatusCode::OK, Some(notice), None, new_password).await
        }
        Err(e) => {
            let (status, message) = auth_message(e)?;
            staff_page(s, status, None, Some(message), None).await
        }
    }
}
