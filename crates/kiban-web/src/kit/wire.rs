//! Helpers of the API's wire types: the schemas of code enumerations (the
//! codes come from the domain's own tables, so the document cannot drift
//! from what the handlers accept and answer).

use utoipa::openapi::Array;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string that is one of `codes`.
pub(crate) fn codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.into_iter().map(str::to_owned)))
        .build()
}

/// A string that is one of `codes`, or null.
pub(crate) fn nullable_codes<'a>(codes_: impl IntoIterator<Item = &'a str>) -> Object {
    let mut values: Vec<serde_json::Value> = codes_
        .into_iter()
        .map(|c| serde_json::Value::String(c.to_owned()))
        .collect();
    values.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(values))
        .build()
}

/// `male` or `female`.
pub(crate) fn sex() -> Object {
    codes([kiban_core::Sex::Male, kiban_core::Sex::Female].map(kiban_core::Sex::code))
}

/// 続柄.
pub(crate) fn relationship() -> Object {
    codes(kiban_core::Relationship::ALL.map(kiban_core::Relationship::code))
}

/// 異動の種類.
pub(crate) fn movement_kind() -> Object {
    codes(kiban_registry::domain::MovementKind::ALL.map(kiban_registry::domain::MovementKind::code))
}

/// A person's state on the date read.
pub(crate) fn resident_status() -> Object {
    use kiban_registry::domain::ResidentStatus as S;
    codes([S::Resident, S::MovedOut, S::Deceased].map(S::code))
}

/// An access-log action.
pub(crate) fn audit_action() -> Object {
    codes(kiban_audit::AuditAction::ALL.map(kiban_audit::AuditAction::code))
}

/// A 支援措置's reason.
pub(crate) fn support_reason() -> Object {
    codes(kiban_protection::Reason::ALL.map(kiban_protection::Reason::code))
}

/// A certificate's kind.
pub(crate) fn certificate_kind() -> Object {
    codes(
        kiban_certificate::domain::CertificateKind::ALL
            .map(kiban_certificate::domain::CertificateKind::code),
    )
}

/// The items a certificate may carry.
pub(crate) fn certificate_items() -> Array {
    Array::new(codes(
        kiban_certificate::domain::Item::ALL.map(kiban_certificate::domain::Item::code),
    ))
}

/// A seal registration's procedure.
pub(crate) fn seal_procedure() -> Object {
    use kiban_seal::domain::Procedure as P;
    codes([P::IdentityVerified, P::Inquiry].map(P::code))
}

/// A seal registration's state.
pub(crate) fn seal_status() -> Object {
    use kiban_seal::domain::SealStatus as S;
    codes(
        [
            S::AwaitingReply,
            S::Registered,
            S::Abolished,
            S::Expired,
            S::RestorationReview,
        ]
        .map(S::code),
    )
}

/// A change of a seal registration.
pub(crate) fn seal_change() -> Object {
    codes(kiban_seal::domain::Change::ALL.map(kiban_seal::domain::Change::code))
}

/// A change of a seal registration, or null.
pub(crate) fn nullable_seal_change() -> Object {
    nullable_codes(kiban_seal::domain::Change::ALL.map(kiban_seal::domain::Change::code))
}

/// A run's state.
pub(crate) fn job_status() -> Object {
    use kiban_jobs::Status as S;
    codes([S::Queued, S::Running, S::Succeeded, S::Failed, S::Cancelled].map(S::code))
}

/// A dead letter's state.
pub(crate) fn dead_letter_status() -> Object {
    use kiban_jobs::consumer::DeadLetterStatus as S;
    codes([S::Retrying, S::Parked, S::Retried, S::Dismissed].map(S::code))
}
