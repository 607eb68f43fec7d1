//! 口座振替 (direct debit) on the database (migration 0023): the
//! municipality's collection settings and the addressees' bank accounts,
//! each change a new version (`collection_settings`,
//! `collection_bank_accounts`, never updated). A bank account is a
//! person's data: reading or registering one writes its access-log entry
//! in the same transaction.

use kiban_addressee::domain::AddresseeId;
use kiban_audit::{Actor, AuditAction};
use kiban_collection::barcode::Business;
use kiban_collection::direct_debit::{BankAccount, CollectionSettings};
use kiban_core::{Date, Yen};
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};

use crate::rows::{corrupt, int, yen};

/// Settings as stored: the values and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSettings {
    /// The version (1 for the first).
    pub version: i64,
    /// The values.
    pub settings: CollectionSettings,
    /// When they were recorded (RFC 3339).
    pub recorded_at: String,
}

/// A bank account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    /// The addressee.
    pub addressee_id: i64,
    /// The version (1 for the first registration).
    pub version: i64,
    /// The account.
    pub account: BankAccount,
}

/// Why a bank account could not be read or registered.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No addressee of this number in this municipality (or none registered, for a read).
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

const SETTINGS_COLUMNS: &str = "version_no, consignor_code, consignor_name_kana, bank_code, \
     bank_name_kana, branch_code, branch_name_kana, account_type, account_number, demand_fee, recorded_at";

fn settings_row(row: &Row) -> Result<StoredSettings, StoreError> {
    Ok(StoredSettings {
        version: row.int(0)?,
        settings: CollectionSettings {
            consignor_code: row.text(1)?,
            consignor_name_kana: row.text(2)?,
            bank_code: row.text(3)?,
            bank_name_kana: row.text(4)?,
            branch_code: row.text(5)?,
            branch_name_kana: row.text(6)?,
            account_type: row.text(7)?,
            account_number: row.text(8)?,
            demand_fee: Yen::new(row.int(9)?),
        },
        recorded_at: row.text(10)?,
    })
}

/// The settings in force (the highest version), read in `tx`.
pub async fn settings_in_force(tx: &mut TenantTx) -> Result<Option<StoredSettings>, StoreError> {
    tx.fetch_optional(
        &format!(
            "SELECT {SETTINGS_COLUMNS} FROM collection_settings WHERE municipality_code = $1 \
             ORDER BY version_no DESC LIMIT 1"
        ),
        &[],
    )
    .await?
    .map(|r| settings_row(&r))
    .transpose()
}

/// The settings in force, in a read transaction of their own (the
/// municipality's own data: nothing personal, nothing logged).
pub async fn settings(tenant: &TenantDb) -> Result<Option<StoredSettings>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let settings = settings_in_force(&mut tx).await?;
    tx.commit().await?;
    Ok(settings)
}

