//! The route matrix: every API operation × every role × (own municipality,
//! another municipality, service operator, no token) → the expected status,
//! on both engines. It asserts that no response to another municipality's
//! staff or to an operator carries a resident's data, and that every
//! refusal is in the access log.
//!
//! The operations come from the one table of operations
//! (`kiban_web::openapi::operations()`), from which the router and the
//! OpenAPI document are built too, so a new operation without a rule here
//! fails the test: add its rule to [`rule`] and its request to [`request`].
//! Each rule is checked against what the table declares (its access, its
//! permission, its success status), and every status the matrix expects
//! must be documented on the operation.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use std::collections::BTreeSet;

use common::{TestApp, code};
use kiban_auth::{Permission, Role, TokenKind};
use kiban_store::testing::BACKENDS;
use kiban_web::openapi::Access;
use serde_json::{Value, json};

const OWN: &str = "990019";
const OTHER: &str = "131016";
const OWN_NAME: &str = "境界 太郎";
const OWN_KANA: &str = "キョウカイ タロウ";
const OWN_NUMBER: &str = "404040404043";
const OTHER_NAME: &str = "越境 花子";
const OTHER_KANA: &str = "エッキョウ ハナコ";
const OTHER_NUMBER: &str = "555123123125";

/// Who may call an operation, and what it answers when allowed.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, with or without a token: always this status (health,
    /// metrics; a login with wrong credentials).
    Public(u16),
    /// A tenant path (`/municipalities/{m}/…`): staff of that municipality
    /// with the permission get `success`, without it 403; staff of another
    /// municipality 404; operators 403; every refusal is logged.
    Tenant(Permission, u16),
    /// A tenant path behind a door (the first permission: [`Permission::Jobs`]
    /// for a run, kind or consumer; [`Permission::Certificates`] for a
    /// certificate) where the request's business or kind decides: staff
    /// with the second permission get `success`; staff with the door only,
    /// and staff without it, 403; otherwise as [`Rule::Tenant`].
    Behind(Permission, Permission, u16),
    /// Any staff member with the permission, whatever the municipality (no
    /// tenant in the path, no personal data kept): operators get 403.
    AnyStaff(Permission, u16),
    /// Any authenticated principal, operators included.
    Authenticated(u16),
}

/// The rule of every operation. An operation without one fails the test.
fn rule(operation_id: &str) -> Option<Rule> {
    Some(match operation_id {
        "healthz" | "metrics" | "getOpenApiDocument" => Rule::Public(200),
        "createSession" => Rule::Public(401),
        // Without client credentials (a bearer token is none): 401
        // `invalid_client` to anyone.
        "requestAccessToken" | "introspectAccessToken" => Rule::Public(401),
        "deleteCurrentSession" => Rule::Authenticated(204),
        "calculate" => Rule::AnyStaff(Permission::Calculate, 200),
        "recordMovement" => Rule::Tenant(Permission::RegistryWrite, 201),
        "searchPersons"
        | "getPerson"
        | "getPersonHistory"
        | "getHousehold"
        | "listMissingResidenceStatus" => Rule::Tenant(Permission::RegistryRead, 200),
        "getPersonAccessLog" => Rule::Tenant(Permission::AuditRead, 200),
        "revealIndividualNumber" => Rule::Tenant(Permission::IndividualNumber, 200),
        "listSupportMeasures" | "endSupportMeasure" => {
            Rule::Tenant(Permission::ManageSupportMeasures, 200)
        }
        "recordSupportMeasure" => Rule::Tenant(Permission::ManageSupportMeasures, 201),
        // A certificate of the registry (the matrix's request): the counter's
        // permission; a tax clerk passes the door (for the 課税証明書) only.
        "issueCertificate" => {
            Rule::Behind(Permission::Certificates, Permission::IssueCertificates, 201)
        }
        "registerSeal" | "recordSealAdultWard" => Rule::Tenant(Permission::RegistryWrite, 201),
        "replySealInquiry" | "abolishSealRegistration" | "reissueSealCard" => {
            Rule::Tenant(Permission::RegistryWrite, 200)
        }
        "getSealRegistration" | "listSealRestorationReviews" => {
            Rule::Tenant(Permission::RegistryRead, 200)
        }
        "restoreSealRegistration" | "confirmSealAbolition" => {
            Rule::Tenant(Permission::RegistryWrite, 200)
        }
        // Jobs: behind the door of every role with jobs, then decided by
        // the business of the run, kind or consumer (the registry's here);
        // the lists show each caller only its businesses'.
        "submitJob" => Rule::Behind(Permission::Jobs, Permission::RegistryJobs, 202),
        "listJobKinds"
        | "listJobs"
        | "getJobPlan"
        | "listOutboxConsumers"
        | "listOutboxDeadLetters" => Rule::Tenant(Permission::Jobs, 200),
        "getJob"
        | "getJobOutput"
        | "cancelJob"
        | "putJobPlan"
        | "retryOutboxDeadLetter"
        | "dismissOutboxDeadLetter" => {
            Rule::Behind(Permission::Jobs, Permission::RegistryJobs, 200)
        }
        // Data linkage: the feed for roles that read some events, webhooks
        // for the municipality's administrators.
        "listEvents" => Rule::Tenant(Permission::RegistryRead, 200),
        "createWebhook" => Rule::Tenant(Permission::ManageLinkage, 201),
        "listWebhooks" | "disableWebhook" | "listWebhookDeliveries" | "resumeWebhook" => {
            Rule::Tenant(Permission::ManageLinkage, 200)
        }
        "registerAddressee" => Rule::Tenant(Permission::AddresseeWrite, 201),
        "changeAddressee" | "mergeAddressee" | "unmergeAddressee" | "setMailingAddress" => {
            Rule::Tenant(Permission::AddresseeWrite, 200)
        }
        "searchAddressees"
        | "getAddressee"
        | "getAddresseeHistory"
        | "getMailingAddress"
        | "listMailingAddresses"
        | "getAddresseeOverview" => Rule::Tenant(Permission::AddresseeRead, 200),
        "getResidentTaxSettings" | "putResidentTaxSettings" => {
            Rule::Tenant(Permission::ResidentTaxSettings, 200)
        }
        "listResidentTaxAssessments"
        | "getResidentTaxAssessment"
        | "listResidentTaxAssessmentVersions"
        | "reassessResidentTax" => Rule::Tenant(Permission::Tax, 200),
        "importIncomeFile" | "assignIncomeRecord" => Rule::Tenant(Permission::Tax, 201),
        "listIncomeMatching" => Rule::Tenant(Permission::Tax, 200),
        "getCollectionCharges" | "listCollectionSuspense" | "assignCollectionSuspense" => {
            Rule::Tenant(Permission::Tax, 200)
        }
        "importPaymentFile" => Rule::Tenant(Permission::Tax, 201),
        "getCollectionSettings" | "getCollectionBankAccount" | "putCollectionBankAccount" => {
            Rule::Tenant(Permission::Tax, 200)
        }
        "putCollectionSettings" => Rule::Tenant(Permission::CollectionSettings, 200),
        // An unknown verification code: 404 to anyone, with no hint.
        "verifyCertificate" => Rule::Public(404),
        _ => return None,
    })
}

