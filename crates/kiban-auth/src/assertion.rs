//! Client assertions of `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect
//! Core §9): a JWS in compact form, signed with HMAC-SHA256 under the
//! client secret. Only `HS256` is accepted (the standard's 署名アルゴリズム);
//! `none` and every other algorithm are refused before any key is used.
//!
//! This is deliberately small and strict rather than a general JWT
//! library: one algorithm, the header must name it, no critical
//! extensions, the signature compared in constant time (`hmac`'s
//! `verify_slice`) before any claim is believed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Why a client assertion is refused (the token endpoint answers
/// `invalid_client` for each; the Display is its `error_description`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssertionProblem {
    /// Not three base64url parts of JSON objects.
    #[error("the client assertion is not a well-formed JWT")]
    Malformed,
    /// The header's `alg` is not `HS256` (`none`, `HS512`, …), or it
    /// carries critical extensions.
    #[error("the client assertion must be signed with HS256")]
    Algorithm,
    /// `iss` and `sub` are not both the client id.
    #[error("the client assertion's iss and sub must both be the client_id")]
    Issuer,
    /// `aud` does not name this token endpoint.
    #[error("the client assertion's aud must be this token endpoint")]
    Audience,
    /// `exp` or `jti` is missing or of the wrong type.
    #[error("the client assertion needs exp and jti")]
    MissingClaim,
    /// `exp` is past.
    #[error("the client assertion has expired")]
    Expired,
    /// `exp` is more than [`MAX_ASSERTION_SECONDS`] ahead, or `nbf` is
    /// still ahead.
    #[error("the client assertion's validity period is not acceptable")]
    Period,
    /// The signature is not the HMAC of the client secret (reported like
    /// a wrong secret).
    #[error("client authentication failed")]
    Signature,
    /// Its `jti` was used before.
    #[error("the client assertion was already used (jti)")]
    Replayed,
}

/// The longest an assertion may be valid from now: its `jti` is kept until
/// its `exp`, so the table of used ones stays small.
pub const MAX_ASSERTION_SECONDS: i64 = 24 * 3600;

/// The longest `jti` kept.
const MAX_JTI_LEN: usize = 200;

/// A client assertion split, its claims read but not yet trusted.
#[derive(Debug, Clone)]
pub struct UnverifiedAssertion {
    signing_input: String,
    signature: Vec<u8>,
    claims: serde_json::Map<String, Value>,
}

