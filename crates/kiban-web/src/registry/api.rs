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
use axum::extract::Path;

use crate::kit::query::{Query, page_limit};
use axum::http::StatusCode;
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
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::kit::body::{
    array, missing, number, object, opt_number, opt_text, required_number, text, wrong_type,
};
use crate::kit::door::{Door, parse_person_id, person_number, refuse};
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of the registry: movements, reads, search, the
/// follow-up list and a person's access log.
pub(crate) fn operations() -> Vec<Route> {
    let read = Access::Tenant(Permission::RegistryRead);
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/movements",
            "recordMovement",
            "異動（転入・出生・転居・転出・死亡・世帯分離・職権修正）を記録する",
            "registry",
            Access::Tenant(Permission::RegistryWrite),
        )
        .body::<MovementRequest>()
        .json::<MovementRecorded>(201)
        .errors(&[409, 503])
        .logged_as("record_movement")
        .to(record_movement),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/persons",
            "searchPersons",
            "住民を検索する（フリガナ・生年月日・基準日）",
            "registry",
            read,
        )
        .query::<SearchParams>()
        .json::<SearchResults>(200)
        .errors(&[503])
        .logged_as("search")
        .scope("registry:persons:read")
        .to(search),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/follow-up/missing-residence-status",
            "listMissingResidenceStatus",
            "移行後要確認（在留資格未設定）の住民を一覧する",
            "registry",
            read,
        )
        .query::<AsOfQuery>()
        .json::<FollowUpList>(200)
        .logged_as("follow_up_missing_residence_status")
        .to(missing_residence_status),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/persons/{person_id}",
            "getPerson",
            "基準日時点の住民票（除票）を読む",
            "registry",
            read,
        )
        .query::<AsOfQuery>()
        .json::<PersonView>(200)
        .logged_as("person_as_of")
        .scope("registry:persons:read")
        .to(person),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/persons/{person_id}/history",
            "getPersonHistory",
            "住民の異動履歴を読む",
            "registry",
            read,
        )
        .query::<AsOfQuery>()
        .json::<PersonHistory>(200)
        .logged_as("person_history")
        .scope("registry:persons:read")
        .to(person_history),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/households/{household_id}",
            "getHousehold",
            "基準日時点の世帯と世帯員を読む",
            "registry",
            read,
        )
        .query::<AsOfQuery>()
        .json::<HouseholdView>(200)
        .logged_as("household_as_of")
        .scope("registry:persons:read")
        .to(household),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/persons/{person_id}/access-log",
            "getPersonAccessLog",
            "住民の個人情報へのアクセス記録を読む（監査担当・団体管理者）",
            "audit",
            Access::Tenant(Permission::AuditRead),
        )
        .json::<AccessLog>(200)
        .logged_as("access_log")
        .to(access_log),
    ]
}

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

fn address_json(address: &Address) -> AddressView {
    AddressView {
        postal_code: address.postal_code.as_str().to_owned(),
        address_line: address.address_line.as_str().to_owned(),
        katagaki: address
            .katagaki
            .as_ref()
            .map(|k| AddressText::as_str(k).to_owned()),
    }
}

/// The person view of the contract.
fn person_json(record: &PersonRecord) -> PersonView {
    listing_json(&PersonListing::from(record.clone()))
}

/// The person view of the contract (also each search result).
fn listing_json(record: &PersonListing) -> PersonView {
    PersonView {
        person_id: record.person_id.get(),
        household_id: record.household_id.get(),
        name: record.name.as_str().to_owned(),
        name_kana: record.name_kana.as_str().to_owned(),
        birth_date: record.birth_date.to_string(),
        sex: record.sex.code().to_owned(),
        relationship: record.relationship.code().to_owned(),
        nationality: record.nationality.as_str().to_owned(),
        status_of_residence: record
            .status_of_residence
            .as_ref()
            .map(|s| s.as_str().to_owned()),
        period_of_stay_until: record.period_of_stay_until.map(|d| d.to_string()),
        address: Some(address_json(&record.address)),
        address_withheld: None,
        status: record.status.code().to_owned(),
        resident_from: record.resident_from.to_string(),
        removed_on: record.removed_on.map(|d| d.to_string()),
        resident_record_code: record.resident_record_code.as_str().to_owned(),
        individual_number_masked: record.individual_number_masked(),
    }
}

