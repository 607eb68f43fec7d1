//! Clerk screens of the addressee master (宛名管理): search (宛名検索), the
//! addressee page with its history, 名寄せ and mailing addresses, the
//! registration of a non-resident (住登外者登録) and the person overview
//! (個人状況照会).
//!
//! The screens parse through the API's own parsers
//! ([`api::new_non_resident`], [`api::change_of`], [`api::search_query`],
//! [`api::mailing_of`], [`api::merge_of`]) and call the same storage
//! functions, so refusals, access-log entries and messages are the API's.
//! A form's field names are the JSON paths of the API's request body
//! (`address.postal_code`), so an error the API names by its path is shown
//! next to the field of that name (`kit/form.rs`). Dates are typed in 和暦
//! or 西暦. Every screen works without script; a registration and a 名寄せ
//! are posted once to be checked (確認画面) and again to be recorded.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_addressee::domain::{
    AddresseeId, AddresseeKind, Business, MailingKind, MergeAction, PostalAddress,
};
use kiban_addressee::storage::{self as addressees, AddresseeError, AddresseeView, SearchHit};
use kiban_auth::Permission;
use kiban_core::{Date, ErrorCode, Sex};
use kiban_registry::domain::MovementKind;
use serde::Deserialize;
use serde_json::Value;

use super::api::{self, AddresseeSearchParams, OverviewEntry};
use crate::kit::display::{date_ja, postal_ja, short_date_ja, stored_timestamp_ja};
use crate::kit::form::{
    self, ConfirmSection, Field, Input, Json, Placed, Rows, Section, SectionView, SummaryItem,
    Values, section_views, value,
};
use crate::kit::page::{self, Chrome, Screen, Tabs, error_page, expired, not_found_page, respond};
use crate::kit::session;
use crate::{ApiError, AppState};
use kiban_core::today_in_japan as today;

/// The tabs above every addressee screen. The content area takes the
/// registry's look (`registry`): the same forms, tables and timelines.
const TABS: Tabs = Tabs {
    label: "宛名管理",
    class: "registry addressee",
    links: &[
        ("/app/addressee", "宛名検索"),
        ("/app/addressee/new", "住登外者登録"),
    ],
};

/// What a screen shows instead of an address withheld under 支援措置.
const WITHHELD: &str = "支援措置により非表示";

/// The forms of these screens have no repeated rows.
const NO_ROWS: Rows = Rows {
    list: "",
    keys: &[],
};

/// The kit's door ([`page::screen`]) with the addressee master's tabs; a
/// refusal is logged with `operation` and the addressee of the path.
async fn screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    operation: &str,
    addressee: Option<&str>,
) -> Result<Screen, Response> {
    let person = crate::kit::door::person_number(addressee);
    let mut screen = page::screen(state, jar, headers, permission, operation, person).await?;
    screen.chrome.tabs = Some(&TABS);
    Ok(screen)
}

fn missing_page() -> Response {
    not_found_page("指定された宛名番号の宛名は登録されていません。")
}

/// A failure of a read or write that is not shown on a form.
fn failure(error: AddresseeError) -> Response {
    match error {
        AddresseeError::NotFound => missing_page(),
        AddresseeError::Refused(refusal) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "入力内容を確認してください",
            &refusal.message.text(),
        ),
        other => api::addressee_error(other).into_response(),
    }
}

fn posted<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------
// Display helpers.
// ---------------------------------------------------------------------------

fn address_ja(address: &PostalAddress) -> String {
    let mut text = match &address.postal_code {
        Some(code) => format!("{} {}", postal_ja(code.as_str()), address.address_line),
        None => address.address_line.clone(),
    };
    if let Some(katagaki) = &address.katagaki {
        text.push('　');
        text.push_str(katagaki);
    }
    text
}

fn shown_address(address: Option<&PostalAddress>) -> String {
    address.map_or_else(|| WITHHELD.to_owned(), address_ja)
}

/// What a search matched on, in Japanese.
fn matched_ja(code: &str) -> &'static str {
    match code {
        "name" => "氏名",
        "name_kana" => "フリガナ",
        "birth_date" => "生年月日",
        "address" => "住所",
        "past_name" => "旧氏名",
        "past_name_kana" => "旧フリガナ",
        "past_address" => "旧住所",
        _ => "その他",
    }
}

/// What recorded a version, in Japanese.
fn source_ja(source: &str) -> String {
    match source {
        "registered" => "住登外者登録".to_owned(),
        "changed" => "宛名の変更".to_owned(),
        other => MovementKind::from_code(other).map_or_else(
            || other.to_owned(),
            |kind| format!("住民記録の{}", kind.label_ja()),
        ),
    }
}

/// An addressee as a row of a list.
pub(crate) struct AddresseeRow {
    id: u64,
    kind: &'static str,
    name: String,
    name_kana: String,
    birth_date: String,
    address: String,
    matched_on: String,
}

