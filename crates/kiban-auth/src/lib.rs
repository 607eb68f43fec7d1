//! Accounts, roles, passwords and tokens (認証・権限).
//!
//! Staff accounts (職員) belong to one municipality and are stored in its
//! tenant tables; operator accounts (運用事業者) belong to none and can run the
//! service but never read resident data. Passwords are hashed with Argon2id;
//! bearer tokens and browser sessions are random secrets of which only the
//! SHA-256 digest is stored. A token names its municipality
//! (`kbn_990019_<id>_<secret>`), so it is looked up through that
//! municipality's tenant handle only.

pub mod assertion;
pub mod clients;
mod password;
mod roles;
mod second_factor;
mod staff;
mod tokens;

pub use password::{hash_password, spend_verification_time, verify_password};
pub use roles::{CLIENT_ROLE_CODE, Permission, Principal, Role};
pub use second_factor::{
    Enrolment, TOTP_DIGITS, TOTP_STEP_SECONDS, TotpSecret, begin_enrolment, confirm_enrolment,
    current_step,
};
pub use staff::{
    StaffSummary, generate_password, list_staff, reset_password, reset_second_factor, set_disabled,
    set_role,
};
pub use tokens::{IssuedToken, TokenKind, TokenParts};

use kiban_core::MunicipalityCode;
use kiban_store::platform::{self, OperatorAccount};
use kiban_store::{Arg, Database, StoreError, TenantDb, now_text};

/// Why an authentication or account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong login, wrong password, unknown or expired token: one answer for
    /// all, so that nobody learns whether a login exists.
    #[error("wrong login or password")]
    InvalidCredentials,
    /// Too many failures: the account is locked for a while.
    #[error("locked after too many failed logins")]
    Locked,
    /// A value given for an account is not acceptable.
    #[error("{field}: {problem}")]
    InvalidInput {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        problem: AccountProblem,
    },
    /// The account exists already.
    #[error("login {0:?} is taken")]
    Duplicate(String),
    /// The password was right but the second-factor code (確認コード) is
    /// missing, wrong or already used.
    #[error("wrong or reused second-factor code")]
    WrongSecondFactor,
    /// The account's second factor is already in force (enrolment is over;
    /// an administrator can reset it).
    #[error("the second factor is already enrolled")]
    AlreadyEnrolled,
    /// No such account in the municipality (staff management).
    #[error("no staff account {0:?}")]
    NoSuchAccount(String),
    /// No such system client in the municipality.
    #[error("no system client {0:?}")]
    NoSuchClient(String),
    /// A system client's authentication failed at the token or
    /// introspection endpoint (an unknown client, a wrong secret and a
    /// disabled client are all [`assertion::AssertionProblem::Signature`]).
    #[error("client authentication refused: {0}")]
    ClientRefused(assertion::AssertionProblem),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    /// The catalogue's message for clerks (none for a storage failure).
    pub fn message(&self) -> Option<kiban_core::Message> {
        use kiban_core::Message as M;
        Some(match self {
            AuthError::InvalidCredentials => M::InvalidCredentials {},
            AuthError::Locked => M::TooManyAttempts {},
            AuthError::InvalidInput { problem, .. } => problem.message(),
            AuthError::Duplicate(login) => M::LoginTaken {
                login: login.clone(),
            },
            AuthError::WrongSecondFactor => M::WrongSecondFactor {},
            AuthError::AlreadyEnrolled => M::AlreadyEnrolled {},
            AuthError::NoSuchAccount(login) => M::NoSuchAccount {
                login: login.clone(),
            },
            AuthError::NoSuchClient(client_id) => M::NoSuchClient {
                client_id: client_id.clone(),
            },
            AuthError::ClientRefused(_) => M::Unauthorized {},
            AuthError::Store(_) => return None,
        })
    }
}

