//! Staff management (職員管理, `/app/staff`) by the municipality's own
//! administrator.
//!
//! Every staff screen acts in the logged-in staff member's own municipality
//! (no municipality in the path, so another municipality's accounts or
//! residents cannot even be named), checks the role's permission and writes
//! a refusal to the access log when it is missing. Operators get 403.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::{AuthError, Permission, Role};
use serde::Deserialize;

use crate::kit::page::render;
use crate::kit::session::{self};
use crate::{ApiError, AppState};

use crate::kit::display::sanitize_login as sanitize;
use crate::kit::page::{Chrome, Screen, screen};

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
#[template(path = "staff/list.html")]
struct StaffPage {
    chrome: Chrome,
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
    let mut chrome = s.chrome;
    chrome.notice = notice;
    chrome.error = error;
    let page = StaffPage {
        chrome,
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
    .await
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
        AuthError::InvalidInput { problem, .. } => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, problem.message().text()))
        }
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
    .await
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
    .await
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
            Err(_) => Err(AuthError::InvalidInput {
                field: "role",
                problem: kiban_auth::AccountProblem::UnknownRole(form.role.trim().to_owned()),
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
