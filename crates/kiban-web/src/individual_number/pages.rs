//! The 個人番号 of a person on a screen (`/app/registry/persons/{id}/individual-number`):
//! masked, or revealed with a purpose (利用目的) by the roles allowed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_registry::domain::PersonId;
use kiban_registry::storage::{self as registry, Revealed};
use serde::Deserialize;

use crate::kit::page::render;
use crate::kit::session::{self};
use crate::registry::api::registry_error;
use crate::{ApiError, AppState};

use crate::kit::page::{Chrome, message, screen};

/// The shortest purpose accepted for a reveal (利用目的).
const PURPOSE_MIN_CHARS: usize = 4;
/// The longest purpose accepted.
const PURPOSE_MAX_CHARS: usize = 200;

// ---------------------------------------------------------------------------
// 個人番号 of a person.

#[derive(Template)]
#[template(path = "individual_number/show.html")]
struct NumberPage<'a> {
    chrome: Chrome,
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

/// `GET /app/registry/persons/{person_id}/individual-number`: the 個人番号 masked, with
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
    .await
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let masked = registry::masked_individual_number(&s.tenant, &s.actor, person)
        .await
        .map_err(registry_error)?;
    let Some(masked) = masked else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let page = NumberPage {
        chrome: s.chrome,
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

/// `POST /app/registry/persons/{person_id}/individual-number/reveal`: shows the
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
    .await
    {
        Ok(s) => s,
        Err(response) => return Ok(response),
    };
    let Some(person) = person else {
        return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
    };
    let purpose = match parse_purpose(&form.purpose) {
        Ok(p) => p,
        Err(e) => {
            let masked = registry::masked_individual_number(&s.tenant, &s.actor, person)
                .await
                .map_err(registry_error)?;
            let Some(masked) = masked else {
                return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
            };
            let mut chrome = s.chrome;
            chrome.error = Some(e.message);
            let page = NumberPage {
                chrome,
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
            return message(StatusCode::NOT_FOUND, s.chrome, "該当する住民はいません");
        }
        Revealed::NoNumber => None,
        Revealed::Number(n) => Some(n),
    };
    let page = NumberPage {
        chrome: s.chrome,
        person_id: person.get(),
        masked: None,
        revealed: Some(number.as_ref().map_or("（登録なし）", |n| n.as_str())),
        purpose: &purpose,
        may_reveal: true,
    };
    Ok((s.jar, render(&page)?).into_response())
}
