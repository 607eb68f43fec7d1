//! The collection JSON API (収納, contract `collection-v1`): what an
//! addressee owes (charges, late fees running, overpayments), payments
//! files, and the suspense list with its assignment.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_auth::Permission;
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection_storage::payments::{self, ImportError, ImportReport};
use kiban_collection_storage::read::{self, AddresseeCharges, ReadError};
use kiban_collection_storage::suspense::{self, AssignError};
use kiban_core::Message;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::addressee::api::addressee_id;
use crate::kit::body::{object, required_number};
use crate::kit::door::Door;
use crate::kit::query::Query;
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of collection.
pub(crate) fn operations() -> Vec<Route> {
    let tax = Access::Tenant(Permission::Tax);
    vec![
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/collection/addressees/{addressee_id}/charges",
            "getCollectionCharges",
            "宛名の調定（期別ごとの調定額・収納済額・未納額・延滞金）と過誤納金を読む",
            "collection",
            tax,
        )
        .query::<ChargesQuery>()
        .json::<ChargesWire>(200)
        .errors(&[422])
        .logged_as("collection_charges_read")
        .to(charges),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/collection/payment-files",
            "importPaymentFile",
            "収納ファイル（convenience-store-v1・payments-csv-v1）を取り込み消し込む（誤りが1件でもあれば何も取り込まない。同じファイルは二度取り込まない）",
            "collection",
            tax,
        )
        .query::<PaymentFileQuery>()
        .text_body("text/csv")
        .json::<PaymentImportReport>(201)
        .errors(&[409, 422])
        .logged_as("collection_payment_import")
        .to(import),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/collection/suspense",
            "listCollectionSuspense",
            "未消込（調定の見つからない収納）の一覧を読む",
            "collection",
            tax,
        )
        .json::<SuspenseList>(200)
        .logged_as("collection_suspense_list")
        .to(list_suspense),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/collection/suspense/{suspense_id}/assign",
            "assignCollectionSuspense",
            "未消込の収納を調定に割り当てて消し込む（納付日は収納のまま）",
            "collection",
            tax,
        )
        .body::<SuspenseAssignRequest>()
        .json::<SuspenseAssigned>(200)
        .errors(&[409, 422])
        .logged_as("collection_suspense_assign")
        .to(assign),
    ]
}

/// The query of the charges.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChargesQuery {
    /// The day up to which late fees are computed (`YYYY-MM-DD`; today in Japan when absent).
    #[param(format = Date, example = "2026-12-01")]
    as_of: Option<String>,
}

/// One charge (調定).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeWire {
    /// 調定番号.
    pub charge_id: i64,
    /// `resident_tax`, `fixed_asset_tax`, `light_vehicle_tax`, `nhi_tax` or `late_fee`.
    #[schema(example = "resident_tax")]
    pub business: String,
    /// 年度.
    pub fiscal_year: i32,
    /// 期別.
    pub period: u32,
    /// 通知書番号 (12 digits).
    pub notice_number: String,
    /// 納期限.
    #[schema(format = Date)]
    pub due_date: String,
    /// 調定額.
    pub amount: i64,
    /// 収納済額.
    pub paid: i64,
    /// 不納欠損額.
    pub written_off: i64,
    /// 未納額.
    pub balance: i64,
    /// The late fee running up to `as_of` (not yet charged).
    pub late_fee_accrued: i64,
    /// 督促日.
    #[schema(format = Date)]
    pub demanded_on: Option<String>,
    /// `open`, `paid` or `written_off`.
    #[schema(example = "open")]
    pub status: String,
    /// The 44 digits of the slip's convenience-store barcode (null above 300,000 yen).
    pub barcode: Option<String>,
    /// For a late fee: the charge it arose from (an addition).
    pub origin_charge_id: Option<i64>,
}

/// An overpayment applied to a charge.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedWire {
    /// The charge.
    pub charge_id: i64,
    /// The amount applied (充当額).
    pub amount: i64,
}

/// One overpayment (過誤納金).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverpaymentWire {
    /// 過誤納金番号.
    pub overpayment_id: i64,
    /// The payment it came from.
    pub payment_id: i64,
    /// 過誤納額.
    pub amount: i64,
    /// 充当.
    pub applied: Vec<AppliedWire>,
    /// 還付額 still to refund.
    pub refundable: i64,
    /// `applied`, `refundable` or `refunded`.
    #[schema(example = "refundable")]
    pub status: String,
}

