//! Password hashing with Argon2id.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::AuthError;

/// A valid Argon2id hash of a random password, verified against when a login
/// does not exist so that both cases take the same time.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YpDpFsN0MqVqPZMX3cvEb9bZI9R+7x4vu7wJ9Y3ZbWY";

/// Hashes a password with Argon2id and a random salt; returns the PHC string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::InvalidInput {
            field: "password",
            problem: crate::AccountProblem::Hashing(e.to_string()),
        })
}

/// Spends the time of one password verification without an account, so
/// that a login that cannot exist (unknown login or municipality) answers
/// as slowly as a wrong password and reveals nothing by its timing.
pub fn spend_verification_time(password: &str) {
    let _ = verify_password(password, DUMMY_HASH);
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
        // The dummy hash parses, so the unknown-login path costs a real verification.
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
