//! The second factor (二要素認証): TOTP codes (RFC 6238: HMAC-SHA1, 6
//! digits, 30-second steps), as every authenticator app computes them.
//!
//! The secret is 20 random bytes, sealed with the municipality's data key
//! like a 個人番号 (bound to the account by the associated data
//! `totp|{municipality}|{login}`) in `staff_accounts.totp_sealed_secret`.
//! Enrolment stores a new secret not yet in force; a correct code confirms
//! it. A code is accepted for the step before, the current step and the
//! step after (clock drift), and only for a step later than the last one
//! accepted, so the same code cannot be used twice.

use kiban_store::{Arg, StoreError, TenantTx};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};
use zeroize::Zeroizing;

use crate::AuthError;

/// Seconds per TOTP step.
pub const TOTP_STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "Kiban";

/// A TOTP secret in memory (zeroed when dropped; `Debug` shows nothing).
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// A new random secret of 20 bytes (160 bits, as RFC 4226 recommends).
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = Zeroizing::new(vec![0u8; 20]);
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a secret written in Base32 (as shown at enrolment).
    pub fn from_base32(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        Secret::Encoded(cleaned)
            .to_bytes()
            .ok()
            .filter(|b| b.len() >= 16)
            .map(|b| Self(Zeroizing::new(b)))
    }

    /// The secret in Base32 without padding, for typing into an app.
    pub fn to_base32(&self) -> Zeroizing<String> {
        match Secret::Raw(self.0.to_vec()).to_encoded() {
            Secret::Encoded(text) => Zeroizing::new(text),
            Secret::Raw(_) => Zeroizing::new(String::new()),
        }
    }

    /// The `otpauth://` URI an authenticator app reads from the QR code.
    pub fn otpauth_uri(&self, account: &str) -> Zeroizing<String> {
        let label: String = format!("{TOTP_ISSUER}:{account}")
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        Zeroizing::new(format!(
            "otpauth://totp/{label}?secret={}&issuer={TOTP_ISSUER}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
            self.to_base32().as_str()
        ))
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            TOTP_DIGITS,
            1,
            TOTP_STEP_SECONDS,
            self.0.to_vec(),
        )
    }

    /// The code of time step `step` (Unix seconds divided by 30).
    pub fn code_for_step(&self, step: u64) -> String {
        self.totp().generate(step * TOTP_STEP_SECONDS)
    }

    /// The code at Unix time `unix_seconds` (for tests and tools).
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.code_for_step(unix_seconds / TOTP_STEP_SECONDS)
    }

    /// The step in `current - 1 ..= current + 1` whose code is `code` and
    /// that is later than `last_step`, if any.
    pub fn matching_step(&self, code: &str, current: u64, last_step: Option<u64>) -> Option<u64> {
        let code = code.trim();
        if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut found = None;
        for step in current.saturating_sub(1)..=current + 1 {
            let expected = self.code_for_step(step);
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if equal && last_step.is_none_or(|last| step > last) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// The current TOTP step.
pub fn current_step() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0) / TOTP_STEP_SECONDS
}

fn aad(tx: &TenantTx, login: &str) -> String {
    format!("totp|{}|{login}", tx.municipality())
}

/// Seals a secret for an account.
pub(crate) async fn seal_secret(
    tx: &mut TenantTx,
    login: &str,
    secret: &TotpSecret,
) -> Result<Vec<u8>, StoreError> {
    let aad = aad(tx, login);
    tx.seal(&aad, &secret.0).await
}

/// Opens an account's sealed secret.
pub(crate) async fn open_secret(
    tx: &mut TenantTx,
    login: &str,
    sealed: &[u8],
) -> Result<TotpSecret, StoreError> {
    let aad = aad(tx, login);
    let plain = tx.open(&aad, sealed).await?;
    Ok(TotpSecret(Zeroizing::new(plain.to_vec())))
}

/// An enrolment in progress: the secret to show (QR code and text).
#[derive(Debug)]
pub struct Enrolment {
    /// The secret.
    pub secret: TotpSecret,
}

/// Starts (or continues) the enrolment of an account's second factor:
/// returns the secret not yet in force, creating and storing one when
/// there is none. Fails with [`AuthError::AlreadyEnrolled`] when a second
/// factor is in force.
pub async fn begin_enrolment(
    tenant: &kiban_store::TenantDb,
    login: &str,
) -> Result<Enrolment, AuthError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT totp_enabled, totp_sealed_secret FROM staff_accounts \
             WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if row.int(0)? != 0 {
        tx.rollback().await?;
        return Err(AuthError::AlreadyEnrolled);
    }
    if let Some(sealed) = row.opt_bytes(1)? {
        let secret = open_secret(&mut tx, login, &sealed).await?;
        tx.rollback().await?;
        return Ok(Enrolment { secret });
    }
    let secret = TotpSecret::generate();
    let sealed = seal_secret(&mut tx, login, &secret).await?;
    tx.execute(
        "UPDATE staff_accounts SET totp_sealed_secret = $3, totp_enabled = 0, totp_last_step = NULL \
         WHERE municipality_code = $1 AND login = $2",
        &[Arg::from(login), Arg::Bytes(sealed)],
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment { secret })
}

/// Confirms an enrolment with a code from the app: the second factor is in
/// force from now on. A wrong code changes nothing and fails with
/// [`AuthError::WrongSecondFactor`].
pub async fn confirm_enrolment(
    tenant: &kiban_store::TenantDb,
    login: &str,
    code: &str,
) -> Result<(), AuthError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT totp_enabled, totp_sealed_secret FROM staff_accounts \
             WHERE municipality_code = $1 AND login = $2",
            &[Arg::from(login)],
        )
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    if row.int(0)? != 0 {
        tx.rollback().await?;
        return Err(AuthError::AlreadyEnrolled);
    }
    let Some(sealed) = row.opt_bytes(1)? else {
        tx.rollback().await?;
        return Err(AuthError::WrongSecondFactor);
    };
    let secret = open_secret(&mut tx, login, &sealed).await?;
    let Some(step) = secret.matching_step(code, current_step(), None) else {
        tx.rollback().await?;
        return Err(AuthError::WrongSecondFactor);
    };
    tx.execute(
        "UPDATE staff_accounts SET totp_enabled = 1, totp_last_step = $3 \
         WHERE municipality_code = $1 AND login = $2",
        &[
            Arg::from(login),
            Arg::Int(i64::try_from(step).unwrap_or(i64::MAX)),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890".
        let secret = TotpSecret(Zeroizing::new(b"12345678901234567890".to_vec()));
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1_111_111_109), "081804");
        assert_eq!(secret.code_at(2_000_000_000), "279037");
    }

    #[test]
    fn codes_match_once_within_the_window() {
        let secret = TotpSecret::generate();
        let now = 1_000_000;
        let code = secret.code_for_step(now);
        assert_eq!(secret.matching_step(&code, now, None), Some(now));
        assert_eq!(secret.matching_step(&code, now + 1, None), Some(now));
        assert_eq!(secret.matching_step(&code, now + 2, None), None);
        assert_eq!(secret.matching_step(&code, now, Some(now)), None);
        assert_eq!(secret.matching_step("12345", now, None), None);
        let back = TotpSecret::from_base32(&secret.to_base32()).map(|s| s.code_for_step(now));
        assert_eq!(back.as_deref(), Some(code.as_str()));
        assert!(
            secret
                .otpauth_uri("990019/registry")
                .starts_with("otpauth://totp/Kiban:990019%2Fregistry?secret=")
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(***)");
    }
}
