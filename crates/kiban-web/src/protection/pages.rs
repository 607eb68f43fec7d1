//! The 支援措置 (support measures) screen of a person
//! (`/app/protection/persons/{person_id}/support-measures`): the person's measures,
//! and the forms that record a new one, extend one (a new measure from the
//! day after its last day, for one year) or end one early, each checked on
//! a 確認画面 before it is recorded. Dates are typed in 和暦 or 西暦.
//!
//! For roles that both manage measures and may override them (today the
//! supervisor): the decision to protect a person, or to stop protecting
//! them, is taken above the counter. Registry clerks keep the API. Every
//! view writes a `read` entry, every record a `change` entry (through
//! `kiban-protection`), every refusal a `refused` entry. The rule itself
//! (what a measure withholds) lives in `kiban-protection`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_audit::AuditAction;
use kiban_auth::Permission;
use kiban_core::Date;
use kiban_protection::{PeriodError, ProtectionError, Reason, SupportMeasure};
use serde::Deserialize;

use crate::kit::display::date_ja;
use crate::kit::door::parse_person_id;
use crate::kit::door::refuse;
use crate::kit::form::parse_day;
use crate::kit::page::render;
use crate::kit::page::{Chrome, Screen, message, refusal, screen};
use crate::kit::session;
use crate::protection::may_manage_on_screen;
use crate::{ApiError, AppState};
use kiban_core::today_in_japan as today;

/// The access-log detail of the screen's reads and refusals.
const OPERATION: &str = "support_measures";

/// One measure as the list shows it.
struct MeasureRow {
    measure_id: i64,
    reason: &'static str,
    starts_on: String,
    ends_on: String,
    ended_on: Option<String>,
    state: &'static str,
    recorded_by: String,
    extendable: bool,
    endable: bool,
}

impl MeasureRow {
    fn of(measure: &SupportMeasure, all: &[SupportMeasure], today: Date) -> Self {
        let state = if measure.ended_on.is_some() {
            "早期終了"
        } else if measure.is_active_on(today) {
            "措置中"
        } else if measure.starts_on > today {
            "開始前"
        } else {
            "期間満了"
        };
        Self {
            measure_id: measure.measure_id,
            reason: measure.reason.label_ja(),
            starts_on: date_ja(measure.starts_on),
            ends_on: date_ja(measure.ends_on),
            ended_on: measure.ended_on.map(date_ja),
            state,
            recorded_by: measure.recorded_by.clone(),
            extendable: measure.extension_period(all).is_some(),
            endable: measure.ended_on.is_none() && today <= measure.ends_on,
        }
    }
}

/// A reason for the form's select.
struct ReasonOption {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "protection/list.html")]
struct MeasuresPage<'a> {
    chrome: Chrome,
    person_id: i64,
    today: String,
    measures: Vec<MeasureRow>,
    reasons: Vec<ReasonOption>,
    starts_on: &'a str,
    ends_on: &'a str,
}

#[derive(Template)]
#[template(path = "protection/confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    person_id: i64,
    title: &'static str,
    action: &'a str,
    /// What will be recorded, label and value.
    rows: Vec<(&'static str, String)>,
    /// The form's fields, sent again with the commit.
    hidden: Vec<(&'static str, String)>,
}

/// The form of every action.
#[derive(Deserialize, Default)]
pub struct MeasureForm {
    #[serde(default)]
    csrf: String,
    /// `record`, `extend` or `end`.
    #[serde(default)]
    action: String,
    /// `confirm` (show the 確認画面) or `commit` (record).
    #[serde(default)]
    step: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    measure_id: String,
    #[serde(default)]
    ended_on: String,
}

/// The notice after a change: `?done=recorded|extended|ended&measure=N`.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    measure: Option<i64>,
}

/// The screen's staff member, or the response refusing them (logged).
async fn measure_screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    person: Option<i64>,
) -> Result<Result<Screen, Response>, ApiError> {
    let s = match screen(
        state,
        jar,
        headers,
        Permission::ManageSupportMeasures,
        OPERATION,
        person,
    )
    .await
    {
        Ok(s) => s,
        Err(response) => return Ok(Err(response)),
    };
    if !may_manage_on_screen(s.role) {
        refuse(&s.tenant, &s.actor, person, OPERATION).await?;
        let page = refusal(s.chrome)?;
        return Ok(Err((s.jar, page).into_response()));
    }
    Ok(Ok(s))
}

fn person_of(text: &str) -> Option<i64> {
    parse_person_id(text).and_then(|p| i64::try_from(p.get()).ok())
}

/// The person's measures, read with a `read` entry; `None` when the
/// municipality has no such person.
async fn read_measures(s: &Screen, person: i64) -> Result<Option<Vec<SupportMeasure>>, ApiError> {
    let mut tx = s.tenant.begin().await?;
    if !kiban_protection::person_known(&mut tx, person).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    let measures = kiban_protection::measures_of(&mut tx, person).await?;
    kiban_audit::append(
        &mut tx,
        &s.actor.entry(AuditAction::Read, Some(person), OPERATION),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(measures))
}

