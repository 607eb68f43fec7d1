//! The movement forms of the registry (異動入力): one form per kind, posted
//! once to be checked (確認画面) and again from the confirmation to be
//! recorded through the same parsing as the API
//! ([`registry_api::movement_command`]). A form's field names are the JSON
//! paths of the API (`persons[1].name_kana`, `address.postal_code`), so an
//! error the API names by its path is shown next to the field of that name.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::Permission;
use kiban_core::wareki::format_ja;
use kiban_core::{Relationship, Sex};
use kiban_registry::domain::{
    HouseholdId, HouseholdRecord, MovementKind, PersonRecord, RejectionKind,
};
use kiban_registry::storage::{self, HistoryEntry, RegistryError};
use serde_json::Value;

use crate::AppState;
use crate::kit::door::{Target, parse_person_id};
use crate::kit::form::{
    self, Built, ConfirmSection, Field, Input, Json, Placed, Rows, Section, SectionView,
    SummaryItem, Values, section_views, value,
};
use crate::kit::session::{self, CSRF_COOKIE};
use crate::registry::api as registry_api;
use kiban_core::today_in_japan as today;

use super::pages::*;

/// Person rows of a 転入 form unless the clerk asks for more.
const DEFAULT_ROWS: usize = 4;
/// The most person rows of a 転入 form.
const MAX_ROWS: usize = 10;

// ---------------------------------------------------------------------------
// Movement forms (異動入力).
// ---------------------------------------------------------------------------

/// What a form is about, loaded from the registry (each read logged).
#[derive(Default)]
struct FormContext {
    household: Option<HouseholdRecord>,
    person: Option<PersonRecord>,
    history: Vec<HistoryEntry>,
    /// Whether the address of the household or person is withheld under
    /// 支援措置.
    address_withheld: bool,
}

/// Which record a movement form starts from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Household,
    Person,
}

fn needs(kind: MovementKind) -> Needs {
    match kind {
        MovementKind::MoveIn => Needs::Nothing,
        MovementKind::Birth
        | MovementKind::AddressChange
        | MovementKind::MoveOut
        | MovementKind::Death
        | MovementKind::HouseholdSplit => Needs::Household,
        MovementKind::ExOfficioCorrection | MovementKind::Cancellation => Needs::Person,
    }
}

fn title(kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::MoveIn => "転入届",
        MovementKind::Birth => "出生届",
        MovementKind::AddressChange => "転居届",
        MovementKind::MoveOut => "転出届",
        MovementKind::Death => "死亡届",
        MovementKind::HouseholdSplit => "世帯分離届",
        MovementKind::ExOfficioCorrection => "職権修正",
        MovementKind::Cancellation => "異動の取消し",
    }
}

fn relationship_label(relationship: Relationship) -> &'static str {
    match relationship {
        Relationship::Head => "世帯主",
        Relationship::Spouse => "妻・夫",
        Relationship::Child => "子",
        Relationship::Parent => "父・母",
        Relationship::OtherRelative => "その他の親族",
        Relationship::Cohabitant => "同居人",
    }
}

fn sex_options(blank: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), blank.to_owned())];
    for sex in [Sex::Male, Sex::Female] {
        options.push((sex.code().to_owned(), sex.label_ja().to_owned()));
    }
    options
}

fn relationship_options() -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "選択してください".to_owned())];
    for relationship in Relationship::ALL {
        options.push((
            relationship.code().to_owned(),
            relationship_label(relationship).to_owned(),
        ));
    }
    options
}

fn member_label(record: &PersonRecord) -> String {
    format!(
        "{}（{}・宛名番号 {}）",
        record.name.as_str(),
        record.relationship.label_ja(record.sex),
        record.person_id
    )
}

fn member_options(context: &FormContext, blank: Option<&str>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = blank
        .map(|b| (String::new(), b.to_owned()))
        .into_iter()
        .collect();
    if let Some(household) = &context.household {
        for member in &household.members {
            options.push((member.person_id.to_string(), member_label(member)));
        }
    }
    options
}

