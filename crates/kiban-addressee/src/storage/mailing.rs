//! Mailing addresses (送付先・納税管理人・代納人): set per business, and
//! the one in force for a letter.

use kiban_audit::{Actor, AuditAction};
use kiban_core::Date;
use std::collections::BTreeMap;

use kiban_store::{Arg, IN_LIST_CHUNK, Row, StoreError, TenantDb, TenantTx, now_text};
use serde_json::json;

use crate::domain::{AddresseeId, Business, MailingAddress, MailingKind, PostalAddress, in_force};

use super::read::view_as_of;
use super::write::outbox;
use super::{
    AddresseeError, INDEX_SEQUENCE, MAILING_SEQUENCE, corrupt, entry, holder_of, id_arg, id_of,
    linked_ids, postal_of,
};

/// Where a letter's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailingSource {
    /// A mailing address set for the business (or for all).
    MailingAddress,
    /// The addressee's own address.
    Addressee,
}

impl MailingSource {
    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            MailingSource::MailingAddress => "mailing_address",
            MailingSource::Addressee => "addressee",
        }
    }
}

/// The address a letter of a business goes to on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailingAnswer {
    /// The name to write.
    pub name: String,
    /// The address (`None` when withheld under a 支援措置).
    pub address: Option<PostalAddress>,
    /// 送付先, 納税管理人, 代納人, or `None` for the addressee's own.
    pub kind: Option<MailingKind>,
    /// Where it came from.
    pub source: MailingSource,
}

