//! The events other systems receive (pure: no IO): which types there are,
//! which business each belongs to and who may read it, and how an outbox
//! row becomes the event of the feed and of a webhook's body.

use kiban_auth::{Permission, Principal};
use serde_json::{Value, json};

/// One type of event that leaves Kiban, with its business and who may read
/// it: staff whose role has `permission`, clients holding `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// The type as written in the outbox and on the wire.
    pub name: &'static str,
    /// The business that records it.
    pub business: &'static str,
    /// The permission that lets staff read it.
    pub permission: Permission,
    /// The OAuth scope that lets a system client read it.
    pub scope: &'static str,
}

const fn registry(name: &'static str) -> EventType {
    EventType {
        name,
        business: "registry",
        permission: Permission::RegistryRead,
        scope: "registry:events:read",
    }
}

const fn addressee(name: &'static str) -> EventType {
    EventType {
        name,
        business: "addressee",
        permission: Permission::AddresseeRead,
        scope: "addressee:events:read",
    }
}

const fn resident_tax(name: &'static str) -> EventType {
    EventType {
        name,
        business: "resident_tax",
        permission: Permission::Tax,
        scope: "resident_tax:events:read",
    }
}

/// Every event type of the feed and the webhooks: the one table of type,
/// business, permission and scope.
pub const EVENT_TYPES: &[EventType] = &[
    registry("resident_moved_in"),
    registry("resident_born"),
    registry("resident_address_changed"),
    registry("resident_moved_out"),
    registry("resident_died"),
    registry("household_changed"),
    registry("resident_record_corrected"),
    registry("movement_cancelled"),
    addressee("addressee_registered"),
    addressee("addressee_changed"),
    addressee("addressee_merged"),
    addressee("addressee_unmerged"),
    resident_tax("resident_tax_assessed"),
];

/// The scopes that let a client read some events (`BUSINESS:events:read`),
/// each once, in the order of [`EVENT_TYPES`].
pub fn event_scopes() -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = Vec::new();
    for t in EVENT_TYPES {
        if !scopes.contains(&t.scope) {
            scopes.push(t.scope);
        }
    }
    scopes
}

/// The type named `name`, if there is one.
pub fn event_type(name: &str) -> Option<&'static EventType> {
    EVENT_TYPES.iter().find(|t| t.name == name)
}

/// The types `principal` may read in its own municipality: for staff,
/// those whose business its role may read; for a system client (OAuth),
/// those whose `scope` its token holds. An operator reads none.
pub fn readable_types(principal: &Principal) -> Vec<&'static EventType> {
    match principal {
        Principal::Staff { municipality, .. } => EVENT_TYPES
            .iter()
            .filter(|t| principal.may(*municipality, t.permission))
            .collect(),
        Principal::Client { .. } => EVENT_TYPES
            .iter()
            .filter(|t| principal.holds_any_scope(&[t.scope]))
            .collect(),
        Principal::Operator { .. } => Vec::new(),
    }
}

/// An event as other systems receive it: in the feed and as a webhook's
/// body (`{"seq","type","occurred_at","effective_date","addressee_ids","data"}`).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedEvent {
    /// Its number in the outbox (per municipality, increasing).
    pub seq: i64,
    /// Its type.
    pub event_type: String,
    /// When it was recorded (RFC 3339, UTC).
    pub occurred_at: String,
    /// The date it takes effect: the payload's `effective_date`, else its
    /// `event_date` (異動日).
    pub effective_date: Option<String>,
    /// Whom it concerns (宛名番号): the payload's `addressee_ids`, else its
    /// `person_ids`, else its `person_id`, else none.
    pub addressee_ids: Vec<i64>,
    /// The payload as the business wrote it.
    pub data: Value,
}

impl LinkedEvent {
    /// The event of an outbox row. A payload that is not JSON is carried
    /// as a string (the outbox is written by Kiban itself, so this does
    /// not happen; the event is passed on rather than held back).
    pub fn from_outbox(seq: i64, event_type: String, payload: &str, created_at: String) -> Self {
        let data: Value =
            serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_owned()));
        let effective_date = ["effective_date", "event_date"]
            .iter()
            .find_map(|k| data.get(*k).and_then(Value::as_str))
            .map(str::to_owned);
        let ids = |key: &str| {
            data.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
        };
        let addressee_ids = ids("addressee_ids")
            .or_else(|| ids("person_ids"))
            .or_else(|| {
                data.get("person_id")
                    .and_then(Value::as_i64)
                    .map(|p| vec![p])
            })
            .unwrap_or_default();
        Self {
            seq,
            event_type,
            occurred_at: created_at,
            effective_date,
            addressee_ids,
            data,
        }
    }

    /// The event as JSON, members in the contract's order.
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "type": self.event_type,
            "occurred_at": self.occurred_at,
            "effective_date": self.effective_date,
            "addressee_ids": self.addressee_ids,
            "data": self.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiban_auth::Role;

    fn staff(role: Role) -> Principal {
        Principal::Staff {
            municipality: kiban_core::MunicipalityCode::parse("990019").unwrap(),
            login: "x".into(),
            display_name: "x".into(),
            role,
            token_id: "t".into(),
        }
    }

    #[test]
    fn addressee_ids_and_effective_date_come_from_the_payload() {
        let e = LinkedEvent::from_outbox(
            3,
            "resident_moved_in".into(),
            r#"{"event_date":"2026-04-01","person_ids":[4,5]}"#,
            "2026-04-02T00:00:00Z".into(),
        );
        assert_eq!(e.addressee_ids, [4, 5]);
        assert_eq!(e.effective_date.as_deref(), Some("2026-04-01"));
        let e =
            LinkedEvent::from_outbox(4, "resident_born".into(), r#"{"person_id":9}"#, "t".into());
        assert_eq!(e.addressee_ids, [9]);
        assert_eq!(e.effective_date, None);
        let e = LinkedEvent::from_outbox(
            5,
            "addressee_merged".into(),
            r#"{"effective_date":"2026-05-01","event_date":"2026-01-01","addressee_ids":[7,8],"person_id":1}"#,
            "t".into(),
        );
        assert_eq!(e.addressee_ids, [7, 8]);
        assert_eq!(e.effective_date.as_deref(), Some("2026-05-01"));
        let e = LinkedEvent::from_outbox(6, "household_changed".into(), "{}", "t".into());
        assert!(e.addressee_ids.is_empty());
        let json = e.to_json();
        assert_eq!(json.as_object().unwrap().len(), 6);
    }

    #[test]
    fn every_type_is_listed_once_with_its_scope() {
        let mut names: Vec<&str> = EVENT_TYPES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EVENT_TYPES.len());
        assert_eq!(
            event_scopes(),
            [
                "registry:events:read",
                "addressee:events:read",
                "resident_tax:events:read"
            ]
        );
        for t in EVENT_TYPES {
            assert!(t.scope.starts_with(t.business));
        }
    }

    #[test]
    fn staff_read_the_types_of_the_businesses_their_role_reads() {
        assert_eq!(readable_types(&staff(Role::RegistryClerk)).len(), 12);
        assert!(readable_types(&staff(Role::Auditor)).is_empty());
        assert!(readable_types(&staff(Role::MunicipalityAdmin)).is_empty());
        // The feed's door asks for `RegistryRead`: every role that reads
        // the addressee master reads the registry too, so the door lets in
        // everyone who may read some event.
        for role in Role::ALL {
            if role.allows(Permission::AddresseeRead) {
                assert!(role.allows(Permission::RegistryRead), "{role:?}");
            }
        }
    }
}
