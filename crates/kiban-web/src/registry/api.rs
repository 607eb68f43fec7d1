//! The resident-registry JSON API (`/api/v1/municipalities/{m}/…`):
//! movements (異動), reads as of a date, history, search and the access log
//! of a person.
//!
//! Every handler first checks the tenancy and the permission
//! ([`authorize`]): a token of another municipality gets the same 404 as an
//! unknown id, an operator gets 403, and each refusal is written to the
//! access log of the caller's own municipality (never into the other one).

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kiban_audit::{Actor, AuditAction, StoredEntry};
use kiban_auth::{Permission, Principal};
use kiban_core::{Date, KanaName, Message, PersonName, Sex};
use kiban_protection::Exposure;
use kiban_registry::domain::{
    Action, Address, AddressChange, AddressDraft, AddressText, BirthCommand, Cancellation, Changes,
    Death, ExOfficioCorrection, HouseholdId, HouseholdSplitCommand, MoveInCommand, MoveInPerson,
    MoveOut, MovementCommand, MovementId, MovementKind, PersonId, PersonInput, PersonInputDraft,
    PersonListing, PersonRecord, ReasonText, Rejection, StatusOfResidence, parse_date, parse_field,
};
use kiban_registry::storage::{self, HistoryEntry, RegistryError, SearchQuery};
use kiban_store::TenantDb;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::kit::door::{Target, authorize, parse_person_id, person_number, refuse};
use crate::kit::session::ApiPrincipal;
use crate::platform::api::json_body;
use crate::{ApiError, AppState};

/// The most entries the access log of a person returns.
const ACCESS_LOG_LIMIT: u32 = 1_000;
/// The most persons a search returns.
const SEARCH_LIMIT: u32 = 200;

/// A registry error as the API answers it: 422 or 409 naming the field for
/// a rejection, 503 without a master key, 500 for another storage failure.
pub(crate) fn registry_error(error: RegistryError) -> ApiError {
    match error {
        RegistryError::Rejected(rejection) => rejection_error(rejection),
        RegistryError::Store(e) => ApiError::from(e),
    }
}

fn rejection_error(rejection: Rejection) -> ApiError {
    ApiError::invalid(rejection.field.clone(), rejection.message())
}

fn missing(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        Message::Required {
            field: field.into(),
        },
    )
}

/// A member of the wrong JSON type: `expected` says which message.
fn wrong_type(field: &str, expected: fn(String) -> Message) -> ApiError {
    ApiError::invalid(field, expected(field.into()))
}

fn array(field: String) -> Message {
    Message::MustBeArray { field }
}

/// `{path}.{name}`, or `name` at the top level.
fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The fields of a JSON object at `path`.
fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    value.as_object().ok_or_else(|| {
        if path.is_empty() {
            ApiError::of(Message::BodyNotObject {})
        } else {
            wrong_type(path, |field| Message::MustBeObject { field })
        }
    })
}

/// An optional string member; `null` counts as absent.
fn opt_text(obj: &Map<String, Value>, path: &str, name: &str) -> Result<Option<String>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(&join(path, name), |field| {
            Message::MustBeString { field }
        })),
    }
}

/// A required string member.
fn text(obj: &Map<String, Value>, path: &str, name: &str) -> Result<String, ApiError> {
    opt_text(obj, path, name)?.ok_or_else(|| missing(&join(path, name)))
}

/// A positive number given as a JSON number or a string of digits.
fn number(value: &Value, field: &str) -> Result<u64, ApiError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                Message::MustBePositive {
                    field: field.into(),
                },
            )
        })
}

fn opt_number(obj: &Map<String, Value>, path: &str, name: &str) -> Result<Option<u64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => number(v, &join(path, name)).map(Some),
    }
}

fn required_number(obj: &Map<String, Value>, path: &str, name: &str) -> Result<u64, ApiError> {
    opt_number(obj, path, name)?.ok_or_else(|| missing(&join(path, name)))
}