fn household_fixed(context: &FormContext, json: Json) -> Field {
    let display = context
        .household
        .as_ref()
        .map(|h| h.household_id.to_string())
        .unwrap_or_default();
    Field::new("household_id", "世帯番号", Input::Fixed(display), json)
}

fn person_fixed(context: &FormContext, json: Json) -> Field {
    let display = context
        .person
        .as_ref()
        .map(|p| format!("{}（{}）", p.person_id, p.name.as_str()))
        .unwrap_or_default();
    Field::new("person_id", "宛名番号", Input::Fixed(display), json)
}

fn dates(event_label: &str) -> Vec<Field> {
    vec![
        Field::date("event_date", event_label).required(),
        Field::date("notified_on", "届出日").required(),
    ]
}

fn address_fields(title: &str, required: bool) -> Section {
    let mut postal = Field::text("address.postal_code", "郵便番号").hint("7桁（例: 1000001）");
    let mut line = Field::text("address.address_line", "住所").hint("例: デモ市中央一丁目2番3号");
    postal.required = required;
    line.required = required;
    Section {
        title: title.to_owned(),
        row: None,
        fields: vec![
            postal,
            line,
            Field::text("address.katagaki", "方書").hint("建物名・部屋番号（なければ空欄）"),
        ],
    }
}

fn person_fields(path: &str) -> Vec<Field> {
    let at = |field: &str| format!("{path}.{field}");
    vec![
        Field::text(at("name"), "氏名").required(),
        Field::text(at("name_kana"), "フリガナ")
            .required()
            .hint("カタカナ（ひらがな・半角も可）"),
        Field::date(at("birth_date"), "生年月日").required(),
        Field::new(
            at("sex"),
            "性別",
            Input::Select(sex_options("選択してください")),
            Json::Text,
        )
        .required(),
        Field::new(
            at("relationship"),
            "続柄",
            Input::Select(relationship_options()),
            Json::Text,
        )
        .required(),
        Field::text(at("nationality"), "国籍").hint("日本は JP。外国人住民は国・地域の2文字コード"),
        Field::text(at("status_of_residence"), "在留資格").hint("外国人住民のみ"),
        Field::date(at("period_of_stay_until"), "在留期間の満了の日")
            .hint("外国人住民のみ（永住者・特別永住者は空欄）"),
        Field::text(at("individual_number"), "個人番号").hint("12桁（不明なら空欄）"),
    ]
}

