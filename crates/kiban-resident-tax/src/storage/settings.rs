//! The settings per fiscal year (`resident_tax_settings`): every `PUT` a
//! new version, the latest in force, the defaults when there is none.

use kiban_audit::{Actor, AuditAction};
use kiban_core::FiscalYear;
use kiban_store::{Arg, StoreError, TenantDb, TenantTx};

use crate::domain::settings::{Settings, SettingsError, SettingsInput};
use crate::wire;

/// Why settings could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum SettingsStoreError {
    /// A value was refused (named).
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: "resident_tax_settings.settings".into(),
        reason: reason.into(),
    }
}

/// The settings in force for the fiscal year inside `tx`: the latest
/// version stored, or the defaults. A year without rule data is an error
/// naming `fiscal_year`.
pub async fn in_force(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
) -> Result<Settings, SettingsStoreError> {
    let row = tx
        .fetch_optional(
            "SELECT settings FROM resident_tax_settings WHERE municipality_code = $1 \
             AND fiscal_year = $2 ORDER BY version_no DESC LIMIT 1",
            &[Arg::Int(i64::from(fiscal_year.start_year()))],
        )
        .await?;
    let input = match row {
        None => SettingsInput::default(),
        Some(row) => {
            let text = row.text(0)?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
            wire::settings_input(&value).map_err(|e| corrupt(e.to_string()))?
        }
    };
    Ok(Settings::from_input(fiscal_year, &input)?)
}

/// [`in_force`] in a read transaction of its own (settings are no
/// personal data: nothing is logged).
pub async fn get(
    tenant: &TenantDb,
    fiscal_year: FiscalYear,
) -> Result<Settings, SettingsStoreError> {
    let mut tx = tenant.begin_read().await?;
    let settings = in_force(&mut tx, fiscal_year).await?;
    tx.commit().await?;
    Ok(settings)
}

/// Stores `input` as the new settings of the year (defaults filled in,
/// every value checked; the earlier versions stay) and returns them.
/// Written to the access log as a change without a person.
pub async fn put(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    input: &SettingsInput,
) -> Result<Settings, SettingsStoreError> {
    let settings = Settings::from_input(fiscal_year, input)?;
    let year = i64::from(fiscal_year.start_year());
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(version_no), 0) FROM resident_tax_settings \
             WHERE municipality_code = $1 AND fiscal_year = $2",
            &[Arg::Int(year)],
        )
        .await?;
    let version = row.map(|r| r.int(0)).transpose()?.unwrap_or(0) + 1;
    tx.insert_rows(
        "resident_tax_settings",
        &[
            "fiscal_year",
            "version_no",
            "settings",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            Arg::Int(year),
            Arg::Int(version),
            Arg::Text(wire::settings_json(&settings).to_string()),
            Arg::Text(kiban_store::now_text()),
            Arg::Text(actor.login.clone()),
        ]],
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            None,
            format!("resident_tax settings {year} version {version}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(settings)
}
