//! The income-record JSON API of the resident tax (所得情報, contract
//! `resident-tax-v1` "Income records"): an `income-csv-v1` file imported
//! (all rows or none; the same file twice refused), the 突合 (matching)
//! queue of the rows that matched nobody or several addressees, and a
//! clerk's assignment of one of them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_addressee::domain::AddresseeId;
use kiban_auth::Permission;
use kiban_core::{FiscalYear, Message};
use kiban_resident_tax::domain::income::{IncomeFileError, IncomeRecord};
use kiban_resident_tax::storage::income::{
    self as income, AssignError, ImportError, ImportReport, MAX_QUEUE_PAGE, MatchStatus, QueueItem,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::kit::body::{object, required_number};
use crate::kit::door::Door;
use crate::kit::query::{Query, page_limit};
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of the income records.
pub(crate) fn operations() -> Vec<Route> {
    let tax = Access::Tenant(Permission::Tax);
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/income-files",
            "importIncomeFile",
            "所得情報ファイル（income-csv-v1）を取り込む（誤りが1件でもあれば何も取り込まない。同じファイルは二度取り込まない）",
            "resident_tax",
            tax,
        )
        .text_body("text/csv")
        .json::<IncomeImportReport>(201)
        .errors(&[409, 422, 503])
        .scope("resident_tax:income_files:create")
        .logged_as("resident_tax_income_import")
        .to(import),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/income-matching",
            "listIncomeMatching",
            "突合待ちの所得情報（宛名に一致しなかった行・複数に一致した行）を読む",
            "resident_tax",
            tax,
        )
        .query::<IncomeMatchingParams>()
        .json::<IncomeMatchingQueue>(200)
        .errors(&[422])
        .scope("resident_tax:income_matching:read")
        .logged_as("resident_tax_income_matching")
        .to(queue),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/resident-tax/{fiscal_year}/income-matching/{record_id}/assign",
            "assignIncomeRecord",
            "突合待ちの所得情報を宛名に割り当てる（割当ては新しい行として記録する）",
            "resident_tax",
            tax,
        )
        .body::<IncomeAssignRequest>()
        .json::<IncomeAssigned>(201)
        .scope("resident_tax:income_matching:update")
        .logged_as("resident_tax_income_assign")
        .to(assign),
    ]
}

/// The fiscal year of the path (`2026`), refused naming `fiscal_year`.
fn fiscal_year(text: &str) -> Result<FiscalYear, ApiError> {
    let year: i32 = text.trim().parse().map_err(|_| {
        ApiError::invalid(
            "fiscal_year",
            Message::MustBePositive {
                field: "fiscal_year".into(),
            },
        )
    })?;
    FiscalYear::new(year).map_err(|e| ApiError::invalid("fiscal_year", e.message()))
}

/// One row of the import report that did not match exactly one addressee.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeImportIssue {
    /// The row in the file (the first row after the header is 1).
    pub row: usize,
    /// `unmatched` or `ambiguous`.
    #[schema(example = "ambiguous")]
    pub code: String,
    /// The addressees it matched (ambiguous), in number order.
    pub candidates: Vec<u64>,
    /// The stored record's number (to assign it in the 突合 queue).
    pub record_id: i64,
}

/// The report of an imported file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"file_id": 1, "fiscal_year": 2026, "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "rows": 3, "matched": 1, "unmatched": 1, "ambiguous": 1,
    "issues": [{"row": 2, "code": "unmatched", "candidates": [], "record_id": 12},
               {"row": 3, "code": "ambiguous", "candidates": [4, 9], "record_id": 13}]}))]
pub struct IncomeImportReport {
    /// The file's number.
    pub file_id: i64,
    /// The fiscal year imported into.
    pub fiscal_year: i32,
    /// The SHA-256 of the file, hex.
    pub digest: String,
    /// Rows read (every one stored).
    pub rows: usize,
    /// Rows matched to one addressee.
    pub matched: usize,
    /// Rows that matched nobody (in the 突合 queue).
    pub unmatched: usize,
    /// Rows that matched several addressees (in the 突合 queue).
    pub ambiguous: usize,
    /// The unmatched and ambiguous rows, in file order.
    pub issues: Vec<IncomeImportIssue>,
}