/// The sections of a movement's form.
fn form_sections(kind: MovementKind, context: &FormContext, rows: usize) -> Vec<Section> {
    let section = |title: &str, fields: Vec<Field>| Section {
        title: title.to_owned(),
        row: None,
        fields,
    };
    match kind {
        MovementKind::MoveIn => {
            let mut fields = dates("転入日");
            fields.push(Field::text("previous_address", "転入前住所").required());
            fields.push(
                Field::new("household_id", "世帯番号", Input::Text, Json::Number)
                    .hint("既存の世帯に加わる場合のみ（新しい世帯なら空欄）"),
            );
            let mut sections = vec![
                section("転入の内容", fields),
                address_fields("転入先の住所", true),
            ];
            for row in 0..rows {
                sections.push(Section {
                    title: format!("{}人目", row + 1),
                    row: Some(row),
                    fields: person_fields(&format!("persons[{row}]")),
                });
            }
            sections
        }
        MovementKind::Birth => {
            let mut fields = vec![household_fixed(context, Json::Number)];
            fields.extend(dates("出生日"));
            let child: Vec<Field> = person_fields("person")
                .into_iter()
                .filter(|f| f.name != "person.birth_date")
                .collect();
            vec![section("出生の内容", fields), section("生まれた子", child)]
        }
        MovementKind::AddressChange => {
            let mut fields = vec![household_fixed(context, Json::Number)];
            fields.extend(dates("転居日"));
            vec![
                section("転居の内容", fields),
                address_fields("新しい住所", true),
            ]
        }
        MovementKind::MoveOut => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_ids",
                    "転出する人",
                    Input::Checkboxes(member_options(context, None)),
                    Json::NumberList,
                )
                .required(),
            ];
            fields.extend(dates("転出日（予定日）"));
            fields.push(Field::text("destination_address", "転出先住所").required());
            fields.push(
                Field::new(
                    "new_head_person_id",
                    "新しい世帯主",
                    Input::Select(member_options(context, Some("（変更なし）"))),
                    Json::Number,
                )
                .hint("世帯主が転出し、残る人がいる場合のみ"),
            );
            vec![section("転出の内容", fields)]
        }
        MovementKind::Death => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_id",
                    "死亡した人",
                    Input::Select(member_options(context, Some("選択してください"))),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("死亡日"));
            fields.push(
                Field::new(
                    "new_head_person_id",
                    "新しい世帯主",
                    Input::Select(member_options(context, Some("（変更なし）"))),
                    Json::Number,
                )
                .hint("世帯主が死亡し、残る人がいる場合のみ"),
            );
            vec![section("死亡の内容", fields)]
        }
        MovementKind::HouseholdSplit => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_ids",
                    "新しい世帯に移る人",
                    Input::Checkboxes(member_options(context, None)),
                    Json::NumberList,
                )
                .required(),
                Field::new(
                    "new_head_person_id",
                    "新しい世帯の世帯主",
                    Input::Select(member_options(context, Some("選択してください"))),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("異動日"));
            vec![
                section("世帯分離の内容", fields),
                address_fields("新しい世帯の住所（同じ住所なら空欄）", false),
            ]
        }
        MovementKind::ExOfficioCorrection => {
            let mut fields = vec![person_fixed(context, Json::Number)];
            fields.extend(dates("異動日"));
            fields.push(Field::text("reason", "修正の理由").required());
            vec![
                section("職権修正の内容", fields),
                section(
                    "訂正後の値（訂正しない項目は空欄）",
                    vec![
                        Field::text("changes.name", "氏名"),
                        Field::text("changes.name_kana", "フリガナ"),
                        Field::date("changes.birth_date", "生年月日"),
                        Field::new(
                            "changes.sex",
                            "性別",
                            Input::Select(sex_options("（訂正しない）")),
                            Json::Text,
                        ),
                        Field::text("changes.status_of_residence", "在留資格（外国人住民）"),
                        Field::date(
                            "changes.period_of_stay_until",
                            "在留期間の満了日（外国人住民）",
                        ),
                    ],
                ),
            ]
        }
        MovementKind::Cancellation => {
            let mut options = vec![(String::new(), "選択してください".to_owned())];
            for entry in &context.history {
                let version = &entry.version;
                if version.cancelled || version.kind == MovementKind::Cancellation {
                    continue;
                }
                options.push((
                    version.movement_id.to_string(),
                    format!(
                        "異動番号 {}　{}　異動日 {}",
                        version.movement_id,
                        version.kind.label_ja(),
                        format_ja(version.event_date)
                    ),
                ));
            }
            let mut fields = vec![
                person_fixed(context, Json::Context),
                Field::new(
                    "movement_id",
                    "取り消す異動",
                    Input::Select(options),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("異動日"));
            fields.push(Field::text("reason", "取消しの理由").required());
            vec![section("取消しの内容", fields)]
        }
    }
}

/// The person rows of a 転入: `persons[row].…`, left out when blank.
const PERSON_ROWS: Rows = Rows {
    list: "persons",
    keys: &["name", "name_kana", "birth_date", "individual_number"],
};

/// The API's request body of a movement, built by the form engine, with the
/// movement's own rules: its kind, at least one person for a 転入, and a
/// 出生's date of birth taken from its date of the event.
fn build_body(kind: MovementKind, sections: &[Section], values: &Values) -> Built {
    let mut built = form::build_body(sections, &PERSON_ROWS, values);
    form::set_path(
        &mut built.body,
        "kind",
        Value::String(kind.code().to_owned()),
    );
    if kind == MovementKind::MoveIn && built.rows.is_empty() {
        built.errors.insert(
            "persons[0].name".to_owned(),
            "転入する人を1人以上入力してください".to_owned(),
        );
    }
    if kind == MovementKind::Birth
        && let Some(date) = built.body.get("event_date").cloned()
    {
        form::set_path(&mut built.body, "person.birth_date", date);
    }
    built
}