fn person_ids(obj: &Map<String, Value>, name: &str) -> Result<Vec<PersonId>, ApiError> {
    let Some(value) = obj.get(name).filter(|v| !v.is_null()) else {
        return Err(missing(name));
    };
    let items = value.as_array().ok_or_else(|| wrong_type(name, array))?;
    if items.is_empty() {
        return Err(ApiError::invalid(
            name,
            Message::EmptyPersonList { field: name.into() },
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| number(v, &format!("{name}[{i}]")).map(PersonId::new))
        .collect()
}

fn address(obj: &Map<String, Value>, name: &str) -> Result<Option<Address>, ApiError> {
    let Some(value) = obj.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let fields = object(value, name)?;
    let draft = AddressDraft {
        postal_code: text(fields, name, "postal_code")?,
        address_line: text(fields, name, "address_line")?,
        katagaki: opt_text(fields, name, "katagaki")?,
    };
    draft.parse(name).map(Some).map_err(rejection_error)
}

fn required_address(obj: &Map<String, Value>, name: &str) -> Result<Address, ApiError> {
    address(obj, name)?.ok_or_else(|| missing(name))
}

fn address_text(obj: &Map<String, Value>, name: &str) -> Result<AddressText, ApiError> {
    let raw = text(obj, "", name)?;
    parse_field(name, &raw, AddressText::parse).map_err(rejection_error)
}

fn reason_text(obj: &Map<String, Value>) -> Result<ReasonText, ApiError> {
    let raw = text(obj, "", "reason")?;
    parse_field("reason", &raw, ReasonText::parse).map_err(rejection_error)
}

fn person_input(value: &Value, path: &str) -> Result<PersonInput, ApiError> {
    let fields = object(value, path)?;
    let draft = PersonInputDraft {
        name: text(fields, path, "name")?,
        name_kana: text(fields, path, "name_kana")?,
        birth_date: text(fields, path, "birth_date")?,
        sex: text(fields, path, "sex")?,
        relationship: text(fields, path, "relationship")?,
        nationality: opt_text(fields, path, "nationality")?,
        status_of_residence: opt_text(fields, path, "status_of_residence")?,
        period_of_stay_until: opt_text(fields, path, "period_of_stay_until")?,
        individual_number: opt_text(fields, path, "individual_number")?,
    };
    draft.parse(path).map_err(rejection_error)
}

fn changes(obj: &Map<String, Value>) -> Result<Changes, ApiError> {
    let Some(value) = obj.get("changes").filter(|v| !v.is_null()) else {
        return Err(missing("changes"));
    };
    let fields = object(value, "changes")?;
    let path = "changes";
    let name = opt_text(fields, path, "name")?
        .map(|t| parse_field("changes.name", &t, PersonName::parse))
        .transpose()
        .map_err(rejection_error)?;
    let name_kana = opt_text(fields, path, "name_kana")?
        .map(|t| parse_field("changes.name_kana", &t, KanaName::parse))
        .transpose()
        .map_err(rejection_error)?;
    let birth_date = opt_text(fields, path, "birth_date")?
        .map(|t| parse_date("changes.birth_date", &t))
        .transpose()
        .map_err(rejection_error)?;
    let sex = opt_text(fields, path, "sex")?
        .map(|t| parse_field("changes.sex", t.trim(), Sex::parse))
        .transpose()
        .map_err(rejection_error)?;
    let status_of_residence = opt_text(fields, path, "status_of_residence")?
        .map(|t| parse_field("changes.status_of_residence", &t, StatusOfResidence::parse))
        .transpose()
        .map_err(rejection_error)?;
    let period_of_stay_until = opt_text(fields, path, "period_of_stay_until")?
        .map(|t| parse_date("changes.period_of_stay_until", &t))
        .transpose()
        .map_err(rejection_error)?;
    Ok(Changes {
        status_of_residence,
        period_of_stay_until,
        name,
        name_kana,
        birth_date,
        sex,
    })
}

/// Turns the JSON body of `POST …/movements` into a command; the first bad
/// field is named by its JSON path.
pub(crate) fn movement_command(body: &Value) -> Result<MovementCommand, ApiError> {
    let obj = object(body, "")?;
    let kind_code = text(obj, "", "kind")?;
    let kind = MovementKind::from_code(kind_code.trim()).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            Message::UnknownMovementKind {
                kind: kind_code.to_string(),
            },
        )
    })?;
    let event_date =
        parse_date("event_date", &text(obj, "", "event_date")?).map_err(rejection_error)?;
    let notified_on =
        parse_date("notified_on", &text(obj, "", "notified_on")?).map_err(rejection_error)?;
    let action = match kind {
        MovementKind::MoveIn => {
            let Some(list) = obj.get("persons").filter(|v| !v.is_null()) else {
                return Err(missing("persons"));
            };
            let list = list
                .as_array()
                .ok_or_else(|| wrong_type("persons", array))?;
            if list.is_empty() {
                return Err(ApiError::invalid("persons", Message::NoPersonsMovingIn {}));
            }
            let mut persons = Vec::with_capacity(list.len());
            for (i, value) in list.iter().enumerate() {
                let path = format!("persons[{i}]");
                let returning = opt_number(object(value, &path)?, &path, "returning_person_id")?;
                persons.push(MoveInPerson {
                    returning_person_id: returning.map(PersonId::new),
                    input: person_input(value, &path)?,
                });
            }
            Action::MoveIn(MoveInCommand {
                persons,
                address: required_address(obj, "address")?,
                previous_address: address_text(obj, "previous_address")?,
                household_id: opt_number(obj, "", "household_id")?.map(HouseholdId::new),
            })
        }
        MovementKind::Birth => {
            let household_id = HouseholdId::new(required_number(obj, "", "household_id")?);
            let Some(person) = obj.get("person").filter(|v| !v.is_null()) else {
                return Err(missing("person"));
            };
            Action::Birth(BirthCommand {
                household_id,
                person: person_input(person, "person")?,
            })
        }
        MovementKind::AddressChange => Action::AddressChange(AddressChange {
            household_id: HouseholdId::new(required_number(obj, "", "household_id")?),
            address: required_address(obj, "address")?,
        }),
        MovementKind::MoveOut => Action::MoveOut(MoveOut {
            person_ids: person_ids(obj, "person_ids")?,
            destination_address: address_text(obj, "destination_address")?,
            new_head_person_id: opt_number(obj, "", "new_head_person_id")?.map(PersonId::new),
        }),
        MovementKind::Death => Action::Death(Death {
            person_id: PersonId::new(required_number(obj, "", "person_id")?),
            new_head_person_id: opt_number(obj, "", "new_head_person_id")?.map(PersonId::new),
        }),
        MovementKind::HouseholdSplit => Action::HouseholdSplit(HouseholdSplitCommand {
            person_ids: person_ids(obj, "person_ids")?,
            new_head_person_id: PersonId::new(required_number(obj, "", "new_head_person_id")?),
            address: address(obj, "address")?,
        }),
        MovementKind::ExOfficioCorrection => {
            let person_id = PersonId::new(required_number(obj, "", "person_id")?);
            let changes = changes(obj)?;
            if changes.is_empty() {
                return Err(ApiError::invalid("changes", Message::NoChangesGiven {}));
            }
            Action::ExOfficioCorrection(ExOfficioCorrection {
                person_id,
                changes,
                reason: reason_text(obj)?,
            })
        }
        MovementKind::Cancellation => Action::Cancellation(Cancellation {
            movement_id: MovementId::new(required_number(obj, "", "movement_id")?),
            reason: reason_text(obj)?,
        }),
    };
    Ok(MovementCommand {
        event_date,
        notified_on,
        action,
    })
}

