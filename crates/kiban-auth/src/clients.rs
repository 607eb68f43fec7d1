//! System clients (システム連携クライアント): the other systems of a
//! municipality that call Kiban's API with OAuth 2.0 client credentials
//! (共通機能標準仕様書 §2.2.5), their access tokens, and the checks of
//! their authentication (`client_secret_basic`, `client_secret_jwt`).
//!
//! A client id names its municipality (`kbc` + the 6-digit code + 23
//! random letters and digits: 32 characters of `0-9A-Za-z`, as the
//! standard's クライアントID), so a request is routed to one tenant before
//! any lookup. The secret (43 characters) is never stored: it is derived as
//! base64url(HMAC-SHA256 under the municipality's index key of the client
//! id and a random salt), so that the service can recompute it to check an
//! HS256 client assertion, while the table holds only the salt and the
//! SHA-256 of the secret (which checks a secret sent with HTTP Basic
//! without the key). A copy of the database alone reveals no secret.
//!
//! Access tokens are opaque (`kbo_<municipality>_<id>_<secret>`), valid for
//! [`ACCESS_TOKEN_SECONDS`]; only the SHA-256 of their secret part is
//! stored, with the scopes granted. A disabled client's tokens stop
//! working at once.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kiban_audit::{Actor, AuditAction};
use kiban_core::MunicipalityCode;
use kiban_store::{Arg, Database, StoreError, TenantDb, TenantTx, now_text};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::assertion::{AssertionProblem, UnverifiedAssertion};
use crate::{AccountProblem, AuthError, Principal};

/// How a client id begins.
pub const CLIENT_ID_PREFIX: &str = "kbc";
/// The length of a client id (the standard's クライアントID: 32 characters
/// of `0-9A-Za-z`).
pub const CLIENT_ID_LEN: usize = 32;
/// How an access token begins.
pub const ACCESS_TOKEN_PREFIX: &str = "kbo_";
/// How long an access token is valid, in seconds (the standard asks for a
/// short lifetime).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// The keyed-hash domain of client secrets.
const SECRET_DOMAIN: &str = "api_client_secret";

/// A system client as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    /// The client id.
    pub client_id: String,
    /// Its name (the calling system, e.g. 税務システム).
    pub name: String,
    /// The scopes it may be granted.
    pub scopes: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// When it was disabled, if it was.
    pub disabled_at: Option<String>,
}

/// A client just created: the only moment its secret is shown.
pub struct CreatedClient {
    /// The client id.
    pub client_id: String,
    /// The client secret (shown once).
    pub client_secret: Zeroizing<String>,
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CreatedClient({}, ***)", self.client_id)
    }
}

/// A client whose authentication succeeded.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    /// Its municipality.
    pub municipality: MunicipalityCode,
    /// The client id.
    pub client_id: String,
    /// The scopes it may be granted.
    pub scopes: Vec<String>,
}

/// An access token just issued.
pub struct IssuedAccessToken {
    /// The bearer token, to hand to the client.
    pub access_token: Zeroizing<String>,
    /// Its lifetime in seconds.
    pub expires_in: i64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// What introspection tells of an active token (RFC 7662).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    /// The scopes granted, space-separated.
    pub scope: String,
    /// The client it was issued to.
    pub client_id: String,
    /// When it expires, seconds since the epoch.
    pub exp: i64,
    /// Its municipality.
    pub municipality: MunicipalityCode,
}

/// The municipality a client id names, if it is one (32 letters and
/// digits, `kbc` and a valid municipality code first).
pub fn client_municipality(client_id: &str) -> Option<MunicipalityCode> {
    if client_id.len() != CLIENT_ID_LEN || !client_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = client_id.strip_prefix(CLIENT_ID_PREFIX)?;
    MunicipalityCode::parse(rest.get(..6)?).ok()
}

