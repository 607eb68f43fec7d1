//! The certificates JSON API: `POST /api/v1/municipalities/{m}/certificates`
//! (issue one certificate, answered with the PDF) and
//! `GET /api/v1/certificates/verify/{code}` (public; confirms a certificate
//! without personal data).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiban_auth::{Permission, Principal};
use kiban_certificate::domain::{self, CertificateKind};
use kiban_certificate::storage::{
    self, CertificateError, IssueRequest, Issued, Subject, SupportMeasureOverride,
};
use kiban_core::Message;
use kiban_registry::domain::{HouseholdId, PersonId};
use kiban_store::TenantDb;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::kit::door::{Door, Target, authorize};
use crate::openapi::{Access, Operation, Reply, Route};
use crate::platform::api::json_body;
use crate::{ApiError, AppState};

/// The operations of certificates.
pub(crate) fn operations() -> Vec<Route> {
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/certificates",
            "issueCertificate",
            "証明書（住民票の写し・除票の写し・記載事項証明書・印鑑登録証明書・課税（所得）証明書）を交付する（PDF）",
            "certificates",
            Access::Tenant(Permission::Certificates),
        )
        .body::<CertificateRequest>()
        .reply(
            201,
            Reply::File(
                &["application/pdf"],
                "交付した証明書（ヘッダー X-Kiban-Certificate-Id・X-Kiban-Verification-Code ほか）",
            ),
        )
        .errors(&[409, 503])
        .logged_as("issue_certificate")
        .to(create),
        Operation::new(
            "get",
            "/api/v1/certificates/verify/{code}",
            "verifyCertificate",
            "検証コードで証明書の真正性を確認する（個人情報は返さない）",
            "certificates",
            Access::Public,
        )
        .json::<VerifiedCertificate>(200)
        .errors(&[404])
        .rate_limited()
        .to(verify),
    ]
}

/// The body of `POST …/certificates`: the kind, exactly one of
/// `household_id`, `person_ids`, `seal_card_number` and `addressee_id`
/// (with `fiscal_year`, for `tax_certificate`), the items and the purpose.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "resident_record_copy", "person_ids": [5],
                          "items": ["relationship"], "purpose": "年金の手続き"}))]
pub struct CertificateRequest {
    /// The kind of certificate.
    #[schema(schema_with = crate::kit::wire::certificate_kind)]
    pub kind: String,
    /// The whole household (世帯全員).
    #[schema(minimum = 1)]
    pub household_id: Option<u64>,
    /// Some persons (1 to 50).
    #[schema(min_items = 1, max_items = 50)]
    pub person_ids: Option<Vec<u64>>,
    /// 印鑑登録証の番号 (`seal_certificate`).
    pub seal_card_number: Option<String>,
    /// 宛名番号 of the taxpayer (`tax_certificate`, with `fiscal_year`).
    #[schema(minimum = 1)]
    pub addressee_id: Option<u64>,
    /// 年度 (`tax_certificate`), e.g. 2026.
    #[schema(minimum = 2000, maximum = 2099)]
    pub fiscal_year: Option<i32>,
    /// 記載事項.
    #[schema(schema_with = crate::kit::wire::certificate_items)]
    pub items: Option<Vec<String>>,
    /// 利用目的 (required with `individual_number`; at most 200 characters).
    #[schema(max_length = 200)]
    pub purpose: Option<String>,
    /// true: a role permitted to override 支援措置 confirms the issue.
    pub confirm_support_measure: Option<bool>,
}

/// What the verification of a certificate tells (no personal data).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"valid": true, "kind": "resident_record_copy", "municipality_code": "990019",
                          "issued_on": "2024-06-01", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct VerifiedCertificate {
    /// Always true (an unknown code is 404).
    pub valid: bool,
    /// The kind of certificate.
    #[schema(schema_with = crate::kit::wire::certificate_kind)]
    pub kind: String,
    /// 団体コード of the issuing municipality.
    pub municipality_code: String,
    /// 交付日.
    #[schema(format = Date)]
    pub issued_on: String,
    /// SHA-256 of the PDF issued (hex).
    pub sha256: String,
}

/// The longest purpose (利用目的) accepted, in characters.
pub(crate) const MAX_PURPOSE_CHARS: usize = 200;

fn invalid(field: &str, message: Message) -> ApiError {
    ApiError::invalid(field, message)
}

fn positive(value: &Value, field: &str) -> Result<u64, ApiError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .ok_or_else(|| {
            invalid(
                field,
                Message::MustBePositive {
                    field: field.into(),
                },
            )
        })
}