/// Why a value given for an account is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountProblem {
    /// A login of other characters than ASCII letters, digits and `._-`,
    /// or longer than 64.
    #[error("a login is 1 to 64 ASCII letters, digits and . _ -")]
    LoginForm,
    /// A password shorter than 12 or longer than 256 characters.
    #[error("a password is 12 to 256 characters")]
    PasswordLength,
    /// A display name empty or longer than 100 characters.
    #[error("a display name is 1 to 100 characters")]
    DisplayNameLength,
    /// An administrator acting on their own account.
    #[error("not on one's own account")]
    NotOwnAccount,
    /// A role code that does not exist.
    #[error("no role {0:?}")]
    UnknownRole(String),
    /// The password could not be hashed (the hasher's words).
    #[error("password not hashed: {0}")]
    Hashing(String),
    /// A system client's name empty or longer than 100 characters.
    #[error("a client name is 1 to 100 characters")]
    ClientNameLength,
    /// A scope not of the form `business:resource:operation`.
    #[error("scope {0:?} is not business:resource:operation in lower case")]
    ScopeForm(String),
    /// A system client without a scope.
    #[error("a client needs at least one scope")]
    NoScopes,
}

impl AccountProblem {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            AccountProblem::LoginForm => M::AccountLoginForm {},
            AccountProblem::PasswordLength => M::AccountPasswordLength {},
            AccountProblem::DisplayNameLength => M::AccountDisplayNameLength {},
            AccountProblem::NotOwnAccount => M::AccountNotOwn {},
            AccountProblem::UnknownRole(role) => roles::unknown_role(role),
            AccountProblem::Hashing(detail) => M::AccountValue {
                detail: detail.clone(),
            },
            AccountProblem::ClientNameLength => M::ClientNameLength {},
            AccountProblem::ScopeForm(scope) => M::ScopeForm {
                scope: scope.clone(),
            },
            AccountProblem::NoScopes => M::NoScopes {},
        }
    }
}

/// Failed logins after which an account is locked.
pub const LOCKOUT_THRESHOLD: i64 = 5;
/// How long a lockout lasts, in minutes.
pub const LOCKOUT_MINUTES: i64 = 15;

/// A staff account as stored (the password hash stays inside this crate's
/// callers only for verification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    /// Login name, unique within the municipality.
    pub login: String,
    /// Name shown in the header.
    pub display_name: String,
    /// The account's role.
    pub role: Role,
    /// Whether the account is disabled.
    pub disabled: bool,
}

fn validate_login(login: &str) -> Result<(), AuthError> {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidInput {
            field: "login",
            problem: AccountProblem::LoginForm,
        })
    }
}

fn validate_password(password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if !(12..=256).contains(&chars) {
        return Err(AuthError::InvalidInput {
            field: "password",
            problem: AccountProblem::PasswordLength,
        });
    }
    Ok(())
}

