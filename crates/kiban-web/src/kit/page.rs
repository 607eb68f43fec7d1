//! The page chrome of every staff screen: one [`Chrome`] (who is logged in
//! where, the navigation, the CSRF token of the page's forms, a notice or an
//! error), one door for screens ([`screen`], [`staff`]), one [`render`], and
//! one set of message and error pages, all drawn by one layout
//! (`templates/kit/layout.html` over `templates/kit/base.html`).
//!
//! A business module builds its screens from these and never from another
//! business's page helpers.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal, Role};
use kiban_core::MunicipalityCode;
use kiban_store::TenantDb;

use crate::kit::door::refuse;
use crate::kit::session::{self, CSRF_COOKIE};
use crate::platform::pages::NAVIGATION;
use crate::{ApiError, AppState};

/// One entry of the navigation: a business, and whether it exists yet.
pub struct NavItem {
    /// Japanese label.
    pub label: &'static str,
    /// Link, or `None` while the business is not built.
    pub href: Option<&'static str>,
}

/// The tabs a business shows above its screens (the registry's 住民検索 and
/// 転入届), with the class its screens are styled under.
pub(crate) struct Tabs {
    /// The accessible name of the tab bar.
    pub(crate) label: &'static str,
    /// The class of the content area (`registry`).
    pub(crate) class: &'static str,
    /// Each tab's link and label.
    pub(crate) links: &'static [(&'static str, &'static str)],
}

/// What every staff screen shows around its content.
pub(crate) struct Chrome {
    pub(crate) municipality_name: String,
    pub(crate) municipality_code: String,
    pub(crate) user_name: String,
    pub(crate) role_label: &'static str,
    pub(crate) navigation: Vec<&'static NavItem>,
    pub(crate) csrf: String,
    /// A business's tabs, if it has any.
    pub(crate) tabs: Option<&'static Tabs>,
    /// A message of success above the content (`#notice`).
    pub(crate) notice: Option<String>,
    /// A message of failure above the content (`#page-error`).
    pub(crate) error: Option<String>,
}

/// A logged-in staff member on a screen, before any permission is checked:
/// for the screens that authorize each action through [`crate::kit::door`].
pub(crate) struct Staff {
    pub(crate) principal: Principal,
    pub(crate) chrome: Chrome,
    pub(crate) jar: CookieJar,
}

impl Staff {
    /// The staff member, the chrome and the cookies, for destructuring.
    pub(crate) fn into_parts(self) -> (Principal, Chrome, CookieJar) {
        (self.principal, self.chrome, self.jar)
    }
}

/// A logged-in staff member on a screen, allowed the permission asked for.
pub(crate) struct Screen {
    pub(crate) principal: Principal,
    pub(crate) tenant: TenantDb,
    pub(crate) actor: Actor,
    pub(crate) role: Role,
    pub(crate) chrome: Chrome,
    pub(crate) jar: CookieJar,
}

/// Renders a template to HTML.
pub(crate) fn render(template: &impl Template) -> Result<Html<String>, ApiError> {
    template.render().map(Html).map_err(ApiError::internal)
}

/// The CSRF token of the page's forms: the cookie's, or a new one set in
/// the returned jar.
pub(crate) fn csrf_from(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    match jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()) {
        Some(token) if !token.is_empty() => (jar, token),
        _ => {
            let token = session::new_csrf_token();
            let jar = jar.add(session::cookie(CSRF_COOKIE, token.clone(), secure));
            (jar, token)
        }
    }
}

#[derive(Template)]
#[template(path = "kit/message.html")]
struct MessagePage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: Option<&'a str>,
}

