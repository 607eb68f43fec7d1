//! The collection JSON API (収納, contract `collection-v1`): what an
//! addressee owes (charges, late fees running, overpayments), payments
//! files, and the suspense list with its assignment.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_auth::Permission;
use kiban_collection::direct_debit::{
    BankAccount, BankAccountInput, CollectionSettings, SettingsInput,
};
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection_storage::direct_debit::{self, AccountError, StoredAccount, StoredSettings};
use kiban_collection_storage::payments::{self, ImportError, ImportReport};
use kiban_collection_storage::read::{self, AddresseeCharges, ReadError};
use kiban_collection_storage::suspense::{self, AssignError};
use kiban_core::Message;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::addressee::api::addressee_id;
use crate::kit::body::{object, opt_text, required_number};
use crate::kit::door::Door;
use crate::kit::query::Query;
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of collection.
pub(crate) fn operations() -> Vec<Route> {
    let tax = Access::Tenant(Permission::Tax);
    let settings = Access::Tenant(Permission::CollectionSettings);
    vec![
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/collection/settings",
            "getCollectionSettings",
            "収納の設定（口座振替の委託者コード・委託者名・取引口座、督促手数料）を読む",
            "collection",
            tax,
        )
        .json::<CollectionSettingsWire>(200)
        .errors(&[404])
        .logged_as("collection_settings_read")
        .to(get_settings),
        Operation::new(
            "put",
            "/api/v1/municipalities/{m}/collection/settings",
            "putCollectionSettings",
            "収納の設定を記録する（新しい版。以前の版は残る。監督者のみ）",
            "collection",
            settings,
        )
        .body::<CollectionSettingsRequest>()
        .json::<CollectionSettingsWire>(200)
        .errors(&[422])
        .logged_as("collection_settings_put")
        .to(put_settings),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/collection/addressees/{addressee_id}/bank-account",
            "getCollectionBankAccount",
            "宛名の口座振替の口座（as_of の日に有効な登録）を読む",
            "collection",
            tax,
        )
        .query::<ChargesQuery>()
        .json::<BankAccountWire>(200)
        .errors(&[404, 422])
        .logged_as("collection_bank_account_read")
        .to(get_bank_account),
        Operation::new(
            "put",
            "/api/v1/municipalities/{m}/collection/addressees/{addressee_id}/bank-account",
            "putCollectionBankAccount",
            "宛名の口座振替の口座を登録する（valid_from から、businesses の業務に。新しい版。以前の登録は残る）",
            "collection",
            tax,
        )
        .body::<BankAccountRequest>()
        .json::<BankAccountWire>(200)
        .errors(&[404, 422])
        .logged_as("collection_bank_account_put")
        .to(put_bank_account),
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
            "収納ファイル（convenience-store-v1・payments-csv-v1・zengin-transfer-result）を取り込み消し込む（誤りが1件でもあれば何も取り込まない。同じファイルは二度取り込まない）",
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
    /// `convenience-store-v1`, `payments-csv-v1` or `zengin-transfer-result`.
    #[param(example = "payments-csv-v1")]
    format: Option<String>,
}

/// One line of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentIssueWire {
    /// The record (the first after the header is 1).
    pub record: usize,
    /// `preliminary`, `duplicate`, `unknown_charge`, `check_digit`, `barcode`, `customer_number`, `late_fee_not_computed`, `transfer_failed_insufficient_funds`, `transfer_failed_no_account`, `transfer_failed_stopped_by_depositor`, `transfer_failed_no_authorisation`, `transfer_failed_stopped_by_municipality`, `transfer_failed_other`.
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

/// The collection settings (収納の設定) as stored.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"consignor_code": "1234567890", "consignor_name_kana": "ﾃﾞﾓｼ", "bank_code": "0001",
    "bank_name_kana": "ﾐｽﾞﾎ", "branch_code": "001", "branch_name_kana": "ﾎﾝﾃﾝ", "account_type": "1",
    "account_number": "7654321", "demand_fee": 0, "version": 1, "recorded_at": "2026-12-01T00:00:00.000000Z"}))]
pub struct CollectionSettingsWire {
    /// 委託者コード (10 digits).
    pub consignor_code: String,
    /// 委託者名 (half-width kana of the 全銀協 set, up to 40).
    pub consignor_name_kana: String,
    /// 取引銀行番号 (4 digits).
    pub bank_code: String,
    /// 取引銀行名 (half-width kana, up to 15; an addition, may be empty).
    pub bank_name_kana: String,
    /// 取引支店番号 (3 digits).
    pub branch_code: String,
    /// 取引支店名 (half-width kana, up to 15; an addition, may be empty).
    pub branch_name_kana: String,
    /// 預金種目: `1` 普通, `2` 当座, `3` 納税準備, `9` その他.
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
    /// 督促手数料 (yen).
    pub demand_fee: i64,
    /// The version (an addition).
    pub version: i64,
    /// When it was recorded (an addition).
    pub recorded_at: String,
}

