//! Token format: `kbn_<municipality code or "op">_<token id>_<secret>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kiban_core::MunicipalityCode;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bearer token for the API.
    Api,
    /// A browser session (cookie).
    Session,
}

impl TokenKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Session => "session",
        }
    }
}

/// A token just issued: the only moment its secret exists outside the
/// holder.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The whole token, to hand to the holder.
    pub token: String,
    /// Its public id.
    pub token_id: String,
    /// When it expires.
    pub expires_at: jiff::Timestamp,
}

/// The parts of a token.
#[derive(Clone)]
pub struct TokenParts {
    /// The municipality, or `None` for an operator.
    pub municipality: Option<MunicipalityCode>,
    /// The public id.
    pub token_id: String,
    secret: String,
}

impl std::fmt::Debug for TokenParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TokenParts({:?}, {}, ***)",
            self.municipality, self.token_id
        )
    }
}

fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf).replace(['-', '_'], "x")
}

impl TokenParts {
    /// New random parts: a 12-byte id and a 32-byte secret.
    pub fn generate(municipality: Option<MunicipalityCode>) -> Self {
        Self {
            municipality,
            token_id: random_text(12),
            secret: random_text(32),
        }
    }

    /// Parses a token; `None` when it is malformed.
    pub fn parse(token: &str) -> Option<Self> {
        let mut it = token.trim().splitn(4, '_');
        let (prefix, scope, id, secret) = (it.next()?, it.next()?, it.next()?, it.next()?);
        if prefix != "kbn"
            || id.is_empty()
            || secret.len() < 32
            || id.len() > 64
            || secret.len() > 128
        {
            return None;
        }
        let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !alnum(id) || !alnum(secret) {
            return None;
        }
        let municipality = match scope {
            "op" => None,
            code => Some(MunicipalityCode::parse(code).ok()?),
        };
        Some(Self {
            municipality,
            token_id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The whole token.
    pub fn to_token(&self) -> String {
        let scope = self
            .municipality
            .map_or_else(|| "op".to_owned(), |m| m.as_str().to_owned());
        format!("kbn_{scope}_{}_{}", self.token_id, self.secret)
    }

    /// The SHA-256 of the secret, hex: what is stored.
    pub fn secret_digest(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// Whether the secret matches a stored digest (constant time).
    pub fn matches_digest(&self, stored: &str) -> bool {
        self.secret_digest()
            .as_bytes()
            .ct_eq(stored.as_bytes())
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let m = MunicipalityCode::parse("990019").ok();
        let parts = TokenParts::generate(m);
        let token = parts.to_token();
        assert!(token.starts_with("kbn_990019_"));
        let back = TokenParts::parse(&token).expect("parses");
        assert_eq!(back.municipality, m);
        assert!(back.matches_digest(&parts.secret_digest()));
        assert!(!back.matches_digest(&TokenParts::generate(m).secret_digest()));
        let op = TokenParts::generate(None).to_token();
        assert!(TokenParts::parse(&op).is_some_and(|p| p.municipality.is_none()));
        for bad in [
            "",
            "kbn",
            "kbn_990019_a_short",
            "xyz_990019_aaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "kbn_990018_aaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ] {
            assert!(TokenParts::parse(bad).is_none(), "{bad}");
        }
        assert!(!format!("{back:?}").contains(&back.secret));
    }
}