fn opt_string(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(name, Message::MustBeString { field: name.into() })),
    }
}

/// Parses the body of `POST …/certificates` into a request; every error
/// names its field.
pub(crate) fn parse_request(
    value: &Value,
    individual_number_permitted: bool,
) -> Result<IssueRequest, ApiError> {
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::of(Message::BodyNotObject {}))?;
    let kind_code = opt_string(obj, "kind")?.ok_or_else(|| {
        invalid(
            "kind",
            Message::Required {
                field: "kind".into(),
            },
        )
    })?;
    let kind = CertificateKind::from_code(&kind_code)
        .ok_or_else(|| invalid("kind", Message::CertificateKindUnknown {}))?;
    let present = |name: &str| obj.get(name).is_some_and(|v| !v.is_null());
    let named: Vec<&str> = [
        "household_id",
        "person_ids",
        "seal_card_number",
        "addressee_id",
    ]
    .into_iter()
    .filter(|n| present(n))
    .collect();
    let subject = match named.as_slice() {
        ["household_id"] => Subject::Household(HouseholdId::new(positive(
            &obj["household_id"],
            "household_id",
        )?)),
        ["person_ids"] => {
            let items = obj["person_ids"].as_array().ok_or_else(|| {
                invalid(
                    "person_ids",
                    Message::MustBeArray {
                        field: "person_ids".into(),
                    },
                )
            })?;
            if items.is_empty() || items.len() > 50 {
                return Err(invalid("person_ids", Message::PersonIdsCount {}));
            }
            Subject::Persons(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| positive(v, &format!("person_ids[{i}]")).map(PersonId::new))
                    .collect::<Result<_, _>>()?,
            )
        }
        ["seal_card_number"] => {
            Subject::SealCard(opt_string(obj, "seal_card_number")?.unwrap_or_default())
        }
        ["addressee_id"] => {
            let addressee_id = positive(&obj["addressee_id"], "addressee_id")?;
            let year = match obj.get("fiscal_year") {
                None | Some(Value::Null) => {
                    return Err(invalid(
                        "fiscal_year",
                        Message::Required {
                            field: "fiscal_year".into(),
                        },
                    ));
                }
                Some(v) => positive(v, "fiscal_year")?,
            };
            let fiscal_year = i32::try_from(year)
                .ok()
                .and_then(|y| kiban_core::FiscalYear::new(y).ok())
                .filter(|y| (2000..=2099).contains(&y.start_year()))
                .ok_or_else(|| {
                    invalid(
                        "fiscal_year",
                        Message::InvalidParam {
                            field: "fiscal_year".into(),
                            detail: format!("{year} は年度ではありません"),
                        },
                    )
                })?;
            Subject::Taxpayer {
                addressee_id,
                fiscal_year,
            }
        }
        [] => {
            let field = match kind {
                CertificateKind::SealCertificate => "seal_card_number",
                CertificateKind::TaxCertificate => "addressee_id",
                _ => "person_ids",
            };
            return Err(invalid(field, Message::SubjectRequired {}));
        }
        _ => {
            return Err(invalid(
                named.get(1).copied().unwrap_or("household_id"),
                Message::SubjectAmbiguous {},
            ));
        }
    };
    let codes: Vec<String> = match obj.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(&format!("items[{i}]"), Message::ItemMustBeString {}))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "items",
                Message::MustBeArray {
                    field: "items".into(),
                },
            ));
        }
    };
    let items =
        domain::parse_items(kind, &codes, individual_number_permitted).map_err(refusal_error)?;
    let purpose = opt_string(obj, "purpose")?
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if purpose.is_none() && items.contains(&domain::Item::IndividualNumber) {
        return Err(invalid(
            "purpose",
            Message::PurposeRequiredForIndividualNumber {},
        ));
    }
    if let Some(p) = &purpose
        && (p.chars().count() > MAX_PURPOSE_CHARS || p.chars().any(char::is_control))
    {
        return Err(invalid(
            "purpose",
            Message::CertificatePurposeLength {
                max: MAX_PURPOSE_CHARS.to_string(),
            },
        ));
    }
    let confirmed = match obj.get("confirm_support_measure") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(invalid(
                "confirm_support_measure",
                Message::MustBeBooleanType {
                    field: "confirm_support_measure".into(),
                },
            ));
        }
    };
    Ok(IssueRequest {
        kind,
        subject,
        items,
        purpose,
        support_measure: SupportMeasureOverride {
            may_override: false,
            confirmed,
        },
    })
}