fn new_client_id(m: MunicipalityCode) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let mut id = format!("{CLIENT_ID_PREFIX}{}", m.as_str());
    while id.len() < CLIENT_ID_LEN {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn random_alnum(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf).replace(['-', '_'], "x")
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn same_digest(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// An instant as stored for expiries: RFC 3339, whole seconds, UTC (so
/// that the texts compare in time order).
fn seconds_text(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether `scope` has the standard's form `business:resource:operation`
/// (each part lower-case ASCII letters and `_`, 100 characters at most).
pub fn is_scope(scope: &str) -> bool {
    let parts: Vec<&str> = scope.split(':').collect();
    scope.len() <= 100
        && parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
}

/// Checks a client's scopes (at least one, each of the standard's form),
/// sorted and without repeats.
pub fn parse_scopes(scopes: &[String]) -> Result<Vec<String>, AuthError> {
    if scopes.is_empty() {
        return Err(AuthError::InvalidInput {
            field: "scope",
            problem: AccountProblem::NoScopes,
        });
    }
    let mut set = BTreeSet::new();
    for scope in scopes {
        let scope = scope.trim();
        if !is_scope(scope) {
            return Err(AuthError::InvalidInput {
                field: "scope",
                problem: AccountProblem::ScopeForm(scope.to_owned()),
            });
        }
        set.insert(scope.to_owned());
    }
    Ok(set.into_iter().collect())
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The secret of a client: base64url(HMAC-SHA256 under the municipality's
/// index key of `client_id|salt`).
async fn derive_secret(
    tx: &mut TenantTx,
    client_id: &str,
    salt: &str,
) -> Result<Zeroizing<String>, StoreError> {
    let hash = Zeroizing::new(
        tx.keyed_hash(SECRET_DOMAIN, format!("{client_id}|{salt}").as_bytes())
            .await?,
    );
    let bytes = Zeroizing::new(hex::decode(hash.as_str()).map_err(|_| StoreError::Corrupt {
        column: "keyed_hash".into(),
        reason: "not hex".into(),
    })?);
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// Creates a system client of the municipality with `scopes`; the secret
/// is returned once. Written to the access log as a `change` of `actor`.
pub async fn create_client(
    tenant: &TenantDb,
    actor: &Actor,
    name: &str,
    scopes: &[String],
) -> Result<CreatedClient, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AuthError::InvalidInput {
            field: "name",
            problem: AccountProblem::ClientNameLength,
        });
    }
    let scopes = parse_scopes(scopes)?;
    let client_id = new_client_id(tenant.municipality());
    let salt = random_hex(32);
    let mut tx = tenant.begin().await?;
    let secret = derive_secret(&mut tx, &client_id, &salt).await?;
    tx.execute(
        "INSERT INTO api_clients (municipality_code, client_id, name, scopes, secret_salt, \
         secret_sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Arg::from(client_id.as_str()),
            Arg::from(name),
            Arg::Text(scopes.join(" ")),
            Arg::Text(salt),
            Arg::Text(sha256_hex(&secret)),
            Arg::Text(now_text()),
            Arg::from(actor.login.as_str()),
        ],
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            None,
            format!("api_client_created {client_id} {}", scopes.join(",")),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedClient {
        client_id,
        client_secret: secret,
    })
}

/// The municipality's system clients, oldest first (no secrets).
pub async fn list_clients(tenant: &TenantDb) -> Result<Vec<ClientSummary>, AuthError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT client_id, name, scopes, created_at, created_by, disabled_at FROM api_clients \
             WHERE municipality_code = $1 ORDER BY created_at, client_id",
            &[],
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(ClientSummary {
                client_id: r.text(0)?,
                name: r.text(1)?,
                scopes: split_scopes(&r.text(2)?),
                created_at: r.text(3)?,
                created_by: r.text(4)?,
                disabled_at: r.opt_text(5)?,
            })
        })
        .collect()
}