impl AddresseeRow {
    fn of(hit: &SearchHit) -> Self {
        let view = &hit.view;
        Self {
            id: view.addressee_id.get(),
            kind: view.kind.label_ja(),
            name: view.name.clone(),
            name_kana: view.name_kana.clone(),
            birth_date: short_date_ja(view.birth_date),
            address: shown_address(view.address.as_ref()),
            matched_on: hit
                .matched_on
                .iter()
                .map(|m| matched_ja(m))
                .collect::<Vec<_>>()
                .join("・"),
        }
    }
}

/// The fields of an addressee, labelled.
pub(crate) struct AddresseeFacts {
    id: u64,
    kind: &'static str,
    name: String,
    name_kana: String,
    birth_date: String,
    sex: &'static str,
    address: String,
    merged_into: Option<u64>,
}

impl AddresseeFacts {
    fn of(view: &AddresseeView) -> Self {
        Self {
            id: view.addressee_id.get(),
            kind: view.kind.label_ja(),
            name: view.name.clone(),
            name_kana: view.name_kana.clone(),
            birth_date: date_ja(view.birth_date),
            sex: view.sex.label_ja(),
            address: shown_address(view.address.as_ref()),
            merged_into: view.merged_into.map(AddresseeId::get),
        }
    }
}

fn addressee_number(text: &str) -> Option<AddresseeId> {
    api::addressee_id(text.trim()).ok()
}

// ---------------------------------------------------------------------------
// Search (宛名検索).
// ---------------------------------------------------------------------------

/// The query of the search screen; every field as typed.
#[derive(Deserialize, Default)]
pub(crate) struct SearchForm {
    name_kana: Option<String>,
    name: Option<String>,
    birth_date: Option<String>,
    address: Option<String>,
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "addressee/search.html")]
pub(crate) struct SearchPage {
    chrome: Chrome,
    name_kana: String,
    name: String,
    birth_date: String,
    address: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    searched: bool,
    errors: BTreeMap<String, String>,
    general_error: Option<String>,
    results: Vec<AddresseeRow>,
    truncated: bool,
}

impl SearchPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn selected(&self, code: &str) -> bool {
        self.kind == code
    }
}

fn trimmed(value: Option<&String>) -> String {
    value.map_or("", |v| v.trim()).to_owned()
}

fn kept(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|t| !t.is_empty())
}

/// `GET /app/addressee`: the search form and, once searched, the results,
/// each linking to the addressee and to its 個人状況照会.
pub async fn search(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(form): Query<SearchForm>,
) -> Response {
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeRead,
        "addressee_search",
        None,
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let mut kinds = vec![("", "すべて")];
    kinds.extend(AddresseeKind::ALL.map(|k| (k.code(), k.label_ja())));
    let mut page = SearchPage {
        name_kana: trimmed(form.name_kana.as_ref()),
        name: trimmed(form.name.as_ref()),
        birth_date: trimmed(form.birth_date.as_ref()),
        address: trimmed(form.address.as_ref()),
        kind: trimmed(form.kind.as_ref()),
        kinds,
        searched: form.name_kana.is_some()
            || form.name.is_some()
            || form.birth_date.is_some()
            || form.address.is_some(),
        errors: BTreeMap::new(),
        general_error: None,
        results: Vec::new(),
        truncated: false,
        chrome: screen.chrome,
    };
    let mut status = StatusCode::OK;
    if page.searched {
        let placed = |page: &mut SearchPage, error: ApiError| {
            match error.field {
                Some(field) => {
                    page.errors.insert(field, error.message);
                }
                None => page.general_error = Some(error.message),
            }
            error.status
        };
        let birth_date = match form::parse_day("birth_date", "生年月日", &page.birth_date) {
            Ok(date) => date,
            Err(error) => {
                status = placed(&mut page, error);
                None
            }
        };
        if page.errors.is_empty() {
            // The API's query as the API reads it (its members private, and
            // any it adds left absent).
            let typed = serde_json::json!({
                "name_kana": kept(&page.name_kana),
                "name": kept(&page.name),
                "birth_date": birth_date.map(|d| d.to_string()),
                "address": kept(&page.address),
                "kind": kept(&page.kind),
            });
            let params = match serde_json::from_value::<AddresseeSearchParams>(typed) {
                Ok(params) => params,
                Err(e) => return ApiError::internal(e).into_response(),
            };
            match api::search_query(&params) {
                Ok(query) => {
                    match addressees::search(&screen.tenant, &screen.actor, &query, false).await {
                        Ok(hits) => {
                            page.truncated = hits.len() >= query.limit;
                            page.results = hits.iter().map(AddresseeRow::of).collect();
                        }
                        Err(AddresseeError::Refused(refusal)) => {
                            status = placed(
                                &mut page,
                                ApiError::about(refusal.field.as_deref(), refusal.message),
                            );
                        }
                        Err(e) => return failure(e),
                    }
                }
                Err(error) => status = placed(&mut page, error),
            }
        }
    }
    respond(status, screen.jar, &page)
}