/// The residents each municipality has for the matrix.
struct Fixtures {
    person: u64,
    household: u64,
    /// 支援措置 not ended yet: each request to end one takes the next.
    measures: Vec<u64>,
    next_measure: std::cell::Cell<usize>,
    /// Seal fixtures: a resident without a seal, a registration awaiting
    /// the inquiry's reply, a registered one to abolish, another to reissue
    /// the card of and read, and two under review (their holders' 転出 was
    /// cancelled) to restore and to confirm the abolition of.
    seal: SealFixtures,
    /// A finished run of `population-statistics` (its outputs readable).
    job: i64,
    /// Parked dead letters of the seal consumer: each request to retry or
    /// dismiss one takes the next.
    letters: Vec<i64>,
    next_letter: std::cell::Cell<usize>,
    /// A webhook (to disable, its deliveries to list), and parked ones:
    /// each request to resume one takes the next.
    webhook: i64,
    parked_webhooks: Vec<i64>,
    next_parked: std::cell::Cell<usize>,
    addressee: AddresseeFixtures,
    /// Income records waiting in the 突合 queue: each request to assign one
    /// takes the next; each import sends a file of its own.
    income_records: Vec<i64>,
    next_income: std::cell::Cell<usize>,
    next_income_file: std::cell::Cell<usize>,
    collection: CollectionFixtures,
}

/// Collection fixtures: the person's charge, payments in suspense (each
/// request to assign one takes the next), and a payments file per request.
#[derive(Default)]
struct CollectionFixtures {
    charge: i64,
    suspense: Vec<i64>,
    next_suspense: std::cell::Cell<usize>,
    next_file: std::cell::Cell<usize>,
}

/// Addressee fixtures: a non-resident to read and change, one fresh
/// non-resident per caller to merge into it, and one per caller already
/// merged into it to unmerge.
#[derive(Default)]
struct AddresseeFixtures {
    non_resident: u64,
    to_merge: Vec<u64>,
    next_merge: std::cell::Cell<usize>,
    merged: Vec<u64>,
    next_unmerge: std::cell::Cell<usize>,
    next_change: std::cell::Cell<usize>,
}

#[derive(Default)]
struct SealFixtures {
    unregistered: u64,
    awaiting: u64,
    to_abolish: u64,
    registered: u64,
    to_restore: u64,
    to_confirm: u64,
}

