//! The addressee-master JSON API (宛名管理, contract `addressee-v1`):
//! non-residents (住登外者) registered and changed, search over current and
//! past names and addresses, reads as of a date, history, 名寄せ and its
//! undo, mailing addresses per business, and the person overview
//! (個人状況照会) across businesses.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_addressee::domain::keys::Criteria;
use kiban_addressee::domain::{
    AddressDraft, AddresseeId, AddresseeKind, BasicInfoDraft, Business, Change, MailingAddress,
    MailingKind, MergeRecord, PostalAddress, Refusal, check_validity, parse_date_field,
    parse_mailing_name, parse_reason,
};
use kiban_addressee::storage::{
    self as addressees, AddresseeError, AddresseeView, MailingAnswer, NewNonResident, SearchHit,
    SearchQuery,
};
use kiban_auth::{Permission, Principal};
use kiban_core::{Date, IndividualNumber, KanaName, Message, PersonName};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::kit::body::{missing, object, opt_text, required_number, text, wrong_type};
use crate::kit::door::{Door, may_override};
use crate::kit::query::{Query, page_limit};
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The most addressees a search returns.
const SEARCH_LIMIT: usize = 100;

/// The operations of the addressee master.
pub(crate) fn operations() -> Vec<Route> {
    let read = Access::Tenant(Permission::AddresseeRead);
    let write = Access::Tenant(Permission::AddresseeWrite);
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/addressees",
            "registerAddressee",
            "住登外者を宛名登録する（基本4情報。同一人の候補があれば409で候補を返す）",
            "addressee",
            write,
        )
        .body::<AddresseeRequest>()
        .json::<AddresseeRegistered>(201)
        .errors(&[409, 503])
        .scope("addressee:addressees:create")
        .logged_as("addressee_register")
        .to(register),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees",
            "searchAddressees",
            "宛名を検索する（現在と過去の氏名・フリガナ・住所、生年月日）",
            "addressee",
            read,
        )
        .query::<AddresseeSearchParams>()
        .json::<AddresseeSearchResults>(200)
        .scope("addressee:addressees:read")
        .logged_as("addressee_search")
        .to(search),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}",
            "getAddressee",
            "基準日時点の宛名を読む（名寄せ済みなら名寄せ先）",
            "addressee",
            read,
        )
        .query::<AddresseeAsOf>()
        .json::<AddresseeViewWire>(200)
        .scope("addressee:addressees:read")
        .logged_as("addressee_read")
        .to(read_one),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/changes",
            "changeAddressee",
            "住登外者の宛名を変更する（新しい版を記録する）",
            "addressee",
            write,
        )
        .body::<AddresseeChangeRequest>()
        .json::<AddresseeChanged>(200)
        .errors(&[409])
        .scope("addressee:addressees:update")
        .logged_as("addressee_change")
        .to(change),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/history",
            "getAddresseeHistory",
            "宛名の更新履歴と名寄せ履歴を読む",
            "addressee",
            read,
        )
        .json::<AddresseeHistory>(200)
        .scope("addressee:addressees:read")
        .logged_as("addressee_history")
        .to(history),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/merge",
            "mergeAddressee",
            "名寄せする（この宛名を into の宛名と同一人とする）",
            "addressee",
            write,
        )
        .body::<MergeRequest>()
        .json::<MergeResult>(200)
        .errors(&[409])
        .scope("addressee:addressees:update")
        .logged_as("addressee_merge")
        .to(merge),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/unmerge",
            "unmergeAddressee",
            "名寄せを解除する（名寄せの記録は履歴に残る）",
            "addressee",
            write,
        )
        .body::<UnmergeRequest>()
        .json::<MergeResult>(200)
        .errors(&[409])
        .scope("addressee:addressees:update")
        .logged_as("addressee_unmerge")
        .to(unmerge),
        Operation::new(
            "put",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/mailing-addresses/{business}",
            "setMailingAddress",
            "業務別の送付先・納税管理人・代納人を設定する（有効期間つき。履歴は残る）",
            "addressee",
            write,
        )
        .body::<MailingAddressRequest>()
        .json::<MailingAddressRecorded>(200)
        .scope("addressee:mailing_addresses:update")
        .logged_as("addressee_mailing_set")
        .to(set_mailing),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/mailing-address",
            "getMailingAddress",
            "業務・日付に有効な送付先を読む（なければ全業務共通、なければ本人の住所）",
            "addressee",
            read,
        )
        .query::<MailingAddressParams>()
        .json::<MailingAddressAnswer>(200)
        .scope("addressee:mailing_addresses:read")
        .logged_as("addressee_mailing_read")
        .to(mailing_in_force),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/mailing-addresses",
            "listMailingAddresses",
            "宛名の送付先の記録をすべて読む（名寄せした番号の分も）",
            "addressee",
            read,
        )
        .json::<MailingAddressList>(200)
        .scope("addressee:mailing_addresses:read")
        .logged_as("addressee_mailing_list")
        .to(mailing_list),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/addressees/{addressee_id}/overview",
            "getAddresseeOverview",
            "個人状況照会: 各業務がこの人について持つ情報の要約（権限のある業務のみ）",
            "addressee",
            read,
        )
        .query::<AddresseeAsOf>()
        .json::<AddresseeOverview>(200)
        .logged_as("addressee_overview")
        .to(overview),
    ]
}