// ---------------------------------------------------------------------------
// Forms.
// ---------------------------------------------------------------------------

fn sex_options() -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "選択してください".to_owned())];
    for sex in [Sex::Male, Sex::Female] {
        options.push((sex.code().to_owned(), sex.label_ja().to_owned()));
    }
    options
}

fn address_fields(required: bool) -> Vec<Field> {
    let mut postal = Field::text("address.postal_code", "郵便番号").hint("7桁（例: 1000001）");
    let mut line = Field::text("address.address_line", "住所");
    postal.required = required;
    line.required = required;
    vec![
        postal,
        line,
        Field::text("address.katagaki", "方書").hint("建物名・部屋番号（なければ空欄）"),
    ]
}

fn section(title: &str, fields: Vec<Field>) -> Section {
    Section {
        title: title.to_owned(),
        row: None,
        fields,
    }
}

/// The sections of the registration of a non-resident.
fn new_sections() -> Vec<Section> {
    vec![
        section(
            "基本4情報",
            vec![
                Field::text("name", "氏名").required(),
                Field::text("name_kana", "フリガナ")
                    .required()
                    .hint("カタカナ（ひらがな・半角も可）"),
                Field::date("birth_date", "生年月日").required(),
                Field::new("sex", "性別", Input::Select(sex_options()), Json::Text).required(),
            ],
        ),
        section("住所", address_fields(true)),
        section(
            "その他",
            vec![
                Field::text("individual_number", "個人番号").hint("12桁（不明なら空欄）"),
                Field::date("effective_date", "登録日")
                    .hint("この記録が有効となる日（空欄なら本日）。和暦または西暦"),
            ],
        ),
    ]
}

/// The sections of a change of a non-resident.
fn change_sections() -> Vec<Section> {
    let mut fields = vec![
        Field::date("effective_date", "変更日").required(),
        Field::text("name", "氏名"),
        Field::text("name_kana", "フリガナ"),
    ];
    fields.extend(address_fields(false));
    vec![section("宛名の変更（変更しない項目は空欄）", fields)]
}

fn merge_sections() -> Vec<Section> {
    vec![section(
        "名寄せ",
        vec![
            Field::new("into", "名寄せ先の宛名番号", Input::Text, Json::Number)
                .required()
                .hint("同一人として残す方の宛名番号"),
            Field::text("reason", "理由").required(),
        ],
    )]
}

fn unmerge_sections() -> Vec<Section> {
    vec![section(
        "名寄せの解除",
        vec![Field::text("reason", "理由").required()],
    )]
}

fn mailing_sections() -> Vec<Section> {
    let businesses = Business::ALL
        .iter()
        .map(|b| (b.code().to_owned(), b.label_ja().to_owned()))
        .collect();
    let kinds = MailingKind::ALL
        .iter()
        .map(|k| (k.code().to_owned(), k.label_ja().to_owned()))
        .collect();
    let mut fields = vec![
        Field::new("business", "業務", Input::Select(businesses), Json::Context).required(),
        Field::new("kind", "種別", Input::Select(kinds), Json::Text).required(),
        Field::text("name", "宛名")
            .required()
            .hint("封筒に書く氏名・名称"),
    ];
    fields.extend(address_fields(true));
    fields.push(Field::date("valid_from", "有効期間の初日").required());
    fields.push(Field::date("valid_until", "有効期間の末日").hint("空欄なら期限なし"));
    vec![section("送付先の設定", fields)]
}

/// An error of a parser or of the storage placed on its form: next to the
/// field the API names, or above the form.
fn place(sections: &[Section], error: &ApiError) -> Placed {
    let message = if error.code == ErrorCode::MissingField {
        "入力してください".to_owned()
    } else {
        error.message.clone()
    };
    let mut placed = Placed::default();
    placed.add(
        error
            .field
            .as_deref()
            .and_then(|path| form::form_field(sections, &NO_ROWS, &[], path)),
        message,
    );
    placed
}

/// The posted values of a form and the errors placed on it.
#[derive(Default)]
pub(crate) struct FormState {
    values: Values,
    placed: Placed,
}

/// A form as a template draws it; several on one page, so every field's
/// id is prefixed with the form's, and only a form in error takes the
/// focus.
pub(crate) struct FormView {
    sections: Vec<SectionView>,
    summary: Vec<SummaryItem>,
    general: Vec<String>,
}

