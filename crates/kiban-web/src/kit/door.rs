//! The door of every tenant request, screens and API alike: which
//! municipality and which permission, the access-log actor, and the
//! refusal written to the caller's own access log before it is answered.

use std::collections::BTreeMap;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kiban_audit::{Actor, AuditAction};
use kiban_auth::{Permission, Principal};
use kiban_core::{ErrorCode, MunicipalityCode};
use kiban_registry::domain::PersonId;
use kiban_store::TenantDb;

use crate::kit::openapi::Access;
use crate::kit::session::ApiPrincipal;
use crate::{ApiError, AppState};

/// What the door let through to the handler of a tenant operation of the
/// table ([`crate::openapi::Access::Tenant`]): the municipality of the
/// path as a tenant handle, the access-log actor and the principal. The
/// router puts the [`guard`] in front of every such operation, so the
/// permission is declared once, in the table, and a handler that takes a
/// `Door` runs only for callers the table lets in.
#[derive(Clone)]
pub(crate) struct Door {
    /// The caller's own municipality, the one the path names.
    pub(crate) tenant: TenantDb,
    /// Who acts, for the access log.
    pub(crate) actor: Actor,
    /// The authenticated principal.
    pub(crate) principal: Principal,
}

impl FromRequestParts<AppState> for Door {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        // Only an operation whose table entry is a tenant one has a guard;
        // a handler taking a `Door` elsewhere is a programming error.
        parts.extensions.remove::<Door>().ok_or_else(|| {
            ApiError::internal("a Door was asked of a route without the tenant guard")
        })
    }
}

/// The mark the door leaves for the handler of a staff operation of the
/// table ([`crate::openapi::Access::Staff`]): the caller is a staff member
/// whose role has the operation's permission (operators are refused).
#[derive(Clone, Copy)]
pub(crate) struct StaffMember;

impl FromRequestParts<AppState> for StaffMember {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        parts.extensions.remove::<StaffMember>().ok_or_else(|| {
            ApiError::internal("a StaffMember was asked of a route without the staff guard")
        })
    }
}

/// The door of one operation of the table: who may call it and the name
/// its refusals are logged under.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) state: AppState,
    pub(crate) access: Access,
    pub(crate) operation: &'static str,
    /// The scopes that let a system client through (none: clients are
    /// refused).
    pub(crate) scopes: Vec<&'static str>,
}

/// The middleware in front of a tenant or staff operation. It
/// authenticates the bearer; for a tenant operation it [`authorize`]s the
/// path's municipality (`{m}`) for the operation's permission (a refusal
/// names the path's `{person_id}`, if any) and hands a [`Door`] to the
/// handler; for a staff operation it checks the permission in the staff
/// member's own municipality and hands a [`StaffMember`]. Otherwise it
/// answers the refusal and the handler does not run.
pub(crate) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(error) = open(&guard, &mut parts).await {
        let insufficient = error.code == ErrorCode::InsufficientScope;
        let mut response = error.into_response();
        if insufficient {
            // RFC 6750 §3.1: the scopes that would do.
            let challenge = format!(
                "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                guard.scopes.join(" ")
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
        }
        return response;
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn open(guard: &Guard, parts: &mut Parts) -> Result<(), ApiError> {
    let ApiPrincipal(principal) = ApiPrincipal::from_request_parts(parts, &guard.state).await?;
    match guard.access {
        Access::Tenant(permission) => {
            let Path(params) =
                Path::<BTreeMap<String, String>>::from_request_parts(parts, &guard.state)
                    .await
                    .map_err(|_| ApiError::not_found())?;
            let m = params.get("m").map(String::as_str).unwrap_or_default();
            let target = Target {
                operation: guard.operation,
                person: params
                    .get("person_id")
                    .or_else(|| params.get("addressee_id"))
                    .map(String::as_str),
            };
            let (tenant, actor) = authorize_scoped(
                &guard.state,
                &principal,
                &parts.headers,
                m,
                permission,
                &guard.scopes,
                target,
            )
            .await?;
            parts.extensions.insert(Door {
                tenant,
                actor,
                principal,
            });
        }
        Access::Staff(permission) => {
            let allowed = principal
                .municipality()
                .is_some_and(|own| principal.may(own, permission));
            if !allowed {
                return Err(ApiError::forbidden());
            }
            parts.extensions.insert(StaffMember);
        }
        Access::Public | Access::Authenticated => {}
    }
    Ok(())
}

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
    authorize_scoped(state, principal, headers, m, permission, &[], target).await
}

/// [`authorize`] for an operation that system clients may call with one of
/// `scopes`: a client (`Principal::Client`) is let through its own
/// municipality's path when its token holds one of them, refused with 403
/// `insufficient_scope` otherwise (logged like staff refusals); another
/// municipality's path is 404 for it as for staff, logged in its own
/// municipality's access log.
pub(crate) async fn authorize_scoped(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    m: &str,
    permission: Permission,
    scopes: &[&'static str],
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
    let client = matches!(principal, Principal::Client { .. });
    let allowed = if client {
        principal.holds_any_scope(scopes)
    } else {
        principal.may(own, permission)
    };
    if !allowed {
        refuse(
            &tenant,
            &actor,
            person_number(target.person),
            target.operation,
        )
        .await?;
        return Err(if client {
            ApiError::insufficient_scope()
        } else {
            ApiError::forbidden()
        });
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

/// Whether the principal's role may override 支援措置 (show a protected
/// person's address, certify them) in the tenant it was let into.
pub(crate) fn may_override(principal: &Principal, tenant: &TenantDb) -> bool {
    principal.may(tenant.municipality(), Permission::OverrideSupportMeasures)
}
