//! The person overview (個人状況照会): for one addressee, what each business
//! holds, gathered through each business's own logged reads (one access-log
//! entry per business shown) and only for the businesses the caller's role
//! may read. A business that arrives adds its entry here.

use kiban_addressee::domain::AddresseeId;
use kiban_addressee::storage::{self as addressees, AddresseeView};
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal};
use kiban_registry::domain::PersonId;
use kiban_store::TenantDb;
use serde_json::json;

use super::api::{AddresseeOverview, OverviewEntry, view_wire};
use crate::ApiError;
use crate::registry::api::registry_error;

/// The most certificates the overview lists.
const CERTIFICATES_SHOWN: i64 = 20;

fn may(principal: &Principal, tenant: &TenantDb, permission: Permission) -> bool {
    principal.may(tenant.municipality(), permission)
}

/// The overview of `view` (already read and logged by the caller).
pub(crate) async fn gather_overview(
    tenant: &TenantDb,
    actor: &Actor,
    principal: &Principal,
    m: &str,
    view: &AddresseeView,
) -> Result<AddresseeOverview, ApiError> {
    let survivor = view.merged_into.unwrap_or(view.addressee_id);
    let ids = addressees::linked_numbers(tenant, survivor).await?;
    let today = kiban_core::today_in_japan();
    let mut businesses = Vec::new();
    let registry_readable = may(principal, tenant, Permission::RegistryRead);

    if registry_readable {
        for id in &ids {
            let person = PersonId::new(id.get());
            let Some(record) = kiban_registry::storage::person_as_of(tenant, actor, person, today)
                .await
                .map_err(registry_error)?
            else {
                continue;
            };
            businesses.push(OverviewEntry {
                business: "registry".into(),
                label: "住民記録".into(),
                summary: json!({
                    "person_id": id.get(),
                    "status": record.status.code(),
                    "household_id": record.household_id.get(),
                    "resident_from": record.resident_from.to_string(),
                    "removed_on": record.removed_on.map(|d| d.to_string()),
                }),
                links: json!({
                    "api": format!("/api/v1/municipalities/{m}/persons/{}", id.get()),
                    "screen": format!("/app/registry/persons/{}", id.get()),
                }),
            });
        }
        let mut seals = Vec::new();
        for id in &ids {
            let registrations =
                kiban_seal::storage::list_for_person(tenant, actor, PersonId::new(id.get()), today)
                    .await?;
            seals.extend(registrations.into_iter().map(|r| {
                json!({
                    "registration_id": r.registration_id,
                    "person_id": r.person_id,
                    "status": r.status.code(),
                    "status_label": r.status.label_ja(),
                    "applied_on": r.applied_on.to_string(),
                })
            }));
        }
        if !seals.is_empty() {
            let first = seals
                .first()
                .and_then(|s| s["registration_id"].as_i64())
                .unwrap_or_default();
            businesses.push(OverviewEntry {
                business: "seal".into(),
                label: "印鑑登録".into(),
                summary: json!({ "registrations": seals }),
                links: json!({
                    "api": format!("/api/v1/municipalities/{m}/seal-registrations/{first}"),
                    "screen": format!("/app/seal/{first}"),
                }),
            });
        }
        let mut issued = Vec::new();
        for id in &ids {
            let number = i64::try_from(id.get()).unwrap_or(i64::MAX);
            let list = kiban_certificate::storage::issued_for_person(
                tenant,
                actor,
                number,
                CERTIFICATES_SHOWN,
            )
            .await?;
            issued.extend(list.into_iter().map(|c| {
                json!({
                    "certificate_number": c.certificate_number,
                    "kind": c.kind.code(),
                    "kind_label": c.kind.label_ja(),
                    "issued_on": c.issued_on.to_string(),
                    "person_id": number,
                })
            }));
        }
        if !issued.is_empty() {
            businesses.push(OverviewEntry {
                business: "certificates".into(),
                label: "証明書交付".into(),
                summary: json!({ "issued": issued.len(), "latest": issued }),
                links: json!({ "screen": "/app/certificates/new" }),
            });
        }
    }
    Ok(AddresseeOverview {
        addressee: view_wire(view),
        addressee_ids: ids.iter().map(|i: &AddresseeId| i.get()).collect(),
        businesses,
    })
}