/// The request of an operation in municipality `m` about its fixtures:
/// the path with its parameters filled, and the JSON body.
fn request(operation_id: &str, m: &str, f: &Fixtures) -> Option<(String, Option<Value>)> {
    let base = format!("/api/v1/municipalities/{m}");
    let person = f.person;
    Some(match operation_id {
        "healthz" => ("/healthz".into(), None),
        "metrics" => ("/metrics".into(), None),
        "getOpenApiDocument" => ("/api/openapi.json".into(), None),
        "createSession" => (
            "/api/v1/sessions".into(),
            Some(
                json!({"municipality_code": m, "login": "nobody", "password": "wrong-password-123"}),
            ),
        ),
        "deleteCurrentSession" => ("/api/v1/sessions/current".into(), None),
        "requestAccessToken" => ("/oauth/token".into(), None),
        "introspectAccessToken" => ("/oauth/introspect".into(), None),
        "calculate" => (
            "/api/v1/calc/wareki".into(),
            Some(json!({"date": "2019-05-01"})),
        ),
        "recordMovement" => (
            format!("{base}/movements"),
            Some(json!({
                "kind": "birth", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                "household_id": f.household,
                "person": {"name": "境界 次郎", "name_kana": "キョウカイ ジロウ", "birth_date": "2024-06-01",
                           "sex": "male", "relationship": "child"},
            })),
        ),
        "searchPersons" => (format!("{base}/persons?include_removed=true"), None),
        "getPerson" => (format!("{base}/persons/{person}"), None),
        "listMissingResidenceStatus" => {
            (format!("{base}/follow-up/missing-residence-status"), None)
        }
        "getPersonHistory" => (format!("{base}/persons/{person}/history"), None),
        "getHousehold" => (format!("{base}/households/{}", f.household), None),
        "getPersonAccessLog" => (format!("{base}/persons/{person}/access-log"), None),
        "revealIndividualNumber" => (
            format!("{base}/persons/{person}/individual-number/reveal"),
            Some(json!({"purpose": "権限表の検査"})),
        ),
        "listSupportMeasures" => (format!("{base}/persons/{person}/support-measures"), None),
        "recordSupportMeasure" => (
            format!("{base}/persons/{person}/support-measures"),
            Some(json!({"reason": "domestic_violence", "starts_on": "2024-05-01"})),
        ),
        "endSupportMeasure" => {
            let n = f.next_measure.get();
            f.next_measure.set(n + 1);
            let measure = f.measures.get(n).copied().unwrap_or(999_999);
            (
                format!("{base}/support-measures/{measure}/end"),
                Some(json!({"ended_on": "2024-06-01"})),
            )
        }
        "issueCertificate" => (
            format!("{base}/certificates"),
            Some(
                json!({"kind": "resident_record_copy", "person_ids": [person],
                        "items": ["relationship"], "purpose": "権限表の検査"}),
            ),
        ),
        "verifyCertificate" => ("/api/v1/certificates/verify/0000000000000000".into(), None),
        "registerAddressee" => (
            format!("{base}/addressees"),
            Some(non_resident_body("権限　一郎", true)),
        ),
        "searchAddressees" => (format!("{base}/addressees?birth_date=1970-01-01"), None),
        "getAddressee" => (format!("{base}/addressees/{person}"), None),
        "getAddresseeHistory" => (format!("{base}/addressees/{person}/history"), None),
        "getAddresseeOverview" => (format!("{base}/addressees/{person}/overview"), None),
        "getMailingAddress" => (
            format!("{base}/addressees/{person}/mailing-address?business=resident_tax"),
            None,
        ),
        "listMailingAddresses" => (
            format!("{base}/addressees/{person}/mailing-addresses"),
            None,
        ),
        "setMailingAddress" => (
            format!("{base}/addressees/{person}/mailing-addresses/resident_tax"),
            Some(json!({"kind": "mailing", "name": "境界　太郎",
                        "address": {"postal_code": "1000001", "address_line": "境界町二丁目2番2号"},
                        "valid_from": "2026-04-01"})),
        ),
        "changeAddressee" => {
            let n = f.addressee.next_change.get();
            f.addressee.next_change.set(n + 1);
            (
                format!("{base}/addressees/{}/changes", f.addressee.non_resident),
                Some(json!({"effective_date": "2026-04-01",
                            "address": {"postal_code": "5300001",
                                        "address_line": format!("大阪府大阪市北区梅田{}-1", n + 1)}})),
            )
        }
        "mergeAddressee" => {
            let n = f.addressee.next_merge.get();
            f.addressee.next_merge.set(n + 1);
            let from = f.addressee.to_merge.get(n).copied().unwrap_or(999_999);
            (
                format!("{base}/addressees/{from}/merge"),
                Some(json!({"into": f.addressee.non_resident, "reason": "権限表の検査"})),
            )
        }
        "unmergeAddressee" => {
            let n = f.addressee.next_unmerge.get();
            f.addressee.next_unmerge.set(n + 1);
            let from = f.addressee.merged.get(n).copied().unwrap_or(999_999);
            (
                format!("{base}/addressees/{from}/unmerge"),
                Some(json!({"reason": "権限表の検査"})),
            )
        }
        "importIncomeFile" => {
            let n = f.next_income_file.get();
            f.next_income_file.set(n + 1);
            (
                format!("{base}/resident-tax/2026/income-files"),
                Some(Value::String(income_file(&format!("権限　{n}"), n))),
            )
        }
        "listIncomeMatching" => (format!("{base}/resident-tax/2026/income-matching"), None),
        "getCollectionCharges" => (
            format!("{base}/collection/addressees/{person}/charges?as_of=2026-12-01"),
            None,
        ),
        "importPaymentFile" => {
            let n = f.collection.next_file.get();
            f.collection.next_file.set(n + 1);
            (
                format!("{base}/collection/payment-files?format=payments-csv-v1"),
                Some(Value::String(payments_file(&[(
                    PAYMENT_NOTICE,
                    1,
                    100 + n,
                )]))),
            )
        }
        "listCollectionSuspense" => (format!("{base}/collection/suspense"), None),
        "getCollectionSettings" => (format!("{base}/collection/settings"), None),
        "putCollectionSettings" => (
            format!("{base}/collection/settings"),
            Some(
                json!({"consignor_code": "1234567890", "consignor_name_kana": "ｹﾝｹﾞﾝｼ",
                        "bank_code": "0001", "branch_code": "001", "account_type": "1",
                        "account_number": "7654321"}),
            ),
        ),
        "getCollectionBankAccount" => (
            format!("{base}/collection/addressees/{person}/bank-account?as_of=2026-12-01"),
            None,
        ),
        "putCollectionBankAccount" => (
            format!("{base}/collection/addressees/{person}/bank-account"),
            Some(
                json!({"bank_code": "0001", "branch_code": "001", "account_type": "1",
                        "account_number": "1234567", "holder_kana": "ｹﾝｹﾞﾝ ﾀﾛｳ",
                        "businesses": ["resident_tax"], "valid_from": "2026-04-01"}),
            ),
        ),
        "assignCollectionSuspense" => {
            let n = f.collection.next_suspense.get();
            f.collection.next_suspense.set(n + 1);
            let id = f.collection.suspense.get(n).copied().unwrap_or(999_999);
            (
                format!("{base}/collection/suspense/{id}/assign"),
                Some(json!({"charge_id": f.collection.charge})),
            )
        }
        "assignIncomeRecord" => {
            let n = f.next_income.get();
            f.next_income.set(n + 1);
            let record = f.income_records.get(n).copied().unwrap_or(999_999);
            (
                format!("{base}/resident-tax/2026/income-matching/{record}/assign"),
                Some(json!({"addressee_id": f.addressee.non_resident})),
            )
        }
        "registerSeal" => (
            format!("{base}/seal-registrations"),
            Some(
                json!({"person_id": f.seal.unregistered, "procedure": "identity_verified",
                        "impression_png_base64": impression()}),
            ),
        ),
        "getSealRegistration" => (
            format!("{base}/seal-registrations/{}", f.seal.registered),
            None,
        ),
        "replySealInquiry" => (
            format!("{base}/seal-registrations/{}/reply", f.seal.awaiting),
            Some(json!({})),
        ),
        "abolishSealRegistration" => (
            format!("{base}/seal-registrations/{}/abolish", f.seal.to_abolish),
            Some(json!({})),
        ),
        "reissueSealCard" => (
            format!(
                "{base}/seal-registrations/{}/card-reissue",
                f.seal.registered
            ),
            Some(json!({})),
        ),
        "listSealRestorationReviews" => (format!("{base}/seal-restoration-reviews"), None),
        "restoreSealRegistration" => (
            format!("{base}/seal-registrations/{}/restore", f.seal.to_restore),
            Some(json!({"reason": "登録証を本人が所持していることを確認"})),
        ),
        "confirmSealAbolition" => (
            format!(
                "{base}/seal-registrations/{}/confirm-abolition",
                f.seal.to_confirm
            ),
            Some(json!({"reason": "転出届の際に登録証を返納済み"})),
        ),
        "recordSealAdultWard" => (
            format!("{base}/seal-adult-wards"),
            Some(json!({"person_id": person, "adult_ward": true, "effective_on": "2024-06-01"})),
        ),
        "listJobKinds" => (format!("{base}/jobs/kinds"), None),
        "submitJob" => (
            format!("{base}/jobs"),
            Some(json!({"job": "population-statistics", "params": {"as_of": "2026-12-01"}})),
        ),
        "listJobs" => (format!("{base}/jobs?status=succeeded"), None),
        "getJob" => (format!("{base}/jobs/{}", f.job), None),
        "getJobOutput" => (
            format!("{base}/jobs/{}/outputs/population.csv", f.job),
            None,
        ),
        "cancelJob" => (format!("{base}/jobs/{}/cancel", f.job), Some(json!({}))),
        "getJobPlan" => (format!("{base}/jobs/plan"), None),
        "putJobPlan" => (
            format!("{base}/jobs/plan"),
            Some(json!({"plan": [{"job": "population-statistics",
                                  "params": {"as_of": "2026-12-01"}, "schedule": "monthly:01"}]})),
        ),
        "listOutboxConsumers" => (format!("{base}/outbox/consumers"), None),
        "listOutboxDeadLetters" => (format!("{base}/outbox/dead-letters"), None),
        "retryOutboxDeadLetter" | "dismissOutboxDeadLetter" => {
            let n = f.next_letter.get();
            f.next_letter.set(n + 1);
            let event = f.letters.get(n).copied().unwrap_or(999_999);
            let action = if operation_id == "retryOutboxDeadLetter" {
                "retry"
            } else {
                "dismiss"
            };
            (
                format!("{base}/outbox/dead-letters/seal_registration/{event}/{action}"),
                Some(json!({})),
            )
        }
        "listEvents" => (format!("{base}/events?after=0&limit=10"), None),
        "getResidentTaxSettings" => (format!("{base}/resident-tax/2026/settings"), None),
        "putResidentTaxSettings" => (
            format!("{base}/resident-tax/2026/settings"),
            Some(json!({"installment_unit": 1000, "collection_agency_code": "12345"})),
        ),
        "listResidentTaxAssessments" => (
            format!("{base}/resident-tax/2026/assessments?collection=ordinary"),
            None,
        ),
        "getResidentTaxAssessment" => (
            format!("{base}/resident-tax/2026/assessments/{person}"),
            None,
        ),
        "listResidentTaxAssessmentVersions" => (
            format!("{base}/resident-tax/2026/assessments/{person}/versions"),
            None,
        ),
        "reassessResidentTax" => (
            format!("{base}/resident-tax/2026/assessments/{person}/reassess"),
            Some(json!({})),
        ),
        "createWebhook" => (
            format!("{base}/webhooks"),
            Some(
                json!({"url": "https://hooks.example.jp/kiban", "types": ["resident_moved_in"],
                        "secret": "0123456789abcdef0123"}),
            ),
        ),
        "listWebhooks" => (format!("{base}/webhooks"), None),
        "disableWebhook" => (format!("{base}/webhooks/{}", f.webhook), None),
        "listWebhookDeliveries" => (format!("{base}/webhooks/{}/deliveries", f.webhook), None),
        "resumeWebhook" => {
            let n = f.next_parked.get();
            f.next_parked.set(n + 1);
            let id = f.parked_webhooks.get(n).copied().unwrap_or(999_999);
            (format!("{base}/webhooks/{id}/resume"), Some(json!({})))
        }
        _ => return None,
    })
}

