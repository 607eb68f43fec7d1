//! Who is calling: bearer tokens for the API, session cookies for screens,
//! and the CSRF token of forms.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use kiban_auth::{Principal, TokenKind};
use rand::RngCore;

use crate::{ApiError, AppState};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kiban_session";
/// Name of the CSRF cookie (double-submit: forms carry the same value).
pub const CSRF_COOKIE: &str = "kiban_csrf";

/// The principal of an API request, from `Authorization: Bearer …`.
pub struct ApiPrincipal(pub Principal);

impl FromRequestParts<AppState> for ApiPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(ApiError::unauthorized)?;
        let principal = kiban_auth::authenticate(&state.db, token, TokenKind::Api).await?;
        crate::kit::metrics::attribute(&principal);
        Ok(ApiPrincipal(principal))
    }
}

/// The principal of a screen request, from the session cookie; `None` when
/// not logged in.
pub async fn screen_principal(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<Principal>, ApiError> {
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let idle = jiff::SignedDuration::from_mins(state.config.session_idle_minutes);
    match kiban_auth::authenticate_idle(&state.db, cookie.value(), TokenKind::Session, idle).await {
        Ok(p) => {
            crate::kit::metrics::attribute(&p);
            Ok(Some(p))
        }
        Err(kiban_auth::AuthError::InvalidCredentials) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The principal of an enrolment-only session (password right, second
/// factor still to enrol); `None` otherwise.
pub async fn enrolment_principal(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<Principal>, ApiError> {
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    match kiban_auth::authenticate_enrolment(&state.db, cookie.value()).await {
        Ok(p) => Ok(Some(p)),
        Err(kiban_auth::AuthError::InvalidCredentials) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A new random CSRF token.
pub fn new_csrf_token() -> String {
    let mut buf = [0u8; 24];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A cookie with the project's flags: HttpOnly, SameSite=Strict, path `/`,
/// and Secure when configured.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}

/// Whether a submitted form's CSRF token matches the cookie.
pub fn csrf_ok(jar: &CookieJar, submitted: &str) -> bool {
    match jar.get(CSRF_COOKIE) {
        Some(c) => !submitted.is_empty() && c.value().as_bytes() == submitted.as_bytes(),
        None => false,
    }
}