/// Creates a staff account in the municipality of `tenant` (operator-side:
/// the CLI and set-up).
pub async fn create_staff(
    tenant: &TenantDb,
    login: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<StaffAccount, AuthError> {
    insert_staff(tenant, None, login, display_name, role, password).await
}

/// Creates a staff account on behalf of the municipality's administrator,
/// with a `change` entry in the access log.
pub async fn create_staff_by(
    tenant: &TenantDb,
    actor: &kiban_audit::Actor,
    login: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<StaffAccount, AuthError> {
    insert_staff(tenant, Some(actor), login, display_name, role, password).await
}

async fn insert_staff(
    tenant: &TenantDb,
    actor: Option<&kiban_audit::Actor>,
    login: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<StaffAccount, AuthError> {
    if display_name.trim().is_empty() || display_name.chars().count() > 100 {
        return Err(AuthError::InvalidInput {
            field: "display_name",
            problem: AccountProblem::DisplayNameLength,
        });
    }
    validate_login(login)?;
    validate_password(password)?;
    let hash = hash_password(password)?;
    let mut tx = tenant.begin().await?;
    let existing = tx
        .fetch_optional(
            "SELECT login FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?;
    if existing.is_some() {
        return Err(AuthError::Duplicate(login.to_owned()));
    }
    tx.execute(
        "INSERT INTO staff_accounts (municipality_code, login, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Arg::from(login),
            Arg::from(display_name),
            Arg::from(role.code()),
            Arg::from(hash),
            Arg::Text(now_text()),
        ],
    )
    .await?;
    if let Some(actor) = actor {
        staff::log_created(&mut tx, actor, login, role).await?;
    }
    tx.commit().await?;
    Ok(StaffAccount {
        login: login.to_owned(),
        display_name: display_name.to_owned(),
        role,
        disabled: false,
    })
}

/// Finds a staff account.
pub async fn find_staff(tenant: &TenantDb, login: &str) -> Result<Option<StaffAccount>, AuthError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            "SELECT login, display_name, role, disabled FROM staff_accounts \
             WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?;
    tx.commit().await?;
    row.map(|r| {
        let role_code = r.text(2)?;
        Ok(StaffAccount {
            login: r.text(0)?,
            display_name: r.text(1)?,
            role: Role::parse(&role_code).map_err(|_| StoreError::Corrupt {
                column: "staff_accounts.role".into(),
                reason: role_code.clone(),
            })?,
            disabled: r.int(3)? != 0,
        })
    })
    .transpose()
}

/// Checks a staff member's password, counting failures and locking the
/// account after [`LOCKOUT_THRESHOLD`] of them. An unknown login costs the
/// same hashing time as a known one.
pub async fn verify_staff_password(
    tenant: &TenantDb,
    login: &str,
    password: &str,
) -> Result<StaffAccount, AuthError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT login, display_name, role, disabled, password_hash, failed_logins, locked_until \
             FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?;
    let Some(row) = row else {
        // Spend the same time as a real verification.
        spend_verification_time(password);
        tx.rollback().await?;
        return Err(AuthError::InvalidCredentials);
    };
    let now = jiff::Timestamp::now();
    if let Some(until) = row.opt_text(6)?
        && until.parse::<jiff::Timestamp>().is_ok_and(|t| t > now)
    {
        tx.rollback().await?;
        return Err(AuthError::Locked);
    }
    let hash = row.text(4)?;
    let disabled = row.int(3)? != 0;
    if disabled || !verify_password(password, &hash) {
        let failures = row.int(5)? + 1;
        let locked_until = (failures >= LOCKOUT_THRESHOLD)
            .then(|| (now + jiff::SignedDuration::from_mins(LOCKOUT_MINUTES)).to_string());
        tx.execute(
            "UPDATE staff_accounts SET failed_logins = $3, locked_until = $4 \
             WHERE municipality_code = $1 AND login = $2",
            &[
                Arg::from(login),
                Arg::Int(failures),
                Arg::from(locked_until),
            ],
        )
        .await?;
        tx.commit().await?;
        return Err(AuthError::InvalidCredentials);
    }
    tx.execute(
        "UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL \
         WHERE municipality_code = $1 AND login = $2",
        &[Arg::from(login)],
    )
    .await?;
    tx.commit().await?;
    let role_code = row.text(2)?;
    Ok(StaffAccount {
        login: row.text(0)?,
        display_name: row.text(1)?,
        role: Role::parse(&role_code).map_err(|_| StoreError::Corrupt {
            column: "staff_accounts.role".into(),
            reason: role_code.clone(),
        })?,
        disabled,
    })
}

/// The result of a staff login whose password (and, when in force, second
/// factor) was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in.
    Complete(StaffAccount),
    /// The role needs a second factor that the account has not enrolled
    /// yet: the caller may open the enrolment screen only.
    EnrolmentRequired(StaffAccount),
}