/// Disables a client: it can no longer authenticate and its access tokens
/// stop working. Disabling a disabled client changes nothing.
pub async fn disable_client(
    tenant: &TenantDb,
    actor: &Actor,
    client_id: &str,
) -> Result<(), AuthError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT disabled_at FROM api_clients WHERE municipality_code = $1 AND client_id = $2",
            &[Arg::from(client_id)],
        )
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Err(AuthError::NoSuchClient(client_id.to_owned()));
    };
    if row.opt_text(0)?.is_some() {
        tx.rollback().await?;
        return Ok(());
    }
    let now = now_text();
    tx.execute(
        "UPDATE api_clients SET disabled_at = $3 WHERE municipality_code = $1 AND client_id = $2",
        &[Arg::from(client_id), Arg::Text(now.clone())],
    )
    .await?;
    tx.execute(
        "UPDATE api_access_tokens SET revoked_at = $3 \
         WHERE municipality_code = $1 AND client_id = $2 AND revoked_at IS NULL",
        &[Arg::from(client_id), Arg::Text(now)],
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            None,
            format!("api_client_disabled {client_id}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A client's stored row: (scopes, salt, secret digest, disabled).
struct StoredClient {
    scopes: Vec<String>,
    salt: String,
    secret_sha256: String,
    disabled: bool,
}

async fn tenant_of_client(db: &Database, client_id: &str) -> Result<TenantDb, AuthError> {
    let refused = || AuthError::ClientRefused(AssertionProblem::Signature);
    let m = client_municipality(client_id).ok_or_else(refused)?;
    match db.tenant(m).await {
        Ok(t) => Ok(t),
        Err(StoreError::UnknownMunicipality(_)) => Err(refused()),
        Err(e) => Err(e.into()),
    }
}

async fn stored_client(
    tx: &mut TenantTx,
    client_id: &str,
) -> Result<Option<StoredClient>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT scopes, secret_salt, secret_sha256, disabled_at FROM api_clients \
             WHERE municipality_code = $1 AND client_id = $2",
            &[Arg::from(client_id)],
        )
        .await?;
    row.map(|r| {
        Ok(StoredClient {
            scopes: split_scopes(&r.text(0)?),
            salt: r.text(1)?,
            secret_sha256: r.text(2)?,
            disabled: r.opt_text(3)?.is_some(),
        })
    })
    .transpose()
}

/// Authenticates a client by its id and secret (`client_secret_basic`).
/// An unknown client, a wrong secret and a disabled client are one
/// refusal ([`AssertionProblem::Signature`], "client authentication
/// failed").
pub async fn authenticate_client_secret(
    db: &Database,
    client_id: &str,
    secret: &str,
) -> Result<AuthenticatedClient, AuthError> {
    let refused = AuthError::ClientRefused(AssertionProblem::Signature);
    let given = sha256_hex(secret);
    let tenant = tenant_of_client(db, client_id).await?;
    let mut tx = tenant.begin_read().await?;
    let stored = stored_client(&mut tx, client_id).await?;
    tx.commit().await?;
    match stored {
        Some(c) if !c.disabled && same_digest(&given, &c.secret_sha256) => {
            Ok(AuthenticatedClient {
                municipality: tenant.municipality(),
                client_id: client_id.to_owned(),
                scopes: c.scopes,
            })
        }
        _ => Err(refused),
    }
}

/// Authenticates a client by a client assertion (`client_secret_jwt`): an
/// HS256 JWT under its secret with `iss` = `sub` = the client id (and
/// `client_id`, when the request names one), `aud` = `audience`, an `exp`
/// not past and a `jti` not used before (kept until its `exp`).
pub async fn authenticate_client_assertion(
    db: &Database,
    assertion: &str,
    named_client: Option<&str>,
    audience: &str,
) -> Result<AuthenticatedClient, AuthError> {
    let refused = AuthError::ClientRefused;
    let parsed = UnverifiedAssertion::parse(assertion).map_err(refused)?;
    let client_id = parsed.claimed_client().map_err(refused)?.to_owned();
    if named_client.is_some_and(|named| named != client_id) {
        return Err(refused(AssertionProblem::Issuer));
    }
    let tenant = tenant_of_client(db, &client_id).await?;
    let mut tx = tenant.begin().await?;
    let Some(stored) = stored_client(&mut tx, &client_id).await? else {
        tx.rollback().await?;
        return Err(refused(AssertionProblem::Signature));
    };
    if stored.disabled {
        tx.rollback().await?;
        return Err(refused(AssertionProblem::Signature));
    }
    let secret = derive_secret(&mut tx, &client_id, &stored.salt).await?;
    if !same_digest(&sha256_hex(&secret), &stored.secret_sha256) {
        // The keys changed since the client was made: its secret is lost.
        tracing::warn!(client_id = %client_id, "a client's derived secret does not match its digest");
        tx.rollback().await?;
        return Err(refused(AssertionProblem::Signature));
    }
    let now = jiff::Timestamp::now();
    let accepted = match parsed.verify(secret.as_bytes(), audience, now.as_second()) {
        Ok(a) => a,
        Err(problem) => {
            tx.rollback().await?;
            return Err(refused(problem));
        }
    };
    let exp = jiff::Timestamp::from_second(accepted.exp)
        .map_err(|_| refused(AssertionProblem::Period))?;
    tx.execute(
        "DELETE FROM api_client_assertions \
         WHERE municipality_code = $1 AND client_id = $2 AND expires_at < $3",
        &[Arg::from(client_id.as_str()), Arg::Text(seconds_text(now))],
    )
    .await?;
    let inserted = tx
        .execute(
            "INSERT INTO api_client_assertions (municipality_code, client_id, jti, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[
                Arg::from(client_id.as_str()),
                Arg::from(accepted.jti.as_str()),
                Arg::Text(seconds_text(exp)),
            ],
        )
        .await?;
    if inserted == 0 {
        tx.rollback().await?;
        return Err(refused(AssertionProblem::Replayed));
    }
    tx.commit().await?;
    Ok(AuthenticatedClient {
        municipality: tenant.municipality(),
        client_id,
        scopes: stored.scopes,
    })
}