/// A webhook to `hooks.example.jp` (allowed), and `parked` parked ones.
async fn webhook_fixtures(app: &TestApp, m: &str, parked: usize) -> (i64, Vec<i64>) {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    kiban_linkage::webhooks::allow_host(&tenant, "hooks.example.jp", "test")
        .await
        .unwrap();
    let url = kiban_linkage::WebhookUrl::parse("https://hooks.example.jp/kiban").unwrap();
    let types = kiban_linkage::webhooks::parse_types(&["resident_died".to_owned()]).unwrap();
    let mut ids = Vec::new();
    for _ in 0..=parked {
        ids.push(
            kiban_linkage::webhooks::create_webhook(
                &tenant,
                "test",
                &url,
                &types,
                "0123456789abcdef0123",
            )
            .await
            .unwrap(),
        );
    }
    let mut tx = tenant.begin().await.unwrap();
    tx.execute(
        "UPDATE webhooks SET status = 'parked' WHERE municipality_code = $1 AND webhook_id > $2",
        &[kiban_store::Arg::Int(ids[0])],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let first = ids.remove(0);
    (first, ids)
}

/// A seal impression (印影) as the API takes it.
fn impression() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(include_bytes!(
        "../../kiban-print/tests/fixtures/impression.png"
    ))
}