impl FormView {
    /// `focus`: whether the form takes the focus even without an error.
    fn of(sections: &[Section], state: &FormState, prefix: &str, focus: bool) -> Self {
        let focus = focus || !state.placed.fields.is_empty();
        let mut views = section_views(sections, &state.values, &state.placed);
        for view in &mut views {
            for field in &mut view.fields {
                if !prefix.is_empty() {
                    field.id = format!("{prefix}-{}", field.id);
                }
                field.autofocus &= focus;
            }
        }
        let mut summary = form::summary(sections, &state.placed);
        for item in &mut summary {
            if !prefix.is_empty() {
                item.id = format!("{prefix}-{}", item.id);
            }
        }
        Self {
            sections: views,
            summary,
            general: state.placed.general.clone(),
        }
    }

    fn has_errors(&self) -> bool {
        !self.summary.is_empty() || !self.general.is_empty()
    }
}

/// The hidden fields that carry a form's values to its confirmation.
fn hidden_of(values: &Values) -> Vec<(String, String)> {
    values
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
        .collect()
}

// ---------------------------------------------------------------------------
// Registration of a non-resident (住登外者登録).
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "addressee/new.html")]
pub(crate) struct NewPage {
    chrome: Chrome,
    form: FormView,
}

#[derive(Template)]
#[template(path = "addressee/new_confirm.html")]
pub(crate) struct NewConfirmPage {
    chrome: Chrome,
    sections: Vec<ConfirmSection>,
    hidden: Vec<(String, String)>,
    /// The candidates of a possible duplicate (重複候補).
    candidates: Vec<AddresseeRow>,
    /// Whether the registration was held back as a possible duplicate
    /// (the catalogue's text speaks of the API's `confirm_new`; the screen
    /// says it with its check box).
    duplicate: bool,
}

fn new_form(screen: Screen, status: StatusCode, state: &FormState) -> Response {
    let page = NewPage {
        form: FormView::of(&new_sections(), state, "", true),
        chrome: screen.chrome,
    };
    respond(status, screen.jar, &page)
}

/// `GET /app/addressee/new`: the empty registration form.
pub async fn new_form_page(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeWrite,
        "addressee_register",
        None,
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    new_form(screen, StatusCode::OK, &FormState::default())
}

/// `POST /app/addressee/new`: `step=confirm` checks the form and shows the
/// confirmation, `step=edit` goes back with the values kept, `step=commit`
/// registers; when the 基本4情報 match existing addressees the
/// confirmation is shown again with the candidates (重複候補) and the box
/// 「別人として登録する」 (`confirm_new`).
pub async fn new_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf_valid = session::csrf_ok(&jar, posted(&pairs, "csrf"));
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeWrite,
        "addressee_register",
        None,
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    if !csrf_valid {
        return expired(screen.jar);
    }
    let step = posted(&pairs, "step").to_owned();
    let confirm_new = posted(&pairs, "confirm_new") == "true";
    let values = form::values_of(pairs, &["csrf", "step", "confirm_new"]);
    let sections = new_sections();
    let mut state = FormState {
        values,
        placed: Placed::default(),
    };
    if step != "confirm" && step != "commit" {
        return new_form(screen, StatusCode::OK, &state);
    }
    let mut built = form::build_body(&sections, &NO_ROWS, &state.values);
    if !built.errors.is_empty() {
        state.placed.fields = built.errors;
        return new_form(screen, StatusCode::UNPROCESSABLE_ENTITY, &state);
    }
    form::set_path(&mut built.body, "confirm_new", Value::Bool(confirm_new));
    let new = match api::new_non_resident(&built.body) {
        Ok(new) => new,
        Err(error) => {
            state.placed = place(&sections, &error);
            return new_form(screen, error.status, &state);
        }
    };
    let confirm = |screen: Screen, status: StatusCode, candidates: &[SearchHit]| {
        let page = NewConfirmPage {
            sections: form::confirm_sections(&sections, &NO_ROWS, &state.values),
            hidden: hidden_of(&state.values),
            candidates: candidates.iter().map(AddresseeRow::of).collect(),
            duplicate: !candidates.is_empty(),
            chrome: screen.chrome,
        };
        respond(status, screen.jar, &page)
    };
    if step == "confirm" {
        return confirm(screen, StatusCode::OK, &[]);
    }
    match addressees::register_non_resident(&screen.tenant, &screen.actor, &new).await {
        Ok(registered) => (
            screen.jar,
            Redirect::to(&format!(
                "/app/addressee/{}?done=registered",
                registered.addressee_id.get()
            )),
        )
            .into_response(),
        Err(AddresseeError::PossibleDuplicate(candidates)) => {
            confirm(screen, StatusCode::CONFLICT, &candidates)
        }
        Err(AddresseeError::Refused(refusal)) => {
            let error = ApiError::about(refusal.field.as_deref(), refusal.message);
            state.placed = place(&sections, &error);
            new_form(screen, error.status, &state)
        }
        Err(e) => failure(e),
    }
}