/// What an addressee owes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargesWire {
    /// The charges, in the order they were made.
    pub charges: Vec<ChargeWire>,
    /// 未納額の合計.
    pub balance: i64,
    /// The late fees running, in total.
    pub late_fee_accrued: i64,
    /// The overpayments.
    pub overpayments: Vec<OverpaymentWire>,
}

fn charges_wire(view: &AddresseeCharges) -> ChargesWire {
    ChargesWire {
        charges: view
            .charges
            .iter()
            .map(|c| ChargeWire {
                charge_id: c.charge.charge_id.0,
                business: c.charge.key.business.wire_name().to_owned(),
                fiscal_year: c.charge.key.fiscal_year.start_year(),
                period: u32::from(c.charge.key.period),
                notice_number: c.charge.key.notice_number.as_str().to_owned(),
                due_date: c.charge.due_date.to_string(),
                amount: c.charge.amount.get(),
                paid: c.state.paid.get(),
                written_off: c.charge.written_off.get(),
                balance: c.state.balance.get(),
                late_fee_accrued: c.late_fee_accrued.get(),
                demanded_on: c.charge.demanded_on.map(|d| d.to_string()),
                status: c.state.status.code().to_owned(),
                barcode: c.barcode.clone(),
                origin_charge_id: c.charge.origin.map(|o| o.0),
            })
            .collect(),
        balance: view.balance.get(),
        late_fee_accrued: view.late_fee_accrued.get(),
        overpayments: view
            .overpayments
            .iter()
            .map(|o| OverpaymentWire {
                overpayment_id: o.overpayment.overpayment_id.0,
                payment_id: o.overpayment.payment_id.0,
                amount: o.state.amount.get(),
                applied: o
                    .state
                    .applied
                    .iter()
                    .map(|(charge, amount)| AppliedWire {
                        charge_id: charge.0,
                        amount: amount.get(),
                    })
                    .collect(),
                refundable: o.state.refundable.get(),
                status: o.state.status.code().to_owned(),
            })
            .collect(),
    }
}

/// `GET …/collection/addressees/{addressee_id}/charges`.
pub async fn charges(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ChargesQuery>,
) -> Result<Response, ApiError> {
    let id = addressee_id(&id)?;
    let as_of = crate::addressee::api::as_of(query.as_of.as_deref())?;
    let addressee = i64::try_from(id.get()).map_err(|_| ApiError::not_found())?;
    let view = read::charges_of(&door.tenant, &door.actor, addressee, as_of)
        .await
        .map_err(|e| match e {
            ReadError::NotFound => ApiError::not_found(),
            ReadError::LateFee(e) => ApiError::invalid("as_of", e.message()),
            ReadError::Store(e) => ApiError::from(e),
        })?;
    Ok(Json(charges_wire(&view)).into_response())
}

/// The query of a payments file.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentFileQuery {
    /// `convenience-store-v1` or `payments-csv-v1`.
    #[param(example = "payments-csv-v1")]
    format: Option<String>,
}

/// One line of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentIssueWire {
    /// The record (the first after the header is 1).
    pub record: usize,
    /// `preliminary`, `duplicate`, `unknown_charge`, `check_digit`, `barcode`, `late_fee_not_computed`.
    #[schema(example = "unknown_charge")]
    pub code: String,
    /// What happened.
    pub message: String,
    /// The suspense item the record went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspense_id: Option<i64>,
}

/// The report of an imported payments file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"file_id": 1, "records": 3, "posted": 2, "overpaid": 0, "suspense": 1, "duplicates": 0,
    "issues": [{"record": 3, "code": "unknown_charge", "message": "通知書番号 999999999999 期別 1 の調定がありません", "suspense_id": 1}]}))]
pub struct PaymentImportReport {
    /// The file's number (an addition).
    pub file_id: i64,
    /// Records in the file.
    pub records: usize,
    /// Records posted to a charge.
    pub posted: usize,
    /// Of those, records that left an overpayment.
    pub overpaid: usize,
    /// Records put in suspense.
    pub suspense: usize,
    /// Records identical to one already received (not posted).
    pub duplicates: usize,
    /// What to look at, by record.
    pub issues: Vec<PaymentIssueWire>,
}

fn report_wire(report: &ImportReport) -> PaymentImportReport {
    PaymentImportReport {
        file_id: report.file_id,
        records: report.records,
        posted: report.posted,
        overpaid: report.overpaid,
        suspense: report.suspense,
        duplicates: report.duplicates,
        issues: report
            .issues
            .iter()
            .map(|i| PaymentIssueWire {
                record: i.record,
                code: i.code.clone(),
                message: i.message.clone(),
                suspense_id: i.suspense_id,
            })
            .collect(),
    }
}