/// The body of `PUT …/collection/settings`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"consignor_code": "1234567890", "consignor_name_kana": "ﾃﾞﾓｼ", "bank_code": "0001",
    "branch_code": "001", "account_type": "1", "account_number": "7654321", "demand_fee": 0}))]
pub struct CollectionSettingsRequest {
    /// 委託者コード (10 digits).
    pub consignor_code: String,
    /// 委託者名 (half-width kana of the 全銀協 set, up to 40).
    pub consignor_name_kana: String,
    /// 取引銀行番号 (4 digits).
    pub bank_code: String,
    /// 取引銀行名 (half-width kana, up to 15; an addition).
    pub bank_name_kana: Option<String>,
    /// 取引支店番号 (3 digits).
    pub branch_code: String,
    /// 取引支店名 (half-width kana, up to 15; an addition).
    pub branch_name_kana: Option<String>,
    /// 預金種目: `1`, `2`, `3` or `9`.
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
    /// 督促手数料 (yen, default 0).
    pub demand_fee: Option<i64>,
}

fn field_error(problem: kiban_collection::zengin::FieldProblem) -> ApiError {
    ApiError::invalid(
        problem.field.clone(),
        Message::CollectionFieldInvalid {
            field: problem.field,
            detail: problem.message,
        },
    )
}

fn settings_wire(stored: StoredSettings) -> CollectionSettingsWire {
    let s = stored.settings;
    CollectionSettingsWire {
        consignor_code: s.consignor_code,
        consignor_name_kana: s.consignor_name_kana,
        bank_code: s.bank_code,
        bank_name_kana: s.bank_name_kana,
        branch_code: s.branch_code,
        branch_name_kana: s.branch_name_kana,
        account_type: s.account_type,
        account_number: s.account_number,
        demand_fee: s.demand_fee.get(),
        version: stored.version,
        recorded_at: stored.recorded_at,
    }
}

/// `GET …/collection/settings`.
pub async fn get_settings(door: Door) -> Result<Response, ApiError> {
    let stored = direct_debit::settings(&door.tenant)
        .await?
        .ok_or_else(|| ApiError::of(Message::CollectionSettingsNotSet {}))?;
    Ok(Json(settings_wire(stored)).into_response())
}

/// `PUT …/collection/settings`.
pub async fn put_settings(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let value = json_body(&body)?;
    let obj = object(&value, "")?;
    let demand_fee = match obj.get("demand_fee") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::invalid(
                "demand_fee",
                Message::CollectionFieldInvalid {
                    field: "demand_fee".into(),
                    detail: "0以上の整数（円）で指定してください".into(),
                },
            )
        })?),
    };
    let input = SettingsInput {
        consignor_code: opt_text(obj, "", "consignor_code")?,
        consignor_name_kana: opt_text(obj, "", "consignor_name_kana")?,
        bank_code: opt_text(obj, "", "bank_code")?,
        bank_name_kana: opt_text(obj, "", "bank_name_kana")?,
        branch_code: opt_text(obj, "", "branch_code")?,
        branch_name_kana: opt_text(obj, "", "branch_name_kana")?,
        account_type: opt_text(obj, "", "account_type")?,
        account_number: opt_text(obj, "", "account_number")?,
        demand_fee,
    };
    let settings = CollectionSettings::parse(&input).map_err(field_error)?;
    let stored = direct_debit::put_settings(&door.tenant, &door.actor, &settings).await?;
    Ok(Json(settings_wire(stored)).into_response())
}

/// An addressee's bank account for direct debit (口座振替の口座).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"addressee_id": 17, "version": 1, "bank_code": "0001", "bank_name_kana": "",
    "branch_code": "001", "branch_name_kana": "", "account_type": "1", "account_number": "1234567",
    "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "businesses": ["resident_tax"], "valid_from": "2027-04-01"}))]