/// The form field an error of the API names (a 出生's date of birth is its
/// date of the event).
fn form_field(
    kind: MovementKind,
    sections: &[Section],
    rows: &[usize],
    path: &str,
) -> Option<String> {
    let path = if kind == MovementKind::Birth && path == "person.birth_date" {
        "event_date"
    } else {
        path
    };
    form::form_field(sections, &PERSON_ROWS, rows, path)
}

fn shown_address(context: &FormContext, address: &kiban_registry::domain::Address) -> String {
    if context.address_withheld {
        WITHHELD.to_owned()
    } else {
        address_ja(address)
    }
}

fn context_lines(context: &FormContext) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(household) = &context.household {
        let head = household
            .members
            .iter()
            .find(|m| Some(m.person_id) == household.head_person_id)
            .map_or("（なし）".to_owned(), |m| m.name.as_str().to_owned());
        lines.push(format!(
            "世帯番号 {}　世帯主 {}　住所 {}",
            household.household_id,
            head,
            shown_address(context, &household.address)
        ));
    }
    if let Some(person) = &context.person {
        lines.push(format!(
            "宛名番号 {}　{}（{}）　生年月日 {}　{}　{}",
            person.person_id,
            person.name.as_str(),
            person.name_kana.as_str(),
            date_ja(person.birth_date),
            shown_address(context, &person.address),
            status_ja(person.status, person.removed_on)
        ));
    }
    lines
}

#[derive(Template)]
#[template(path = "registry/movement_form.html")]
struct MovementFormPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    context: Vec<String>,
    sections: Vec<SectionView>,
    summary: Vec<SummaryItem>,
    general: Vec<String>,
    rows: usize,
    more_rows: bool,
}

#[derive(Template)]
#[template(path = "registry/movement_confirm.html")]
struct MovementConfirmPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    context: Vec<String>,
    sections: Vec<ConfirmSection>,
    hidden: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "registry/movement_pick.html")]
struct MovementPickPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    field: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
}

fn rows_of(values: &Values) -> usize {
    value(values, "rows")
        .parse::<usize>()
        .unwrap_or(DEFAULT_ROWS)
        .clamp(1, MAX_ROWS)
}

/// Loads what the form is about. `Err` carries the message of the picker
/// page (`None`: nothing chosen yet).
async fn load_context(
    screen: &Screen,
    kind: MovementKind,
    values: &Values,
) -> Result<Result<FormContext, Option<String>>, Response> {
    let mut context = FormContext::default();
    let today = today();
    match needs(kind) {
        Needs::Nothing => {}
        Needs::Household => {
            let raw = value(values, "household_id");
            if raw.is_empty() {
                return Ok(Err(None));
            }
            let Some(id) = parse_person_id(raw).map(|p| HouseholdId::new(p.get())) else {
                return Ok(Err(Some("世帯番号は数字で入力してください".to_owned())));
            };
            match storage::household_as_of(&screen.tenant, &screen.actor, id, today).await {
                Ok(Some(household)) => context.household = Some(household),
                Ok(None) => {
                    return Ok(Err(Some(format!("世帯番号 {id} の世帯は見つかりません"))));
                }
                Err(e) => return Err(storage_failure(e)),
            }
        }
        Needs::Person => {
            let raw = value(values, "person_id");
            if raw.is_empty() {
                return Ok(Err(None));
            }
            let Some(id) = parse_person_id(raw) else {
                return Ok(Err(Some("宛名番号は数字で入力してください".to_owned())));
            };
            match storage::person_as_of(&screen.tenant, &screen.actor, id, today).await {
                Ok(Some(person)) => context.person = Some(person),
                Ok(None) => {
                    return Ok(Err(Some(format!("宛名番号 {id} の人は見つかりません"))));
                }
                Err(e) => return Err(storage_failure(e)),
            }
            if kind == MovementKind::Cancellation {
                match storage::person_history(&screen.tenant, &screen.actor, id).await {
                    Ok(history) => context.history = history.unwrap_or_default(),
                    Err(e) => return Err(storage_failure(e)),
                }
            }
        }
    }
    let persons: Vec<u64> = context
        .household
        .iter()
        .flat_map(|h| h.members.iter())
        .chain(context.person.iter())
        .map(|p| p.person_id.get())
        .collect();
    context.address_withheld = !withheld(&screen.tenant, &screen.actor, persons)
        .await?
        .is_empty();
    Ok(Ok(context))
}