fn version_json(entry: &HistoryEntry) -> VersionView {
    let version = &entry.version;
    VersionView {
        movement_id: version.movement_id.get(),
        kind: version.kind.code().to_owned(),
        event_date: version.event_date.to_string(),
        notified_on: version.notified_on.to_string(),
        recorded_at: entry.recorded_at.to_string(),
        recorded_sequence: version.sequence.get(),
        cancelled: version.cancelled,
        record: version.record.as_ref().map(person_json),
    }
}

fn entry_json(entry: &StoredEntry) -> AccessLogEntry {
    AccessLogEntry {
        at: entry.at.clone(),
        actor: entry.actor.clone(),
        role: entry.role.clone(),
        action: entry.action.code().to_owned(),
        purpose: entry.purpose.clone(),
    }
}

/// The `as_of` query parameter, today in Japan when absent.
fn as_of(raw: Option<&str>) -> Result<Date, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("as_of", text).map_err(rejection_error),
        None => Ok(kiban_core::today_in_japan()),
    }
}

/// `POST /api/v1/municipalities/{m}/movements`: records a movement (異動).
pub async fn record_movement(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let value = json_body(&body)?;
    let command = movement_command(&value)?;
    let recorded = storage::record_movement(&tenant, &actor, command, kiban_core::today_in_japan())
        .await
        .map_err(registry_error)?;
    let persons = recorded
        .persons
        .iter()
        .map(|p| RecordedPerson {
            person_id: p.person_id.get(),
            household_id: p.household_id.get(),
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(MovementRecorded {
            movement_id: recorded.movement.id.get(),
            kind: recorded.movement.kind().code().to_owned(),
            household_id: recorded.household_id.map(HouseholdId::get),
            persons,
        }),
    )
        .into_response())
}

/// The `as_of` query of a read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// 基準日 `YYYY-MM-DD`; today in Japan when absent.
    #[param(format = Date, example = "2024-06-01")]
    as_of: Option<String>,
    /// `true`: a role permitted to override 支援措置 confirms that it must
    /// see the address of a protected person (logged).
    #[param(example = "true")]
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
) -> Result<Vec<PersonView>, ApiError> {
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
    let may_override = crate::kit::door::may_override(principal, tenant);
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
fn guarded(mut view: PersonView, withheld: &BTreeSet<i64>) -> PersonView {
    let protected = i64::try_from(view.person_id).is_ok_and(|id| withheld.contains(&id));
    if protected {
        view.address = None;
        view.address_withheld = Some(true);
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
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    let versions = versions
        .iter()
        .map(|version| {
            let mut view = version_json(version);
            view.record = view.record.map(|record| guarded(record, &withheld));
            view
        })
        .collect();
    Ok(Json(PersonHistory { versions }).into_response())
}

/// `GET /api/v1/municipalities/{m}/households/{household_id}`: a household
/// and its members resident on a date.
pub async fn household(
    door: Door,
    Path((_, household_id)): Path<(String, String)>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    let members = record
        .members
        .iter()
        .map(|member| guarded(person_json(member), &withheld))
        .collect();
    // The household's address is every member's: withheld when any
    // member's is.
    let view = HouseholdView {
        household_id: record.household_id.get(),
        head_person_id: record.head_person_id.map(PersonId::get),
        address: withheld.is_empty().then(|| address_json(&record.address)),
        address_withheld: (!withheld.is_empty()).then_some(true),
        members,
    };
    Ok(Json(view).into_response())
}

/// The query of a search.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// フリガナ (katakana, hiragana or half-width); a prefix.
    #[param(example = "ヤマダ")]
    name_kana: Option<String>,
    /// 氏名; a prefix.
    name: Option<String>,
    /// 生年月日 `YYYY-MM-DD`.
    #[param(format = Date, example = "1980-04-01")]
    birth_date: Option<String>,
    /// 基準日 `YYYY-MM-DD`; today in Japan when absent.
    #[param(format = Date, example = "2024-06-01")]
    as_of: Option<String>,
    /// `true` to include removed persons (除票); `false` when absent.
    #[param(example = "false")]
    include_removed: Option<String>,
    /// The most results (1 to 200; 200 when absent), e.g. one screen page.
    #[param(example = "50")]
    limit: Option<String>,
    /// 個人番号: exact search through its keyed hash (roles that may see
    /// 個人番号 only; others get 403).
    individual_number: Option<String>,
    /// `true`: a permitted role confirms it must see protected addresses.
    #[param(example = "true")]
    confirm_support_measure: Option<String>,
}

/// `GET /api/v1/municipalities/{m}/persons`: searches the registry.
pub async fn search(door: Door, Query(params): Query<SearchParams>) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
            None => {
                return Ok(Json(SearchResults {
                    results: Vec::new(),
                })
                .into_response());
            }
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
        limit: u32::try_from(page_limit(
            params.limit.as_deref(),
            usize::try_from(SEARCH_LIMIT).unwrap_or(usize::MAX),
        )?)
        .unwrap_or(SEARCH_LIMIT),
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
    Ok(Json(SearchResults { results }).into_response())
}