pub struct BankAccountWire {
    /// 宛名番号.
    pub addressee_id: i64,
    /// The registration's version (an addition).
    pub version: i64,
    /// 銀行番号 (4 digits).
    pub bank_code: String,
    /// 銀行名 (half-width kana, up to 15; an addition, may be empty).
    pub bank_name_kana: String,
    /// 支店番号 (3 digits).
    pub branch_code: String,
    /// 支店名 (half-width kana, up to 15; an addition, may be empty).
    pub branch_name_kana: String,
    /// 預金種目: `1`, `2`, `3` or `9`.
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
    /// 預金者名 (half-width kana of the 全銀協 set, up to 30).
    pub holder_kana: String,
    /// The businesses debited (`resident_tax`, `fixed_asset_tax`, `light_vehicle_tax`, `nhi_tax`; empty: direct debit ended).
    pub businesses: Vec<String>,
    /// The first day in force.
    #[schema(format = Date)]
    pub valid_from: String,
}

/// The body of `PUT …/collection/addressees/{addressee_id}/bank-account`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"bank_code": "0001", "branch_code": "001", "account_type": "1",
    "account_number": "1234567", "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "businesses": ["resident_tax"], "valid_from": "2027-04-01"}))]
pub struct BankAccountRequest {
    /// 銀行番号 (4 digits).
    pub bank_code: String,
    /// 銀行名 (half-width kana, up to 15; an addition).
    pub bank_name_kana: Option<String>,
    /// 支店番号 (3 digits).
    pub branch_code: String,
    /// 支店名 (half-width kana, up to 15; an addition).
    pub branch_name_kana: Option<String>,
    /// 預金種目: `1`, `2`, `3` or `9`.
    pub account_type: String,
    /// 口座番号 (7 digits).
    pub account_number: String,
    /// 預金者名 (half-width kana of the 全銀協 set, up to 30).
    pub holder_kana: String,
    /// The businesses debited from this account (an empty list ends direct debit).
    pub businesses: Vec<String>,
    /// The first day in force (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub valid_from: String,
}

fn account_wire(stored: StoredAccount) -> BankAccountWire {
    let a = stored.account;
    BankAccountWire {
        addressee_id: stored.addressee_id,
        version: stored.version,
        bank_code: a.bank_code,
        bank_name_kana: a.bank_name_kana,
        branch_code: a.branch_code,
        branch_name_kana: a.branch_name_kana,
        account_type: a.account_type,
        account_number: a.account_number,
        holder_kana: a.holder_kana,
        businesses: a
            .businesses
            .iter()
            .map(|b| b.wire_name().to_owned())
            .collect(),
        valid_from: a.valid_from.to_string(),
    }
}

fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::NotFound => ApiError::not_found(),
        AccountError::Store(e) => ApiError::from(e),
    }
}

/// `GET …/collection/addressees/{addressee_id}/bank-account?as_of=`.
pub async fn get_bank_account(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ChargesQuery>,
) -> Result<Response, ApiError> {
    let id = addressee_id(&id)?;
    let as_of = crate::addressee::api::as_of(query.as_of.as_deref())?;
    let addressee = i64::try_from(id.get()).map_err(|_| ApiError::not_found())?;
    let stored = direct_debit::account(&door.tenant, &door.actor, addressee, as_of)
        .await
        .map_err(|e| match e {
            AccountError::NotFound => ApiError::of(Message::BankAccountNotFound {}),
            other => account_error(other),
        })?;
    Ok(Json(account_wire(stored)).into_response())
}

/// `PUT …/collection/addressees/{addressee_id}/bank-account`.
pub async fn put_bank_account(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = addressee_id(&id)?;
    let addressee = i64::try_from(id.get()).map_err(|_| ApiError::not_found())?;
    let value = json_body(&body)?;
    let obj = object(&value, "")?;
    let businesses = match obj.get("businesses") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        let field = format!("businesses[{i}]");
                        ApiError::invalid(field.clone(), Message::MustBeString { field })
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                "businesses",
                Message::MustBeArray {
                    field: "businesses".into(),
                },
            ));
        }
    };
    let input = BankAccountInput {
        bank_code: opt_text(obj, "", "bank_code")?,
        bank_name_kana: opt_text(obj, "", "bank_name_kana")?,
        branch_code: opt_text(obj, "", "branch_code")?,
        branch_name_kana: opt_text(obj, "", "branch_name_kana")?,
        account_type: opt_text(obj, "", "account_type")?,
        account_number: opt_text(obj, "", "account_number")?,
        holder_kana: opt_text(obj, "", "holder_kana")?,
        businesses,
        valid_from: opt_text(obj, "", "valid_from")?,
    };
    let account = BankAccount::parse(&input).map_err(field_error)?;
    let stored = direct_debit::put_account(&door.tenant, &door.actor, addressee, &account)
        .await
        .map_err(account_error)?;
    Ok(Json(account_wire(stored)).into_response())
}
