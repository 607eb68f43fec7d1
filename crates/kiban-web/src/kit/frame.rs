//! The frame of the staff screens that act in the logged-in staff member's
//! own municipality (no municipality in the path): the screen's chrome,
//! its door (session, permission, refusal logged) and its message page.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal, Role};
use kiban_store::TenantDb;

use crate::kit::door::refuse;
use crate::kit::session::{self};
use crate::platform::pages::{NAVIGATION, NavItem, csrf_from, render};
use crate::{ApiError, AppState};

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

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
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
