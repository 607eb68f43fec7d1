//! The door of every tenant request, screens and API alike: which
//! municipality and which permission, the access-log actor, and the
//! refusal written to the caller's own access log before it is answered.

use axum::http::HeaderMap;
use kiban_audit::{Actor, AuditAction};
use kiban_auth::{Permission, Principal};
use kiban_core::MunicipalityCode;
use kiban_registry::domain::PersonId;
use kiban_store::TenantDb;

use crate::{ApiError, AppState};

/// What a request is about, for the access-log entry of a refusal.
pub(crate) struct Target<'a> {
    /// The operation (`record_movement`, `person_as_of`, …).
    pub(crate) operation: &'static str,
    /// The person id of the path, if any (only recorded in the tenant the
    /// path names, i.e. when that is the caller's own).
    pub(crate) person: Option<&'a str>,
}

/// The access-log actor of a request: who, in which role, with the
/// request id the layers gave it.
pub(crate) fn actor_of(principal: &Principal, headers: &HeaderMap) -> Actor {
    let mut actor = Actor::new(principal.actor(), principal.role_code());
    actor.request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    actor
}

/// Checks that `principal` may use `permission` in the municipality `m` of
/// the path. Returns the tenant and the access-log actor, or the error to
/// answer after writing the refusal to the caller's own access log.
pub(crate) async fn authorize(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    m: &str,
    permission: Permission,
    target: Target<'_>,
) -> Result<(TenantDb, Actor), ApiError> {
    let actor = actor_of(principal, headers);
    let requested = MunicipalityCode::parse(m).ok();
    let Some(own) = principal.municipality() else {
        // A service operator: personal data is never theirs to see. The
        // attempt is logged where it was aimed, when that municipality exists.
        if let Some(code) = requested
            && let Ok(tenant) = state.db.tenant(code).await
        {
            refuse(
                &tenant,
                &actor,
                person_number(target.person),
                target.operation,
            )
            .await?;
        }
        return Err(ApiError::forbidden());
    };
    let tenant = state.db.tenant(own).await?;
    if requested != Some(own) {
        // Another municipality's path: answer like an unknown id, and log
        // the attempt in the caller's own municipality without the foreign
        // person's number (it means nothing here).
        let detail = format!("{} other_municipality {}", target.operation, sanitize(m));
        refuse(&tenant, &actor, None, &detail).await?;
        return Err(ApiError::not_found());
    }
    if !principal.may(own, permission) {
        refuse(
            &tenant,
            &actor,
            person_number(target.person),
            target.operation,
        )
        .await?;
        return Err(ApiError::forbidden());
    }
    Ok((tenant, actor))
}

/// At most 16 characters of a path segment, alphanumerics only, for an
/// access-log detail.
fn sanitize(segment: &str) -> String {
    segment
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect()
}

/// Writes one `refused` entry.
pub(crate) async fn refuse(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: Option<i64>,
    detail: &str,
) -> Result<(), ApiError> {
    let mut tx = tenant.begin().await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Refused, person_id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A 宛名番号 of a path, if it is one.
pub(crate) fn parse_person_id(text: &str) -> Option<PersonId> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(PersonId::new)
}

/// The access-log number of a path's person id.
pub(crate) fn person_number(text: Option<&str>) -> Option<i64> {
    text.and_then(parse_person_id)
        .and_then(|p| i64::try_from(p.get()).ok())
}
