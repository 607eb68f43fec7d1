//! Finding addressees for records that come from elsewhere (income
//! records, returned mail, other systems' files): by 個人番号 through its
//! keyed hash, or by フリガナ, 生年月日 and 住所 through the matching keys
//! of the index ([`crate::domain::keys`]). Numbers only: these write no
//! access-log entry; the caller logs what it then reads or records about
//! the persons found.

use std::collections::{BTreeMap, BTreeSet};

use kiban_core::{Date, IndividualNumber};
use kiban_registry::domain::PersonId;
use kiban_registry::port::RegistryReads;
use kiban_store::{Arg, IN_LIST_CHUNK, StoreError, TenantTx, in_list};

use crate::domain::AddresseeId;
use crate::domain::keys::{KeyField, address_key, kana_key};

use super::{NUMBER_HASH_DOMAIN, id_arg, id_of, links_of};

/// What a record says of a person, to find the addressee by the 基本4情報
/// without the 氏名 in kanji (written too differently between systems).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicKeys<'a> {
    /// フリガナ as written.
    pub name_kana: &'a str,
    /// 生年月日.
    pub birth_date: Date,
    /// 住所 as written.
    pub address_line: &'a str,
}

/// The addressees whose current or past フリガナ, 生年月日 and 住所 each
/// equal those of a query once folded into matching keys (character width,
/// spaces, script and voiced marks of the フリガナ; width, spaces and the
/// 丁目・番地・号 separators of the address), in the order asked. Each
/// addressee is answered by its surviving number of 名寄せ, once, in number
/// order. A query with an empty key matches nobody.
pub async fn addressees_matching(
    tx: &mut TenantTx,
    queries: &[BasicKeys<'_>],
) -> Result<Vec<Vec<AddresseeId>>, StoreError> {
    let keyed: Vec<(String, String, String)> = queries
        .iter()
        .map(|q| {
            (
                kana_key(q.name_kana),
                q.birth_date.to_string(),
                address_key(q.address_line),
            )
        })
        .collect();
    let kana: BTreeSet<&str> = keyed
        .iter()
        .filter(|(k, _, a)| !k.is_empty() && !a.is_empty())
        .map(|(k, _, _)| k.as_str())
        .collect();
    let kana: Vec<&str> = kana.into_iter().collect();
    let mut by_kana: BTreeMap<String, Vec<AddresseeId>> = BTreeMap::new();
    for chunk in kana.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT key, addressee_id FROM addressee_keys \
             WHERE municipality_code = $1 AND field = $2 AND key IN ({})",
            in_list(3, chunk.len())
        );
        let mut args = vec![Arg::from(KeyField::NameKana.code())];
        args.extend(chunk.iter().map(|k| Arg::from(*k)));
        for row in tx.fetch_all(&sql, &args).await? {
            by_kana
                .entry(row.text(0)?)
                .or_default()
                .push(id_of(&row, 1)?);
        }
    }
    let candidates: BTreeSet<AddresseeId> = by_kana.values().flatten().copied().collect();
    let candidates: Vec<AddresseeId> = candidates.into_iter().collect();
    let mut other_keys: BTreeSet<(AddresseeId, &'static str, String)> = BTreeSet::new();
    for chunk in candidates.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT addressee_id, field, key FROM addressee_keys \
             WHERE municipality_code = $1 AND addressee_id IN ({}) AND field IN ($2, $3)",
            in_list(4, chunk.len())
        );
        let mut args = vec![
            Arg::from(KeyField::BirthDate.code()),
            Arg::from(KeyField::Address.code()),
        ];
        args.extend(chunk.iter().copied().map(id_arg));
        for row in tx.fetch_all(&sql, &args).await? {
            let field = match KeyField::from_code(&row.text(1)?) {
                Some(KeyField::BirthDate) => KeyField::BirthDate.code(),
                Some(KeyField::Address) => KeyField::Address.code(),
                _ => continue,
            };
            other_keys.insert((id_of(&row, 0)?, field, row.text(2)?));
        }
    }
    let mut found: Vec<Vec<AddresseeId>> = keyed
        .iter()
        .map(|(k, birth, address)| {
            if k.is_empty() || address.is_empty() {
                return Vec::new();
            }
            by_kana
                .get(k)
                .map(|ids| {
                    ids.iter()
                        .copied()
                        .filter(|id| {
                            other_keys.contains(&(*id, KeyField::BirthDate.code(), birth.clone()))
                                && other_keys.contains(&(
                                    *id,
                                    KeyField::Address.code(),
                                    address.clone(),
                                ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    to_survivors(tx, &mut found).await?;
    Ok(found)
}

/// The addressees whose current 個人番号 is each of `numbers`, in the order
/// asked: residents and former residents through the registry's port,
/// non-residents from the addressee master, each by its surviving number
/// of 名寄せ, once, in number order (normally one or none).
pub async fn addressees_with_individual_numbers(
    tx: &mut TenantTx,
    numbers: &[IndividualNumber],
) -> Result<Vec<Vec<AddresseeId>>, StoreError> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let persons = RegistryReads::within(tx)
        .persons_with_individual_numbers(numbers)
        .await?;
    let values: Vec<&[u8]> = numbers.iter().map(|n| n.as_str().as_bytes()).collect();
    let hashes = tx.keyed_hashes(NUMBER_HASH_DOMAIN, &values).await?;
    let mut distinct: Vec<&String> = hashes.iter().collect();
    distinct.sort();
    distinct.dedup();
    let mut by_hash: BTreeMap<String, Vec<AddresseeId>> = BTreeMap::new();
    for chunk in distinct.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT n.number_hash, n.addressee_id FROM addressee_individual_numbers n \
             WHERE n.municipality_code = $1 AND n.number_hash IN ({}) AND n.version_no = \
               (SELECT MAX(l.version_no) FROM addressee_individual_numbers l \
                WHERE l.municipality_code = $1 AND l.addressee_id = n.addressee_id)",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|h| Arg::Text((*h).clone())).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            by_hash
                .entry(row.text(0)?)
                .or_default()
                .push(id_of(&row, 1)?);
        }
    }
    let mut found: Vec<Vec<AddresseeId>> = persons
        .into_iter()
        .zip(&hashes)
        .map(|(residents, hash)| {
            let mut ids: Vec<AddresseeId> = residents
                .into_iter()
                .map(|p: PersonId| AddresseeId::new(p.get()))
                .collect();
            ids.extend(by_hash.get(hash).into_iter().flatten().copied());
            ids
        })
        .collect();
    to_survivors(tx, &mut found).await?;
    Ok(found)
}

/// Replaces every number by its surviving number of 名寄せ, then sorts and
/// dedups each list.
async fn to_survivors(tx: &mut TenantTx, found: &mut [Vec<AddresseeId>]) -> Result<(), StoreError> {
    let all: BTreeSet<AddresseeId> = found.iter().flatten().copied().collect();
    let all: Vec<AddresseeId> = all.into_iter().collect();
    let links = if all.is_empty() {
        BTreeMap::new()
    } else {
        links_of(tx, &all).await?
    };
    for ids in found.iter_mut() {
        for id in ids.iter_mut() {
            if let Some(into) = links.get(id) {
                *id = *into;
            }
        }
        ids.sort();
        ids.dedup();
    }
    Ok(())
}