fn address_json(address: &Address) -> Value {
    json!({
        "postal_code": address.postal_code.as_str(),
        "address_line": address.address_line.as_str(),
        "katagaki": address.katagaki.as_ref().map(AddressText::as_str),
    })
}

/// The person view of the contract.
fn person_json(record: &PersonRecord) -> Value {
    listing_json(&PersonListing::from(record.clone()))
}

/// The person view of the contract (also each search result).
fn listing_json(record: &PersonListing) -> Value {
    json!({
        "person_id": record.person_id.get(),
        "household_id": record.household_id.get(),
        "name": record.name.as_str(),
        "name_kana": record.name_kana.as_str(),
        "birth_date": record.birth_date.to_string(),
        "sex": record.sex.code(),
        "relationship": record.relationship.code(),
        "nationality": record.nationality.as_str(),
        "status_of_residence": record.status_of_residence.as_ref().map(|s| s.as_str()),
        "period_of_stay_until": record.period_of_stay_until.map(|d| d.to_string()),
        "address": address_json(&record.address),
        "status": record.status.code(),
        "resident_from": record.resident_from.to_string(),
        "removed_on": record.removed_on.map(|d| d.to_string()),
        "resident_record_code": record.resident_record_code.as_str(),
        "individual_number_masked": record.individual_number_masked(),
    })
}

