//! The OAuth 2.0 endpoints of system clients (共通機能標準仕様書 §2.2.5,
//! contract `addressee-v1.md`, "System clients"): `POST /oauth/token`
//! (client credentials grant, RFC 6749 §4.4) and `POST /oauth/introspect`
//! (RFC 7662). Both take form bodies, authenticate the calling client by
//! `client_secret_basic` (HTTP Basic) or `client_secret_jwt` (an HS256
//! client assertion, RFC 7523), and answer errors in RFC 6749 §5.2's own
//! shape `{"error", "error_description"}` rather than the API's envelope.
//! An `error_description` is ASCII English, as RFC 6749 requires.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kiban_auth::AuthError;
use kiban_auth::clients::{self, AuthenticatedClient};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::openapi::{Access, Operation, Route};

/// The `client_assertion_type` of `client_secret_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The operations of this module.
pub(crate) fn operations() -> Vec<Route> {
    vec![
        Operation::new(
            "post",
            "/oauth/token",
            "requestAccessToken",
            "システム連携クライアントのアクセストークンを得る（OAuth 2.0 クライアントクレデンシャル）",
            "oauth",
            Access::Public,
        )
        .form::<TokenRequest>()
        .json::<TokenResponse>(200)
        .errors(&[401])
        .error_body::<OAuthErrorBody>()
        .to(token),
        Operation::new(
            "post",
            "/oauth/introspect",
            "introspectAccessToken",
            "アクセストークンの状態を調べる（イントロスペクション、RFC 7662）",
            "oauth",
            Access::Public,
        )
        .form::<IntrospectionRequest>()
        .json::<IntrospectionResponse>(200)
        .errors(&[401])
        .error_body::<OAuthErrorBody>()
        .to(introspect),
    ]
}

/// The form of `POST /oauth/token`.
#[expect(dead_code, reason = "documents the form that the handler reads itself")]
#[derive(ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "scope": "registry:persons:read"}))]
pub struct TokenRequest {
    /// `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: String,
    /// The scopes wanted, space-separated: a subset of the client's (all of
    /// them when absent).
    #[schema(nullable = false)]
    pub scope: Option<String>,
    /// With `client_secret_jwt`:
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[schema(nullable = false)]
    pub client_assertion_type: Option<String>,
    /// With `client_secret_jwt`: the HS256 JWT (`iss` = `sub` = client id,
    /// `aud` = this endpoint's URL, `exp`, `jti`).
    #[schema(nullable = false)]
    pub client_assertion: Option<String>,
    /// The client id (optional with `client_secret_jwt`; must then be the
    /// assertion's `iss`).
    #[schema(nullable = false)]
    pub client_id: Option<String>,
}

/// The form of `POST /oauth/introspect`.
#[expect(dead_code, reason = "documents the form that the handler reads itself")]
#[derive(ToSchema)]
#[schema(example = json!({"token": "kbo_990019_…"}))]
pub struct IntrospectionRequest {
    /// The access token to look at.
    pub token: String,
    /// Ignored (only access tokens exist).
    #[schema(nullable = false)]
    pub token_type_hint: Option<String>,
    /// With `client_secret_jwt`, as at the token endpoint.
    #[schema(nullable = false)]
    pub client_assertion_type: Option<String>,
    /// With `client_secret_jwt`, as at the token endpoint.
    #[schema(nullable = false)]
    pub client_assertion: Option<String>,
    /// The caller's client id (optional with `client_secret_jwt`).
    #[schema(nullable = false)]
    pub client_id: Option<String>,
}

/// An access token (RFC 6749 §5.1; no refresh token).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "kbo_990019_…", "token_type": "Bearer", "expires_in": 3600, "scope": "registry:persons:read"}))]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// What introspection answers (RFC 7662 §2.2): `{"active": false}` alone
/// for an unknown, expired, revoked or foreign token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"active": true, "scope": "registry:persons:read", "client_id": "kbc990019AbCdEfGhIjKlMnOpQrStUvW", "exp": 1800000000, "municipality_code": "990019", "token_type": "Bearer"}))]
pub struct IntrospectionResponse {
    /// Whether the token is active.
    pub active: bool,
    /// The scopes granted, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When it expires, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The municipality of the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipality_code: Option<String>,
    /// `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

/// An error of the OAuth endpoints (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OAuthError, example = json!({"error": "invalid_client", "error_description": "client authentication failed"}))]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_scope` or
    /// `unsupported_grant_type`.
    pub error: String,
    /// What is wrong, in ASCII English (RFC 6749).
    pub error_description: String,
}

