//! Where webhooks may go and how their bodies are signed (pure: no IO).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a webhook's URL, host or secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute `http://` or `https://` URL with a host.
    #[error("the URL is not an absolute http(s) URL with a host")]
    InvalidUrl,
    /// A URL with a user name or password in it.
    #[error("the URL carries credentials")]
    CredentialsInUrl,
    /// The URL's host is not on the municipality's allow-list.
    #[error("the host {0} is not on the allow-list")]
    HostNotAllowed(String),
    /// Not a host name or IP address.
    #[error("not a host name: {0}")]
    InvalidHost(String),
    /// A secret shorter than [`MIN_SECRET_LEN`] or longer than
    /// [`MAX_SECRET_LEN`] bytes.
    #[error("the secret must have {MIN_SECRET_LEN} to {MAX_SECRET_LEN} bytes")]
    SecretLength,
}

impl TargetError {
    /// The catalogue's message.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            TargetError::InvalidUrl => M::WebhookUrlInvalid {},
            TargetError::CredentialsInUrl => M::WebhookUrlCredentials {},
            TargetError::HostNotAllowed(host) => M::WebhookHostNotAllowed { host: host.clone() },
            TargetError::InvalidHost(host) => M::WebhookHostInvalid { host: host.clone() },
            TargetError::SecretLength => M::WebhookSecretLength {
                min: MIN_SECRET_LEN.to_string(),
                max: MAX_SECRET_LEN.to_string(),
            },
        }
    }
}

/// The shortest secret accepted (bytes).
pub const MIN_SECRET_LEN: usize = 16;
/// The longest secret accepted (bytes).
pub const MAX_SECRET_LEN: usize = 256;

/// The longest URL accepted.
const MAX_URL_LEN: usize = 2_000;

/// A webhook's URL, checked: absolute `http(s)`, with a host, without
/// credentials. The host is kept lower case, as the allow-list holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: reqwest::Url,
    host: String,
}

impl WebhookUrl {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(TargetError::InvalidUrl);
        }
        let url = reqwest::Url::parse(text).map_err(|_| TargetError::InvalidUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetError::InvalidUrl);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::CredentialsInUrl);
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(TargetError::InvalidUrl)?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        Ok(Self { url, host })
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Its host (lower case, without a trailing dot; IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL for the HTTP client.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }
}

/// A host of the allow-list as written by an administrator: a host name or
/// an IP address (IPv6 in brackets), no scheme, port or path; kept lower
/// case without a trailing dot.
pub fn parse_host(text: &str) -> Result<String, TargetError> {
    let wanted = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let invalid = || TargetError::InvalidHost(text.trim().chars().take(100).collect());
    if wanted.is_empty() || wanted.contains(['/', '@', '?', '#', ' ']) {
        return Err(invalid());
    }
    let url = reqwest::Url::parse(&format!("http://{wanted}/")).map_err(|_| invalid())?;
    match url.host_str() {
        Some(host) if host == wanted && url.port().is_none() => Ok(wanted),
        _ => Err(invalid()),
    }
}

/// Checks a secret's length.
pub fn check_secret(secret: &str) -> Result<(), TargetError> {
    if (MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&secret.len()) {
        Ok(())
    } else {
        Err(TargetError::SecretLength)
    }
}

/// The value of `X-Kiban-Signature` for `body`: `sha256=` and the hex of
/// HMAC-SHA256 under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length: the error branch is never taken (a
    // receiver would refuse the bare prefix).
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return "sha256=".to_owned();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_hosts_and_secrets() {
        let url = WebhookUrl::parse("https://Hooks.Example.JP:8443/kiban?x=1").unwrap();
        assert_eq!(url.host(), "hooks.example.jp");
        assert_eq!(
            WebhookUrl::parse("ftp://example.jp/"),
            Err(TargetError::InvalidUrl)
        );
        assert_eq!(WebhookUrl::parse("/relative"), Err(TargetError::InvalidUrl));
        assert_eq!(
            WebhookUrl::parse("http://u:p@example.jp/"),
            Err(TargetError::CredentialsInUrl)
        );
        assert_eq!(
            WebhookUrl::parse("http://127.0.0.1:9/x").unwrap().host(),
            "127.0.0.1"
        );
        assert_eq!(parse_host("Example.JP.").unwrap(), "example.jp");
        assert_eq!(parse_host("[::1]").unwrap(), "[::1]");
        assert!(parse_host("http://example.jp").is_err());
        assert!(parse_host("example.jp:80").is_err());
        assert!(parse_host("example.jp/x").is_err());
        assert!(parse_host("").is_err());
        assert!(check_secret("short").is_err());
        assert!(check_secret("0123456789abcdef").is_ok());
    }

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
