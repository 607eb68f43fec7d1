//! Clerk screens: login, the staff shell, logout.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::TokenKind;
use kiban_core::MunicipalityCode;
use serde::Deserialize;

use crate::kit::display::date_ja;
pub(crate) use crate::kit::page::{self, Chrome, NavItem, csrf_from, render};
use crate::kit::session::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::{ApiError, AppState};

/// The businesses in the navigation, in the order clerks expect.
pub const NAVIGATION: &[NavItem] = &[
    NavItem {
        label: "住民記録",
        href: Some("/app/registry"),
    },
    NavItem {
        label: "証明書交付",
        href: Some("/app/certificates/new"),
    },
    NavItem {
        label: "印鑑登録",
        href: Some("/app/seal"),
    },
    NavItem {
        label: "宛名管理",
        href: Some("/app/addressee"),
    },
    NavItem {
        label: "個人住民税",
        href: Some("/app/resident-tax"),
    },
    NavItem {
        label: "固定資産税",
        href: None,
    },
    NavItem {
        label: "軽自動車税",
        href: None,
    },
    NavItem {
        label: "収納・滞納",
        href: None,
    },
    NavItem {
        label: "国民健康保険",
        href: None,
    },
    NavItem {
        label: "福祉・児童手当",
        href: None,
    },
    NavItem {
        label: "バッチ管理",
        href: Some("/app/batch"),
    },
    NavItem {
        label: "利用履歴",
        href: Some("/app/audit/access-log"),
    },
    NavItem {
        label: "職員管理",
        href: Some("/app/staff"),
    },
];

#[derive(Template)]
#[template(path = "platform/login.html")]
struct LoginPage<'a> {
    municipality_code: &'a str,
    login: &'a str,
    error: Option<&'a str>,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "platform/shell.html")]
struct ShellPage {
    chrome: Chrome,
    today: String,
}

/// `GET /`: to the shell when logged in, else to the login page.
pub async fn root(State(state): State<AppState>, jar: CookieJar) -> Result<Redirect, ApiError> {
    Ok(match session::screen_principal(&state, &jar).await? {
        Some(_) => Redirect::to("/app"),
        None => Redirect::to("/login"),
    })
}