/// Records a mailing address of `id` for `business` (a new record; earlier
/// ones are kept), with an `addressee_changed` event and a `change` entry.
pub async fn set_mailing_address(
    tenant: &TenantDb,
    actor: &Actor,
    mailing: &MailingAddress,
) -> Result<u64, AddresseeError> {
    let recorded_at = now_text();
    let mut tx = tenant.begin().await?;
    if holder_of(&mut tx, mailing.addressee).await?.is_none() {
        return Err(AddresseeError::NotFound);
    }
    let record_no = tx.next_numbers(MAILING_SEQUENCE, 1).await?;
    let a = &mailing.address;
    tx.insert_rows(
        "mailing_addresses",
        &[
            "record_no",
            "addressee_id",
            "business",
            "kind",
            "name",
            "postal_code",
            "address_line",
            "katagaki",
            "valid_from",
            "valid_until",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            Arg::Int(record_no),
            id_arg(mailing.addressee),
            Arg::from(mailing.business.code()),
            Arg::from(mailing.kind.code()),
            Arg::from(mailing.name.as_str()),
            Arg::from(a.postal_code.as_ref().map(|p| p.as_str())),
            Arg::from(a.address_line.as_str()),
            Arg::from(a.katagaki.as_deref()),
            Arg::from(mailing.valid_from),
            Arg::from(mailing.valid_until),
            Arg::from(recorded_at.as_str()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    tx.next_numbers(INDEX_SEQUENCE, 1).await?;
    outbox(
        &mut tx,
        "addressee_changed",
        json!({
            "v": 1,
            "addressee_ids": [mailing.addressee.get()],
            "addressee_id": mailing.addressee.get(),
            "effective_date": mailing.valid_from.to_string(),
            "fields": ["mailing_address"],
            "business": mailing.business.code(),
        }),
        &recorded_at,
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &entry(
            actor,
            AuditAction::Change,
            mailing.addressee,
            &format!("addressee mailing_address {}", mailing.business.code()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(u64::try_from(record_no).unwrap_or(0))
}

fn mailing_of(row: &Row) -> Result<MailingAddress, StoreError> {
    let business = row.text(2)?;
    let kind = row.text(3)?;
    Ok(MailingAddress {
        record_no: u64::try_from(row.int(0)?).unwrap_or(0),
        addressee: id_of(row, 1)?,
        business: Business::from_code(&business)
            .ok_or_else(|| corrupt("mailing_addresses.business", business))?,
        kind: MailingKind::from_code(&kind)
            .ok_or_else(|| corrupt("mailing_addresses.kind", kind))?,
        name: row.text(4)?,
        address: PostalAddress {
            postal_code: postal_of(row.opt_text(5)?)?,
            address_line: row.text(6)?,
            katagaki: row.opt_text(7)?,
        },
        valid_from: row.date(8)?,
        valid_until: row.opt_date(9)?,
        recorded_at: row.text(10)?,
        recorded_by: row.text(11)?,
    })
}

/// The mailing addresses recorded under any of `ids`, oldest first.
async fn records_of(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<Vec<MailingAddress>, StoreError> {
    let sql = format!(
        "SELECT record_no, addressee_id, business, kind, name, postal_code, address_line, \
         katagaki, valid_from, valid_until, recorded_at, recorded_by FROM mailing_addresses \
         WHERE municipality_code = $1 AND addressee_id IN ({}) ORDER BY record_no",
        kiban_store::in_list(2, ids.len())
    );
    let args: Vec<Arg> = ids.iter().copied().map(id_arg).collect();
    tx.fetch_all(&sql, &args)
        .await?
        .iter()
        .map(mailing_of)
        .collect()
}

/// Every mailing address of `id` and of the numbers merged with it,
/// oldest first, with one `read` entry.
pub async fn mailing_addresses(
    tenant: &TenantDb,
    actor: &Actor,
    id: AddresseeId,
) -> Result<Vec<MailingAddress>, AddresseeError> {
    let mut tx = tenant.begin().await?;
    if holder_of(&mut tx, id).await?.is_none() {
        return Err(AddresseeError::NotFound);
    }
    let ids = linked_ids(&mut tx, id).await?;
    let records = records_of(&mut tx, &ids).await?;
    kiban_audit::append(
        &mut tx,
        &entry(actor, AuditAction::Read, id, "addressee mailing_addresses"),
    )
    .await?;
    tx.commit().await?;
    Ok(records)
}

/// The address a letter of `business` to `id` goes to on `on`: the
/// mailing address in force for the business, else for all, else the
/// addressee's own (of the surviving number, when merged); one `read`
/// entry. Withheld under a 支援措置 unless the caller may override and
/// confirmed.
pub async fn mailing_address_in_force(
    tenant: &TenantDb,
    actor: &Actor,
    id: AddresseeId,
    business: Business,
    on: Date,
    may_override: bool,
    confirmed: bool,
) -> Result<MailingAnswer, AddresseeError> {
    let mut tx = tenant.begin().await?;
    if holder_of(&mut tx, id).await?.is_none() {
        return Err(AddresseeError::NotFound);
    }
    let ids = linked_ids(&mut tx, id).await?;
    let survivor = ids.first().copied().unwrap_or(id);
    let records = records_of(&mut tx, &ids).await?;
    let mut answer = match in_force(&records, business, on) {
        Some(record) => MailingAnswer {
            name: record.name.clone(),
            address: Some(record.address.clone()),
            kind: Some(record.kind),
            source: MailingSource::MailingAddress,
        },
        None => {
            let view = view_as_of(&mut tx, survivor, on)
                .await?
                .ok_or(AddresseeError::NotFound)?;
            MailingAnswer {
                name: view.name,
                address: view.address,
                kind: None,
                source: MailingSource::Addressee,
            }
        }
    };
    kiban_audit::append(
        &mut tx,
        &entry(
            actor,
            AuditAction::Read,
            survivor,
            &format!("addressee mailing_address_in_force {}", business.code()),
        ),
    )
    .await?;
    tx.commit().await?;
    if super::read::withheld(tenant, actor, may_override, confirmed, &[survivor], on)
        .await?
        .contains(&survivor)
    {
        answer.address = None;
    }
    Ok(answer)
}

/// Where the letters of `business` to each of `ids` go on `on`, for mass
/// printing (納税通知書 and the like): the mailing address in force for the
/// business, else for all businesses, else the addressee's current name and
/// address from the search index (which the registry's consumer keeps
/// current). Set-based: two statements per 1,000 numbers, whatever their
/// count. Numbers not in the index are left out.
///
/// A letter goes to the person, so an address under a 支援措置 is not
/// withheld here (the measure restricts disclosure to third parties, not the
/// municipality's own mail); the caller writes the access-log entries of the
/// persons it prints for, in its own transaction.
pub async fn letters_for(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
    business: Business,
    on: Date,
) -> Result<BTreeMap<AddresseeId, MailingAnswer>, StoreError> {
    let mut out = BTreeMap::new();
    let mut views = super::index_views(tx, ids).await?;
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let mut by_id: BTreeMap<AddresseeId, Vec<MailingAddress>> = BTreeMap::new();
        for record in records_of(tx, chunk).await? {
            by_id.entry(record.addressee).or_default().push(record);
        }
        for id in chunk {
            let answer = match by_id.get(id).and_then(|r| in_force(r, business, on)) {
                Some(record) => MailingAnswer {
                    name: record.name.clone(),
                    address: Some(record.address.clone()),
                    kind: Some(record.kind),
                    source: MailingSource::MailingAddress,
                },
                None => match views.remove(id) {
                    Some(view) => MailingAnswer {
                        name: view.name,
                        address: view.address,
                        kind: None,
                        source: MailingSource::Addressee,
                    },
                    None => continue,
                },
            };
            out.insert(*id, answer);
        }
    }
    Ok(out)
}
