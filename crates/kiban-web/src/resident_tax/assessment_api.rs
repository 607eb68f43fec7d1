//! The resident-tax JSON API of assessments and settings (個人住民税,
//! contract `resident-tax-v1`): the settings per fiscal year, a person's
//! assessment in force and its versions, the list by collection and
//! employer, and reassessment (更正).

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use kiban_addressee::domain::AddresseeId;
use kiban_auth::Permission;
use kiban_core::{FiscalYear, Message};
use kiban_resident_tax::domain::assessment::Collection;
use kiban_resident_tax::domain::settings::{Settings, SettingsError, check_rules};
use kiban_resident_tax::storage::assessment::{
    self as assessments, AssessmentError, AssessmentVersion, ListFilter,
};
use kiban_resident_tax::storage::settings::{self as settings_store, SettingsStoreError};
use kiban_resident_tax::wire;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::addressee::api::addressee_id;
use crate::kit::door::Door;
use crate::kit::query::{Query, page_limit};
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The most assessments one page of the list holds.
const LIST_LIMIT: usize = 200;

/// The operations of assessments and settings.
pub(crate) fn operations() -> Vec<Route> {
    let tax = Access::Tenant(Permission::Tax);
    let settings = Access::Tenant(Permission::ResidentTaxSettings);
    vec![
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/settings",
            "getResidentTaxSettings",
            "個人住民税の課税設定（税率・級地・納期限・端数単位・収納機関番号）を読む（未設定の項目は既定値）",
            "resident_tax",
            settings,
        )
        .json::<ResidentTaxSettingsWire>(200)
        .logged_as("resident_tax_settings_read")
        .to(get_settings),
        Operation::new(
            "put",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/settings",
            "putResidentTaxSettings",
            "個人住民税の課税設定を記録する（新しい版。省略した項目は既定値。以前の版は残る）",
            "resident_tax",
            settings,
        )
        .body::<ResidentTaxSettingsWire>()
        .json::<ResidentTaxSettingsWire>(200)
        .logged_as("resident_tax_settings_put")
        .to(put_settings),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/assessments",
            "listResidentTaxAssessments",
            "課税の一覧（最新の版。徴収区分・特別徴収義務者で絞り込み、宛名番号順にページ送り）",
            "resident_tax",
            tax,
        )
        .query::<AssessmentListParams>()
        .json::<AssessmentList>(200)
        .logged_as("resident_tax_assessment_list")
        .to(list),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/assessments/{addressee_id}",
            "getResidentTaxAssessment",
            "個人の課税（最新の版: 計算過程、期別、特別徴収の月割）を読む",
            "resident_tax",
            tax,
        )
        .json::<AssessmentWire>(200)
        .logged_as("resident_tax_assessment_read")
        .to(read_one),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/assessments/{addressee_id}/versions",
            "listResidentTaxAssessmentVersions",
            "個人の課税のすべての版（当初課税と更正）を古い順に読む",
            "resident_tax",
            tax,
        )
        .json::<AssessmentVersions>(200)
        .logged_as("resident_tax_assessment_versions")
        .to(versions),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/assessments/{addressee_id}/reassess",
            "reassessResidentTax",
            "更正: 今の所得情報と課税設定で計算し直し、新しい版を作る（納期限の過ぎた期はそのまま）",
            "resident_tax",
            tax,
        )
        .json::<AssessmentWire>(200)
        .logged_as("resident_tax_reassess")
        .to(reassess),
    ]
}

/// The settings body and answer (every member optional in a `PUT`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "rates": {"municipal_income_rate": "0.06", "prefectural_income_rate": "0.04",
              "municipal_per_capita": 3000, "prefectural_per_capita": 1000},
    "non_taxable_grade": 1,
    "ordinary_due_dates": ["2026-06-30", "2026-08-31", "2026-11-02", "2027-02-01"],
    "installment_unit": 1000,
    "collection_agency_code": "12345"
}))]
pub struct ResidentTaxSettingsWire {
    /// 税率.
    pub rates: Option<RatesWire>,
    /// 級地 (1–3).
    pub non_taxable_grade: Option<u8>,
    /// 普通徴収の納期限 (period N on the N-th).
    #[schema(value_type = Option<Vec<String>>)]
    pub ordinary_due_dates: Option<Vec<String>>,
    /// 端数単位 (1, 10, 100, 1000, 10000).
    pub installment_unit: Option<i64>,
    /// 収納機関番号 (5 digits).
    pub collection_agency_code: Option<String>,
}