/// An addressee error as the API answers it.
pub(crate) fn addressee_error(error: AddresseeError) -> ApiError {
    match error {
        AddresseeError::Refused(refusal) => refusal_error(refusal),
        AddresseeError::NotFound => ApiError::not_found(),
        AddresseeError::PossibleDuplicate(_) => ApiError::of(Message::PossibleDuplicate {}),
        AddresseeError::Store(e) => ApiError::from(e),
    }
}

fn refusal_error(refusal: Refusal) -> ApiError {
    ApiError::about(refusal.field.as_deref(), refusal.message)
}

/// An address on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddresseeAddress {
    /// 郵便番号 (null for a destination abroad or without one).
    #[schema(example = "1000001", required = true)]
    pub postal_code: Option<String>,
    /// 住所.
    #[schema(example = "東京都千代田区千代田1-1")]
    pub address_line: String,
    /// 方書.
    #[serde(default)]
    #[schema(required = false)]
    pub katagaki: Option<String>,
}

fn address_wire(address: &PostalAddress) -> AddresseeAddress {
    AddresseeAddress {
        postal_code: address.postal_code.as_ref().map(|p| p.as_str().to_owned()),
        address_line: address.address_line.clone(),
        katagaki: address.katagaki.clone(),
    }
}

/// An addressee (宛名) as every read answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AddresseeView)]
pub struct AddresseeViewWire {
    /// 宛名番号.
    pub addressee_id: u64,
    /// `resident`, `former_resident` or `non_resident`.
    #[schema(example = "non_resident")]
    pub kind: String,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date)]
    pub birth_date: String,
    /// 性別 (`male`, `female`).
    pub sex: String,
    /// 住所 (null when withheld under a 支援措置).
    #[schema(required = true)]
    pub address: Option<AddresseeAddress>,
    /// Whether the address is withheld under a 支援措置.
    pub address_withheld: bool,
    /// The addressee this one is merged into (名寄せ先).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
}

pub(crate) fn view_wire(view: &AddresseeView) -> AddresseeViewWire {
    AddresseeViewWire {
        addressee_id: view.addressee_id.get(),
        kind: view.kind.code().to_owned(),
        name: view.name.clone(),
        name_kana: view.name_kana.clone(),
        birth_date: view.birth_date.to_string(),
        sex: view.sex.code().to_owned(),
        address: view.address.as_ref().map(address_wire),
        address_withheld: view.address.is_none(),
        merged_into: view.merged_into.map(AddresseeId::get),
    }
}