fn version_json(entry: &HistoryEntry) -> Value {
    let version = &entry.version;
    json!({
        "movement_id": version.movement_id.get(),
        "kind": version.kind.code(),
        "event_date": version.event_date.to_string(),
        "notified_on": version.notified_on.to_string(),
        "recorded_at": entry.recorded_at.to_string(),
        "recorded_sequence": version.sequence.get(),
        "cancelled": version.cancelled,
        "record": version.record.as_ref().map(person_json),
    })
}

fn entry_json(entry: &StoredEntry) -> Value {
    json!({
        "at": entry.at,
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action.code(),
        "purpose": entry.purpose,
    })
}

/// The `as_of` query parameter, today in Japan when absent.
fn as_of(raw: Option<&str>) -> Result<Date, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("as_of", text).map_err(rejection_error),
        None => Ok(kiban_core::today_in_japan()),
    }
}

/// `POST /api/v1/municipalities/{m}/movements`: records a movement (異動).
pub async fn record_movement(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "record_movement",
        person: None,
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryWrite,
        target,
    )
    .await?;
    let value = json_body(&body)?;
    let command = movement_command(&value)?;
    let recorded = storage::record_movement(&tenant, &actor, command, kiban_core::today_in_japan())
        .await
        .map_err(registry_error)?;
    let persons: Vec<Value> = recorded
        .persons
        .iter()
        .map(|p| json!({"person_id": p.person_id.get(), "household_id": p.household_id.get()}))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "movement_id": recorded.movement.id.get(),
            "kind": recorded.movement.kind().code(),
            "household_id": recorded.household_id.map(HouseholdId::get),
            "persons": persons,
        })),
    )
        .into_response())
}

/// The `as_of` query of a read.
#[derive(Deserialize)]
pub struct AsOfQuery {
    /// `YYYY-MM-DD`; today in Japan when absent.
    as_of: Option<String>,
    /// `true`: a role permitted to override 支援措置 confirms that it must
    /// see the address of a protected person (logged).
    confirm_support_measure: Option<String>,
}

/// The JSON of listed persons, each address withheld where a 支援措置
/// requires it (see [`withheld_addresses`]).
async fn guarded_listings(
    tenant: &TenantDb,
    actor: &Actor,
    principal: &Principal,
    confirm: Option<&str>,
    listings: &[PersonListing],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<i64> = listings
        .iter()
        .map(|r| person_number_of(r.person_id))
        .collect();
    let withheld = withheld_addresses(tenant, actor, principal, confirm, &ids).await?;
    Ok(listings
        .iter()
        .map(|record| guarded(listing_json(record), &withheld))
        .collect())
}

/// The addresses to withhold under 支援措置 (the platform rule of
/// `kiban-protection`): of the persons given, those protected today whose
/// address this principal may not see on this request. Every attempt on a
/// protected person is logged, refused or overridden.
async fn withheld_addresses(
    tenant: &TenantDb,
    actor: &Actor,
    principal: &Principal,
    confirm: Option<&str>,
    person_ids: &[i64],
) -> Result<BTreeSet<i64>, ApiError> {
    let may_override = principal
        .municipality()
        .is_some_and(|m| principal.may(m, Permission::OverrideSupportMeasures));
    let confirmed = confirm.map(str::trim) == Some("true");
    Ok(kiban_protection::withheld(
        tenant,
        actor,
        may_override,
        confirmed,
        person_ids,
        kiban_core::today_in_japan(),
        Exposure::Address,
    )
    .await?)
}

/// A person view with its address withheld when its person is in
/// `withheld` (`address` null, `address_withheld` true).
fn guarded(mut view: Value, withheld: &BTreeSet<i64>) -> Value {
    let protected = view
        .get("person_id")
        .and_then(Value::as_i64)
        .is_some_and(|id| withheld.contains(&id));
    if protected && let Some(fields) = view.as_object_mut() {
        fields.insert("address".into(), Value::Null);
        fields.insert("address_withheld".into(), Value::Bool(true));
    }
    view
}

