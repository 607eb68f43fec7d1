-- System clients (庁内データ連携の利用側システム): OAuth 2.0 client
-- credentials, their access tokens, and the client assertions (JWT) already
-- used.

-- A system client of one municipality. The secret is never stored: it is
-- derived, base64url(HMAC-SHA256 under the municipality's index key of
-- (client_id, secret_salt)), so that the service can check an HS256
-- client assertion; secret_sha256 checks a secret sent in the clear
-- (HTTP Basic) without the key. scopes: space-separated.
CREATE TABLE api_clients (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_salt TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT,
    PRIMARY KEY (municipality_code, client_id)
);

-- Access tokens issued to clients: only the SHA-256 of the secret part,
-- the granted scopes and the expiry (RFC 3339, whole seconds, UTC).
CREATE TABLE api_access_tokens (
    municipality_code TEXT NOT NULL,
    token_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (municipality_code, token_id),
    FOREIGN KEY (municipality_code, client_id) REFERENCES api_clients (municipality_code, client_id)
);
CREATE INDEX api_access_tokens_expiry ON api_access_tokens (municipality_code, expires_at);

-- The jti of every client assertion accepted, kept until its exp (RFC 3339,
-- whole seconds, UTC) so that a replayed assertion is refused.
CREATE TABLE api_client_assertions (
    municipality_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, client_id, jti),
    FOREIGN KEY (municipality_code, client_id) REFERENCES api_clients (municipality_code, client_id)
);
CREATE INDEX api_client_assertions_expiry ON api_client_assertions (municipality_code, expires_at);