fn pick_page(screen: Screen, kind: MovementKind, error: Option<String>, typed: &str) -> Response {
    let (field, label) = match needs(kind) {
        Needs::Person => ("person_id", "宛名番号"),
        _ => ("household_id", "世帯番号"),
    };
    let status = if error.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = MovementPickPage {
        chrome: screen.chrome,
        kind: kind.code(),
        title: title(kind),
        field,
        label,
        value: typed.to_owned(),
        error,
    };
    match render(&page) {
        Ok(html) => (status, screen.jar, html).into_response(),
        Err(e) => e.into_response(),
    }
}

fn form_page(
    screen: Screen,
    status: StatusCode,
    kind: MovementKind,
    context: &FormContext,
    values: &Values,
    placed: &Placed,
) -> Response {
    let rows = rows_of(values);
    let sections = form_sections(kind, context, rows);
    let summary = form::summary(&sections, placed);
    let page = MovementFormPage {
        kind: kind.code(),
        title: title(kind),
        context: context_lines(context),
        sections: section_views(&sections, values, placed),
        summary,
        general: placed.general.clone(),
        rows,
        more_rows: kind == MovementKind::MoveIn && rows < MAX_ROWS,
        chrome: screen.chrome,
    };
    match render(&page) {
        Ok(html) => (status, screen.jar, html).into_response(),
        Err(e) => e.into_response(),
    }
}

fn movement_kind(code: &str) -> Option<MovementKind> {
    MovementKind::from_code(code)
}

/// `GET /app/registry/movements/{kind}`: the empty form of a movement, for the
/// household (`?household_id=`) or person (`?person_id=`) it is about.
pub async fn movement_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let target = Target {
        operation: "movement_form",
        person: query.get("person_id").map(String::as_str),
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryWrite, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let Some(kind) = movement_kind(&kind) else {
        return not_found_page("その異動の種類はありません。");
    };
    let mut values: Values = BTreeMap::new();
    for key in ["household_id", "person_id", "movement_id", "rows"] {
        if let Some(v) = query.get(key).filter(|v| !v.trim().is_empty()) {
            values.insert(key.to_owned(), vec![v.trim().to_owned()]);
        }
    }
    let today_text = format_ja(today());
    values.insert("notified_on".to_owned(), vec![today_text.clone()]);
    match kind {
        MovementKind::ExOfficioCorrection | MovementKind::Cancellation => {
            values.insert("event_date".to_owned(), vec![today_text]);
        }
        MovementKind::MoveIn => {
            values.insert(
                "persons[0].relationship".to_owned(),
                vec!["head".to_owned()],
            );
            for row in 0..rows_of(&values) {
                values.insert(format!("persons[{row}].nationality"), vec!["JP".to_owned()]);
            }
        }
        MovementKind::Birth => {
            values.insert("person.relationship".to_owned(), vec!["child".to_owned()]);
            values.insert("person.nationality".to_owned(), vec!["JP".to_owned()]);
        }
        _ => {}
    }
    let context = match load_context(&screen, kind, &values).await {
        Ok(Ok(context)) => context,
        Ok(Err(error)) => {
            let typed = match needs(kind) {
                Needs::Person => value(&values, "person_id"),
                _ => value(&values, "household_id"),
            }
            .to_owned();
            return pick_page(screen, kind, error, &typed);
        }
        Err(response) => return response,
    };
    form_page(
        screen,
        StatusCode::OK,
        kind,
        &context,
        &values,
        &Placed::default(),
    )
}