/// `GET /api/v1/municipalities/{m}/follow-up/missing-residence-status`: the
/// follow-up list (移行後要確認) of residents migrated with 在留資格・在留期間
/// not yet known, until a 職権修正 sets them. One `read` entry per person
/// listed.
pub async fn missing_residence_status(
    door: Door,
    Query(params): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    Ok(Json(FollowUpList {
        as_of: date.to_string(),
        results,
    })
    .into_response())
}

/// `GET /api/v1/municipalities/{m}/persons/{person_id}/access-log`: who read
/// or changed a person's data, and every refused attempt (auditors and
/// municipality administrators). The auditor's own read is logged too.
pub async fn access_log(
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
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
    let entries = entries.iter().map(entry_json).collect();
    Ok(Json(AccessLog { entries }).into_response())
}

// Wire types of the registry API. The movement body is read by the hand
// parser above ([`movement_command`]), which names the JSON path of the
// first bad field; [`MovementRequest`] documents the same body (a test
// checks that its examples go through the parser and that it accepts every
// field the parser reads).

/// The body of `POST …/movements`: `kind`, `event_date`, `notified_on`,
/// and the fields of the kind (see the contract's table).
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
    "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号", "katagaki": "デモマンション101"},
    "previous_address": "東京都千代田区千代田1番1号",
    "persons": [{"name": "山田 太郎", "name_kana": "ヤマダ タロウ", "birth_date": "1980-04-01",
                 "sex": "male", "relationship": "head"}]
}))]
pub struct MovementRequest {
    /// 異動の種類.
    #[schema(schema_with = crate::kit::wire::movement_kind)]
    pub kind: String,
    /// 異動日.
    #[schema(format = Date, example = "2024-04-01")]
    pub event_date: String,
    /// 届出日 (not before `event_date` except for a planned 転出; not in the
    /// future).
    #[schema(format = Date, example = "2024-04-05")]
    pub notified_on: String,
    /// `move_in`: the persons moving in (at least one).
    pub persons: Option<Vec<MoveInPersonInput>>,
    /// `move_in`, `address_change`, `household_split` (optional there: the
    /// current one).
    pub address: Option<AddressInput>,
    /// `move_in`: 前住所.
    #[schema(example = "東京都千代田区千代田1番1号")]
    pub previous_address: Option<String>,
    /// `move_in` (optional: join an existing household), `birth`,
    /// `address_change`.
    #[schema(minimum = 1)]
    pub household_id: Option<u64>,
    /// `birth`: the child.
    pub person: Option<NewPerson>,
    /// `move_out`, `household_split`: the persons concerned.
    pub person_ids: Option<Vec<u64>>,
    /// `move_out`: 転出先.
    pub destination_address: Option<String>,
    /// `move_out`, `death` (when the head leaves others behind),
    /// `household_split` (required there).
    #[schema(minimum = 1)]
    pub new_head_person_id: Option<u64>,
    /// `death`, `ex_officio_correction`: the person.
    #[schema(minimum = 1)]
    pub person_id: Option<u64>,
    /// `ex_officio_correction`: the corrected values (at least one).
    pub changes: Option<ChangesInput>,
    /// `ex_officio_correction`, `cancellation`: 理由.
    pub reason: Option<String>,
    /// `cancellation`: the movement to cancel.
    #[schema(minimum = 1)]
    pub movement_id: Option<u64>,
}