/// `POST …/collection/payment-files?format=`.
pub async fn import(
    door: Door,
    Query(query): Query<PaymentFileQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let text = query.format.unwrap_or_default();
    let format = PaymentFormat::parse(text.trim()).ok_or_else(|| {
        ApiError::invalid(
            "format",
            Message::PaymentFormatUnknown {
                value: text.clone(),
            },
        )
    })?;
    match payments::import(
        &door.tenant,
        &door.actor,
        format,
        &body,
        kiban_core::today_in_japan(),
    )
    .await
    {
        Ok(report) => Ok((StatusCode::CREATED, Json(report_wire(&report))).into_response()),
        Err(ImportError::Store(e)) => Err(ApiError::from(e)),
        Err(e @ ImportError::AlreadyImported(_)) => Err(ApiError::of(e.message())),
        Err(ImportError::Malformed(errors)) => {
            let problems = payments::problems_json(&errors);
            let field = errors
                .first()
                .map(|e| format!("record {} {}", e.record, e.field));
            let message = ImportError::Malformed(errors).message();
            let mut detail = json!({"code": message.code().as_str(), "message": message.text()});
            if let (Some(field), Some(obj)) = (field, detail.as_object_mut()) {
                obj.insert("field".into(), json!(field));
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"error": detail, "problems": problems})),
            )
                .into_response())
        }
    }
}

/// One payment in suspense.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspenseItemWire {
    /// 未消込番号.
    pub suspense_id: i64,
    /// The payment.
    pub payment_id: i64,
    /// 納付日.
    #[schema(format = Date)]
    pub paid_on: String,
    /// 金額.
    pub amount: i64,
    /// Why its charge was not found (`unknown_charge`, `check_digit`, `barcode`, `notice_number`).
    #[schema(example = "unknown_charge")]
    pub reason: String,
    /// The record as received.
    pub raw: String,
}

/// The suspense list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspenseList {
    /// The payments waiting, oldest first.
    pub items: Vec<SuspenseItemWire>,
}

/// `GET …/collection/suspense`.
pub async fn list_suspense(door: Door) -> Result<Response, ApiError> {
    let items = suspense::list(&door.tenant, &door.actor).await?;
    Ok(Json(SuspenseList {
        items: items
            .into_iter()
            .map(|i| SuspenseItemWire {
                suspense_id: i.suspense_id,
                payment_id: i.payment_id,
                paid_on: i.paid_on.to_string(),
                amount: i.amount.get(),
                reason: i.reason,
                raw: i.raw,
            })
            .collect(),
    })
    .into_response())
}

/// The body of `POST …/collection/suspense/{suspense_id}/assign`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"charge_id": 12}))]
pub struct SuspenseAssignRequest {
    /// The charge to post the payment to (調定番号).
    pub charge_id: u64,
}

/// What an assignment did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuspenseAssigned {
    /// The item.
    pub suspense_id: i64,
    /// Its payment.
    pub payment_id: i64,
    /// The charge.
    pub charge_id: i64,
    /// Whether it left an overpayment.
    pub overpaid: bool,
}

/// `POST …/collection/suspense/{suspense_id}/assign`.
pub async fn assign(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let value = json_body(&body)?;
    let obj = object(&value, "")?;
    let charge_id = i64::try_from(required_number(obj, "", "charge_id")?)
        .map_err(|_| ApiError::invalid("charge_id", Message::SuspenseChargeNotFound {}))?;
    let suspense_id: i64 = id
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)?;
    let assigned = suspense::assign(
        &door.tenant,
        &door.actor,
        suspense_id,
        charge_id,
        kiban_core::today_in_japan(),
    )
    .await
    .map_err(|e| match e {
        AssignError::NotFound => ApiError::not_found(),
        AssignError::UnknownCharge => {
            ApiError::invalid("charge_id", Message::SuspenseChargeNotFound {})
        }
        AssignError::AlreadyAssigned => ApiError::of(Message::SuspenseAlreadyAssigned {
            suspense_id: suspense_id.to_string(),
        }),
        AssignError::Store(e) => ApiError::from(e),
    })?;
    Ok(Json(SuspenseAssigned {
        suspense_id: assigned.suspense_id,
        payment_id: assigned.payment_id,
        charge_id: assigned.charge_id,
        overpaid: assigned.overpaid,
    })
    .into_response())
}