pub(crate) fn report_wire(report: &ImportReport) -> IncomeImportReport {
    IncomeImportReport {
        file_id: report.file_id,
        fiscal_year: report.fiscal_year.start_year(),
        digest: report.digest.clone(),
        rows: report.rows,
        matched: report.matched,
        unmatched: report.unmatched,
        ambiguous: report.ambiguous,
        issues: report
            .issues
            .iter()
            .map(|i| IncomeImportIssue {
                row: i.row,
                code: i.code.to_owned(),
                candidates: i.candidates.iter().map(|c| c.get()).collect(),
                record_id: i.record_id,
            })
            .collect(),
    }
}

/// One problem of a refused file.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeFileProblem {
    /// The row (0 for the header; the first row after it is 1).
    pub row: usize,
    /// The column at fault.
    #[schema(example = "birth_date")]
    pub column: Option<String>,
    /// Stable code (`invalid_date`, `negative_amount`, `unknown_column`, …).
    #[schema(example = "invalid_date")]
    pub code: String,
    /// 日本語の説明.
    pub message: String,
}

pub(crate) fn problems_wire(error: &IncomeFileError) -> Vec<IncomeFileProblem> {
    error
        .issues
        .iter()
        .map(|i| IncomeFileProblem {
            row: i.row,
            column: i.column.clone(),
            code: i.problem.code().to_owned(),
            message: i.problem.message_ja(),
        })
        .collect()
}

/// `POST /api/v1/municipalities/{m}/resident-tax/{fiscal_year}/income-files`.
pub async fn import(
    door: Door,
    Path((_, year)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let year = fiscal_year(&year)?;
    match income::import_income_file(&tenant, &actor, year, &body).await {
        Ok(report) => Ok((StatusCode::CREATED, Json(report_wire(&report))).into_response()),
        Err(ImportError::Malformed(error)) => {
            let message = ImportError::Malformed(error.clone()).message();
            let first = error.issues.first();
            let field = first.map(|i| match &i.column {
                Some(column) => format!("row {} {column}", i.row),
                None => format!("row {}", i.row),
            });
            let mut detail = json!({"code": message.code().as_str(), "message": message.text()});
            if let (Some(field), Some(obj)) = (field, detail.as_object_mut()) {
                obj.insert("field".into(), json!(field));
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "error": detail,
                    "total": error.total,
                    "problems": problems_wire(&error),
                })),
            )
                .into_response())
        }
        Err(ImportError::NoRules(e)) => Err(ApiError::invalid("fiscal_year", e.message())),
        Err(ImportError::Store(e)) => Err(ApiError::from(e)),
        Err(e @ ImportError::Duplicate { .. }) => Err(ApiError::of(e.message())),
    }
}

/// The query of `GET …/income-matching`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncomeMatchingParams {
    /// The rows after this record number (the `next_after` of the page
    /// before).
    #[param(example = "120")]
    after: Option<String>,
    /// Page size, 1 to 500 (500 when absent).
    #[param(example = "100")]
    limit: Option<String>,
}

/// An income record as the queue shows it (the 個人番号 masked).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeRecordWire {
    /// `salary_report`, `pension_report` or `declaration`.
    #[schema(example = "salary_report")]
    pub source: String,
    /// 特別徴収義務者指定番号 or the payer's number.
    pub payer_number: Option<String>,
    /// 支払者名.
    pub payer_name: Option<String>,
    /// `special` or `ordinary`.
    #[schema(example = "special")]
    pub collection: String,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日.
    #[schema(format = Date)]
    pub birth_date: String,
    /// 性別 (`male`, `female`), when given.
    pub sex: Option<String>,
    /// 1月1日現在の住所.
    pub address_on_jan1: String,
    /// 個人番号, masked (`********9018`), when given.
    pub individual_number: Option<String>,
    /// 給与収入.
    pub salary_revenue: i64,
    /// 公的年金等収入.
    pub public_pension_revenue: i64,
    /// 事業所得.
    pub business_income: i64,
    /// 不動産所得.
    pub real_estate_income: i64,
    /// 雑所得.
    pub misc_income: i64,
}