/// A person of a movement (出生 and each person of a 転入).
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// 氏名 as written (may contain IVS sequences).
    #[schema(example = "山田 太郎")]
    pub name: String,
    /// フリガナ (hiragana and half-width are stored as full-width katakana).
    #[schema(example = "ヤマダ タロウ")]
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date, example = "1980-04-01")]
    pub birth_date: String,
    /// 性別.
    #[schema(schema_with = crate::kit::wire::sex)]
    pub sex: String,
    /// 続柄.
    #[schema(schema_with = crate::kit::wire::relationship)]
    pub relationship: String,
    /// ISO 3166-1 alpha-2; `JP` when absent.
    #[schema(example = "JP")]
    pub nationality: Option<String>,
    /// 在留資格 (foreign residents).
    #[schema(example = "永住者")]
    pub status_of_residence: Option<String>,
    /// 在留期間の満了日 (foreign residents unless permanent).
    #[schema(format = Date, example = "2027-03-31")]
    pub period_of_stay_until: Option<String>,
    /// 個人番号 (12 digits, check digit validated).
    #[schema(example = "123456789018")]
    pub individual_number: Option<String>,
}

/// A person of a 転入: a [`NewPerson`], and the 宛名番号 of a former
/// resident coming back.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInPersonInput {
    /// 氏名 as written (may contain IVS sequences).
    #[schema(example = "山田 太郎")]
    pub name: String,
    /// フリガナ.
    #[schema(example = "ヤマダ タロウ")]
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date, example = "1980-04-01")]
    pub birth_date: String,
    /// 性別.
    #[schema(schema_with = crate::kit::wire::sex)]
    pub sex: String,
    /// 続柄.
    #[schema(schema_with = crate::kit::wire::relationship)]
    pub relationship: String,
    /// ISO 3166-1 alpha-2; `JP` when absent.
    pub nationality: Option<String>,
    /// 在留資格 (foreign residents).
    pub status_of_residence: Option<String>,
    /// 在留期間の満了日.
    #[schema(format = Date)]
    pub period_of_stay_until: Option<String>,
    /// 個人番号.
    pub individual_number: Option<String>,
    /// The 宛名番号 of a former resident coming back.
    #[schema(minimum = 1)]
    pub returning_person_id: Option<u64>,
}

/// An address as a movement gives it.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// 郵便番号 (7 digits).
    #[schema(example = "1000001")]
    pub postal_code: String,
    /// 住所.
    #[schema(example = "デモ市中央一丁目2番3号")]
    pub address_line: String,
    /// 方書.
    #[schema(example = "デモマンション101")]
    pub katagaki: Option<String>,
}

/// The values a 職権修正 corrects.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesInput {
    /// 氏名.
    pub name: Option<String>,
    /// フリガナ.
    pub name_kana: Option<String>,
    /// 生年月日.
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    /// 性別 (`male`, `female`).
    pub sex: Option<String>,
    /// 在留資格.
    pub status_of_residence: Option<String>,
    /// 在留期間の満了日.
    #[schema(format = Date)]
    pub period_of_stay_until: Option<String>,
}

/// The answer of a recorded movement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movement_id": 12, "kind": "move_in", "household_id": 3,
                          "persons": [{"person_id": 5, "household_id": 3}]}))]
pub struct MovementRecorded {
    /// 異動番号.
    pub movement_id: u64,
    /// 異動の種類.
    #[schema(schema_with = crate::kit::wire::movement_kind)]
    pub kind: String,
    /// The household concerned, when there is one.
    pub household_id: Option<u64>,
    /// The persons concerned, in the order of the request.
    pub persons: Vec<RecordedPerson>,
}

/// A person of a recorded movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedPerson {
    /// 宛名番号.
    pub person_id: u64,
    /// 世帯番号.
    pub household_id: u64,
}

/// An address as the registry answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    /// 郵便番号.
    #[schema(example = "1000001")]
    pub postal_code: String,
    /// 住所.
    #[schema(example = "デモ市中央一丁目2番3号")]
    pub address_line: String,
    /// 方書.
    #[schema(required = true)]
    pub katagaki: Option<String>,
}

