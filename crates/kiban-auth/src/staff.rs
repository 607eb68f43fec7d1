//! Staff management (職員管理) by the municipality's own administrator:
//! list, disable and enable, reset a password or the second factor, assign
//! a role. Each change is one transaction with its `change` entry in the
//! access log (no person: the entry names the account only), and revokes
//! the account's tokens when it takes rights away.
//!
//! Every function takes the administrator's municipality handle: an
//! account of another municipality is simply not there.

use kiban_audit::{Actor, AuditAction};
use kiban_store::{Arg, StoreError, TenantDb, TenantTx, now_text};

use crate::{AuthError, Role, hash_password, validate_password};

/// One staff account as the staff list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSummary {
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// Whether a second factor is in force.
    pub second_factor: bool,
    /// Whether the account is locked after failed logins.
    pub locked: bool,
}

/// Every staff account of the municipality, by login.
pub async fn list_staff(tenant: &TenantDb) -> Result<Vec<StaffSummary>, AuthError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT login, display_name, role, disabled, totp_enabled, locked_until \
             FROM staff_accounts WHERE municipality_code = $1 ORDER BY login",
            &[],
        )
        .await?;
    tx.commit().await?;
    let now = jiff::Timestamp::now();
    rows.iter()
        .map(|r| {
            let role_code = r.text(2)?;
            Ok(StaffSummary {
                login: r.text(0)?,
                display_name: r.text(1)?,
                role: Role::parse(&role_code).map_err(|_| StoreError::Corrupt {
                    column: "staff_accounts.role".into(),
                    reason: role_code.clone(),
                })?,
                disabled: r.int(3)? != 0,
                second_factor: r.int(4)? != 0,
                locked: r
                    .opt_text(5)?
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .is_some_and(|t| t > now),
            })
        })
        .collect()
}

/// A new random password of 16 characters (letters and digits without the
/// easily confused ones), for a reset.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Runs one change on an existing account, refusing the administrator's
/// own account when `not_self` (so that nobody locks themselves out), then
/// writes the `change` entry and commits.
async fn change(
    tenant: &TenantDb,
    actor: &Actor,
    login: &str,
    not_self: Option<&'static str>,
    detail: String,
    statements: &[(&str, Vec<Arg>)],
) -> Result<(), AuthError> {
    if let Some(field) = not_self
        && actor.login == login
    {
        return Err(AuthError::InvalidInput {
            field,
            problem: crate::AccountProblem::NotOwnAccount,
        });
    }
    let mut tx = tenant.begin().await?;
    let exists = tx
        .fetch_optional(
            "SELECT login FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?
        .is_some();
    if !exists {
        tx.rollback().await?;
        return Err(AuthError::NoSuchAccount(login.to_owned()));
    }
    for (sql, args) in statements {
        tx.execute(sql, args).await?;
    }
    kiban_audit::append(&mut tx, &actor.entry(AuditAction::Change, None, detail)).await?;
    tx.commit().await?;
    Ok(())
}

const REVOKE_TOKENS: &str = "UPDATE staff_tokens SET revoked_at = $3 \
                             WHERE municipality_code = $1 AND login = $2 AND revoked_at IS NULL";

fn revoke_args(login: &str) -> Vec<Arg> {
    vec![Arg::from(login), Arg::Text(now_text())]
}

/// Disables (and logs out) or enables an account.
pub async fn set_disabled(
    tenant: &TenantDb,
    actor: &Actor,
    login: &str,
    disabled: bool,
) -> Result<(), AuthError> {
    let mut statements = vec![(
        "UPDATE staff_accounts SET disabled = $3, failed_logins = 0, locked_until = NULL \
         WHERE municipality_code = $1 AND login = $2",
        vec![Arg::from(login), Arg::Int(i64::from(disabled))],
    )];
    if disabled {
        statements.push((REVOKE_TOKENS, revoke_args(login)));
    }
    let verb = if disabled { "disable" } else { "enable" };
    change(
        tenant,
        actor,
        login,
        Some("disabled"),
        format!("staff_{verb} {login}"),
        &statements,
    )
    .await
}

/// Sets a new password (the account is unlocked and logged out everywhere).
pub async fn reset_password(
    tenant: &TenantDb,
    actor: &Actor,
    login: &str,
    password: &str,
) -> Result<(), AuthError> {
    validate_password(password)?;
    let hash = hash_password(password)?;
    change(
        tenant,
        actor,
        login,
        None,
        format!("staff_reset_password {login}"),
        &[
            (
                "UPDATE staff_accounts SET password_hash = $3, failed_logins = 0, locked_until = NULL \
                 WHERE municipality_code = $1 AND login = $2",
                vec![Arg::from(login), Arg::Text(hash)],
            ),
            (REVOKE_TOKENS, revoke_args(login)),
        ],
    )
    .await
}

/// Removes the account's second factor: it enrols again at its next login
/// (a lost phone). The account is logged out everywhere.
pub async fn reset_second_factor(
    tenant: &TenantDb,
    actor: &Actor,
    login: &str,
) -> Result<(), AuthError> {
    change(
        tenant,
        actor,
        login,
        None,
        format!("staff_reset_second_factor {login}"),
        &[
            (
                "UPDATE staff_accounts SET totp_sealed_secret = NULL, totp_enabled = 0, totp_last_step = NULL \
                 WHERE municipality_code = $1 AND login = $2",
                vec![Arg::from(login)],
            ),
            (REVOKE_TOKENS, revoke_args(login)),
        ],
    )
    .await
}

/// Assigns a role. The account is logged out, so that its next session has
/// the new role's rights (and its second factor, when the role needs one).
pub async fn set_role(
    tenant: &TenantDb,
    actor: &Actor,
    login: &str,
    role: Role,
) -> Result<(), AuthError> {
    change(
        tenant,
        actor,
        login,
        Some("role"),
        format!("staff_set_role {login} {}", role.code()),
        &[
            (
                "UPDATE staff_accounts SET role = $3 WHERE municipality_code = $1 AND login = $2",
                vec![Arg::from(login), Arg::from(role.code())],
            ),
            (REVOKE_TOKENS, revoke_args(login)),
        ],
    )
    .await
}

/// Writes the `change` entry of an account created by an administrator, in
/// the creating transaction.
pub(crate) async fn log_created(
    tx: &mut TenantTx,
    actor: &Actor,
    login: &str,
    role: Role,
) -> Result<(), StoreError> {
    kiban_audit::append(
        tx,
        &actor.entry(
            AuditAction::Change,
            None,
            format!("staff_create {login} {}", role.code()),
        ),
    )
    .await
    .map(|_| ())
}