/// A page inside the layout that only says `title` (`#error-title`), with
/// its status.
pub(crate) fn message(
    status: StatusCode,
    chrome: Chrome,
    title: &str,
) -> Result<Response, ApiError> {
    let page = MessagePage {
        chrome,
        title,
        message: None,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "kit/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A page without the chrome, for a refusal, a missing record or a failure
/// a clerk can act on, with its status.
/// A page rendered with `status` and the session's cookies.
pub(crate) fn respond(status: StatusCode, jar: CookieJar, page: &impl Template) -> Response {
    match render(page) {
        Ok(html) => (status, jar, html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The page of a form posted without the page's CSRF token.
pub(crate) fn expired(jar: CookieJar) -> Response {
    (
        jar.remove(CSRF_COOKIE),
        error_page(
            StatusCode::FORBIDDEN,
            "画面の有効期限が切れました",
            "画面の有効期限が切れたため、入力を受け付けられませんでした。もう一度画面を開いて入力してください。",
        ),
    )
        .into_response()
}

pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    match render(&ErrorPage { title, message }) {
        Ok(html) => (status, html).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The title and text of a refused screen.
const FORBIDDEN_TITLE: &str = "権限がありません";
const FORBIDDEN_MESSAGE: &str =
    "この画面を利用する権限がありません。必要な場合は団体管理者に権限の付与を依頼してください。";

/// The page, inside the layout, of a screen or an action the caller's role
/// may not use (403).
pub(crate) fn refusal(chrome: Chrome) -> Result<Response, ApiError> {
    let page = MessagePage {
        chrome,
        title: FORBIDDEN_TITLE,
        message: Some(FORBIDDEN_MESSAGE),
    };
    Ok((StatusCode::FORBIDDEN, render(&page)?).into_response())
}

/// The page of a screen the caller's role may not use (403), without the
/// chrome.
pub(crate) fn forbidden_page() -> Response {
    error_page(StatusCode::FORBIDDEN, FORBIDDEN_TITLE, FORBIDDEN_MESSAGE)
}

/// The page of a record that does not exist (404).
pub(crate) fn not_found_page(message: &str) -> Response {
    error_page(StatusCode::NOT_FOUND, "見つかりません", message)
}

/// The staff member of a screen request and the page's chrome. `Err` holds
/// the response to send instead: the login page without a session, 403 for
/// a service operator (operators have no staff screens: they never see
/// resident data).
pub(crate) async fn staff(state: &AppState, jar: CookieJar) -> Result<Staff, Response> {
    let principal = match session::screen_principal(state, &jar).await {
        Ok(Some(principal)) => principal,
        Ok(None) => return Err(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into_response()),
    };
    let Principal::Staff {
        municipality,
        display_name,
        role,
        ..
    } = &principal
    else {
        return Err(forbidden_page());
    };
    let found = kiban_store::platform::find_municipality(&state.db, *municipality)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let Some(found) = found else {
        return Err(not_found_page("団体が見つかりません。"));
    };
    let (jar, csrf) = csrf_from(jar, state.config.secure_cookies);
    let chrome = Chrome {
        municipality_name: found.name,
        municipality_code: found.code.as_str().to_owned(),
        user_name: display_name.clone(),
        role_label: Role::label_ja(*role),
        navigation: NAVIGATION
            .iter()
            .filter(|item| shown(item, &principal, *municipality))
            .collect(),
        csrf,
        tabs: None,
        notice: None,
        error: None,
    };
    Ok(Staff {
        principal,
        chrome,
        jar,
    })
}

/// The door of a screen in the staff member's own municipality: [`staff`],
/// then `permission`. A role without it is answered 403 after a `refused`
/// entry (`operation`, and the person of the path if any) is written to the
/// access log, as the API's door does.
pub(crate) async fn screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    operation: &str,
    person: Option<i64>,
) -> Result<Screen, Response> {
    let Staff {
        principal,
        chrome,
        jar,
    } = staff(state, jar).await?;
    let (Some(municipality), Some(role)) = (principal.municipality(), staff_role(&principal))
    else {
        return Err(forbidden_page());
    };
    let actor = crate::kit::door::actor_of(&principal, headers);
    let tenant = state
        .db
        .tenant(municipality)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    if !principal.may(municipality, permission) {
        if let Err(e) = refuse(&tenant, &actor, person, operation).await {
            return Err(e.into_response());
        }
        return Err(match refusal(chrome) {
            Ok(page) => (jar, page).into_response(),
            Err(e) => e.into_response(),
        });
    }
    Ok(Screen {
        principal,
        tenant,
        actor,
        role,
        chrome,
        jar,
    })
}

/// The entries of the navigation that only some roles see, with the
/// permission they need: the others see every business, built or not.
const GATED: &[(&str, Permission)] = &[
    ("/app/addressee", Permission::AddresseeRead),
    ("/app/resident-tax", Permission::Tax),
];

/// Whether the navigation shows `item` to `principal` in `municipality`.
fn shown(item: &NavItem, principal: &Principal, municipality: MunicipalityCode) -> bool {
    GATED
        .iter()
        .filter(|(href, _)| item.href == Some(*href))
        .all(|(_, permission)| principal.may(municipality, *permission))
}

fn staff_role(principal: &Principal) -> Option<Role> {
    match principal {
        Principal::Staff { role, .. } => Some(*role),
        _ => None,
    }
}