/// `POST /app/registry/movements/{kind}`: `step=confirm` checks the form and
/// shows the confirmation page, `step=edit` goes back to the form with the
/// values kept, `step=more` adds person rows (転入), `step=commit` records
/// the movement and shows the person (or household) it is about.
pub async fn movement_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let target = Target {
        operation: "record_movement",
        person: None,
    };
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let csrf_valid = session::csrf_ok(&jar, &csrf);
    let screen = match screen(&state, jar, &headers, Permission::RegistryWrite, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    if !csrf_valid {
        let jar = screen.jar.remove(CSRF_COOKIE);
        return (
            jar,
            error_page(
                StatusCode::FORBIDDEN,
                "画面の有効期限が切れました",
                "画面の有効期限が切れたため、入力を受け付けられませんでした。もう一度画面を開いて入力してください。",
            ),
        )
            .into_response();
    }
    let Some(kind) = movement_kind(&kind) else {
        return not_found_page("その異動の種類はありません。");
    };
    let step = pairs
        .iter()
        .find(|(k, _)| k == "step")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut values = form::values_of(pairs, &["csrf", "step"]);
    let context = match load_context(&screen, kind, &values).await {
        Ok(Ok(context)) => context,
        Ok(Err(error)) => return pick_page(screen, kind, error, ""),
        Err(response) => return response,
    };
    if step == "more" {
        let rows = (rows_of(&values) + 2).min(MAX_ROWS);
        values.insert("rows".to_owned(), vec![rows.to_string()]);
        for row in 0..rows {
            values
                .entry(format!("persons[{row}].nationality"))
                .or_insert_with(|| vec!["JP".to_owned()]);
        }
        return form_page(
            screen,
            StatusCode::OK,
            kind,
            &context,
            &values,
            &Placed::default(),
        );
    }
    if step != "confirm" && step != "commit" {
        return form_page(
            screen,
            StatusCode::OK,
            kind,
            &context,
            &values,
            &Placed::default(),
        );
    }
    let sections = form_sections(kind, &context, rows_of(&values));
    let built = build_body(kind, &sections, &values);
    if !built.errors.is_empty() {
        let placed = Placed {
            fields: built.errors,
            general: Vec::new(),
        };
        return form_page(
            screen,
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            &context,
            &values,
            &placed,
        );
    }
    let command = match registry_api::movement_command(&built.body) {
        Ok(command) => command,
        Err(error) => {
            let message = if error.code == kiban_core::ErrorCode::MissingField {
                "入力してください".to_owned()
            } else {
                error.message
            };
            let mut placed = Placed::default();
            placed.add(
                error
                    .field
                    .as_deref()
                    .and_then(|p| form_field(kind, &sections, &built.rows, p)),
                message,
            );
            return form_page(screen, error.status, kind, &context, &values, &placed);
        }
    };
    if step == "confirm" {
        let hidden: Vec<(String, String)> = values
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
            .collect();
        let page = MovementConfirmPage {
            kind: kind.code(),
            title: title(kind),
            context: context_lines(&context),
            sections: form::confirm_sections(&sections, &PERSON_ROWS, &values),
            hidden,
            chrome: screen.chrome,
        };
        return match render(&page) {
            Ok(html) => (screen.jar, html).into_response(),
            Err(e) => e.into_response(),
        };
    }
    match storage::record_movement(&screen.tenant, &screen.actor, command, today()).await {
        Ok(recorded) => {
            let movement = recorded.movement.id.get();
            let to = match (recorded.persons.first(), recorded.household_id) {
                (Some(person), _) => {
                    format!(
                        "/app/registry/persons/{}?recorded={movement}",
                        person.person_id
                    )
                }
                (None, Some(household)) => {
                    format!("/app/registry/households/{household}?recorded={movement}")
                }
                (None, None) => "/app/registry".to_owned(),
            };
            (screen.jar, Redirect::to(&to)).into_response()
        }
        Err(RegistryError::Rejected(rejection)) => {
            let status = match rejection.kind() {
                RejectionKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                RejectionKind::Conflict => StatusCode::CONFLICT,
            };
            let mut placed = Placed::default();
            placed.add(
                form_field(kind, &sections, &built.rows, &rejection.field),
                rejection.message().text(),
            );
            form_page(screen, status, kind, &context, &values, &placed)
        }
        Err(e) => storage_failure(e),
    }
}