// ---------------------------------------------------------------------------
// The addressee page (宛名).
// ---------------------------------------------------------------------------

/// One version of the history.
pub(crate) struct VersionRow {
    effective_date: String,
    recorded_at: String,
    recorded_by: String,
    source: String,
    summary: String,
}

/// One 名寄せ record.
pub(crate) struct MergeRow {
    action: &'static str,
    addressee: u64,
    into: u64,
    reason: String,
    recorded_at: String,
    recorded_by: String,
}

/// One recorded mailing address.
pub(crate) struct MailingRow {
    addressee: u64,
    business: &'static str,
    kind: &'static str,
    name: String,
    address: String,
    validity: String,
    recorded_at: String,
}

#[derive(Template)]
#[template(path = "addressee/show.html")]
pub(crate) struct ShowPage {
    chrome: Chrome,
    as_of: String,
    as_of_typed: String,
    as_of_error: Option<String>,
    done: Option<&'static str>,
    facts: AddresseeFacts,
    /// The number in the path (which may be merged into `facts.id`).
    requested: u64,
    linked: Vec<u64>,
    versions: Vec<VersionRow>,
    merges: Vec<MergeRow>,
    mailings: Vec<MailingRow>,
    may_write: bool,
    /// A resident's or former resident's record is changed by the
    /// registry's movements.
    person_link: Option<u64>,
    /// Whether the role may read the resident tax (個人住民税).
    may_read_tax: bool,
    change: Option<FormView>,
    merge: Option<FormView>,
    unmerge: Option<FormView>,
    mailing: Option<FormView>,
    focus_as_of: bool,
}

/// The query of the addressee page.
#[derive(Deserialize, Default)]
pub(crate) struct ShowQuery {
    as_of: Option<String>,
    done: Option<String>,
}

/// The forms of the addressee page, as posted.
#[derive(Default)]
struct ShowForms {
    change: FormState,
    merge: FormState,
    unmerge: FormState,
    mailing: FormState,
}

fn done_ja(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "registered" => Some("住登外者を登録しました。"),
        "changed" => Some("宛名を変更しました。"),
        "merged" => Some("名寄せしました。"),
        "unmerged" => Some("名寄せを解除しました。"),
        "mailing" => Some("送付先を設定しました。"),
        _ => None,
    }
}