#[derive(Deserialize)]
pub struct LoginQuery {
    m: Option<String>,
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let (jar, csrf) = csrf_from(jar, state.config.secure_cookies);
    let page = LoginPage {
        municipality_code: query.m.as_deref().unwrap_or(""),
        login: "",
        error: None,
        csrf: &csrf,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    municipality_code: String,
    login: String,
    password: String,
    /// 確認コード (TOTP), once the account has enrolled a second factor.
    #[serde(default)]
    otp: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: the password, and the second-factor code when the
/// account has one. An account whose role needs a second factor that it
/// has not enrolled yet goes to the enrolment screen (`/app/staff/enrol`) with a
/// session that opens nothing else.
pub async fn login_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let secure = state.config.secure_cookies;
    if !session::csrf_ok(&jar, &form.csrf) {
        let (jar, csrf) = csrf_from(jar.remove(CSRF_COOKIE), secure);
        let page = LoginPage {
            municipality_code: &form.municipality_code,
            login: &form.login,
            error: Some("画面の有効期限が切れました。もう一度ログインしてください。"),
            csrf: &csrf,
        };
        return Ok((StatusCode::FORBIDDEN, jar, render(&page)?).into_response());
    }
    let failure =
        |status: StatusCode, message: &'static str, jar: CookieJar| -> Result<Response, ApiError> {
            let (jar, csrf) = csrf_from(jar, secure);
            let page = LoginPage {
                municipality_code: &form.municipality_code,
                login: &form.login,
                error: Some(message),
                csrf: &csrf,
            };
            Ok((status, jar, render(&page)?).into_response())
        };
    const WRONG: &str = "団体コード、ログインIDまたはパスワードが正しくありません。";
    let Ok(code) = MunicipalityCode::parse(form.municipality_code.trim()) else {
        return failure(StatusCode::UNAUTHORIZED, WRONG, jar);
    };
    let tenant = match state.db.tenant(code).await {
        Ok(t) => t,
        Err(kiban_store::StoreError::UnknownMunicipality(_)) => {
            kiban_auth::spend_verification_time(&form.password);
            return failure(StatusCode::UNAUTHORIZED, WRONG, jar);
        }
        Err(e) => return Err(e.into()),
    };
    let otp = Some(form.otp.trim()).filter(|o| !o.is_empty());
    let outcome = match kiban_auth::login_staff(&tenant, form.login.trim(), &form.password, otp)
        .await
    {
        Ok(outcome) => outcome,
        Err(kiban_auth::AuthError::InvalidCredentials) => {
            return failure(StatusCode::UNAUTHORIZED, WRONG, jar);
        }
        Err(kiban_auth::AuthError::WrongSecondFactor) => {
            return failure(
                StatusCode::UNAUTHORIZED,
                "確認コードが正しくないか、既に使われています。認証アプリに表示されている6桁のコードを入力してください。",
                jar,
            );
        }
        Err(kiban_auth::AuthError::Locked) => {
            return failure(
                StatusCode::TOO_MANY_REQUESTS,
                "ログインの失敗が続いたため、しばらくログインできません。時間をおいてお試しください。",
                jar,
            );
        }
        Err(e) => return Err(e.into()),
    };
    if let kiban_auth::LoginOutcome::EnrolmentRequired(_) = outcome {
        let issued = kiban_auth::issue_enrolment_session(
            &tenant,
            form.login.trim(),
            jiff::SignedDuration::from_mins(15),
        )
        .await?;
        let jar = jar
            .add(session::cookie(SESSION_COOKIE, issued.token, secure))
            .add(session::cookie(
                CSRF_COOKIE,
                session::new_csrf_token(),
                secure,
            ));
        return Ok((jar, Redirect::to("/app/staff/enrol")).into_response());
    }
    let ttl = jiff::SignedDuration::from_hours(state.config.session_hours);
    let issued =
        kiban_auth::issue_staff_token(&tenant, form.login.trim(), TokenKind::Session, ttl).await?;
    // A fresh CSRF token for the session.
    let jar = jar
        .add(session::cookie(SESSION_COOKIE, issued.token, secure))
        .add(session::cookie(
            CSRF_COOKIE,
            session::new_csrf_token(),
            secure,
        ));
    Ok((jar, Redirect::to("/app")).into_response())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, &form.csrf) {
        return Err(ApiError::forbidden());
    }
    if let Some(principal) = session::screen_principal(&state, &jar).await? {
        kiban_auth::revoke(&state.db, &principal).await?;
    }
    let jar = jar.remove(SESSION_COOKIE);
    Ok((jar, Redirect::to("/login")).into_response())
}

/// `GET /app`: the staff shell.
pub async fn shell(State(state): State<AppState>, jar: CookieJar) -> Response {
    let (_, chrome, jar) = match page::staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return response,
    };
    let page = ShellPage {
        chrome,
        today: date_ja(kiban_core::today_in_japan()),
    };
    match render(&page) {
        Ok(html) => (jar, html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /static/kiban.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/kiban.css"),
    )
        .into_response()
}

/// Anything else: 404, as JSON under `/api`, as a page otherwise.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found().into_response();
    }
    page::error_page(
        StatusCode::NOT_FOUND,
        "ページが見つかりません",
        "お探しのページはありません。アドレスを確かめてください。",
    )
}

/// Screens answer the errors that a clerk can act on with a page rather
/// than the API's JSON: today a missing master key (503
/// `master_key_not_configured`), which any screen that seals or opens a
/// value (movements with a 個人番号, its reveal, second-factor enrolment)
/// may meet. API responses pass unchanged.
pub(crate) async fn screen_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let code = response
        .extensions()
        .get::<crate::kit::error::AnsweredCode>()
        .copied();
    match code {
        Some(crate::kit::error::AnsweredCode(kiban_core::ErrorCode::MasterKeyNotConfigured))
            if !api =>
        {
            page::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "マスター鍵が設定されていません",
                "マスター鍵が設定されていないため、個人番号や二要素認証の秘密鍵を扱う操作はできません。\
                 何も登録していません。運用者に、--master-key-file または環境変数 KIBAN_MASTER_KEY で\
                 マスター鍵を指定して起動し直すよう依頼してください。",
            )
        }
        _ => response,
    }
}