/// The list with the form to record a new measure (typed values kept).
fn list_page(
    s: Screen,
    status: StatusCode,
    person: i64,
    measures: &[SupportMeasure],
    form: &MeasureForm,
) -> Result<Response, ApiError> {
    let today = today();
    let page = MeasuresPage {
        chrome: s.chrome,
        person_id: person,
        today: date_ja(today),
        measures: measures
            .iter()
            .map(|m| MeasureRow::of(m, measures, today))
            .collect(),
        reasons: Reason::ALL
            .iter()
            .map(|r| ReasonOption {
                code: r.code(),
                label: r.label_ja(),
                selected: r.code() == form.reason,
            })
            .collect(),
        starts_on: &form.starts_on,
        ends_on: &form.ends_on,
    };
    Ok((status, s.jar, render(&page)?).into_response())
}

/// `GET /app/protection/persons/{person_id}/support-measures`.
pub async fn list(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, ApiError> {
    let person = person_of(&person_id);
    let mut s = match measure_screen(&state, jar, &headers, person).await? {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let Some(measures) = read_measures(&s, person).await? else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let number = query.measure.unwrap_or_default();
    s.chrome.notice = match query.done.as_str() {
        "recorded" => Some(format!("支援措置（番号 {number}）を記録しました。")),
        "extended" => Some(format!(
            "支援措置を延長しました（新しい支援措置 番号 {number}）。"
        )),
        "ended" => Some(format!("支援措置（番号 {number}）を早期終了しました。")),
        _ => None,
    };
    list_page(
        s,
        StatusCode::OK,
        person,
        &measures,
        &MeasureForm::default(),
    )
}

/// A refusal of the form, shown above the list (status 422).
struct Refusal(String);

fn required_day(field: &str, label: &str, raw: &str) -> Result<Date, Refusal> {
    match parse_day(field, label, raw) {
        Ok(Some(day)) => Ok(day),
        Ok(None) => Err(Refusal(format!("{label}: 入力してください"))),
        Err(e) => Err(Refusal(e.message)),
    }
}

fn optional_day(field: &str, label: &str, raw: &str) -> Result<Option<Date>, Refusal> {
    parse_day(field, label, raw).map_err(|e| Refusal(e.message))
}

fn period_refusal(error: &PeriodError) -> Refusal {
    Refusal(match error {
        PeriodError::StartOutOfRange => "開始日: 範囲外の日付です".to_owned(),
        PeriodError::EndsBeforeStart => "終了日: 開始日以後の日付にしてください".to_owned(),
        PeriodError::LongerThanOneYear { latest } => format!(
            "終了日: 支援措置の期間は1年以内です（{}まで）。続けて保護するときは、期間の満了後に「延長する」で記録します",
            date_ja(*latest)
        ),
    })
}

/// What a form asks for, checked.
enum Change {
    Record {
        reason: Reason,
        starts_on: Date,
        ends_on: Date,
    },
    Extend {
        measure: SupportMeasure,
        starts_on: Date,
        ends_on: Date,
    },
    End {
        measure: SupportMeasure,
        ended_on: Date,
    },
}

fn find_measure(measures: &[SupportMeasure], raw: &str) -> Result<SupportMeasure, Refusal> {
    let id = raw.trim().parse::<i64>().ok();
    measures
        .iter()
        .find(|m| Some(m.measure_id) == id)
        .cloned()
        .ok_or_else(|| Refusal("指定された支援措置はこの住民のものではありません".to_owned()))
}

/// Checks a form against the person's measures.
fn check(form: &MeasureForm, measures: &[SupportMeasure]) -> Result<Change, Refusal> {
    match form.action.as_str() {
        "record" => {
            let reason = Reason::from_code(form.reason.trim())
                .ok_or_else(|| Refusal("対象: 選択してください".to_owned()))?;
            let starts_on = required_day("starts_on", "開始日", &form.starts_on)?;
            let ends_on = optional_day("ends_on", "終了日", &form.ends_on)?;
            let (starts_on, ends_on) =
                kiban_protection::period(starts_on, ends_on).map_err(|e| period_refusal(&e))?;
            Ok(Change::Record {
                reason,
                starts_on,
                ends_on,
            })
        }
        "extend" => {
            let measure = find_measure(measures, &form.measure_id)?;
            let (starts_on, ends_on) = measure.extension_period(measures).ok_or_else(|| {
                Refusal(format!(
                    "支援措置（番号 {}）は延長できません（早期終了したか、既に延長されています）",
                    measure.measure_id
                ))
            })?;
            Ok(Change::Extend {
                measure,
                starts_on,
                ends_on,
            })
        }
        "end" => {
            let measure = find_measure(measures, &form.measure_id)?;
            let ended_on = required_day("ended_on", "早期終了日", &form.ended_on)?;
            if measure.ended_on.is_some() {
                return Err(Refusal(format!(
                    "支援措置（番号 {}）は既に終了しています",
                    measure.measure_id
                )));
            }
            if ended_on < measure.starts_on || ended_on > measure.ends_on {
                return Err(Refusal(format!(
                    "早期終了日: 支援措置の期間（{}〜{}）内の日付にしてください",
                    date_ja(measure.starts_on),
                    date_ja(measure.ends_on)
                )));
            }
            Ok(Change::End { measure, ended_on })
        }
        _ => Err(Refusal("操作が指定されていません".to_owned())),
    }
}

fn confirm_page(
    s: Screen,
    person: i64,
    form: &MeasureForm,
    change: &Change,
) -> Result<Response, ApiError> {
    let day = |d: Date| date_ja(d);
    let (title, rows, hidden) = match change {
        Change::Record {
            reason,
            starts_on,
            ends_on,
        } => (
            "支援措置の記録の確認",
            vec![
                ("対象", reason.label_ja().to_owned()),
                ("開始日", day(*starts_on)),
                ("終了日", day(*ends_on)),
            ],
            vec![
                ("reason", reason.code().to_owned()),
                ("starts_on", starts_on.to_string()),
                ("ends_on", ends_on.to_string()),
            ],
        ),
        Change::Extend {
            measure,
            starts_on,
            ends_on,
        } => (
            "支援措置の延長の確認",
            vec![
                ("延長する支援措置", format!("番号 {}", measure.measure_id)),
                ("対象", measure.reason.label_ja().to_owned()),
                ("現在の終了日", day(measure.ends_on)),
                ("延長後の開始日", day(*starts_on)),
                ("延長後の終了日", day(*ends_on)),
            ],
            vec![("measure_id", measure.measure_id.to_string())],
        ),
        Change::End { measure, ended_on } => (
            "支援措置の早期終了の確認",
            vec![
                ("終了する支援措置", format!("番号 {}", measure.measure_id)),
                ("対象", measure.reason.label_ja().to_owned()),
                (
                    "期間",
                    format!("{}〜{}", day(measure.starts_on), day(measure.ends_on)),
                ),
                ("早期終了日（最後に保護する日）", day(*ended_on)),
            ],
            vec![
                ("measure_id", measure.measure_id.to_string()),
                ("ended_on", ended_on.to_string()),
            ],
        ),
    };
    let page = ConfirmPage {
        chrome: s.chrome,
        person_id: person,
        title,
        action: &form.action,
        rows,
        hidden,
    };
    Ok((s.jar, render(&page)?).into_response())
}

/// Records a checked change in one transaction; the access-log entry is
/// written by `kiban-protection`. Returns the notice's query.
async fn commit(
    s: &Screen,
    person: i64,
    change: Change,
) -> Result<Result<String, Refusal>, ApiError> {
    let mut tx = s.tenant.begin().await?;
    let result = match change {
        Change::Record {
            reason,
            starts_on,
            ends_on,
        } => kiban_protection::record_measure(
            &mut tx,
            &s.actor,
            person,
            reason,
            starts_on,
            Some(ends_on),
        )
        .await
        .map(|m| format!("done=recorded&measure={}", m.measure_id)),
        Change::Extend {
            measure,
            starts_on,
            ends_on,
        } => kiban_protection::record_measure(
            &mut tx,
            &s.actor,
            person,
            measure.reason,
            starts_on,
            Some(ends_on),
        )
        .await
        .map(|m| format!("done=extended&measure={}", m.measure_id)),
        Change::End { measure, ended_on } => {
            kiban_protection::end_measure(&mut tx, &s.actor, measure.measure_id, ended_on)
                .await
                .map(|m| format!("done=ended&measure={}", m.measure_id))
        }
    };
    match result {
        Ok(done) => {
            tx.commit().await?;
            Ok(Ok(done))
        }
        Err(error) => {
            tx.rollback().await?;
            match error {
                ProtectionError::Store(e) => Err(e.into()),
                ProtectionError::Period(e) => Ok(Err(period_refusal(&e))),
                other => match other.message() {
                    Some(message) => Ok(Err(Refusal(message.text()))),
                    None => Err(ApiError::internal(other)),
                },
            }
        }
    }
}

/// `POST /app/protection/persons/{person_id}/support-measures`: the 確認画面 of a
/// form (`step=confirm`), or its record (`step=commit`, then back to the
/// list with a notice).
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Form(form): Form<MeasureForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    let person = person_of(&person_id);
    let mut s = match measure_screen(&state, jar, &headers, person).await? {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let Some(measures) = read_measures(&s, person).await? else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let refused = |mut s: Screen, Refusal(text): Refusal| {
        s.chrome.error = Some(text);
        list_page(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            person,
            &measures,
            &form,
        )
    };
    let change = match check(&form, &measures) {
        Ok(change) => change,
        Err(refusal) => return refused(s, refusal),
    };
    if form.step != "commit" {
        return confirm_page(s, person, &form, &change);
    }
    match commit(&s, person, change).await? {
        Ok(done) => Ok((
            s.jar,
            Redirect::to(&format!(
                "/app/protection/persons/{person}/support-measures?{done}"
            )),
        )
            .into_response()),
        Err(refusal) => {
            s.chrome.notice = None;
            refused(s, refusal)
        }
    }
}