/// Who calls in one cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// Staff of the municipality the path names.
    Own(Role),
    /// Staff of another municipality.
    Foreign(Role),
    /// A service operator.
    Operator,
    /// No token.
    Anonymous,
}

fn callers() -> Vec<Caller> {
    let mut all: Vec<Caller> = Role::ALL.into_iter().map(Caller::Own).collect();
    all.extend(Role::ALL.into_iter().map(Caller::Foreign));
    all.push(Caller::Operator);
    all.push(Caller::Anonymous);
    all
}

/// The expected status, and whether the caller's refusal must be logged.
fn expected(rule: Rule, caller: Caller) -> (u16, bool) {
    match (rule, caller) {
        (Rule::Public(status), _) => (status, false),
        (_, Caller::Anonymous) => (401, false),
        (Rule::Authenticated(status), _) => (status, false),
        (Rule::AnyStaff(_, _), Caller::Operator) => (403, false),
        (Rule::AnyStaff(permission, status), Caller::Own(role) | Caller::Foreign(role)) => {
            if role.allows(permission) {
                (status, false)
            } else {
                (403, false)
            }
        }
        (Rule::Tenant(..) | Rule::Behind(..), Caller::Operator) => (403, true),
        (Rule::Tenant(..) | Rule::Behind(..), Caller::Foreign(_)) => (404, true),
        (Rule::Behind(_, permission, status), Caller::Own(role)) => {
            if role.allows(permission) {
                (status, false)
            } else {
                (403, true)
            }
        }
        (Rule::Tenant(permission, status), Caller::Own(role)) => {
            if role.allows(permission) {
                (status, false)
            } else {
                (403, true)
            }
        }
    }
}

/// Whether a rule of the matrix says what the table declares.
fn agrees(rule: Rule, access: Access, success: u16) -> bool {
    match (rule, access) {
        (Rule::Public(_), Access::Public) => true,
        (Rule::Authenticated(status), Access::Authenticated) => status == success,
        (Rule::AnyStaff(p, status), Access::Staff(q)) => p == q && status == success,
        (Rule::Tenant(p, status), Access::Tenant(q)) => p == q && status == success,
        (Rule::Behind(door, _, status), Access::Tenant(q)) => q == door && status == success,
        _ => false,
    }
}

#[test]
fn every_operation_has_a_rule_that_agrees_with_the_table() {
    let operations = kiban_web::openapi::operations();
    assert!(operations.len() >= 40, "{} operations", operations.len());
    let mut ids = BTreeSet::new();
    let mut routes = BTreeSet::new();
    for op in &operations {
        assert!(ids.insert(op.id), "operation id {} twice", op.id);
        assert!(
            routes.insert((op.method, op.path)),
            "{} {} twice",
            op.method,
            op.path
        );
        let Some(rule) = rule(op.id) else { continue };
        assert!(
            agrees(rule, op.access, op.success),
            "{}: the matrix's rule {rule:?} is not what the table declares ({:?}, {})",
            op.id,
            op.access,
            op.success
        );
        // Every status the matrix expects is documented on the operation.
        let documented = op.error_statuses();
        for caller in callers() {
            let (status, _) = expected(rule, caller);
            assert!(
                status == op.success || documented.contains(&status),
                "{}: {status} (as {caller:?}) is not documented ({documented:?})",
                op.id
            );
        }
    }
    let fixtures = Fixtures {
        person: 1,
        household: 1,
        measures: Vec::new(),
        next_measure: Default::default(),
        seal: SealFixtures::default(),
        job: 1,
        letters: Vec::new(),
        next_letter: Default::default(),
        webhook: 1,
        parked_webhooks: Vec::new(),
        next_parked: Default::default(),
        addressee: AddresseeFixtures::default(),
        income_records: Vec::new(),
        next_income: Default::default(),
        next_income_file: Default::default(),
        collection: CollectionFixtures::default(),
    };
    for op in &operations {
        assert!(
            rule(op.id).is_some(),
            "operation {} ({} {}) has no rule in the route matrix",
            op.id,
            op.method,
            op.path
        );
        assert!(
            request(op.id, OWN, &fixtures).is_some(),
            "operation {} has no request in the route matrix",
            op.id
        );
    }
}