/// The claims of an assertion that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedAssertion {
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`, seconds since the epoch.
    pub exp: i64,
}

fn json_part(part: &str) -> Result<serde_json::Map<String, Value>, AssertionProblem> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AssertionProblem::Malformed)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AssertionProblem::Malformed),
    }
}

/// A numeric date claim (seconds since the epoch; a fraction is cut).
fn numeric_date(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.trunc() as i64)
    })
}

impl UnverifiedAssertion {
    /// Splits and reads an assertion: three base64url parts, a header
    /// naming `HS256` (and nothing critical), JSON object claims.
    pub fn parse(assertion: &str) -> Result<Self, AssertionProblem> {
        let assertion = assertion.trim();
        if assertion.len() > 8 * 1024 {
            return Err(AssertionProblem::Malformed);
        }
        let mut parts = assertion.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AssertionProblem::Malformed);
        };
        let header_map = json_part(header)?;
        if header_map.get("alg").and_then(Value::as_str) != Some("HS256")
            || header_map.contains_key("crit")
        {
            return Err(AssertionProblem::Algorithm);
        }
        let claims = json_part(payload)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AssertionProblem::Malformed)?;
        Ok(Self {
            signing_input: format!("{header}.{payload}"),
            signature,
            claims,
        })
    }

    /// The client the assertion claims to come from (`iss`, which must
    /// equal `sub`), before anything is verified: only to find the key.
    pub fn claimed_client(&self) -> Result<&str, AssertionProblem> {
        let iss = self.claims.get("iss").and_then(Value::as_str);
        let sub = self.claims.get("sub").and_then(Value::as_str);
        match (iss, sub) {
            (Some(iss), Some(sub)) if iss == sub && !iss.is_empty() => Ok(iss),
            _ => Err(AssertionProblem::Issuer),
        }
    }

    /// Verifies the signature under `secret`, then the claims: `aud`
    /// names `audience` (a string, or an array holding it), `exp` is not
    /// past (no leeway) nor more than [`MAX_ASSERTION_SECONDS`] ahead,
    /// `nbf`, if any, is not ahead, and `jti` is a non-empty string.
    pub fn verify(
        &self,
        secret: &[u8],
        audience: &str,
        now: i64,
    ) -> Result<AcceptedAssertion, AssertionProblem> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map_err(|_| AssertionProblem::Signature)?;
        mac.update(self.signing_input.as_bytes());
        mac.verify_slice(&self.signature)
            .map_err(|_| AssertionProblem::Signature)?;
        self.claimed_client()?;
        let aud_ok = match self.claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !aud_ok {
            return Err(AssertionProblem::Audience);
        }
        let exp = numeric_date(self.claims.get("exp")).ok_or(AssertionProblem::MissingClaim)?;
        let jti = match self.claims.get("jti").and_then(Value::as_str) {
            Some(jti) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => jti.to_owned(),
            _ => return Err(AssertionProblem::MissingClaim),
        };
        if exp <= now {
            return Err(AssertionProblem::Expired);
        }
        if exp > now.saturating_add(MAX_ASSERTION_SECONDS) {
            return Err(AssertionProblem::Period);
        }
        if self.claims.contains_key("nbf") {
            match numeric_date(self.claims.get("nbf")) {
                Some(nbf) if nbf <= now => {}
                _ => return Err(AssertionProblem::Period),
            }
        }
        Ok(AcceptedAssertion { jti, exp })
    }
}

/// Signs `claims` as an HS256 JWT under `secret` (for tests and for
/// clients written in Rust; the header is `{"alg":"HS256","typ":"JWT"}`).
pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    sign_with_header(
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        secret,
    )
}

/// Signs `claims` with HMAC-SHA256 under `secret` whatever `header` says
/// (tests use it to forge headers such as `alg: none`).
pub fn sign_with_header(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AUD: &str = "http://127.0.0.1:8080/oauth/token";
    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({"iss": "c1", "sub": "c1", "aud": AUD, "exp": NOW + 300, "jti": "j1"})
    }

    fn check(token: &str, secret: &[u8]) -> Result<AcceptedAssertion, AssertionProblem> {
        let parsed = UnverifiedAssertion::parse(token)?;
        parsed.claimed_client()?;
        parsed.verify(secret, AUD, NOW)
    }

    #[test]
    fn accepts_a_good_assertion_and_refuses_each_fault() {
        let secret = b"secret-one";
        assert_eq!(
            check(&sign_hs256(&claims(), secret), secret),
            Ok(AcceptedAssertion {
                jti: "j1".into(),
                exp: NOW + 300
            })
        );
        let with = |key: &str, value: Value| {
            let mut c = claims();
            c[key] = value;
            sign_hs256(&c, secret)
        };
        let cases: Vec<(String, AssertionProblem)> = vec![
            (
                sign_hs256(&claims(), b"another"),
                AssertionProblem::Signature,
            ),
            (
                sign_with_header(&json!({"alg": "none"}), &claims(), secret),
                AssertionProblem::Algorithm,
            ),
            (
                sign_with_header(&json!({"alg": "HS512"}), &claims(), secret),
                AssertionProblem::Algorithm,
            ),
            (
                sign_with_header(&json!({"alg": "HS256", "crit": ["x"]}), &claims(), secret),
                AssertionProblem::Algorithm,
            ),
            (
                with("aud", json!("http://elsewhere/oauth/token")),
                AssertionProblem::Audience,
            ),
            (with("aud", json!(["x"])), AssertionProblem::Audience),
            (with("exp", json!(NOW - 1)), AssertionProblem::Expired),
            (
                with("exp", json!(NOW + 2 * MAX_ASSERTION_SECONDS)),
                AssertionProblem::Period,
            ),
            (with("exp", json!("soon")), AssertionProblem::MissingClaim),
            (with("jti", json!("")), AssertionProblem::MissingClaim),
            (with("nbf", json!(NOW + 100)), AssertionProblem::Period),
            (with("sub", json!("c2")), AssertionProblem::Issuer),
            ("a.b".to_owned(), AssertionProblem::Malformed),
            ("e30.e30.e30.e30".to_owned(), AssertionProblem::Malformed),
        ];
        for (token, problem) in cases {
            assert_eq!(check(&token, secret), Err(problem), "{token}");
        }
        // An array `aud` holding the endpoint is accepted.
        assert!(check(&with("aud", json!([AUD, "x"])), secret).is_ok());
        // An `alg: none` token with an empty signature.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(check(&none, secret), Err(AssertionProblem::Algorithm));
    }
}