/// Issues an access token to an authenticated client for `scopes` (a
/// subset of its own, already checked by the caller), valid for
/// [`ACCESS_TOKEN_SECONDS`]. Its expired tokens are deleted on the way.
pub async fn issue_access_token(
    db: &Database,
    client: &AuthenticatedClient,
    scopes: &[String],
) -> Result<IssuedAccessToken, AuthError> {
    let tenant = db.tenant(client.municipality).await?;
    let token_id = random_alnum(12);
    let secret = Zeroizing::new(random_alnum(32));
    let now = jiff::Timestamp::now();
    let expires = now + jiff::SignedDuration::from_secs(ACCESS_TOKEN_SECONDS);
    let scope = scopes.join(" ");
    let mut tx = tenant.begin().await?;
    tx.execute(
        "DELETE FROM api_access_tokens \
         WHERE municipality_code = $1 AND client_id = $2 AND expires_at < $3",
        &[
            Arg::from(client.client_id.as_str()),
            Arg::Text(seconds_text(now)),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO api_access_tokens (municipality_code, token_id, client_id, secret_sha256, \
         scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Arg::from(token_id.as_str()),
            Arg::from(client.client_id.as_str()),
            Arg::Text(sha256_hex(&secret)),
            Arg::from(scope.as_str()),
            Arg::Text(now_text()),
            Arg::Text(seconds_text(expires)),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedAccessToken {
        access_token: Zeroizing::new(format!(
            "{ACCESS_TOKEN_PREFIX}{}_{token_id}_{}",
            client.municipality.as_str(),
            secret.as_str()
        )),
        expires_in: ACCESS_TOKEN_SECONDS,
        scope,
    })
}

/// The parts of an access token: municipality, token id, secret.
fn parse_access_token(token: &str) -> Option<(MunicipalityCode, &str, &str)> {
    let rest = token.trim().strip_prefix(ACCESS_TOKEN_PREFIX)?;
    let mut it = rest.splitn(3, '_');
    let (m, id, secret) = (it.next()?, it.next()?, it.next()?);
    let alnum =
        |s: &str| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !alnum(id) || !alnum(secret) {
        return None;
    }
    Some((MunicipalityCode::parse(m).ok()?, id, secret))
}

/// Whether `token` looks like a client's access token (rather than a
/// staff or operator token).
pub fn is_access_token(token: &str) -> bool {
    token.trim().starts_with(ACCESS_TOKEN_PREFIX)
}

/// An active access token: its municipality, client, scopes, expiry and id.
struct ActiveToken {
    municipality: MunicipalityCode,
    client_id: String,
    scopes: String,
    expires: jiff::Timestamp,
    token_id: String,
}

/// The token's row, when the token is active (not expired, not revoked,
/// its client not disabled, its secret right).
async fn active_token(db: &Database, token: &str) -> Result<Option<ActiveToken>, AuthError> {
    let Some((m, token_id, secret)) = parse_access_token(token) else {
        return Ok(None);
    };
    let tenant = match db.tenant(m).await {
        Ok(t) => t,
        Err(StoreError::UnknownMunicipality(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // One statement on its own: checked on every request.
    let row = tenant
        .fetch_one_statement(
            "SELECT t.client_id, t.secret_sha256, t.scopes, t.expires_at, t.revoked_at, c.disabled_at \
             FROM api_access_tokens t JOIN api_clients c \
               ON c.municipality_code = t.municipality_code AND c.client_id = t.client_id \
             WHERE t.municipality_code = $1 AND t.token_id = $2",
            &[Arg::from(token_id)],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = jiff::Timestamp::now();
    let Ok(expires) = row.text(3)?.parse::<jiff::Timestamp>() else {
        return Ok(None);
    };
    let valid = row.opt_text(4)?.is_none()
        && row.opt_text(5)?.is_none()
        && same_digest(&sha256_hex(secret), &row.text(1)?)
        && expires > now;
    if !valid {
        return Ok(None);
    }
    Ok(Some(ActiveToken {
        municipality: m,
        client_id: row.text(0)?,
        scopes: row.text(2)?,
        expires,
        token_id: token_id.to_owned(),
    }))
}

/// Resolves a client's access token to its principal; an unknown,
/// expired, revoked or malformed token, or one of a disabled client, is
/// [`AuthError::InvalidCredentials`].
pub(crate) async fn authenticate_access_token(
    db: &Database,
    token: &str,
) -> Result<Principal, AuthError> {
    let active = active_token(db, token)
        .await?
        .ok_or(AuthError::InvalidCredentials)?;
    Ok(Principal::Client {
        municipality: active.municipality,
        client_id: active.client_id,
        scopes: split_scopes(&active.scopes),
        token_id: active.token_id,
    })
}

/// Introspects a token for a client of municipality `caller` (RFC 7662):
/// `None` (inactive) for an unknown, expired, revoked or malformed token,
/// one of a disabled client, and every token of another municipality
/// (which is not even looked up).
pub async fn introspect(
    db: &Database,
    caller: MunicipalityCode,
    token: &str,
) -> Result<Option<Introspection>, AuthError> {
    match parse_access_token(token) {
        Some((m, _, _)) if m == caller => {}
        _ => return Ok(None),
    }
    Ok(active_token(db, token).await?.map(|active| Introspection {
        scope: active.scopes,
        client_id: active.client_id,
        exp: active.expires.as_second(),
        municipality: active.municipality,
    }))
}

/// Revokes a client's access token (the logout of `DELETE
/// /api/v1/sessions/current`).
pub(crate) async fn revoke_access_token(
    db: &Database,
    municipality: MunicipalityCode,
    token_id: &str,
) -> Result<(), AuthError> {
    let tenant = db.tenant(municipality).await?;
    let mut tx = tenant.begin().await?;
    tx.execute(
        "UPDATE api_access_tokens SET revoked_at = $3 \
         WHERE municipality_code = $1 AND token_id = $2 AND revoked_at IS NULL",
        &[Arg::from(token_id), Arg::Text(now_text())],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_name_their_municipality_and_scopes_have_three_parts() {
        let m = MunicipalityCode::parse("131016").expect("a code");
        let id = new_client_id(m);
        assert_eq!(id.len(), CLIENT_ID_LEN);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(client_municipality(&id), Some(m));
        assert_eq!(client_municipality("kbc131016"), None);
        assert_eq!(client_municipality(&id.replace("kbc", "xyz")), None);
        for good in [
            "registry:persons:read",
            "addressee:addressees:create",
            "a_b:c:d",
        ] {
            assert!(is_scope(good), "{good}");
        }
        for bad in [
            "registry:persons",
            "Registry:persons:read",
            "a:b:c:d",
            "a::c",
            "a:b:c1",
            "",
        ] {
            assert!(!is_scope(bad), "{bad}");
        }
        assert_eq!(
            parse_scopes(&["b:c:d".into(), "a:b:c".into(), "b:c:d".into()]).ok(),
            Some(vec!["a:b:c".to_owned(), "b:c:d".to_owned()])
        );
        assert!(parse_scopes(&[]).is_err());
        let token = format!("{ACCESS_TOKEN_PREFIX}131016_abc_def");
        assert_eq!(parse_access_token(&token), Some((m, "abc", "def")));
        assert_eq!(parse_access_token("kbo_131016_abc"), None);
        assert_eq!(parse_access_token("kbn_131016_abc_def"), None);
    }
}