/// Draws the addressee page of `id` as of the date typed (today if blank),
/// with the forms as posted (errors placed).
async fn show_page(
    screen: Screen,
    status: StatusCode,
    id: AddresseeId,
    query: &ShowQuery,
    mut forms: ShowForms,
) -> Response {
    let as_of_typed = trimmed(query.as_of.as_ref());
    let (as_of, as_of_error) = match form::parse_day("as_of", "基準日", &as_of_typed) {
        Ok(date) => (date.unwrap_or_else(today), None),
        Err(error) => (today(), Some(error.message)),
    };
    let view =
        match addressees::read_addressee(&screen.tenant, &screen.actor, id, as_of, false, false)
            .await
        {
            Ok(view) => view,
            Err(e) => return failure(e),
        };
    let (versions, merges) =
        match addressees::addressee_history(&screen.tenant, &screen.actor, id).await {
            Ok(history) => history,
            Err(e) => return failure(e),
        };
    let mailings = match addressees::mailing_addresses(&screen.tenant, &screen.actor, id).await {
        Ok(list) => list,
        Err(e) => return failure(e),
    };
    let survivor = view.merged_into.unwrap_or(view.addressee_id);
    let linked = match addressees::linked_numbers(&screen.tenant, survivor).await {
        Ok(ids) => ids,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // The history's addresses are withheld as the view's are.
    let number = i64::try_from(id.get()).unwrap_or(i64::MAX);
    let hidden = match kiban_protection::withheld(
        &screen.tenant,
        &screen.actor,
        false,
        false,
        &[number],
        today(),
        kiban_protection::Exposure::Address,
    )
    .await
    {
        Ok(hidden) => hidden.contains(&number),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let may_write = screen.role.allows(Permission::AddresseeWrite);
    let may_read_tax = screen.role.allows(Permission::Tax);
    let non_resident = view.kind == AddresseeKind::NonResident;
    if forms.mailing.values.is_empty() {
        forms
            .mailing
            .values
            .insert("name".to_owned(), vec![view.name.clone()]);
        forms
            .mailing
            .values
            .insert("business".to_owned(), vec!["all".to_owned()]);
    }
    let change = (may_write && non_resident && view.merged_into.is_none())
        .then(|| FormView::of(&change_sections(), &forms.change, "change", false));
    let merge = (may_write && view.merged_into.is_none())
        .then(|| FormView::of(&merge_sections(), &forms.merge, "merge", false));
    let unmerge = (may_write && view.merged_into.is_some())
        .then(|| FormView::of(&unmerge_sections(), &forms.unmerge, "unmerge", false));
    let mailing =
        may_write.then(|| FormView::of(&mailing_sections(), &forms.mailing, "mailing", false));
    let any_error = [&change, &merge, &unmerge, &mailing]
        .into_iter()
        .flatten()
        .any(FormView::has_errors);
    let page = ShowPage {
        as_of: date_ja(as_of),
        as_of_typed,
        as_of_error,
        done: done_ja(query.done.as_deref()),
        facts: AddresseeFacts::of(&view),
        requested: id.get(),
        linked: linked
            .iter()
            .map(|i| i.get())
            .filter(|i| *i != survivor.get())
            .collect(),
        versions: versions
            .iter()
            .rev()
            .map(|v| VersionRow {
                effective_date: date_ja(v.effective_date),
                recorded_at: stored_timestamp_ja(&v.recorded_at),
                recorded_by: v.recorded_by.clone(),
                source: source_ja(&v.source),
                summary: format!(
                    "{}（{}）{}・{}",
                    v.view.name,
                    v.view.name_kana,
                    short_date_ja(v.view.birth_date),
                    if hidden {
                        WITHHELD.to_owned()
                    } else {
                        shown_address(v.view.address.as_ref())
                    }
                ),
            })
            .collect(),
        merges: merges
            .iter()
            .rev()
            .map(|m| MergeRow {
                action: match m.action {
                    MergeAction::Merge => "名寄せ",
                    MergeAction::Unmerge => "名寄せ解除",
                },
                addressee: m.addressee.get(),
                into: m.into.get(),
                reason: m.reason.clone(),
                recorded_at: stored_timestamp_ja(&m.recorded_at),
                recorded_by: m.recorded_by.clone(),
            })
            .collect(),
        mailings: mailings
            .iter()
            .rev()
            .map(|m| MailingRow {
                addressee: m.addressee.get(),
                business: m.business.label_ja(),
                kind: m.kind.label_ja(),
                name: m.name.clone(),
                address: address_ja(&m.address),
                validity: format!(
                    "{}〜{}",
                    short_date_ja(m.valid_from),
                    m.valid_until.map(short_date_ja).unwrap_or_default()
                ),
                recorded_at: stored_timestamp_ja(&m.recorded_at),
            })
            .collect(),
        may_write,
        person_link: (!non_resident).then_some(view.addressee_id.get()),
        may_read_tax,
        change,
        merge,
        unmerge,
        mailing,
        focus_as_of: !any_error,
        chrome: screen.chrome,
    };
    respond(status, screen.jar, &page)
}

/// `GET /app/addressee/{id}`: the addressee as of a date (`?as_of=`), its
/// 名寄せ state, its history and its mailing addresses, and for the roles
/// that may change addressees the forms of change, 名寄せ and mailing.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeRead,
        "addressee_read",
        Some(&id),
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let Some(id) = addressee_number(&id) else {
        return missing_page();
    };
    show_page(screen, StatusCode::OK, id, &query, ShowForms::default()).await
}

/// What a posted action of the addressee page is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Change,
    Merge,
    Unmerge,
    Mailing,
}

impl Action {
    fn of(code: &str) -> Option<Self> {
        match code {
            "change" => Some(Action::Change),
            "merge" => Some(Action::Merge),
            "unmerge" => Some(Action::Unmerge),
            "mailing" => Some(Action::Mailing),
            _ => None,
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Action::Change => "addressee_change",
            Action::Merge => "addressee_merge",
            Action::Unmerge => "addressee_unmerge",
            Action::Mailing => "addressee_mailing_set",
        }
    }

    fn sections(self) -> Vec<Section> {
        match self {
            Action::Change => change_sections(),
            Action::Merge => merge_sections(),
            Action::Unmerge => unmerge_sections(),
            Action::Mailing => mailing_sections(),
        }
    }
}

#[derive(Template)]
#[template(path = "addressee/merge_confirm.html")]
pub(crate) struct MergeConfirmPage {
    chrome: Chrome,
    from: AddresseeFacts,
    into: AddresseeFacts,
    reason: String,
    hidden: Vec<(String, String)>,
}