async fn fixtures(app: &TestApp, m: &str, name: &str, kana: &str, number: &str) -> Fixtures {
    let token = staff_token(app, m, Role::RegistryClerk).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{m}/movements"),
            Some(&token),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "境界町一丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [{"name": name, "name_kana": kana, "birth_date": "1980-04-01",
                             "sex": "male", "relationship": "head", "individual_number": number}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let person = body["persons"][0]["person_id"].as_u64().unwrap();
    // Measures to end, one per caller of the matrix.
    let mut measures = Vec::new();
    for _ in 0..callers().len() {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{m}/persons/{person}/support-measures"),
                Some(&token),
                &json!({"reason": "stalking", "starts_on": "2024-05-01"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        measures.push(body["measure_id"].as_u64().unwrap());
    }
    let household = body["household_id"].as_u64().unwrap();
    let (webhook, parked_webhooks) = webhook_fixtures(app, m, callers().len()).await;
    Fixtures {
        person,
        household,
        measures,
        next_measure: Default::default(),
        seal: seal_fixtures(app, m, &token).await,
        job: app.finished_job(m).await,
        letters: dead_letter_fixtures(app, m, 2 * callers().len()).await,
        next_letter: Default::default(),
        webhook,
        parked_webhooks,
        next_parked: Default::default(),
        addressee: {
            let addressee = addressee_fixtures(app, m).await;
            // Every resident of 1 January 2026 assessed (the resident tax).
            app.resident_tax_assessed(m).await;
            addressee
        },
        income_records: income_fixtures(app, m).await,
        next_income: Default::default(),
        next_income_file: Default::default(),
        collection: collection_fixtures(app, m, person).await,
    }
}

/// The notice number of the matrix's charges.
const PAYMENT_NOTICE: &str = "900000000001";

/// A payments-csv-v1 file of `(notice number, period, amount)` records.
fn payments_file(records: &[(&str, u32, usize)]) -> String {
    let mut text = "notice_number,period,business,fiscal_year,paid_on,amount,channel\n".to_owned();
    for (notice, period, amount) in records {
        text.push_str(&format!(
            "{notice},{period},resident_tax,2026,2026-06-30,{amount},counter\n"
        ));
    }
    text
}

/// The person's charges of FY2026 (an assessed event, the collection
/// consumer run), and one payment in suspense per caller.
async fn collection_fixtures(app: &TestApp, m: &str, person: u64) -> CollectionFixtures {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let payload = json!({
        "fiscal_year": 2026, "addressee_id": person, "addressee_ids": [person], "version": 99,
        "collection": "ordinary", "total": 200_000, "special_collection": null,
        "installments": [
            {"period": 1, "due_date": "2026-06-30", "amount": 50_000, "notice_number": PAYMENT_NOTICE},
            {"period": 2, "due_date": "2026-08-31", "amount": 150_000, "notice_number": PAYMENT_NOTICE}
        ]
    });
    let mut tx = tenant.begin().await.unwrap();
    let id = tx.next_numbers("outbox_event", 1).await.unwrap();
    tx.execute(
        "INSERT INTO outbox (municipality_code, event_id, event_kind, movement_id, payload, created_at) \
         VALUES ($1, $2, 'resident_tax_assessed', NULL, $3, $4)",
        &[
            kiban_store::Arg::Int(id),
            kiban_store::Arg::from(payload.to_string()),
            kiban_store::Arg::from(kiban_store::now_text()),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    kiban_jobs::consumer::drain(
        &tenant,
        &kiban_collection_storage::charges::ASSESSED_CONSUMER,
        &kiban_jobs::consumer::RetryPolicy::default(),
    )
    .await
    .unwrap();
    let token = staff_token(app, m, Role::TaxClerk).await;
    let response = app
        .client
        .get(app.url(&format!(
            "/api/v1/municipalities/{m}/collection/addressees/{person}/charges"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let charge = body["charges"][1]["charge_id"].as_i64().unwrap();
    let unknown: Vec<(&str, u32, usize)> = (0..callers().len())
        .map(|i| ("900000000999", 1, 1_000 + i))
        .collect();
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/municipalities/{m}/collection/payment-files?format=payments-csv-v1"
        )))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(payments_file(&unknown))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.unwrap();
    // The settings and the person's bank account, to read.
    let admin = kiban_audit::Actor::new("setup", "supervisor");
    let settings = kiban_collection::direct_debit::CollectionSettings::parse(
        &kiban_collection::direct_debit::SettingsInput {
            consignor_code: Some("1234567890".into()),
            consignor_name_kana: Some("ｹﾝｹﾞﾝｼ".into()),
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("1".into()),
            account_number: Some("7654321".into()),
            ..Default::default()
        },
    )
    .unwrap();
    kiban_collection_storage::direct_debit::put_settings(&tenant, &admin, &settings)
        .await
        .unwrap();
    let account = kiban_collection::direct_debit::BankAccount::parse(
        &kiban_collection::direct_debit::BankAccountInput {
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("1".into()),
            account_number: Some("1234567".into()),
            holder_kana: Some("ｹﾝｹﾞﾝ ﾀﾛｳ".into()),
            businesses: Some(vec!["resident_tax".into()]),
            valid_from: Some("2026-04-01".into()),
            ..Default::default()
        },
    )
    .unwrap();
    kiban_collection_storage::direct_debit::put_account(
        &tenant,
        &admin,
        i64::try_from(person).unwrap(),
        &account,
    )
    .await
    .unwrap();
    let suspense = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["suspense_id"].as_i64().unwrap())
        .collect();
    CollectionFixtures {
        charge,
        suspense,
        ..CollectionFixtures::default()
    }
}

/// An income-csv-v1 file of one declaration that matches nobody.
fn income_file(name: &str, n: usize) -> String {
    format!(
        "source,collection,name,name_kana,birth_date,address_on_jan1,misc_income\n\
         declaration,ordinary,{name},ケンゲン　ジロウ,1971-01-01,権限市1-{n},{n}\n"
    )
}

/// Unmatched income records of 2026, one per caller, to assign.
async fn income_fixtures(app: &TestApp, m: &str) -> Vec<i64> {
    let token = staff_token(app, m, Role::TaxClerk).await;
    let mut out = Vec::new();
    for i in 0..callers().len() {
        let response = app
            .client
            .post(app.url(&format!(
                "/api/v1/municipalities/{m}/resident-tax/2026/income-files"
            )))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(income_file(&format!("準備　{i}"), 1_000 + i))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        out.push(body["issues"][0]["record_id"].as_i64().unwrap());
    }
    out
}

/// The body of a non-resident's registration.
fn non_resident_body(name: &str, confirm_new: bool) -> Value {
    json!({"name": name, "name_kana": "ケンゲン　イチロウ", "birth_date": "1970-01-01", "sex": "male",
           "address": {"postal_code": "5300001", "address_line": "大阪府大阪市北区梅田1-1"},
           "confirm_new": confirm_new})
}

async fn addressee_fixtures(app: &TestApp, m: &str) -> AddresseeFixtures {
    let token = staff_token(app, m, Role::TaxClerk).await;
    let register = |name: String| {
        let token = token.clone();
        async move {
            let (status, body) = app
                .post_json(
                    &format!("/api/v1/municipalities/{m}/addressees"),
                    Some(&token),
                    &non_resident_body(&name, true),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            body["addressee_id"].as_u64().unwrap()
        }
    };
    let non_resident = register("宛名　基点".into()).await;
    let mut to_merge = Vec::new();
    let mut merged = Vec::new();
    for i in 0..callers().len() {
        to_merge.push(register(format!("名寄　{i}")).await);
        let id = register(format!("既寄　{i}")).await;
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{m}/addressees/{id}/merge"),
                Some(&token),
                &json!({"into": non_resident, "reason": "準備"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        merged.push(id);
    }
    AddresseeFixtures {
        non_resident,
        to_merge,
        merged,
        ..AddresseeFixtures::default()
    }
}

/// `count` parked dead letters of the seal consumer in `m`, on events it
/// handles without effect (a move-out of nobody with a seal), so that a
/// retry succeeds.
async fn dead_letter_fixtures(app: &TestApp, m: &str, count: usize) -> Vec<i64> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    // Let the consumer catch up first, so that the events below are behind
    // its position (as parked events are).
    kiban_jobs::consumer::drain(
        &tenant,
        &kiban_seal::storage::REGISTRY_CONSUMER,
        &kiban_jobs::consumer::RetryPolicy::default(),
    )
    .await
    .unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let first = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(event_id), 0) + 1000 FROM outbox WHERE municipality_code = $1",
            &[],
        )
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    let now = kiban_store::now_text();
    let mut ids = Vec::new();
    for i in 0..count {
        let id = first + i64::try_from(i).unwrap();
        tx.execute(
            "INSERT INTO outbox (municipality_code, event_id, event_kind, movement_id, payload, created_at) \
             VALUES ($1, $2, 'resident_moved_out', NULL, $3, $4)",
            &[
                kiban_store::Arg::Int(id),
                kiban_store::Arg::from(r#"{"event_date":"2024-06-01","person_ids":[999999]}"#),
                kiban_store::Arg::from(now.as_str()),
            ],
        )
        .await
        .unwrap();
        tx.execute(
            "INSERT INTO outbox_dead_letters (municipality_code, consumer, event_id, event_kind, status, \
             attempts, error, first_failed_at, last_failed_at, parked_at) \
             VALUES ($1, 'seal_registration', $2, 'resident_moved_out', 'parked', 5, 'テスト', $3, $3, $3)",
            &[kiban_store::Arg::Int(id), kiban_store::Arg::from(now.as_str())],
        )
        .await
        .unwrap();
        ids.push(id);
    }
    tx.execute(
        "UPDATE outbox_offsets SET last_event_id = $2 \
         WHERE municipality_code = $1 AND consumer = 'seal_registration'",
        &[kiban_store::Arg::Int(first + i64::try_from(count).unwrap())],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    ids
}

/// Six adults with their seals in the states the matrix needs (two under
/// review: moved out, the seal consumer run, the 転出 cancelled, the
/// consumer run again), and the municipality's certifier (市長名) for
/// certificates.
async fn seal_fixtures(app: &TestApp, m: &str, token: &str) -> SealFixtures {
    app.set_certifier(m, "市長", "境界 一郎").await;
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let adult = |name: &str, kana: &str, relationship: &str| {
        json!({"name": name, "name_kana": kana, "birth_date": "1970-01-01", "sex": "female",
               "relationship": relationship})
    };
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{m}/movements"),
            Some(token),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "印鑑町一丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [adult("印鑑 一子", "インカン イチコ", "head"),
                            adult("印鑑 二子", "インカン ニコ", "other_relative"),
                            adult("印鑑 三子", "インカン ミツコ", "other_relative"),
                            adult("印鑑 四子", "インカン ヨツコ", "other_relative"),
                            adult("印鑑 五子", "インカン イツコ", "other_relative"),
                            adult("印鑑 六子", "インカン ムツコ", "other_relative")],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let ids: Vec<u64> = body["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_u64().unwrap())
        .collect();
    let mut registrations = Vec::new();
    for (person, procedure) in [
        (ids[1], "inquiry"),
        (ids[2], "identity_verified"),
        (ids[3], "identity_verified"),
        (ids[4], "identity_verified"),
        (ids[5], "identity_verified"),
    ] {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{m}/seal-registrations"),
                Some(token),
                &json!({"person_id": person, "procedure": procedure, "impression_png_base64": impression()}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        registrations.push(body["registration_id"].as_u64().unwrap());
    }
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{m}/movements"),
            Some(token),
            &json!({"kind": "move_out", "event_date": "2024-05-01", "notified_on": "2024-04-25",
                    "person_ids": [ids[4], ids[5]], "destination_address": "大阪府大阪市北区梅田1丁目1番1号"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let move_out = body["movement_id"].as_u64().unwrap();
    kiban_seal::storage::drain_registry_events(&tenant)
        .await
        .unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{m}/movements"),
            Some(token),
            &json!({"kind": "cancellation", "event_date": "2024-05-10", "notified_on": "2024-05-10",
                    "movement_id": move_out, "reason": "転出届の誤り"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let report = kiban_seal::storage::drain_registry_events(&tenant)
        .await
        .unwrap();
    assert_eq!(report.under_review, 2);
    SealFixtures {
        unregistered: ids[0],
        awaiting: registrations[0],
        to_abolish: registrations[1],
        registered: registrations[2],
        to_restore: registrations[3],
        to_confirm: registrations[4],
    }
}

/// A fresh API token of a role's account (issued the service way, so that
/// a logout in the matrix does not end the next cell's token).
async fn staff_token(app: &TestApp, m: &str, role: Role) -> String {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    kiban_auth::issue_staff_token(
        &tenant,
        role.code(),
        TokenKind::Api,
        jiff::SignedDuration::from_hours(1),
    )
    .await
    .unwrap()
    .token
}

async fn operator_token(app: &TestApp) -> String {
    let db = &app.database.as_ref().unwrap().db;
    kiban_auth::issue_operator_token(
        db,
        "ops",
        TokenKind::Api,
        jiff::SignedDuration::from_hours(1),
    )
    .await
    .unwrap()
    .token
}

/// How many `refused` entries `actor` has in municipality `m`.
async fn refusals(app: &TestApp, m: &str, actor: &str) -> usize {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let entries = kiban_audit::entries_by_actor(
        &mut tx,
        actor,
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        100_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    entries
        .iter()
        .filter(|e| e.action == kiban_audit::AuditAction::Refused)
        .count()
}

#[tokio::test]
async fn every_route_every_role_every_tenant() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let own = fixtures(&app, OWN, OWN_NAME, OWN_KANA, OWN_NUMBER).await;
        let other = fixtures(&app, OTHER, OTHER_NAME, OTHER_KANA, OTHER_NUMBER).await;
        let mut failures = Vec::new();
        let mut cells = 0;
        for op in &kiban_web::openapi::operations() {
            let rule = rule(op.id).unwrap();
            for caller in callers() {
                // Staff of OWN call OWN's paths; "foreign" staff are OWN's
                // staff calling OTHER's paths (with OTHER's ids).
                let (m, f) = match caller {
                    Caller::Foreign(_) => (OTHER, &other),
                    _ => (OWN, &own),
                };
                let (url, body) = request(op.id, m, f).unwrap();
                let token = match caller {
                    Caller::Own(role) | Caller::Foreign(role) => {
                        Some(staff_token(&app, OWN, role).await)
                    }
                    Caller::Operator => Some(operator_token(&app).await),
                    Caller::Anonymous => None,
                };
                // Where a refusal is logged, and under which actor.
                let (log_m, actor) = match caller {
                    Caller::Own(role) | Caller::Foreign(role) => (OWN, role.code().to_owned()),
                    _ => (OWN, "operator:ops".to_owned()),
                };
                let before = refusals(&app, log_m, &actor).await;
                let method =
                    reqwest::Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
                let mut builder = app.client.request(method, app.url(&url));
                if let Some(t) = &token {
                    builder = builder.bearer_auth(t);
                }
                match &body {
                    // A text body (an income-csv-v1 file) goes as it is.
                    Some(Value::String(text)) => {
                        builder = builder
                            .header("content-type", "text/csv")
                            .body(text.clone());
                    }
                    Some(b) => builder = builder.json(b),
                    None => {}
                }
                let response = builder.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let (want, logged) = expected(rule, caller);
                cells += 1;
                if status != want {
                    failures.push(format!(
                        "{} {} as {caller:?}: {status}, expected {want}: {}",
                        op.method,
                        url,
                        text.chars().take(200).collect::<String>()
                    ));
                }
                // No other tenant's data reaches foreign staff; no resident
                // data reaches an operator or an anonymous caller.
                let forbidden_texts: &[&str] = match caller {
                    Caller::Foreign(_) => &[OTHER_NAME, OTHER_KANA, OTHER_NUMBER],
                    Caller::Operator | Caller::Anonymous => &[
                        OWN_NAME,
                        OWN_KANA,
                        OWN_NUMBER,
                        OTHER_NAME,
                        OTHER_KANA,
                        OTHER_NUMBER,
                    ],
                    Caller::Own(_) => &[OTHER_NAME, OTHER_KANA, OTHER_NUMBER],
                };
                for leak in forbidden_texts {
                    if text.contains(leak) {
                        failures.push(format!("{} {url} as {caller:?} leaks {leak}", op.method));
                    }
                }
                if logged {
                    let after = refusals(&app, log_m, &actor).await;
                    if after <= before {
                        failures.push(format!(
                            "{} {url} as {caller:?}: the refusal is not in {log_m}'s access log",
                            op.method
                        ));
                    }
                }
            }
        }
        // Foreign refusals are never written into the other municipality.
        for role in Role::ALL {
            assert_eq!(refusals(&app, OTHER, role.code()).await, 0, "{role:?}");
        }
        assert!(
            failures.is_empty(),
            "{backend:?}: {} of {cells} cells wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
        app.stop().await;
    }
}