/// Logs a staff member in: password, then the second factor (TOTP) when it
/// is in force, in one transaction. Failures count towards the lockout like
/// wrong passwords; a used code is refused (replay). An unknown login
/// costs the same hashing time as a known one.
pub async fn login_staff(
    tenant: &TenantDb,
    login: &str,
    password: &str,
    otp: Option<&str>,
) -> Result<LoginOutcome, AuthError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT login, display_name, role, disabled, password_hash, failed_logins, locked_until,              totp_enabled, totp_sealed_secret, totp_last_step              FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?;
    let Some(row) = row else {
        spend_verification_time(password);
        tx.rollback().await?;
        return Err(AuthError::InvalidCredentials);
    };
    let now = jiff::Timestamp::now();
    if let Some(until) = row.opt_text(6)?
        && until.parse::<jiff::Timestamp>().is_ok_and(|t| t > now)
    {
        tx.rollback().await?;
        return Err(AuthError::Locked);
    }
    let failures = row.int(5)? + 1;
    let count_failure = |failures: i64| {
        (failures >= LOCKOUT_THRESHOLD)
            .then(|| (now + jiff::SignedDuration::from_mins(LOCKOUT_MINUTES)).to_string())
    };
    const FAIL: &str = "UPDATE staff_accounts SET failed_logins = $3, locked_until = $4 \
                        WHERE municipality_code = $1 AND login = $2";
    let disabled = row.int(3)? != 0;
    if disabled || !verify_password(password, &row.text(4)?) {
        tx.execute(
            FAIL,
            &[
                Arg::from(login),
                Arg::Int(failures),
                Arg::from(count_failure(failures)),
            ],
        )
        .await?;
        tx.commit().await?;
        return Err(AuthError::InvalidCredentials);
    }
    let role_code = row.text(2)?;
    let account = StaffAccount {
        login: row.text(0)?,
        display_name: row.text(1)?,
        role: Role::parse(&role_code).map_err(|_| StoreError::Corrupt {
            column: "staff_accounts.role".into(),
            reason: role_code.clone(),
        })?,
        disabled,
    };
    let enrolled = row.int(7)? != 0;
    let mut accepted_step = None;
    if enrolled {
        let sealed = row.opt_bytes(8)?.ok_or_else(|| StoreError::Corrupt {
            column: "staff_accounts.totp_sealed_secret".into(),
            reason: "enabled without a secret".into(),
        })?;
        let secret = second_factor::open_secret(&mut tx, login, &sealed).await?;
        let last = row.opt_int(9)?.and_then(|s| u64::try_from(s).ok());
        accepted_step = otp.and_then(|code| secret.matching_step(code, current_step(), last));
        if accepted_step.is_none() {
            tx.execute(
                FAIL,
                &[
                    Arg::from(login),
                    Arg::Int(failures),
                    Arg::from(count_failure(failures)),
                ],
            )
            .await?;
            tx.commit().await?;
            return Err(AuthError::WrongSecondFactor);
        }
    }
    tx.execute(
        "UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL,          totp_last_step = COALESCE($3, totp_last_step)          WHERE municipality_code = $1 AND login = $2",
        &[
            Arg::from(login),
            match accepted_step.and_then(|s| i64::try_from(s).ok()) {
                Some(step) => Arg::Int(step),
                None => Arg::NullInt,
            },
        ],
    )
    .await?;
    tx.commit().await?;
    if !enrolled && account.role.requires_second_factor() {
        return Ok(LoginOutcome::EnrolmentRequired(account));
    }
    Ok(LoginOutcome::Complete(account))
}

/// Creates a service operator account.
pub async fn create_operator(db: &Database, login: &str, password: &str) -> Result<(), AuthError> {
    validate_login(login)?;
    validate_password(password)?;
    let account = OperatorAccount {
        login: login.to_owned(),
        display_name: login.to_owned(),
        password_hash: hash_password(password)?,
        disabled: false,
    };
    platform::create_operator(db, &account)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AuthError::Duplicate(login.to_owned()),
            other => AuthError::Store(other),
        })
}

/// Issues a token for a staff account (API bearer token or browser session).
pub async fn issue_staff_token(
    tenant: &TenantDb,
    login: &str,
    kind: TokenKind,
    ttl: jiff::SignedDuration,
) -> Result<IssuedToken, AuthError> {
    issue_token(tenant, login, kind, false, ttl).await
}

/// Issues a browser session that opens the second-factor enrolment screen
/// and nothing else (after a correct password, before enrolment).
pub async fn issue_enrolment_session(
    tenant: &TenantDb,
    login: &str,
    ttl: jiff::SignedDuration,
) -> Result<IssuedToken, AuthError> {
    issue_token(tenant, login, TokenKind::Session, true, ttl).await
}

async fn issue_token(
    tenant: &TenantDb,
    login: &str,
    kind: TokenKind,
    enrolment_only: bool,
    ttl: jiff::SignedDuration,
) -> Result<IssuedToken, AuthError> {
    let account = find_staff(tenant, login)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if account.disabled {
        return Err(AuthError::InvalidCredentials);
    }
    let parts = TokenParts::generate(Some(tenant.municipality()));
    let expires_at = jiff::Timestamp::now() + ttl;
    let now = now_text();
    let mut tx = tenant.begin().await?;
    tx.execute(
        "INSERT INTO staff_tokens (municipality_code, token_id, login, kind, secret_sha256, created_at, expires_at, last_used_at, enrolment_only) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            Arg::from(parts.token_id.as_str()),
            Arg::from(login),
            Arg::from(kind.code()),
            Arg::from(parts.secret_digest()),
            Arg::Text(now.clone()),
            Arg::Text(expires_at.to_string()),
            Arg::Text(now),
            Arg::Int(i64::from(enrolment_only)),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedToken {
        token: parts.to_token(),
        token_id: parts.token_id,
        expires_at,
    })
}