/// 税率.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RatesWire {
    /// 市町村民税所得割の税率.
    pub municipal_income_rate: Option<String>,
    /// 道府県民税所得割の税率.
    pub prefectural_income_rate: Option<String>,
    /// 市町村民税均等割.
    pub municipal_per_capita: Option<i64>,
    /// 道府県民税均等割.
    pub prefectural_per_capita: Option<i64>,
    /// 指定都市 (an addition to the contract).
    pub designated_city: Option<bool>,
}

/// One period of ordinary collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallmentWire {
    /// 期別.
    pub period: u32,
    /// 納期限.
    #[schema(format = Date)]
    pub due_date: String,
    /// 税額.
    pub amount: i64,
    /// 通知書番号 (12 digits).
    pub notice_number: Option<String>,
}

/// One month of special collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyWire {
    /// `YYYY-MM`.
    pub month: String,
    /// 月割額.
    pub amount: i64,
}

/// 特別徴収.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecialCollectionWire {
    /// 特別徴収義務者指定番号.
    pub payer_number: Option<String>,
    /// June to May.
    pub monthly: Vec<MonthlyWire>,
}

/// A version of a person's assessment (`GET …/assessments/{addressee_id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentWire {
    /// 年度.
    pub fiscal_year: i32,
    /// 宛名番号.
    pub addressee_id: u64,
    /// 版 (1 = 当初課税).
    pub version: i64,
    /// 課税日.
    #[schema(format = Date)]
    pub assessed_on: String,
    /// `special`, `ordinary` or `mixed`.
    pub collection: String,
    /// calc-v1 `resident-tax` output, working included.
    #[schema(value_type = Object)]
    pub calculation: Value,
    /// 年税額.
    pub total: i64,
    /// `none`, `income_levy` or `all` (an addition).
    pub non_taxable: String,
    /// 普通徴収の期別 (empty when all is special).
    pub installments: Vec<InstallmentWire>,
    /// 特別徴収 (null when none).
    pub special_collection: Option<SpecialCollectionWire>,
    /// 要確認 findings' codes (an addition).
    pub review: Vec<String>,
}

/// Every version, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentVersions {
    /// The versions.
    pub versions: Vec<AssessmentWire>,
}

/// One page of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentList {
    /// The assessments in force, by 宛名番号.
    pub assessments: Vec<AssessmentWire>,
    /// The `after` of the next page (null on the last).
    pub next_after: Option<u64>,
}

/// The query of the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentListParams {
    /// `special`, `ordinary` or `mixed`.
    #[param(example = "special")]
    collection: Option<String>,
    /// 特別徴収義務者指定番号.
    payer_number: Option<String>,
    /// Only 宛名番号 above this (the previous page's `next_after`).
    after: Option<String>,
    /// At most this many (1–200, default 200).
    limit: Option<String>,
}

/// The fiscal year of a path: a year with rule data (another is refused
/// naming `fiscal_year`).
pub(crate) fn fiscal_year(text: &str) -> Result<FiscalYear, ApiError> {
    let year = text
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "fiscal_year",
                Message::ParamNotFiscalYear {
                    value: text.to_owned(),
                },
            )
        })?;
    check_rules(year).map_err(|e| ApiError::invalid("fiscal_year", e.message))?;
    Ok(year)
}

fn settings_error(e: SettingsError) -> ApiError {
    ApiError::invalid(e.field, e.message)
}

fn store_settings_error(e: SettingsStoreError) -> ApiError {
    match e {
        SettingsStoreError::Invalid(e) => settings_error(e),
        SettingsStoreError::Store(e) => ApiError::from(e),
    }
}

fn assessment_error(e: AssessmentError, year: FiscalYear) -> ApiError {
    match e {
        AssessmentError::NotAssessed => ApiError::not_found(),
        AssessmentError::Store(e) => ApiError::from(e),
        AssessmentError::Settings(e) => store_settings_error(e),
        other => ApiError::of(other.message(year)),
    }
}

fn settings_wire(s: &Settings) -> Result<ResidentTaxSettingsWire, ApiError> {
    serde_json::from_value(wire::settings_json(s)).map_err(ApiError::internal)
}

/// The wire form of a version (the calculation made again through
/// calc-v1 from its stored input).
pub(crate) fn assessment_wire(v: &AssessmentVersion) -> Result<AssessmentWire, ApiError> {
    let full = v.to_json().map_err(ApiError::from)?;
    Ok(AssessmentWire {
        fiscal_year: v.fiscal_year.start_year(),
        addressee_id: v.addressee_id.get(),
        version: v.version,
        assessed_on: v.assessed_on.to_string(),
        collection: v.schedule.collection.code().to_owned(),
        calculation: full.get("calculation").cloned().unwrap_or(Value::Null),
        total: v.total.get(),
        non_taxable: v.non_taxable.clone(),
        installments: v
            .schedule
            .installments
            .iter()
            .map(|i| InstallmentWire {
                period: i.period,
                due_date: i.due_date.to_string(),
                amount: i.amount.get(),
                notice_number: v.notice_number.clone(),
            })
            .collect(),
        special_collection: (!v.schedule.monthly.is_empty()).then(|| SpecialCollectionWire {
            payer_number: v.payer_number.clone(),
            monthly: v
                .schedule
                .monthly
                .iter()
                .map(|m| MonthlyWire {
                    month: m.month.to_string(),
                    amount: m.amount.get(),
                })
                .collect(),
        }),
        review: v.flags.iter().map(|f| f.code().to_owned()).collect(),
    })
}