pub(crate) fn record_wire(record: &IncomeRecord) -> IncomeRecordWire {
    IncomeRecordWire {
        source: record.source.code().to_owned(),
        payer_number: record.payer_number.clone(),
        payer_name: record.payer_name.clone(),
        collection: record.collection.code().to_owned(),
        name: record.name.clone(),
        name_kana: record.name_kana.clone(),
        birth_date: record.birth_date.to_string(),
        sex: record.sex.map(|s| s.code().to_owned()),
        address_on_jan1: record.address_on_jan1.clone(),
        individual_number: record.individual_number.as_ref().map(|n| n.masked()),
        salary_revenue: record.salary_revenue,
        public_pension_revenue: record.public_pension_revenue,
        business_income: record.business_income,
        real_estate_income: record.real_estate_income,
        misc_income: record.misc_income,
    }
}

/// One row waiting in the 突合 queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeMatchingItem {
    /// The record's number (to assign it).
    pub record_id: i64,
    /// The file it came from.
    pub file_id: Option<i64>,
    /// Its row in that file.
    pub row: Option<i64>,
    /// `unmatched` or `ambiguous`.
    #[schema(example = "unmatched")]
    pub status: String,
    /// The addressees it matched (ambiguous), in number order.
    pub candidates: Vec<u64>,
    /// The record.
    pub record: IncomeRecordWire,
}

pub(crate) fn item_wire(item: &QueueItem) -> IncomeMatchingItem {
    IncomeMatchingItem {
        record_id: item.record_id,
        file_id: item.file_id,
        row: item.row_no,
        status: item.status.code().to_owned(),
        candidates: match &item.status {
            MatchStatus::Ambiguous(ids) => ids.iter().map(|c| c.get()).collect(),
            _ => Vec::new(),
        },
        record: record_wire(&item.record),
    }
}

/// A page of the 突合 queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeMatchingQueue {
    /// The fiscal year.
    pub fiscal_year: i32,
    /// The rows, oldest first.
    pub items: Vec<IncomeMatchingItem>,
    /// The `after` of the next page (null on the last page).
    pub next_after: Option<i64>,
}

/// `GET /api/v1/municipalities/{m}/resident-tax/{fiscal_year}/income-matching`.
pub async fn queue(
    door: Door,
    Path((_, year)): Path<(String, String)>,
    Query(params): Query<IncomeMatchingParams>,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let year = fiscal_year(&year)?;
    let limit = page_limit(params.limit.as_deref(), MAX_QUEUE_PAGE)?;
    let after = match params
        .after
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "after",
                        Message::MustBePositive {
                            field: "after".into(),
                        },
                    )
                })?,
        ),
    };
    let page = income::matching_queue(&tenant, &actor, year, after, limit)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(IncomeMatchingQueue {
        fiscal_year: year.start_year(),
        items: page.items.iter().map(item_wire).collect(),
        next_after: page.next_after,
    })
    .into_response())
}

/// The body of `POST …/income-matching/{record_id}/assign`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"addressee_id": 123}))]
pub struct IncomeAssignRequest {
    /// The addressee the row is about (宛名番号).
    pub addressee_id: u64,
}

/// What an assignment recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncomeAssigned {
    /// The new row's number.
    pub record_id: i64,
    /// The row assigned.
    pub assigned_record_id: i64,
    /// The addressee (its surviving number, if merged).
    pub addressee_id: u64,
}

/// `POST …/resident-tax/{fiscal_year}/income-matching/{record_id}/assign`.
pub async fn assign(
    door: Door,
    Path((_, year, record)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let year = fiscal_year(&year)?;
    let record: i64 = record
        .trim()
        .parse()
        .map_err(|_| ApiError::of(Message::IncomeRecordNotFound {}))?;
    let value = json_body(&body)?;
    let obj = object(&value, "")?;
    let addressee = AddresseeId::new(required_number(obj, "", "addressee_id")?);
    let assigned = income::assign_record(&tenant, &actor, year, record, addressee)
        .await
        .map_err(|e| match e {
            AssignError::Store(e) => ApiError::from(e),
            AssignError::AddresseeNotFound => ApiError::invalid("addressee_id", e.message()),
            AssignError::RecordNotFound => ApiError::of(e.message()),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(IncomeAssigned {
            record_id: assigned.record_id,
            assigned_record_id: assigned.assigned,
            addressee_id: assigned.addressee_id.get(),
        }),
    )
        .into_response())
}