/// The 宛名番号 of a record as the access log and the guard number it.
fn person_number_of(person: PersonId) -> i64 {
    i64::try_from(person.get()).unwrap_or(i64::MAX)
}

/// `GET /api/v1/municipalities/{m}/persons/{person_id}`: a person's record
/// as of a date.
pub async fn person(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, person_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "person_as_of",
        person: Some(&person_id),
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        target,
    )
    .await?;
    let as_of = as_of(query.as_of.as_deref())?;
    let id = parse_person_id(&person_id).ok_or_else(ApiError::not_found)?;
    let record = storage::person_as_of(&tenant, &actor, id, as_of)
        .await
        .map_err(registry_error)?
        .ok_or_else(ApiError::not_found)?;
    let withheld = withheld_addresses(
        &tenant,
        &actor,
        &principal,
        query.confirm_support_measure.as_deref(),
        &[person_number_of(record.person_id)],
    )
    .await?;
    Ok(Json(guarded(person_json(&record), &withheld)).into_response())
}

/// `GET /api/v1/municipalities/{m}/persons/{person_id}/history`: every
/// version of a person's record, oldest first.
pub async fn person_history(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, person_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "person_history",
        person: Some(&person_id),
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        target,
    )
    .await?;
    let id = parse_person_id(&person_id).ok_or_else(ApiError::not_found)?;
    let versions = storage::person_history(&tenant, &actor, id)
        .await
        .map_err(registry_error)?
        .ok_or_else(ApiError::not_found)?;
    let number = i64::try_from(id.get()).unwrap_or(i64::MAX);
    let withheld = withheld_addresses(
        &tenant,
        &actor,
        &principal,
        query.confirm_support_measure.as_deref(),
        &[number],
    )
    .await?;
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let mut view = version_json(version);
            if let Some(record) = view.get_mut("record") {
                *record = guarded(record.take(), &withheld);
            }
            view
        })
        .collect();
    Ok(Json(json!({ "versions": versions })).into_response())
}

/// `GET /api/v1/municipalities/{m}/households/{household_id}`: a household
/// and its members resident on a date.
pub async fn household(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, household_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "household_as_of",
        person: None,
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        target,
    )
    .await?;
    let as_of = as_of(query.as_of.as_deref())?;
    let id = parse_person_id(&household_id)
        .map(|p| HouseholdId::new(p.get()))
        .ok_or_else(ApiError::not_found)?;
    let record = storage::household_as_of(&tenant, &actor, id, as_of)
        .await
        .map_err(registry_error)?
        .ok_or_else(ApiError::not_found)?;
    let ids: Vec<i64> = record
        .members
        .iter()
        .map(|m| person_number_of(m.person_id))
        .collect();
    let withheld = withheld_addresses(
        &tenant,
        &actor,
        &principal,
        query.confirm_support_measure.as_deref(),
        &ids,
    )
    .await?;
    let members: Vec<Value> = record
        .members
        .iter()
        .map(|member| guarded(person_json(member), &withheld))
        .collect();
    // The household's address is every member's: withheld when any
    // member's is.
    let address = if withheld.is_empty() {
        address_json(&record.address)
    } else {
        Value::Null
    };
    let mut view = json!({
        "household_id": record.household_id.get(),
        "head_person_id": record.head_person_id.map(PersonId::get),
        "address": address,
        "members": members,
    });
    if !withheld.is_empty()
        && let Some(fields) = view.as_object_mut()
    {
        fields.insert("address_withheld".into(), Value::Bool(true));
    }
    Ok(Json(view).into_response())
}

/// The query of a search.
#[derive(Deserialize)]
pub struct SearchParams {
    /// フリガナ (katakana, hiragana or half-width); a prefix.
    name_kana: Option<String>,
    /// 氏名; a prefix.
    name: Option<String>,
    /// 生年月日.
    birth_date: Option<String>,
    /// 基準日; today in Japan when absent.
    as_of: Option<String>,
    /// `true` to include removed persons (除票).
    include_removed: Option<String>,
    /// The most results (1 to 200; 200 when absent), e.g. one screen page.
    limit: Option<String>,
    /// 個人番号: exact search through its keyed hash (roles that may see
    /// 個人番号 only).
    individual_number: Option<String>,
    /// `true`: a permitted role confirms it must see protected addresses.
    confirm_support_measure: Option<String>,
}