/// `POST /app/addressee/{id}/{action}`: `change` (住登外者の変更),
/// `merge` (名寄せ; `step=confirm` shows the 確認画面, `step=commit`
/// records), `unmerge` (名寄せ解除) and `mailing` (送付先の設定). An error
/// is shown next to its field on the addressee page; a success returns to
/// the page with its notice.
pub async fn act(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(action) = Action::of(&action) else {
        return not_found_page("その操作はありません。");
    };
    let csrf_valid = session::csrf_ok(&jar, posted(&pairs, "csrf"));
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeWrite,
        action.operation(),
        Some(&id),
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    if !csrf_valid {
        return expired(screen.jar);
    }
    let Some(id) = addressee_number(&id) else {
        return missing_page();
    };
    let step = posted(&pairs, "step").to_owned();
    let values = form::values_of(pairs, &["csrf", "step"]);
    let sections = action.sections();
    let mut state = FormState {
        values,
        placed: Placed::default(),
    };
    let built = form::build_body(&sections, &NO_ROWS, &state.values);
    let status = if !built.errors.is_empty() {
        state.placed.fields = built.errors;
        StatusCode::UNPROCESSABLE_ENTITY
    } else if action == Action::Merge && step == "edit" {
        StatusCode::OK
    } else {
        match perform(&screen, action, id, &step, &built.body, &state.values).await {
            Step::Done(done) => {
                return (
                    screen.jar,
                    Redirect::to(&format!("/app/addressee/{}?done={done}", id.get())),
                )
                    .into_response();
            }
            Step::Confirm(into, reason) => {
                return merge_confirm(screen, id, into, reason, &state).await;
            }
            Step::Failed(AddresseeError::NotFound) => return missing_page(),
            Step::Failed(AddresseeError::Store(e)) => return ApiError::from(e).into_response(),
            Step::Failed(error) => {
                let error = api::addressee_error(error);
                state.placed = place(&sections, &error);
                error.status
            }
            Step::Invalid(error) => {
                state.placed = place(&sections, &error);
                error.status
            }
        }
    };
    let mut forms = ShowForms::default();
    match action {
        Action::Change => forms.change = state,
        Action::Merge => forms.merge = state,
        Action::Unmerge => forms.unmerge = state,
        Action::Mailing => forms.mailing = state,
    }
    show_page(screen, status, id, &ShowQuery::default(), forms).await
}