/// A person as of a date (住民票, or 除票 once removed); also each search
/// result and each member of a household.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    /// 宛名番号.
    pub person_id: u64,
    /// 世帯番号.
    pub household_id: u64,
    /// 氏名.
    #[schema(example = "山田 太郎")]
    pub name: String,
    /// フリガナ.
    #[schema(example = "ヤマダ タロウ")]
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date, example = "1980-04-01")]
    pub birth_date: String,
    /// 性別.
    #[schema(schema_with = crate::kit::wire::sex)]
    pub sex: String,
    /// 続柄.
    #[schema(schema_with = crate::kit::wire::relationship)]
    pub relationship: String,
    /// 国籍 (ISO 3166-1 alpha-2).
    #[schema(example = "JP")]
    pub nationality: String,
    /// 在留資格.
    #[schema(required = true)]
    pub status_of_residence: Option<String>,
    /// 在留期間の満了日.
    #[schema(format = Date, required = true)]
    pub period_of_stay_until: Option<String>,
    /// 住所; null when withheld under a 支援措置.
    #[schema(required = true)]
    pub address: Option<AddressView>,
    /// true when the address is withheld under a 支援措置 (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_withheld: Option<bool>,
    /// The person's state on the date read.
    #[schema(schema_with = crate::kit::wire::resident_status)]
    pub status: String,
    /// The start of the current residence in this municipality.
    #[schema(format = Date)]
    pub resident_from: String,
    /// The date of removal (転出・死亡).
    #[schema(format = Date, required = true)]
    pub removed_on: Option<String>,
    /// 住民票コード (11 digits).
    pub resident_record_code: String,
    /// 個人番号, masked but for its last four digits.
    #[schema(example = "********9018", required = true)]
    pub individual_number_masked: Option<String>,
}

/// The persons found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// At most `limit` persons.
    pub results: Vec<PersonView>,
}

/// The follow-up list (移行後要確認) of residents without 在留資格.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpList {
    /// 基準日.
    #[schema(format = Date)]
    pub as_of: String,
    /// The residents listed.
    pub results: Vec<PersonView>,
}

/// Every version of a person's record, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonHistory {
    /// The versions.
    pub versions: Vec<VersionView>,
}

/// One version of a person's record: the movement that made it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// 異動番号.
    pub movement_id: u64,
    /// 異動の種類.
    #[schema(schema_with = crate::kit::wire::movement_kind)]
    pub kind: String,
    /// 異動日.
    #[schema(format = Date)]
    pub event_date: String,
    /// 届出日.
    #[schema(format = Date)]
    pub notified_on: String,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// The order of recording.
    pub recorded_sequence: u64,
    /// Whether the movement was cancelled since.
    pub cancelled: bool,
    /// The record after the movement (null when the movement removed it).
    #[schema(required = true)]
    pub record: Option<PersonView>,
}

/// A household and its members as of a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    /// 世帯番号.
    pub household_id: u64,
    /// 世帯主の宛名番号.
    #[schema(required = true)]
    pub head_person_id: Option<u64>,
    /// 住所; null when any member's is withheld under a 支援措置.
    #[schema(required = true)]
    pub address: Option<AddressView>,
    /// true when the address is withheld (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_withheld: Option<bool>,
    /// The members resident on the date.
    pub members: Vec<PersonView>,
}

/// A person's access log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    /// Every read, change and refused attempt (at most 1,000).
    pub entries: Vec<AccessLogEntry>,
}