/// An error of the OAuth endpoints with its status.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// The client tried HTTP Basic (or no authentication at all): a 401
    /// carries `WWW-Authenticate: Basic`.
    basic_challenge: bool,
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
            basic_challenge: false,
        }
    }

    fn invalid_client(description: impl Into<String>, basic_challenge: bool) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            basic_challenge,
        }
    }

    fn of(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    /// A failure of `kiban-auth`: a refused client, or an internal error
    /// (logged; 500 or 503 in the API's own envelope).
    fn from_auth(e: AuthError, basic_challenge: bool) -> Response {
        match e {
            AuthError::ClientRefused(problem) => {
                Self::invalid_client(problem.to_string(), basic_challenge).into_response()
            }
            AuthError::InvalidCredentials => {
                Self::invalid_client("client authentication failed", basic_challenge)
                    .into_response()
            }
            other => crate::ApiError::from(other).into_response(),
        }
    }
}

/// The headers of every answer of the OAuth endpoints (RFC 6749 §5.1).
fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(OAuthErrorBody {
                error: self.error.to_owned(),
                error_description: self.description,
            }),
        )
            .into_response();
        no_store(&mut response);
        if self.status == StatusCode::UNAUTHORIZED && self.basic_challenge {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"kiban\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// Reads a form body (`application/x-www-form-urlencoded`): a parameter
/// given twice is refused (RFC 6749 §3.2), one without a value counts as
/// absent.
fn read_form(headers: &HeaderMap, body: &Bytes) -> Result<BTreeMap<String, String>, OAuthError> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form && !body.is_empty() {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let mut form = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if form.contains_key(&*name) {
            return Err(OAuthError::invalid_request(format!(
                "parameter {} is repeated",
                ascii(&name)
            )));
        }
        form.insert(name.into_owned(), value.into_owned());
    }
    form.retain(|_, v| !v.is_empty());
    Ok(form)
}

/// At most 40 printable ASCII characters of a parameter name, for an
/// `error_description`.
fn ascii(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .take(40)
        .collect()
}

/// How the client authenticates.
enum ClientCredentials {
    /// `client_secret_basic`.
    Basic { client_id: String, secret: String },
    /// `client_secret_jwt`.
    Assertion(String),
}

/// The client credentials of a request: HTTP Basic, or a client assertion
/// in the form; not both, and not `client_secret_post`.
fn credentials(
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<ClientCredentials, OAuthError> {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        });
    let assertion_type = form.get("client_assertion_type");
    let assertion = form.get("client_assertion");
    if form.contains_key("client_secret") {
        return Err(OAuthError::invalid_client(
            "client_secret_post is not supported: use client_secret_basic or client_secret_jwt",
            true,
        ));
    }
    match (basic, assertion_type, assertion) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method only",
        )),
        (Some(encoded), None, None) => {
            let malformed = || OAuthError::invalid_client("malformed Basic credentials", true);
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| malformed())?;
            let text = String::from_utf8(decoded).map_err(|_| malformed())?;
            let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
            // RFC 6749 §2.3.1: both are form-encoded before Basic.
            let unescape = |s: &str| -> String {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let (client_id, secret) = (unescape(id), unescape(secret));
            if client_id.is_empty() || secret.is_empty() {
                return Err(malformed());
            }
            Ok(ClientCredentials::Basic { client_id, secret })
        }
        (None, Some(kind), Some(assertion)) => {
            if kind != JWT_BEARER {
                return Err(OAuthError::invalid_request(format!(
                    "client_assertion_type must be {JWT_BEARER}"
                )));
            }
            Ok(ClientCredentials::Assertion(assertion.clone()))
        }
        (None, Some(_), None) => Err(OAuthError::invalid_request(
            "client_assertion is required with client_assertion_type",
        )),
        (None, None, Some(_)) => Err(OAuthError::invalid_request(
            "client_assertion_type is required with client_assertion",
        )),
        (None, None, None) => Err(OAuthError::invalid_client(
            "client authentication is required (client_secret_basic or client_secret_jwt)",
            true,
        )),
    }
}