/// Records new settings as the next version (the change in the access log).
pub async fn put_settings(
    tenant: &TenantDb,
    actor: &Actor,
    settings: &CollectionSettings,
) -> Result<StoredSettings, StoreError> {
    let mut tx = tenant.begin().await?;
    let version = tx
        .fetch_optional(
            "SELECT MAX(version_no) FROM collection_settings WHERE municipality_code = $1",
            &[],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0)
        + 1;
    let at = now_text();
    tx.insert_rows(
        "collection_settings",
        &[
            "version_no",
            "consignor_code",
            "consignor_name_kana",
            "bank_code",
            "bank_name_kana",
            "branch_code",
            "branch_name_kana",
            "account_type",
            "account_number",
            "demand_fee",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            int(version),
            Arg::from(settings.consignor_code.as_str()),
            Arg::from(settings.consignor_name_kana.as_str()),
            Arg::from(settings.bank_code.as_str()),
            Arg::from(settings.bank_name_kana.as_str()),
            Arg::from(settings.branch_code.as_str()),
            Arg::from(settings.branch_name_kana.as_str()),
            Arg::from(settings.account_type.as_str()),
            Arg::from(settings.account_number.as_str()),
            yen(settings.demand_fee),
            Arg::from(at.as_str()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            None,
            format!("collection settings version {version}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StoredSettings {
        version,
        settings: settings.clone(),
        recorded_at: at,
    })
}

const ACCOUNT_COLUMNS: &str = "addressee_id, version_no, bank_code, bank_name_kana, branch_code, \
     branch_name_kana, account_type, account_number, holder_kana, businesses, valid_from";

fn account_row(row: &Row) -> Result<StoredAccount, StoreError> {
    let businesses = row
        .text(9)?
        .split_whitespace()
        .map(|name| Business::from_wire_name(name).ok_or_else(|| corrupt("businesses", name)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StoredAccount {
        addressee_id: row.int(0)?,
        version: row.int(1)?,
        account: BankAccount {
            bank_code: row.text(2)?,
            bank_name_kana: row.text(3)?,
            branch_code: row.text(4)?,
            branch_name_kana: row.text(5)?,
            account_type: row.text(6)?,
            account_number: row.text(7)?,
            holder_kana: row.text(8)?,
            businesses,
            valid_from: row.date(10)?,
        },
    })
}

/// Every registration of the addressees `ids`, read in `tx` without an
/// entry (the caller logs what it uses), by addressee and version.
pub async fn registrations(
    tx: &mut TenantTx,
    ids: &[i64],
) -> Result<Vec<StoredAccount>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(kiban_store::IN_LIST_CHUNK) {
        let args: Vec<Arg> = chunk.iter().map(|id| int(*id)).collect();
        let rows = tx
            .fetch_all(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM collection_bank_accounts \
                     WHERE municipality_code = $1 AND addressee_id IN ({}) \
                     ORDER BY addressee_id, version_no",
                    kiban_store::in_list(2, chunk.len())
                ),
                &args,
            )
            .await?;
        for row in &rows {
            out.push(account_row(row)?);
        }
    }
    Ok(out)
}

/// The account of an addressee in force on `day` (its registration with
/// the latest `valid_from` not after it), logged as a read of the person.
pub async fn account(
    tenant: &TenantDb,
    actor: &Actor,
    addressee_id: i64,
    day: Date,
) -> Result<StoredAccount, AccountError> {
    let mut tx = tenant.begin().await?;
    let all = registrations(&mut tx, &[addressee_id]).await?;
    let pairs: Vec<(i64, BankAccount)> =
        all.iter().map(|a| (a.version, a.account.clone())).collect();
    let Some((version, _)) = kiban_collection::direct_debit::in_force(&pairs, day) else {
        tx.rollback().await?;
        return Err(AccountError::NotFound);
    };
    let Some(found) = all.iter().find(|a| a.version == *version) else {
        tx.rollback().await?;
        return Err(AccountError::NotFound);
    };
    let found = found.clone();
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Read,
            Some(addressee_id),
            format!("collection bank account version {}", found.version),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Registers an addressee's account as its next version, logged as a
/// change of the person in the same transaction.
pub async fn put_account(
    tenant: &TenantDb,
    actor: &Actor,
    addressee_id: i64,
    account: &BankAccount,
) -> Result<StoredAccount, AccountError> {
    let mut tx = tenant.begin().await?;
    let id = u64::try_from(addressee_id).map_err(|_| AccountError::NotFound)?;
    if !kiban_addressee::storage::addressee_exists(&mut tx, AddresseeId::new(id)).await? {
        tx.rollback().await?;
        return Err(AccountError::NotFound);
    }
    let version = tx
        .fetch_optional(
            "SELECT MAX(version_no) FROM collection_bank_accounts WHERE municipality_code = $1 \
             AND addressee_id = $2",
            &[int(addressee_id)],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0)
        + 1;
    let businesses: Vec<&str> = account.businesses.iter().map(|b| b.wire_name()).collect();
    tx.insert_rows(
        "collection_bank_accounts",
        &[
            "addressee_id",
            "version_no",
            "bank_code",
            "bank_name_kana",
            "branch_code",
            "branch_name_kana",
            "account_type",
            "account_number",
            "holder_kana",
            "businesses",
            "valid_from",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            int(addressee_id),
            int(version),
            Arg::from(account.bank_code.as_str()),
            Arg::from(account.bank_name_kana.as_str()),
            Arg::from(account.branch_code.as_str()),
            Arg::from(account.branch_name_kana.as_str()),
            Arg::from(account.account_type.as_str()),
            Arg::from(account.account_number.as_str()),
            Arg::from(account.holder_kana.as_str()),
            Arg::from(businesses.join(" ")),
            Arg::from(account.valid_from),
            Arg::from(now_text()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            Some(addressee_id),
            format!("collection bank account version {version}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StoredAccount {
        addressee_id,
        version,
        account: account.clone(),
    })
}