/// Issues a token for an operator account.
pub async fn issue_operator_token(
    db: &Database,
    login: &str,
    kind: TokenKind,
    ttl: jiff::SignedDuration,
) -> Result<IssuedToken, AuthError> {
    let account = platform::find_operator(db, login)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if account.disabled {
        return Err(AuthError::InvalidCredentials);
    }
    let parts = TokenParts::generate(None);
    let expires_at = jiff::Timestamp::now() + ttl;
    platform::insert_operator_token(
        db,
        &platform::StoredToken {
            token_id: parts.token_id.clone(),
            login: login.to_owned(),
            kind: kind.code().to_owned(),
            secret_sha256: parts.secret_digest(),
            expires_at: expires_at.to_string(),
            last_used_at: now_text(),
            revoked_at: None,
        },
    )
    .await?;
    Ok(IssuedToken {
        token: parts.to_token(),
        token_id: parts.token_id,
        expires_at,
    })
}

/// Verifies an operator's password (operators have no lockout counter of
/// their own yet; they are few and their accounts are created by hand).
pub async fn verify_operator_password(
    db: &Database,
    login: &str,
    password: &str,
) -> Result<(), AuthError> {
    match platform::find_operator(db, login).await? {
        Some(account) if !account.disabled && verify_password(password, &account.password_hash) => {
            Ok(())
        }
        Some(_) => Err(AuthError::InvalidCredentials),
        None => {
            spend_verification_time(password);
            Err(AuthError::InvalidCredentials)
        }
    }
}

/// Resolves a bearer token or session cookie value to the acting principal.
/// Expired, revoked, malformed and unknown tokens are all
/// [`AuthError::InvalidCredentials`].
pub async fn authenticate(
    db: &Database,
    token: &str,
    kind: TokenKind,
) -> Result<Principal, AuthError> {
    authenticate_with(db, token, kind, None, false).await
}

/// Like [`authenticate`], and also refuses a token unused for longer than
/// `idle` (the idle timeout of browser sessions).
pub async fn authenticate_idle(
    db: &Database,
    token: &str,
    kind: TokenKind,
    idle: jiff::SignedDuration,
) -> Result<Principal, AuthError> {
    authenticate_with(db, token, kind, Some(idle), false).await
}

/// Resolves an enrolment-only session (see [`issue_enrolment_session`]);
/// every other token is [`AuthError::InvalidCredentials`] here.
pub async fn authenticate_enrolment(db: &Database, token: &str) -> Result<Principal, AuthError> {
    authenticate_with(db, token, TokenKind::Session, None, true).await
}

/// Whether a token last used at `last_used` (RFC 3339) has been idle for
/// longer than `idle`.
fn idle_expired(last_used: &str, idle: Option<jiff::SignedDuration>, now: jiff::Timestamp) -> bool {
    match idle {
        None => false,
        Some(idle) => last_used
            .parse::<jiff::Timestamp>()
            .map_or(true, |t| now.duration_since(t) > idle),
    }
}