/// The URL client assertions must name as `aud`.
fn audience(state: &AppState) -> String {
    format!(
        "{}/oauth/token",
        state.config.public_url.trim_end_matches('/')
    )
}

/// Authenticates the calling client, or the response refusing it.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &BTreeMap<String, String>,
) -> Result<AuthenticatedClient, Response> {
    match credentials(headers, form).map_err(IntoResponse::into_response)? {
        ClientCredentials::Basic { client_id, secret } => {
            if form
                .get("client_id")
                .is_some_and(|named| *named != client_id)
            {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the Basic credentials",
                )
                .into_response());
            }
            clients::authenticate_client_secret(&state.db, &client_id, &secret)
                .await
                .map_err(|e| OAuthError::from_auth(e, true))
        }
        ClientCredentials::Assertion(assertion) => clients::authenticate_client_assertion(
            &state.db,
            &assertion,
            form.get("client_id").map(String::as_str),
            &audience(state),
        )
        .await
        .map_err(|e| OAuthError::from_auth(e, false)),
    }
}

/// `POST /oauth/token`: an access token for the client's scopes (or the
/// subset asked for in `scope`).
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate(&state, &headers, &form).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    match form.get("grant_type").map(String::as_str) {
        None => return OAuthError::invalid_request("grant_type is required").into_response(),
        Some("client_credentials") => {}
        Some(_) => {
            return OAuthError::of(
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            )
            .into_response();
        }
    }
    let granted: Vec<String> = match form.get("scope") {
        None => client.scopes.clone(),
        Some(asked) => {
            let mut granted = Vec::new();
            for scope in asked.split(' ').filter(|s| !s.is_empty()) {
                if !client.scopes.iter().any(|held| held == scope) {
                    return OAuthError::of(
                        "invalid_scope",
                        format!("scope {} is not granted to this client", ascii(scope)),
                    )
                    .into_response();
                }
                if !granted.iter().any(|g| g == scope) {
                    granted.push(scope.to_owned());
                }
            }
            if granted.is_empty() {
                client.scopes.clone()
            } else {
                granted
            }
        }
    };
    match clients::issue_access_token(&state.db, &client, &granted).await {
        Ok(issued) => {
            tracing::info!(client_id = %client.client_id, scope = %issued.scope, "access token issued");
            let mut response = Json(TokenResponse {
                access_token: issued.access_token.to_string(),
                token_type: "Bearer".to_owned(),
                expires_in: issued.expires_in,
                scope: issued.scope,
            })
            .into_response();
            no_store(&mut response);
            response
        }
        Err(e) => OAuthError::from_auth(e, false),
    }
}

/// `POST /oauth/introspect`: whether a token of the caller's municipality
/// is active, and what it allows.
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate(&state, &headers, &form).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return OAuthError::invalid_request("token is required").into_response();
    };
    let answer = match clients::introspect(&state.db, client.municipality, token).await {
        Ok(Some(found)) => IntrospectionResponse {
            active: true,
            scope: Some(found.scope),
            client_id: Some(found.client_id),
            exp: Some(found.exp),
            municipality_code: Some(found.municipality.as_str().to_owned()),
            token_type: Some("Bearer".to_owned()),
        },
        Ok(None) => IntrospectionResponse {
            active: false,
            scope: None,
            client_id: None,
            exp: None,
            municipality_code: None,
            token_type: None,
        },
        Err(e) => return OAuthError::from_auth(e, false),
    };
    let mut response = Json(answer).into_response();
    no_store(&mut response);
    response
}