/// One entry of an access log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogEntry {
    /// When (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// The login (`operator:LOGIN` for a service operator).
    pub actor: String,
    /// The role code.
    pub role: String,
    /// What was done.
    #[schema(schema_with = crate::kit::wire::audit_action)]
    pub action: String,
    /// 利用目的, when one was given.
    #[schema(required = true)]
    pub purpose: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;
    use utoipa::PartialSchema;

    use super::*;

    /// One body of each kind of movement, every field of the schema used
    /// by at least one.
    fn bodies() -> Vec<Value> {
        vec![
            json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "デモ市中央一丁目2番3号", "katagaki": "デモマンション101"},
                "previous_address": "東京都千代田区千代田1番1号", "household_id": 3,
                "persons": [{"name": "スミス ジョン", "name_kana": "スミス ジョン", "birth_date": "1980-04-01",
                             "sex": "male", "relationship": "other_relative", "nationality": "US",
                             "status_of_residence": "技術・人文知識・国際業務",
                             "period_of_stay_until": "2027-03-31", "individual_number": "123456789018",
                             "returning_person_id": 7}],
            }),
            json!({
                "kind": "birth", "event_date": "2024-06-01", "notified_on": "2024-06-03", "household_id": 3,
                "person": {"name": "山田 次郎", "name_kana": "ヤマダ ジロウ", "birth_date": "2024-06-01",
                           "sex": "male", "relationship": "child"},
            }),
            json!({
                "kind": "address_change", "event_date": "2024-06-01", "notified_on": "2024-06-03", "household_id": 3,
                "address": {"postal_code": "1000002", "address_line": "デモ市中央二丁目1番1号"},
            }),
            json!({
                "kind": "move_out", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                "person_ids": [5, 6], "destination_address": "大阪府大阪市北区梅田1丁目1番1号",
                "new_head_person_id": 6,
            }),
            json!({"kind": "death", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                   "person_id": 5, "new_head_person_id": 6}),
            json!({"kind": "household_split", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                   "person_ids": [6], "new_head_person_id": 6}),
            json!({"kind": "ex_officio_correction", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                   "person_id": 5, "reason": "戸籍の記載との照合",
                   "changes": {"name": "山田 太朗", "name_kana": "ヤマダ タロウ", "birth_date": "1980-04-02",
                               "sex": "male", "status_of_residence": "永住者",
                               "period_of_stay_until": "2030-01-01"}}),
            json!({"kind": "cancellation", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                   "movement_id": 12, "reason": "届出の誤り"}),
        ]
    }

    fn schema_json<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap_or_default()
    }

    fn properties(schema: &Value) -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_body_goes_through_the_parser_and_the_typed_request() {
        for body in bodies() {
            if let Err(e) = movement_command(&body) {
                panic!("{body}: {} {:?} {}", e.code.as_str(), e.field, e.message);
            }
            if let Err(e) = serde_json::from_value::<MovementRequest>(body.clone()) {
                panic!("{body}: {e}");
            }
        }
    }

    #[test]
    fn the_schema_names_exactly_the_fields_the_parser_reads() {
        let all = bodies();
        let top: BTreeSet<String> = all.iter().flat_map(keys).collect();
        assert_eq!(properties(&schema_json::<MovementRequest>()), top);
        let person: BTreeSet<String> = keys(&all[0]["persons"][0]);
        assert_eq!(properties(&schema_json::<MoveInPersonInput>()), person);
        let mut child = person.clone();
        child.remove("returning_person_id");
        assert_eq!(properties(&schema_json::<NewPerson>()), child);
        assert_eq!(
            properties(&schema_json::<AddressInput>()),
            keys(&all[0]["address"])
        );
        assert_eq!(
            properties(&schema_json::<ChangesInput>()),
            keys(&all[6]["changes"])
        );
        // The parser reads each required field: without it, the error
        // names it.
        let required: Vec<String> = schema_json::<MovementRequest>()["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(required, ["kind", "event_date", "notified_on"]);
        for body in &all {
            for field in &required {
                let mut without = body.clone();
                if let Some(obj) = without.as_object_mut() {
                    obj.remove(field);
                }
                let error = movement_command(&without).err();
                assert_eq!(
                    error.and_then(|e| e.field).as_deref(),
                    Some(field.as_str()),
                    "{body} without {field}"
                );
            }
        }
    }

    #[test]
    fn the_schema_example_is_a_valid_movement() {
        let schema = schema_json::<MovementRequest>();
        let example = schema
            .get("example")
            .or_else(|| schema["examples"].get(0))
            .cloned()
            .unwrap_or_default();
        assert!(example.is_object(), "{schema}");
        if let Err(e) = movement_command(&example) {
            panic!("{example}: {} {:?}", e.code.as_str(), e.field);
        }
        // And the kinds the schema lists are the parser's.
        let kinds: Vec<String> = schema["properties"]["kind"]["enum"]
            .as_array()
            .map(|k| {
                k.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(kinds.len(), MovementKind::ALL.len());
        for kind in kinds {
            assert!(MovementKind::from_code(&kind).is_some(), "{kind}");
        }
    }
}