fn refusal_error(refusal: domain::Refusal) -> ApiError {
    ApiError::about(refusal.field(), refusal.message())
}

/// An issuance error as the API answers it.
pub(crate) fn certificate_error(error: CertificateError) -> ApiError {
    match error {
        CertificateError::Refused(refusal) => refusal_error(refusal),
        CertificateError::SealRefused(refusal) => {
            ApiError::about(refusal.field(), refusal.message())
        }
        CertificateError::Print(error) => ApiError::of(Message::Unprintable {
            detail: error.message().text(),
        }),
        CertificateError::Store(e) => ApiError::from(e),
    }
}

/// Issues a certificate for an authorized actor (shared by the API and the
/// screens).
pub(crate) async fn issue(
    state: &AppState,
    tenant: &TenantDb,
    actor: &kiban_audit::Actor,
    request: &IssueRequest,
) -> Result<Issued, ApiError> {
    let printing = state.printing(tenant.municipality()).await?;
    storage::issue(
        tenant,
        actor,
        &printing,
        request,
        kiban_core::today_in_japan(),
    )
    .await
    .map_err(certificate_error)
}

/// The PDF response of an issued certificate.
pub(crate) fn pdf_response(status: StatusCode, issued: Issued) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let pairs = [
        ("x-kiban-certificate-id", issued.certificate_id.to_string()),
        (
            "x-kiban-verification-code",
            issued.verification_code.as_str().to_owned(),
        ),
        ("x-kiban-certificate-number", issued.number.to_string()),
        ("x-kiban-page-count", issued.page_count.to_string()),
        ("x-kiban-sha256", issued.sha256.clone()),
        (
            "content-disposition",
            format!("attachment; filename=\"certificate-{}.pdf\"", issued.number),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (status, headers, issued.pdf).into_response()
}

/// `POST /api/v1/municipalities/{m}/certificates`: issues one certificate
/// and answers 201 with the PDF.
pub async fn create(
    State(state): State<AppState>,
    door: Door,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        mut actor,
        principal,
    } = door;
    let value = json_body(&body)?;
    let permitted = tenant_may(&principal, &tenant, Permission::IndividualNumber);
    let mut request = parse_request(&value, permitted)?;
    if !may_issue(&principal, &tenant, request.kind) {
        crate::kit::door::refuse(
            &tenant,
            &actor,
            None,
            &format!("issue_certificate {}", request.kind.code()),
        )
        .await?;
        return Err(ApiError::forbidden());
    }
    request.support_measure.may_override = crate::kit::door::may_override(&principal, &tenant);
    actor.purpose = request.purpose.clone();
    let issued = issue(&state, &tenant, &actor, &request).await?;
    Ok(pdf_response(StatusCode::CREATED, issued))
}

fn tenant_may(principal: &Principal, tenant: &TenantDb, permission: Permission) -> bool {
    principal.may(tenant.municipality(), permission)
}

/// The permission that issuing a certificate of the registry or the seal
/// needs (API and screens).
pub(crate) const ISSUE_PERMISSION: Permission = Permission::IssueCertificates;

/// Whether the principal may issue a certificate of `kind` (behind the
/// door [`Permission::Certificates`]): the counter's
/// [`Permission::IssueCertificates`] any kind; the tax office's
/// [`Permission::Tax`] the 課税（所得）証明書 too.
fn may_issue(principal: &Principal, tenant: &TenantDb, kind: CertificateKind) -> bool {
    tenant_may(principal, tenant, ISSUE_PERMISSION)
        || (kind == CertificateKind::TaxCertificate
            && tenant_may(principal, tenant, Permission::Tax))
}

pub(crate) async fn authorize_issue(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    m: &str,
    operation: &'static str,
) -> Result<(TenantDb, kiban_audit::Actor), ApiError> {
    authorize(
        state,
        principal,
        headers,
        m,
        ISSUE_PERMISSION,
        Target {
            operation,
            person: None,
        },
    )
    .await
}

/// `GET /api/v1/certificates/verify/{code}`: no authentication; confirms
/// the kind, municipality, date and digest of an issued certificate, or 404.
pub async fn verify(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let verified = storage::verify(&state.db, &code)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(VerifiedCertificate {
        valid: true,
        kind: verified.kind.code().to_owned(),
        municipality_code: verified.municipality.as_str().to_owned(),
        issued_on: verified.issued_on.to_string(),
        sha256: verified.sha256,
    })
    .into_response())
}