/// What became of an action of the addressee page.
enum Step {
    /// Recorded: the notice to show (`?done=`).
    Done(&'static str),
    /// A 名寄せ to confirm.
    Confirm(AddresseeId, String),
    /// The form could not be read.
    Invalid(ApiError),
    /// The storage refused.
    Failed(AddresseeError),
}

/// Parses the body of `action` with the API's parser and, unless it is a
/// 名寄せ to confirm, records it.
async fn perform(
    screen: &Screen,
    action: Action,
    id: AddresseeId,
    step: &str,
    body: &Value,
    values: &Values,
) -> Step {
    let (tenant, actor) = (&screen.tenant, &screen.actor);
    let recorded = match action {
        Action::Change => match api::change_of(body) {
            Ok(change) => addressees::change_non_resident(tenant, actor, id, &change)
                .await
                .map(|_| "changed"),
            Err(error) => return Step::Invalid(error),
        },
        Action::Unmerge => match api::unmerge_of(body) {
            Ok(reason) => addressees::unmerge(tenant, actor, id, &reason)
                .await
                .map(|()| "unmerged"),
            Err(error) => return Step::Invalid(error),
        },
        Action::Mailing => {
            let Some(business) = Business::from_code(value(values, "business")) else {
                return Step::Invalid(ApiError::invalid(
                    "business",
                    kiban_core::Message::UnknownMailingBusiness {
                        field: "business".into(),
                    },
                ));
            };
            match api::mailing_of(body, id, business) {
                Ok(mailing) => addressees::set_mailing_address(tenant, actor, &mailing)
                    .await
                    .map(|_| "mailing"),
                Err(error) => return Step::Invalid(error),
            }
        }
        Action::Merge => match api::merge_of(body) {
            Ok((into, reason)) if step == "commit" => {
                addressees::merge(tenant, actor, id, into, &reason)
                    .await
                    .map(|()| "merged")
            }
            Ok((into, reason)) => return Step::Confirm(into, reason),
            Err(error) => return Step::Invalid(error),
        },
    };
    match recorded {
        Ok(done) => Step::Done(done),
        Err(error) => Step::Failed(error),
    }
}

/// The 確認画面 of a 名寄せ: both addressees (each read logged), the reason,
/// and the buttons to record or to go back.
async fn merge_confirm(
    screen: Screen,
    id: AddresseeId,
    into: AddresseeId,
    reason: String,
    state: &FormState,
) -> Response {
    let read = |which| {
        addressees::read_addressee(&screen.tenant, &screen.actor, which, today(), false, false)
    };
    let from = match read(id).await {
        Ok(view) => view,
        Err(e) => return failure(e),
    };
    let target = match read(into).await {
        Ok(view) => view,
        Err(AddresseeError::NotFound) => {
            let mut placed = Placed::default();
            placed.add(
                Some("into".to_owned()),
                "指定された宛名番号の宛名は登録されていません".to_owned(),
            );
            let forms = ShowForms {
                merge: FormState {
                    values: state.values.clone(),
                    placed,
                },
                ..ShowForms::default()
            };
            return show_page(
                screen,
                StatusCode::NOT_FOUND,
                id,
                &ShowQuery::default(),
                forms,
            )
            .await;
        }
        Err(e) => return failure(e),
    };
    let page = MergeConfirmPage {
        from: AddresseeFacts::of(&from),
        into: AddresseeFacts::of(&target),
        reason,
        hidden: hidden_of(&state.values),
        chrome: screen.chrome,
    };
    respond(StatusCode::OK, screen.jar, &page)
}

// ---------------------------------------------------------------------------
// The person overview (個人状況照会).
// ---------------------------------------------------------------------------

/// One business's part of the overview as the screen draws it.
pub(crate) struct OverviewSection {
    business: String,
    label: String,
    lines: Vec<(String, String)>,
    items: Vec<String>,
    link: Option<(String, String)>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn date_text(value: &Value) -> String {
    value
        .as_str()
        .and_then(|s| s.parse::<Date>().ok())
        .map_or_else(|| text_of(value), date_ja)
}

fn status_ja(code: &str) -> &'static str {
    match code {
        "resident" => "住民",
        "moved_out" => "転出により消除",
        "deceased" => "死亡により消除",
        _ => "不明",
    }
}

fn overview_section(entry: &OverviewEntry) -> OverviewSection {
    let summary = &entry.summary;
    let screen_link = entry.links["screen"].as_str().map(str::to_owned);
    let mut lines = Vec::new();
    let mut items = Vec::new();
    let open = match entry.business.as_str() {
        "registry" => {
            lines.push(("宛名番号".to_owned(), text_of(&summary["person_id"])));
            lines.push((
                "状態".to_owned(),
                status_ja(summary["status"].as_str().unwrap_or_default()).to_owned(),
            ));
            lines.push(("世帯番号".to_owned(), text_of(&summary["household_id"])));
            lines.push((
                "住民となった日".to_owned(),
                date_text(&summary["resident_from"]),
            ));
            if !summary["removed_on"].is_null() {
                lines.push(("消除日".to_owned(), date_text(&summary["removed_on"])));
            }
            "住民記録を開く".to_owned()
        }
        "seal" => {
            for r in summary["registrations"].as_array().into_iter().flatten() {
                items.push(format!(
                    "登録番号 {}　{}　申請日 {}",
                    text_of(&r["registration_id"]),
                    text_of(&r["status_label"]),
                    date_text(&r["applied_on"])
                ));
            }
            "印鑑登録を開く".to_owned()
        }
        "certificates" => {
            lines.push((
                "交付件数".to_owned(),
                format!("{}件", text_of(&summary["issued"])),
            ));
            for c in summary["latest"].as_array().into_iter().flatten() {
                items.push(format!(
                    "{}　交付日 {}　証明書番号 {}",
                    text_of(&c["kind_label"]),
                    date_text(&c["issued_on"]),
                    text_of(&c["certificate_number"])
                ));
            }
            "証明書交付を開く".to_owned()
        }
        _ => format!("{}を開く", entry.label),
    };
    let link = screen_link.map(|href| (href, open));
    OverviewSection {
        business: entry.business.clone(),
        label: entry.label.clone(),
        lines,
        items,
        link,
    }
}

#[derive(Template)]
#[template(path = "addressee/overview.html")]
pub(crate) struct OverviewPage {
    chrome: Chrome,
    today: String,
    facts: AddresseeFacts,
    numbers: Vec<u64>,
    sections: Vec<OverviewSection>,
}

/// `GET /app/addressee/{id}/overview`: 個人状況照会, the addressee and one
/// section per business that holds something about the person and that the
/// caller's role may read (each business's read logged).
pub async fn overview(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let screen = match screen(
        &state,
        jar,
        &headers,
        Permission::AddresseeRead,
        "addressee_overview",
        Some(&id),
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let Some(id) = addressee_number(&id) else {
        return missing_page();
    };
    let today = today();
    let view =
        match addressees::read_addressee(&screen.tenant, &screen.actor, id, today, false, false)
            .await
        {
            Ok(view) => view,
            Err(e) => return failure(e),
        };
    let m = screen.chrome.municipality_code.clone();
    let gathered = match super::overview::gather_overview(
        &screen.tenant,
        &screen.actor,
        &screen.principal,
        &m,
        &view,
    )
    .await
    {
        Ok(gathered) => gathered,
        Err(e) => return e.into_response(),
    };
    let page = OverviewPage {
        today: date_ja(today),
        facts: AddresseeFacts::of(&view),
        numbers: gathered.addressee_ids.clone(),
        sections: gathered.businesses.iter().map(overview_section).collect(),
        chrome: screen.chrome,
    };
    respond(StatusCode::OK, screen.jar, &page)
}