async fn authenticate_with(
    db: &Database,
    token: &str,
    kind: TokenKind,
    idle: Option<jiff::SignedDuration>,
    enrolment: bool,
) -> Result<Principal, AuthError> {
    if clients::is_access_token(token) {
        // A system client's access token: API only, never a session.
        if kind != TokenKind::Api || enrolment {
            return Err(AuthError::InvalidCredentials);
        }
        return clients::authenticate_access_token(db, token).await;
    }
    let parts = TokenParts::parse(token).ok_or(AuthError::InvalidCredentials)?;
    let now = jiff::Timestamp::now();
    match parts.municipality {
        None => {
            let stored = platform::find_operator_token(db, &parts.token_id)
                .await?
                .ok_or(AuthError::InvalidCredentials)?;
            let valid = !enrolment
                && stored.revoked_at.is_none()
                && !idle_expired(&stored.last_used_at, idle, now)
                && stored.kind == kind.code()
                && parts.matches_digest(&stored.secret_sha256)
                && stored
                    .expires_at
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t > now);
            if !valid {
                return Err(AuthError::InvalidCredentials);
            }
            platform::touch_operator_token(db, &parts.token_id).await?;
            Ok(Principal::Operator {
                login: stored.login,
                token_id: parts.token_id,
            })
        }
        Some(code) => {
            let tenant = match db.tenant(code).await {
                Ok(t) => t,
                Err(StoreError::UnknownMunicipality(_)) => {
                    return Err(AuthError::InvalidCredentials);
                }
                Err(e) => return Err(e.into()),
            };
            // One statement on its own: checked on every request.
            let row = tenant
                .fetch_one_statement(
                    "SELECT t.login, t.kind, t.secret_sha256, t.expires_at, t.revoked_at, a.role, a.disabled, a.display_name, t.last_used_at, t.enrolment_only \
                     FROM staff_tokens t JOIN staff_accounts a \
                       ON a.municipality_code = t.municipality_code AND a.login = t.login \
                     WHERE t.municipality_code = $1 AND t.token_id = $2",
                    &[Arg::from(parts.token_id.as_str())],
                )
                .await?;
            let Some(row) = row else {
                return Err(AuthError::InvalidCredentials);
            };
            let valid = row.opt_text(4)?.is_none()
                && row.text(1)? == kind.code()
                && parts.matches_digest(&row.text(2)?)
                && row
                    .text(3)?
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t > now)
                && row.int(6)? == 0
                && (row.int(9)? != 0) == enrolment
                && !idle_expired(&row.text(8)?, idle, now);
            if !valid {
                return Err(AuthError::InvalidCredentials);
            }
            // Record use at most once a minute, so that reads do not all
            // become writes.
            let stale = row.text(8)?.parse::<jiff::Timestamp>().map_or(true, |t| {
                now.duration_since(t) > jiff::SignedDuration::from_secs(60)
            });
            if stale {
                let mut tx = tenant.begin().await?;
                tx.execute(
                    "UPDATE staff_tokens SET last_used_at = $3 WHERE municipality_code = $1 AND token_id = $2",
                    &[Arg::from(parts.token_id.as_str()), Arg::Text(now_text())],
                )
                .await?;
                tx.commit().await?;
            }
            let role_code = row.text(5)?;
            Ok(Principal::Staff {
                municipality: code,
                login: row.text(0)?,
                display_name: row.text(7)?,
                role: Role::parse(&role_code).map_err(|_| StoreError::Corrupt {
                    column: "staff_accounts.role".into(),
                    reason: role_code.clone(),
                })?,
                token_id: parts.token_id,
            })
        }
    }
}

/// Revokes the token a principal is using (logout).
pub async fn revoke(db: &Database, principal: &Principal) -> Result<(), AuthError> {
    match principal {
        Principal::Operator { token_id, .. } => {
            platform::revoke_operator_token(db, token_id).await?;
        }
        Principal::Staff {
            municipality,
            token_id,
            ..
        } => {
            let tenant = db.tenant(*municipality).await?;
            let mut tx = tenant.begin().await?;
            tx.execute(
                "UPDATE staff_tokens SET revoked_at = $3 \
                 WHERE municipality_code = $1 AND token_id = $2 AND revoked_at IS NULL",
                &[Arg::from(token_id.as_str()), Arg::Text(now_text())],
            )
            .await?;
            tx.commit().await?;
        }
        Principal::Client {
            municipality,
            token_id,
            ..
        } => clients::revoke_access_token(db, *municipality, token_id).await?,
    }
    Ok(())
}

/// The municipality a token claims, without checking it (for routing and
/// rate limiting only).
pub fn token_municipality(token: &str) -> Option<MunicipalityCode> {
    if clients::is_access_token(token) {
        return token
            .trim()
            .strip_prefix(clients::ACCESS_TOKEN_PREFIX)
            .and_then(|rest| rest.get(..6))
            .and_then(|m| MunicipalityCode::parse(m).ok());
    }
    TokenParts::parse(token).and_then(|p| p.municipality)
}