/// `GET …/resident-tax/{fiscal_year}/settings`.
pub async fn get_settings(
    door: Door,
    Path((_, year)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let settings = settings_store::get(&door.tenant, year)
        .await
        .map_err(store_settings_error)?;
    Ok(Json(settings_wire(&settings)?).into_response())
}

/// `PUT …/resident-tax/{fiscal_year}/settings`.
pub async fn put_settings(
    door: Door,
    Path((_, year)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let input = wire::settings_input(&json_body(&body)?).map_err(settings_error)?;
    let settings = settings_store::put(&door.tenant, &door.actor, year, &input)
        .await
        .map_err(store_settings_error)?;
    Ok(Json(settings_wire(&settings)?).into_response())
}

/// `GET …/resident-tax/{fiscal_year}/assessments/{addressee_id}`.
pub async fn read_one(
    door: Door,
    Path((_, year, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let id: AddresseeId = addressee_id(&id)?;
    let version = assessments::read(&door.tenant, &door.actor, year, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(assessment_wire(&version)?).into_response())
}

/// `GET …/resident-tax/{fiscal_year}/assessments/{addressee_id}/versions`.
pub async fn versions(
    door: Door,
    Path((_, year, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let id = addressee_id(&id)?;
    let all = assessments::versions(&door.tenant, &door.actor, year, id).await?;
    if all.is_empty() {
        return Err(ApiError::not_found());
    }
    let versions = all
        .iter()
        .map(assessment_wire)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(AssessmentVersions { versions }).into_response())
}

/// `POST …/resident-tax/{fiscal_year}/assessments/{addressee_id}/reassess`.
pub async fn reassess(
    door: Door,
    Path((_, year, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let id = addressee_id(&id)?;
    let version = assessments::reassess(
        &door.tenant,
        &door.actor,
        year,
        id,
        kiban_core::today_in_japan(),
    )
    .await
    .map_err(|e| assessment_error(e, year))?;
    Ok(Json(assessment_wire(&version)?).into_response())
}

/// `GET …/resident-tax/{fiscal_year}/assessments`.
pub async fn list(
    door: Door,
    Path((_, year)): Path<(String, String)>,
    Query(params): Query<AssessmentListParams>,
) -> Result<Response, ApiError> {
    let year = fiscal_year(&year)?;
    let collection = match params
        .collection
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => Some(Collection::parse(code).ok_or_else(|| {
            ApiError::invalid("collection", Message::ResidentTaxCollectionUnknown {})
        })?),
    };
    let after = match params
        .after
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(text) => Some(
            text.parse::<u64>()
                .ok()
                .filter(|n| i64::try_from(*n).is_ok())
                .map(AddresseeId::new)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "after",
                        Message::InvalidParam {
                            field: "after".into(),
                            detail: "宛名番号（正の整数）で指定してください".into(),
                        },
                    )
                })?,
        ),
    };
    let limit = page_limit(params.limit.as_deref(), LIST_LIMIT)?;
    let filter = ListFilter {
        collection,
        payer_number: params
            .payer_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        after,
        limit: u32::try_from(limit).unwrap_or(200),
    };
    let page = assessments::list(&door.tenant, &door.actor, year, &filter).await?;
    let next_after = (page.len() == limit)
        .then(|| page.last().map(|v| v.addressee_id.get()))
        .flatten();
    let assessments = page
        .iter()
        .map(assessment_wire)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(AssessmentList {
        assessments,
        next_after,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_wire_reads_what_the_crate_writes() {
        let year = FiscalYear::new(2026).unwrap_or_else(|_| panic!("2026"));
        let input =
            wire::settings_input(&serde_json::json!({"installment_unit": 100})).unwrap_or_default();
        let settings = Settings::from_input(year, &input).unwrap_or_else(|e| panic!("{e}"));
        let w = settings_wire(&settings).unwrap_or_else(|_| panic!("wire"));
        assert_eq!(w.installment_unit, Some(100));
        assert_eq!(w.ordinary_due_dates.map(|d| d.len()), Some(4));
    }
}