/// A search result: the addressee (as [`AddresseeViewWire`]) and what
/// matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeHit {
    /// 宛名番号 (the surviving one, when merged).
    pub addressee_id: u64,
    /// `resident`, `former_resident` or `non_resident`.
    pub kind: String,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date)]
    pub birth_date: String,
    /// 性別.
    pub sex: String,
    /// 住所 (null when withheld under a 支援措置).
    #[schema(required = true)]
    pub address: Option<AddresseeAddress>,
    /// Whether the address is withheld.
    pub address_withheld: bool,
    /// What matched: `name`, `name_kana`, `birth_date`, `address`,
    /// `past_name`, `past_name_kana`, `past_address`.
    pub matched_on: Vec<String>,
}

fn hit_wire(hit: &SearchHit) -> AddresseeHit {
    let view = view_wire(&hit.view);
    AddresseeHit {
        addressee_id: view.addressee_id,
        kind: view.kind,
        name: view.name,
        name_kana: view.name_kana,
        birth_date: view.birth_date,
        sex: view.sex,
        address: view.address,
        address_withheld: view.address_withheld,
        matched_on: hit.matched_on.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The body of `POST …/addressees`: a non-resident (住登外者).
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "山田　太郎", "name_kana": "ヤマダ　タロウ", "birth_date": "1970-04-01",
    "sex": "male",
    "address": {"postal_code": "1000001", "address_line": "東京都千代田区千代田1-1"},
    "effective_date": "2026-04-01"
}))]
pub struct AddresseeRequest {
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日 `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub birth_date: String,
    /// 性別 (`male`, `female`).
    pub sex: String,
    /// 住所.
    pub address: AddresseeAddress,
    /// 個人番号 (12 digits), when known.
    pub individual_number: Option<String>,
    /// From when the record holds (default: today).
    #[schema(format = Date)]
    pub effective_date: Option<String>,
    /// Register even though the 基本4情報 match existing addressees.
    pub confirm_new: Option<bool>,
}

/// The answer of a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeRegistered {
    /// The new 宛名番号.
    pub addressee_id: u64,
    /// Always `non_resident`.
    #[schema(example = "non_resident")]
    pub kind: String,
}

fn address_draft(obj: &Map<String, Value>, name: &str) -> Result<Option<AddressDraft>, ApiError> {
    let Some(value) = obj.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let fields = object(value, name)?;
    Ok(Some(AddressDraft {
        postal_code: text(fields, name, "postal_code")?,
        address_line: text(fields, name, "address_line")?,
        katagaki: opt_text(fields, name, "katagaki")?,
    }))
}

fn optional_date(obj: &Map<String, Value>, name: &str) -> Result<Option<Date>, ApiError> {
    opt_text(obj, "", name)?
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_date_field(name, &t).map_err(refusal_error))
        .transpose()
}

fn flag(obj: &Map<String, Value>, name: &str) -> Result<bool, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(wrong_type(name, |field| Message::MustBeBooleanType {
            field,
        })),
    }
}

/// Parses the registration body, naming the first member at fault.
pub(crate) fn new_non_resident(value: &Value) -> Result<NewNonResident, ApiError> {
    let obj = object(value, "")?;
    let today = kiban_core::today_in_japan();
    let draft = BasicInfoDraft {
        name: text(obj, "", "name")?,
        name_kana: text(obj, "", "name_kana")?,
        birth_date: text(obj, "", "birth_date")?,
        sex: text(obj, "", "sex")?,
        address: address_draft(obj, "address")?.ok_or_else(|| missing("address"))?,
    };
    let info = draft.parse(today).map_err(refusal_error)?;
    let individual_number = opt_text(obj, "", "individual_number")?
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            IndividualNumber::parse(t.trim())
                .map_err(|e| ApiError::invalid("individual_number", e.message()))
        })
        .transpose()?;
    Ok(NewNonResident {
        info,
        individual_number,
        effective_date: optional_date(obj, "effective_date")?.unwrap_or(today),
        confirm_new: flag(obj, "confirm_new")?,
    })
}

/// `POST /api/v1/municipalities/{m}/addressees`.
pub async fn register(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let new = new_non_resident(&json_body(&body)?)?;
    match addressees::register_non_resident(&tenant, &actor, &new).await {
        Ok(registered) => Ok((
            StatusCode::CREATED,
            Json(AddresseeRegistered {
                addressee_id: registered.addressee_id.get(),
                kind: AddresseeKind::NonResident.code().to_owned(),
            }),
        )
            .into_response()),
        Err(AddresseeError::PossibleDuplicate(candidates)) => {
            let message = Message::PossibleDuplicate {};
            let candidates: Vec<AddresseeHit> = candidates.iter().map(hit_wire).collect();
            Ok((
                StatusCode::CONFLICT,
                Json(json!({
                    "error": {"code": message.code().as_str(), "message": message.text()},
                    "candidates": candidates,
                })),
            )
                .into_response())
        }
        Err(e) => Err(addressee_error(e)),
    }
}

/// The query of `GET …/addressees`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddresseeSearchParams {
    /// フリガナ (prefix; script, width, spaces and voiced marks ignored).
    #[param(example = "ヤマダ")]
    name_kana: Option<String>,
    /// 氏名 (prefix; variant kanji and spaces ignored).
    name: Option<String>,
    /// 生年月日 `YYYY-MM-DD`.
    #[param(format = Date)]
    birth_date: Option<String>,
    /// 住所 (the start of an address line).
    address: Option<String>,
    /// Only this kind: `resident`, `former_resident`, `non_resident`.
    kind: Option<String>,
    /// At most this many results (1 to 100; 100 by default).
    #[param(example = "20")]
    limit: Option<String>,
}

/// The answer of a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeSearchResults {
    /// The addressees found (at most 100), merged ones as the surviving one.
    pub results: Vec<AddresseeHit>,
}

/// Parses the search query; `None` criteria → 422 `missing_criteria`.
pub(crate) fn search_query(params: &AddresseeSearchParams) -> Result<SearchQuery, ApiError> {
    let birth_date = params
        .birth_date
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| parse_date_field("birth_date", t).map_err(refusal_error))
        .transpose()?;
    let kind = params
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            AddresseeKind::from_code(t).ok_or_else(|| {
                ApiError::invalid(
                    "kind",
                    Message::UnknownAddresseeKind {
                        field: "kind".into(),
                    },
                )
            })
        })
        .transpose()?;
    let criteria = Criteria::from_input(
        params.name.as_deref(),
        params.name_kana.as_deref(),
        birth_date,
        params.address.as_deref(),
    )
    .ok_or_else(|| ApiError::of(Message::AddresseeMissingCriteria {}))?;
    let limit = page_limit(params.limit.as_deref(), SEARCH_LIMIT)?;
    Ok(SearchQuery {
        criteria,
        kind,
        limit,
    })
}

/// `GET /api/v1/municipalities/{m}/addressees`.
pub async fn search(
    door: Door,
    Query(params): Query<AddresseeSearchParams>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let query = search_query(&params)?;
    let hits = addressees::search(&tenant, &actor, &query, may_override(&principal, &tenant))
        .await
        .map_err(addressee_error)?;
    Ok(Json(AddresseeSearchResults {
        results: hits.iter().map(hit_wire).collect(),
    })
    .into_response())
}

/// The `as_of` query of a read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddresseeAsOf {
    /// 基準日 `YYYY-MM-DD`; today in Japan when absent.
    #[param(format = Date, example = "2026-04-01")]
    as_of: Option<String>,
    /// `true`: a role permitted to override 支援措置 confirms that it must
    /// see the address of a protected person (logged).
    #[param(example = "true")]
    confirm_support_measure: Option<String>,
}

/// A query's `as_of` date (today in Japan when absent); a date that is
/// not one is refused naming `as_of`.
pub(crate) fn as_of(raw: Option<&str>) -> Result<Date, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date_field("as_of", text).map_err(refusal_error),
        None => Ok(kiban_core::today_in_japan()),
    }
}

/// The 宛名番号 of a path (an unreadable one is as unknown as a missing one).
pub(crate) fn addressee_id(text: &str) -> Result<AddresseeId, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(AddresseeId::new)
        .ok_or_else(ApiError::not_found)
}

/// The addressee of a path as of the query's date (logged; the address
/// withheld under a 支援措置 unless overridden and confirmed).
async fn read_view(
    tenant: &kiban_store::TenantDb,
    actor: &kiban_audit::Actor,
    principal: &Principal,
    id: &str,
    query: &AddresseeAsOf,
) -> Result<AddresseeView, ApiError> {
    let id = addressee_id(id)?;
    let as_of = as_of(query.as_of.as_deref())?;
    let confirmed = query.confirm_support_measure.as_deref().map(str::trim) == Some("true");
    addressees::read_addressee(
        tenant,
        actor,
        id,
        as_of,
        may_override(principal, tenant),
        confirmed,
    )
    .await
    .map_err(addressee_error)
}

/// `GET /api/v1/municipalities/{m}/addressees/{addressee_id}`.
pub async fn read_one(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<AddresseeAsOf>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let view = read_view(&tenant, &actor, &principal, &id, &query).await?;
    Ok(Json(view_wire(&view)).into_response())
}

/// The body of `POST …/changes`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "effective_date": "2026-06-01",
    "address": {"postal_code": "1050011", "address_line": "東京都港区芝公園4-2-8"}
}))]
pub struct AddresseeChangeRequest {
    /// From when the change holds.
    #[schema(format = Date)]
    pub effective_date: String,
    /// New 氏名.
    pub name: Option<String>,
    /// New フリガナ.
    pub name_kana: Option<String>,
    /// New 住所.
    pub address: Option<AddresseeAddress>,
}

/// The answer of a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeChanged {
    /// 宛名番号.
    pub addressee_id: u64,
    /// The new version's number.
    pub version_no: u32,
}

/// Parses a change body.
pub(crate) fn change_of(value: &Value) -> Result<Change, ApiError> {
    let obj = object(value, "")?;
    let effective_date =
        optional_date(obj, "effective_date")?.ok_or_else(|| missing("effective_date"))?;
    let name = opt_text(obj, "", "name")?
        .map(|t| PersonName::parse(&t).map_err(|e| ApiError::invalid("name", e.message())))
        .transpose()?;
    let name_kana = opt_text(obj, "", "name_kana")?
        .map(|t| KanaName::parse(&t).map_err(|e| ApiError::invalid("name_kana", e.message())))
        .transpose()?;
    let address = address_draft(obj, "address")?
        .map(|d| d.parse("address").map_err(refusal_error))
        .transpose()?;
    Ok(Change {
        effective_date,
        name,
        name_kana,
        address,
    })
}

/// `POST /api/v1/municipalities/{m}/addressees/{addressee_id}/changes`.
pub async fn change(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = addressee_id(&id)?;
    let change = change_of(&json_body(&body)?)?;
    let version_no = addressees::change_non_resident(&tenant, &actor, id, &change)
        .await
        .map_err(addressee_error)?;
    Ok(Json(AddresseeChanged {
        addressee_id: id.get(),
        version_no,
    })
    .into_response())
}

/// One version of an addressee's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeVersion {
    /// From when it holds.
    #[schema(format = Date)]
    pub effective_date: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// `registered`, `changed`, or the registry's movement kind.
    pub source: String,
    /// The record.
    pub record: AddresseeViewWire,
}

/// One 名寄せ record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeRecordWire {
    /// `merge` or `unmerge`.
    pub action: String,
    /// The addressee merged.
    pub addressee_id: u64,
    /// Into which.
    pub into: u64,
    /// Why.
    pub reason: String,
    /// When.
    pub recorded_at: String,
    /// Who.
    pub recorded_by: String,
}

pub(crate) fn merge_wire(record: &MergeRecord) -> MergeRecordWire {
    MergeRecordWire {
        action: record.action.code().to_owned(),
        addressee_id: record.addressee.get(),
        into: record.into.get(),
        reason: record.reason.clone(),
        recorded_at: record.recorded_at.clone(),
        recorded_by: record.recorded_by.clone(),
    }
}

/// An addressee's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeHistory {
    /// Every version, oldest first.
    pub versions: Vec<AddresseeVersion>,
    /// The 名寄せ records about it, oldest first.
    pub merges: Vec<MergeRecordWire>,
}

/// `GET /api/v1/municipalities/{m}/addressees/{addressee_id}/history`.
pub async fn history(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let id = addressee_id(&id)?;
    let (versions, merges) = addressees::addressee_history(&tenant, &actor, id)
        .await
        .map_err(addressee_error)?;
    let number = i64::try_from(id.get()).unwrap_or(i64::MAX);
    let hidden = kiban_protection::withheld(
        &tenant,
        &actor,
        may_override(&principal, &tenant),
        false,
        &[number],
        kiban_core::today_in_japan(),
        kiban_protection::Exposure::Address,
    )
    .await?;
    let versions = versions
        .iter()
        .map(|v| {
            let mut record = view_wire(&v.view);
            if hidden.contains(&number) {
                record.address = None;
                record.address_withheld = true;
            }
            AddresseeVersion {
                effective_date: v.effective_date.to_string(),
                recorded_at: v.recorded_at.clone(),
                recorded_by: v.recorded_by.clone(),
                source: v.source.clone(),
                record,
            }
        })
        .collect();
    Ok(Json(AddresseeHistory {
        versions,
        merges: merges.iter().map(merge_wire).collect(),
    })
    .into_response())
}

/// The body of `POST …/merge`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"into": 1001, "reason": "同一人であることを本人に確認した"}))]
pub struct MergeRequest {
    /// The 宛名番号 that survives.
    pub into: u64,
    /// Why.
    pub reason: String,
}

/// The body of `POST …/unmerge`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"reason": "別人と判明した"}))]
pub struct UnmergeRequest {
    /// Why.
    pub reason: String,
}

/// The answer of a merge or an unmerge.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// The addressee merged or unmerged.
    pub addressee_id: u64,
    /// What it is merged into now (null after an unmerge).
    #[schema(required = true)]
    pub merged_into: Option<u64>,
}

fn reason_of(obj: &Map<String, Value>) -> Result<String, ApiError> {
    let raw = text(obj, "", "reason")?;
    parse_reason("reason", &raw).map_err(refusal_error)
}

/// Parses a merge body: the surviving 宛名番号 and the reason.
pub(crate) fn merge_of(value: &Value) -> Result<(AddresseeId, String), ApiError> {
    let obj = object(value, "")?;
    let into = AddresseeId::new(required_number(obj, "", "into")?);
    Ok((into, reason_of(obj)?))
}

/// Parses an unmerge body: the reason.
pub(crate) fn unmerge_of(value: &Value) -> Result<String, ApiError> {
    reason_of(object(value, "")?)
}

/// `POST /api/v1/municipalities/{m}/addressees/{addressee_id}/merge`.
pub async fn merge(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = addressee_id(&id)?;
    let (into, reason) = merge_of(&json_body(&body)?)?;
    addressees::merge(&tenant, &actor, id, into, &reason)
        .await
        .map_err(addressee_error)?;
    Ok(Json(MergeResult {
        addressee_id: id.get(),
        merged_into: Some(into.get()),
    })
    .into_response())
}

/// `POST /api/v1/municipalities/{m}/addressees/{addressee_id}/unmerge`.
pub async fn unmerge(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = addressee_id(&id)?;
    let reason = unmerge_of(&json_body(&body)?)?;
    addressees::unmerge(&tenant, &actor, id, &reason)
        .await
        .map_err(addressee_error)?;
    Ok(Json(MergeResult {
        addressee_id: id.get(),
        merged_into: None,
    })
    .into_response())
}

/// The body of `PUT …/mailing-addresses/{business}`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "kind": "mailing", "name": "山田　太郎",
    "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田1-1"},
    "valid_from": "2026-04-01"
}))]
pub struct MailingAddressRequest {
    /// `mailing` (送付先), `tax_agent` (納税管理人), `payer_proxy` (代納人).
    pub kind: String,
    /// The name to write on the letter.
    pub name: String,
    /// Where.
    pub address: AddresseeAddress,
    /// First day in force.
    #[schema(format = Date)]
    pub valid_from: String,
    /// Last day in force.
    #[schema(format = Date)]
    pub valid_until: Option<String>,
}

/// The answer of setting a mailing address.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailingAddressRecorded {
    /// The record's number.
    pub record_no: u64,
    /// 宛名番号.
    pub addressee_id: u64,
    /// The business.
    pub business: String,
}

fn business_of(text: &str, field: &str) -> Result<Business, ApiError> {
    Business::from_code(text.trim()).ok_or_else(|| {
        ApiError::invalid(
            field,
            Message::UnknownMailingBusiness {
                field: field.into(),
            },
        )
    })
}

/// Parses a mailing address body for `id` and `business`.
pub(crate) fn mailing_of(
    value: &Value,
    id: AddresseeId,
    business: Business,
) -> Result<MailingAddress, ApiError> {
    let obj = object(value, "")?;
    let kind_text = text(obj, "", "kind")?;
    let kind = MailingKind::from_code(kind_text.trim()).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            Message::UnknownMailingKind {
                field: "kind".into(),
            },
        )
    })?;
    let name = parse_mailing_name(&text(obj, "", "name")?).map_err(refusal_error)?;
    let address = address_draft(obj, "address")?
        .ok_or_else(|| missing("address"))?
        .parse("address")
        .map_err(refusal_error)?;
    let valid_from = optional_date(obj, "valid_from")?.ok_or_else(|| missing("valid_from"))?;
    let valid_until = optional_date(obj, "valid_until")?;
    check_validity(valid_from, valid_until).map_err(refusal_error)?;
    Ok(MailingAddress {
        record_no: 0,
        addressee: id,
        business,
        kind,
        name,
        address,
        valid_from,
        valid_until,
        recorded_at: String::new(),
        recorded_by: String::new(),
    })
}

/// `PUT …/addressees/{addressee_id}/mailing-addresses/{business}`.
pub async fn set_mailing(
    door: Door,
    Path((_, id, business)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = addressee_id(&id)?;
    let business = business_of(&business, "business")?;
    let mailing = mailing_of(&json_body(&body)?, id, business)?;
    let record_no = addressees::set_mailing_address(&tenant, &actor, &mailing)
        .await
        .map_err(addressee_error)?;
    Ok(Json(MailingAddressRecorded {
        record_no,
        addressee_id: id.get(),
        business: business.code().to_owned(),
    })
    .into_response())
}

/// The query of `GET …/mailing-address`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailingAddressParams {
    /// The business (`resident_tax`, `fixed_asset_tax`, `light_vehicle_tax`,
    /// `collection`, `nhi`, `all`).
    #[param(example = "resident_tax")]
    business: Option<String>,
    /// The day (default: today).
    #[param(format = Date)]
    on: Option<String>,
    /// `true`: a role permitted to override 支援措置 confirms (logged).
    confirm_support_measure: Option<String>,
}

/// Where a letter goes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailingAddressAnswer {
    /// The name to write.
    pub name: String,
    /// The address (null when withheld under a 支援措置).
    #[schema(required = true)]
    pub address: Option<AddresseeAddress>,
    /// `mailing`, `tax_agent`, `payer_proxy`, or null for the addressee's own.
    #[schema(required = true)]
    pub kind: Option<String>,
    /// `mailing_address` or `addressee`.
    pub source: String,
    /// Whether the address is withheld.
    pub address_withheld: bool,
}

fn answer_wire(answer: &MailingAnswer) -> MailingAddressAnswer {
    MailingAddressAnswer {
        name: answer.name.clone(),
        address: answer.address.as_ref().map(address_wire),
        kind: answer.kind.map(|k| k.code().to_owned()),
        source: answer.source.code().to_owned(),
        address_withheld: answer.address.is_none(),
    }
}

/// `GET …/addressees/{addressee_id}/mailing-address?business=&on=`.
pub async fn mailing_in_force(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    Query(params): Query<MailingAddressParams>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let id = addressee_id(&id)?;
    let business = business_of(params.business.as_deref().unwrap_or("all"), "business")?;
    let on = match params
        .on
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => parse_date_field("on", t).map_err(refusal_error)?,
        None => kiban_core::today_in_japan(),
    };
    let confirmed = params.confirm_support_measure.as_deref().map(str::trim) == Some("true");
    let answer = addressees::mailing_address_in_force(
        &tenant,
        &actor,
        id,
        business,
        on,
        may_override(&principal, &tenant),
        confirmed,
    )
    .await
    .map_err(addressee_error)?;
    Ok(Json(answer_wire(&answer)).into_response())
}

/// One recorded mailing address.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailingAddressWire {
    /// The record's number.
    pub record_no: u64,
    /// Under which 宛名番号 it was recorded.
    pub addressee_id: u64,
    /// The business.
    pub business: String,
    /// The kind.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The address.
    pub address: AddresseeAddress,
    /// First day in force.
    pub valid_from: String,
    /// Last day in force.
    #[schema(required = true)]
    pub valid_until: Option<String>,
    /// When recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// Every mailing address of an addressee.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailingAddressList {
    /// Oldest first.
    pub mailing_addresses: Vec<MailingAddressWire>,
}

pub(crate) fn mailing_wire(m: &MailingAddress) -> MailingAddressWire {
    MailingAddressWire {
        record_no: m.record_no,
        addressee_id: m.addressee.get(),
        business: m.business.code().to_owned(),
        kind: m.kind.code().to_owned(),
        name: m.name.clone(),
        address: address_wire(&m.address),
        valid_from: m.valid_from.to_string(),
        valid_until: m.valid_until.map(|d| d.to_string()),
        recorded_at: m.recorded_at.clone(),
        recorded_by: m.recorded_by.clone(),
    }
}

/// `GET …/addressees/{addressee_id}/mailing-addresses`.
pub async fn mailing_list(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = addressee_id(&id)?;
    let list = addressees::mailing_addresses(&tenant, &actor, id)
        .await
        .map_err(addressee_error)?;
    Ok(Json(MailingAddressList {
        mailing_addresses: list.iter().map(mailing_wire).collect(),
    })
    .into_response())
}

/// One business's part of the overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewEntry {
    /// `registry`, `seal`, `certificates`, …
    pub business: String,
    /// The business's name (Japanese).
    pub label: String,
    /// What it holds, in short.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// Where to read more (API and screen addresses).
    #[schema(value_type = Object)]
    pub links: Value,
}

/// The person overview (個人状況照会).
#[derive(Debug, Serialize, ToSchema)]
pub struct AddresseeOverview {
    /// The addressee.
    pub addressee: AddresseeViewWire,
    /// Every number under which the businesses' records are found.
    pub addressee_ids: Vec<u64>,
    /// One entry per business that holds something and that the caller
    /// may read.
    pub businesses: Vec<OverviewEntry>,
}

/// `GET …/addressees/{addressee_id}/overview`.
pub async fn overview(
    door: Door,
    Path((m, id)): Path<(String, String)>,
    Query(query): Query<AddresseeAsOf>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let view = read_view(&tenant, &actor, &principal, &id, &query).await?;
    let overview =
        crate::addressee::overview::gather_overview(&tenant, &actor, &principal, &m, &view).await?;
    Ok(Json(overview).into_response())
}
