//! Second-factor enrolment (`/app/staff/enrol`): TOTP secret, QR code and the
//! first code, for roles that must have a second factor.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use kiban_audit::AuditAction;
use kiban_auth::{AuthError, Principal, TokenKind};
use serde::Deserialize;

use crate::kit::page::{csrf_from, render};
use crate::kit::session::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::{ApiError, AppState};

// ---------------------------------------------------------------------------
// Second-factor enrolment.

#[derive(Template)]
#[template(path = "staff/enrol.html")]
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

/// `GET /app/staff/enrol`: the QR code and the key of a new second factor.
pub async fn enrol_form(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    enrol_page(&state, jar, StatusCode::OK, None).await
}

/// The form of `POST /app/staff/enrol`.
#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /app/staff/enrol`: confirms the second factor with a code and logs in.
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
    let actor = crate::kit::door::actor_of(&principal, &headers);
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