/// `GET /api/v1/municipalities/{m}/persons`: searches the registry.
pub async fn search(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "search",
        person: None,
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        target,
    )
    .await?;
    let birth_date = params
        .birth_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_date("birth_date", s))
        .transpose()
        .map_err(rejection_error)?;
    let include_removed = match params.include_removed.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "include_removed",
                Message::MustBeBoolean {
                    field: "include_removed".into(),
                },
            ));
        }
    };
    // A search by 個人番号 is for roles that may see it; the number is
    // looked up through its keyed hash and never echoed back.
    let mut by_number = None;
    if let Some(raw) = params
        .individual_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !principal.may(tenant.municipality(), Permission::IndividualNumber) {
            refuse(&tenant, &actor, None, "search individual_number").await?;
            return Err(ApiError::forbidden());
        }
        let number = kiban_core::IndividualNumber::parse(raw).map_err(|_| {
            ApiError::invalid("individual_number", Message::InvalidIndividualNumber {})
        })?;
        let found = storage::persons_with_individual_number(&tenant, &number)
            .await
            .map_err(registry_error)?;
        match found.first() {
            Some(person) => by_number = Some(*person),
            None => return Ok(Json(json!({ "results": [] })).into_response()),
        }
    }
    let query = SearchQuery {
        name_kana: params.name_kana,
        name: params.name,
        birth_date,
        address: None,
        person_id: by_number,
        as_of: as_of(params.as_of.as_deref())?,
        include_removed,
        limit: match params.limit.as_deref().map(str::trim) {
            None | Some("") => SEARCH_LIMIT,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=SEARCH_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "limit",
                        Message::LimitOutOfRange {
                            field: "limit".into(),
                            max: SEARCH_LIMIT.to_string(),
                        },
                    )
                })?,
        },
    };
    let results = storage::search(&tenant, &actor, &query)
        .await
        .map_err(registry_error)?;
    let results = guarded_listings(
        &tenant,
        &actor,
        &principal,
        params.confirm_support_measure.as_deref(),
        &results,
    )
    .await?;
    Ok(Json(json!({ "results": results })).into_response())
}

/// `GET /api/v1/municipalities/{m}/follow-up/missing-residence-status`: the
/// follow-up list (移行後要確認) of residents migrated with 在留資格・在留期間
/// not yet known, until a 職権修正 sets them. One `read` entry per person
/// listed.
pub async fn missing_residence_status(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    Query(params): Query<AsOfQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "follow_up_missing_residence_status",
        person: None,
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        target,
    )
    .await?;
    let date = as_of(params.as_of.as_deref())?;
    let results = storage::missing_residence_status(&tenant, &actor, date, SEARCH_LIMIT)
        .await
        .map_err(registry_error)?;
    let results = guarded_listings(
        &tenant,
        &actor,
        &principal,
        params.confirm_support_measure.as_deref(),
        &results,
    )
    .await?;
    Ok(Json(json!({ "as_of": date.to_string(), "results": results })).into_response())
}

/// `GET /api/v1/municipalities/{m}/persons/{person_id}/access-log`: who read
/// or changed a person's data, and every refused attempt (auditors and
/// municipality administrators). The auditor's own read is logged too.
pub async fn access_log(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, person_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "access_log",
        person: Some(&person_id),
    };
    let (tenant, actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::AuditRead,
        target,
    )
    .await?;
    let number = person_number(Some(&person_id)).ok_or_else(ApiError::not_found)?;
    let mut tx = tenant.begin().await?;
    let entries = kiban_audit::entries_for_person(&mut tx, number, ACCESS_LOG_LIMIT).await?;
    if entries.is_empty() {
        // Every registered person has at least the entry of their
        // registration: none means no such person here.
        tx.rollback().await?;
        return Err(ApiError::not_found());
    }
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Read, Some(number), "access_log"),
    )
    .await?;
    tx.commit().await?;
    let entries: Vec<Value> = entries.iter().map(entry_json).collect();
    Ok(Json(json!({ "entries": entries })).into_response())
}
