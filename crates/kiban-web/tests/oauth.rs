//! System clients (OAuth 2.0 client credentials, contract
//! `addressee-v1.md` "System clients"): the token endpoint with
//! `client_secret_basic` and `client_secret_jwt` and every refusal the
//! brief lists, introspection, and the door for client tokens (scopes,
//! other municipalities, the access log), on both engines.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::{TestApp, code};
use kiban_auth::assertion::{sign_hs256, sign_with_header};
use kiban_store::testing::BACKENDS;
use kiban_web::openapi::Access;
use serde_json::{Value, json};

const OWN: &str = "990019";
const OTHER: &str = "131016";
const READ: &str = "registry:persons:read";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client of `m` with `scopes`: (client id, secret).
async fn client(app: &TestApp, m: &str, scopes: &[&str]) -> (String, String) {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let created = kiban_auth::clients::create_client(
        &tenant,
        &kiban_audit::Actor::new("kiban-cli", "operator"),
        "税務システム",
        &scopes,
    )
    .await
    .unwrap();
    (created.client_id, created.client_secret.to_string())
}

/// Posts a form to an OAuth endpoint with HTTP Basic credentials (if any):
/// (status, headers, JSON body).
async fn post_form(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app.client.post(app.url(path)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// An access token of a client, by Basic.
async fn access_token(app: &TestApp, id: &str, secret: &str) -> String {
    let (status, _, body) = post_form(
        app,
        "/oauth/token",
        Some((id, secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn audience(app: &TestApp) -> String {
    app.url("/oauth/token")
}

fn claims(app: &TestApp, id: &str, jti: &str) -> Value {
    let now = jiff::Timestamp::now().as_second();
    json!({"iss": id, "sub": id, "aud": audience(app), "exp": now + 300, "iat": now, "jti": jti})
}

/// Asks for a token with a client assertion.
async fn with_assertion(
    app: &TestApp,
    assertion: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    post_form(
        app,
        "/oauth/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
    )
    .await
}

/// A resident of `m`: its person id.
async fn resident(app: &TestApp, m: &str, name: &str, kana: &str) -> u64 {
    let clerk = app.token(Some(m), "registry_clerk").await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/municipalities/{m}/movements"),
            Some(&clerk),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "連携町一丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [{"name": name, "name_kana": kana, "birth_date": "1980-04-01",
                             "sex": "male", "relationship": "head"}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["persons"][0]["person_id"].as_u64().unwrap()
}

/// The access-log entries of `actor` in `m`.
async fn entries(app: &TestApp, m: &str, actor: &str) -> Vec<kiban_audit::StoredEntry> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let found = kiban_audit::entries_by_actor(
        &mut tx,
        actor,
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        10_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    found
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A request to the token endpoint and its refusal: what it shows, the
/// Basic credentials, the form, the status and the `error`.
type Case<'a> = (
    &'a str,
    Option<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str)>,
    u16,
    &'a str,
);

#[tokio::test]
async fn the_token_endpoint_grants_by_basic_and_refuses_bad_requests() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let (id, secret) = client(&app, OWN, &[READ, "registry:events:read"]).await;
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.starts_with("kbc990019"), "{id}");
        assert!(secret.len() >= 32);

        let (status, headers, body) = post_form(
            &app,
            "/oauth/token",
            Some((&id, &secret)),
            &[("grant_type", "client_credentials"), ("scope", READ)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], READ);
        assert!(
            body["access_token"]
                .as_str()
                .unwrap()
                .starts_with("kbo_990019_")
        );
        assert!(body.get("refresh_token").is_none());
        assert_eq!(headers["cache-control"], "no-store");
        // Without `scope`: every scope of the client.
        let (status, _, body) = post_form(
            &app,
            "/oauth/token",
            Some((&id, &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "registry:events:read registry:persons:read");

        let (disabled_id, disabled_secret) = client(&app, OWN, &[READ]).await;
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(OWN)).await.unwrap();
        kiban_auth::clients::disable_client(
            &tenant,
            &kiban_audit::Actor::new("kiban-cli", "operator"),
            &disabled_id,
        )
        .await
        .unwrap();
        let unknown = format!("kbc990019{}", "A".repeat(23));
        let grant = [("grant_type", "client_credentials")];
        // (what, Basic credentials, form, status, error)
        let cases: Vec<Case> = vec![
            (
                "unknown client",
                Some((&unknown, &secret)),
                grant.to_vec(),
                401,
                "invalid_client",
            ),
            (
                "wrong secret",
                Some((&id, "wrong-secret-wrong-secret-wrong-secret")),
                grant.to_vec(),
                401,
                "invalid_client",
            ),
            (
                "disabled client",
                Some((&disabled_id, &disabled_secret)),
                grant.to_vec(),
                401,
                "invalid_client",
            ),
            (
                "no client authentication",
                None,
                grant.to_vec(),
                401,
                "invalid_client",
            ),
            (
                "missing grant_type",
                Some((&id, &secret)),
                vec![],
                400,
                "invalid_request",
            ),
            (
                "wrong grant_type",
                Some((&id, &secret)),
                vec![("grant_type", "password")],
                400,
                "unsupported_grant_type",
            ),
            (
                "scope not granted",
                Some((&id, &secret)),
                vec![
                    ("grant_type", "client_credentials"),
                    ("scope", "addressee:addressees:create"),
                ],
                400,
                "invalid_scope",
            ),
            (
                "client_secret_post",
                None,
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                ],
                401,
                "invalid_client",
            ),
        ];
        for (what, basic, form, status, error) in cases {
            let (got, headers, body) = post_form(&app, "/oauth/token", basic, &form).await;
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(error)),
                "{what}: {body}"
            );
            assert!(
                body["error_description"]
                    .as_str()
                    .is_some_and(|d| d.is_ascii()),
                "{what}"
            );
            assert_eq!(headers["cache-control"], "no-store", "{what}");
            if status == 401 {
                assert!(
                    headers["www-authenticate"]
                        .to_str()
                        .unwrap()
                        .starts_with("Basic"),
                    "{what}"
                );
            }
        }
        // A malformed Basic header.
        for header in ["Basic !!!notbase64", "Basic bm9jb2xvbg=="] {
            let response = app
                .client
                .post(app.url("/oauth/token"))
                .header("authorization", header)
                .form(&grant)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{header}");
            assert!(response.headers().contains_key("www-authenticate"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "invalid_client", "{header}");
        }
        // A body that is not a form.
        let response = app
            .client
            .post(app.url("/oauth/token"))
            .basic_auth(&id, Some(&secret))
            .json(&json!({"grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        app.stop().await;
    }
}

#[tokio::test]
async fn client_assertions_are_checked_and_not_replayed() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let (id, secret) = client(&app, OWN, &[READ]).await;
        let good = sign_hs256(&claims(&app, &id, "jti-1"), secret.as_bytes());
        let (status, headers, body) = with_assertion(&app, &good).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], READ);
        assert_eq!(headers["cache-control"], "no-store");
        // The client may also name itself.
        let named = sign_hs256(&claims(&app, &id, "jti-2"), secret.as_bytes());
        let (status, _, body) = post_form(
            &app,
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &named),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");

        let (other_id, _) = client(&app, OWN, &[READ]).await;
        let now = jiff::Timestamp::now().as_second();
        let mut wrong_aud = claims(&app, &id, "jti-3");
        wrong_aud["aud"] = json!("https://elsewhere.example.jp/oauth/token");
        let mut expired = claims(&app, &id, "jti-4");
        expired["exp"] = json!(now - 60);
        let mut foreign_iss = claims(&app, &id, "jti-5");
        foreign_iss["iss"] = json!(other_id);
        foreign_iss["sub"] = json!(other_id);
        let header = |alg: &str| json!({"alg": alg, "typ": "JWT"});
        let cases: Vec<(&str, String)> = vec![
            ("replayed jti", good.clone()),
            ("wrong aud", sign_hs256(&wrong_aud, secret.as_bytes())),
            ("expired", sign_hs256(&expired, secret.as_bytes())),
            (
                "alg none",
                sign_with_header(
                    &header("none"),
                    &claims(&app, &id, "jti-6"),
                    secret.as_bytes(),
                ),
            ),
            (
                "alg HS512",
                sign_with_header(
                    &header("HS512"),
                    &claims(&app, &id, "jti-7"),
                    secret.as_bytes(),
                ),
            ),
            (
                "another secret",
                sign_hs256(
                    &claims(&app, &id, "jti-8"),
                    b"another-secret-another-secret-xx",
                ),
            ),
            (
                "another client's name, this client's key",
                sign_hs256(&foreign_iss, secret.as_bytes()),
            ),
            ("not a JWT", "not.a.jwt".to_owned()),
        ];
        for (what, assertion) in cases {
            let (status, headers, body) = with_assertion(&app, &assertion).await;
            assert_eq!(status, 401, "{what}: {body}");
            assert_eq!(body["error"], "invalid_client", "{what}");
            assert!(!headers.contains_key("www-authenticate"), "{what}");
        }
        let (_, _, body) = with_assertion(&app, &good).await;
        assert!(
            body["error_description"].as_str().unwrap().contains("jti"),
            "{body}"
        );
        // A failed assertion does not use up its jti.
        let retry = sign_hs256(&claims(&app, &id, "jti-8"), secret.as_bytes());
        let (status, _, body) = with_assertion(&app, &retry).await;
        assert_eq!(status, 200, "{body}");
        // An unknown assertion type, Basic and an assertion together.
        let (status, _, body) = post_form(
            &app,
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:example:other"),
                ("client_assertion", &retry),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        let (status, _, body) = post_form(
            &app,
            "/oauth/token",
            Some((&id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &retry),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn introspection_tells_active_tokens_of_the_callers_municipality_only() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let (id, secret) = client(&app, OWN, &[READ]).await;
        let (checker, checker_secret) = client(&app, OWN, &["addressee:addressees:read"]).await;
        let (foreign, foreign_secret) = client(&app, OTHER, &[READ]).await;
        let token = access_token(&app, &id, &secret).await;

        let (status, headers, body) = post_form(
            &app,
            "/oauth/introspect",
            Some((&checker, &checker_secret)),
            &[("token", &token)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(body["active"], true);
        assert_eq!(body["scope"], READ);
        assert_eq!(body["client_id"], id.as_str());
        assert_eq!(body["municipality_code"], OWN);
        let exp = body["exp"].as_i64().unwrap();
        let now = jiff::Timestamp::now().as_second();
        assert!((now + 3500..=now + 3600).contains(&exp), "{exp}");

        // With a client assertion too.
        let assertion = sign_hs256(&claims(&app, &checker, "i-1"), checker_secret.as_bytes());
        let (status, _, body) = post_form(
            &app,
            "/oauth/introspect",
            None,
            &[
                ("token", &token),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
        )
        .await;
        assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");

        // Another municipality's client learns nothing.
        let (status, _, body) = post_form(
            &app,
            "/oauth/introspect",
            Some((&foreign, &foreign_secret)),
            &[("token", &token)],
        )
        .await;
        assert_eq!((status, &body), (200, &json!({"active": false})));
        // Unknown tokens, staff tokens.
        let staff = app.token(Some(OWN), "tax_clerk").await;
        for unknown in ["kbo_990019_abc_def", "garbage", staff.as_str()] {
            let (status, _, body) = post_form(
                &app,
                "/oauth/introspect",
                Some((&checker, &checker_secret)),
                &[("token", unknown)],
            )
            .await;
            assert_eq!(
                (status, &body),
                (200, &json!({"active": false})),
                "{unknown}"
            );
        }
        // An expired token.
        let db = &app.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(OWN)).await.unwrap();
        let mut tx = tenant.begin().await.unwrap();
        tx.execute(
            "UPDATE api_access_tokens SET expires_at = '2020-01-01T00:00:00Z' WHERE municipality_code = $1",
            &[],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (status, _, body) = post_form(
            &app,
            "/oauth/introspect",
            Some((&checker, &checker_secret)),
            &[("token", &token)],
        )
        .await;
        assert_eq!((status, &body), (200, &json!({"active": false})));
        let (status, _, _) = get(
            &app,
            &format!("/api/v1/municipalities/{OWN}/persons"),
            &token,
        )
        .await;
        assert_eq!(status, 401, "an expired token opens nothing");
        // Refusals: no token parameter, no client authentication.
        let (status, _, body) = post_form(
            &app,
            "/oauth/introspect",
            Some((&checker, &checker_secret)),
            &[],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        let (status, _, body) =
            post_form(&app, "/oauth/introspect", None, &[("token", &token)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_client_token_opens_only_its_municipalitys_scoped_operations() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let own_person = resident(&app, OWN, "連携 太郎", "レンケイ タロウ").await;
        let other_person = resident(&app, OTHER, "越境 花子", "エッキョウ ハナコ").await;
        let (id, secret) = client(&app, OWN, &[READ]).await;
        let token = access_token(&app, &id, &secret).await;

        // With the scope: the person is read, and the read is in the
        // access log under the client.
        let (status, _, body) = get(
            &app,
            &format!("/api/v1/municipalities/{OWN}/persons/{own_person}"),
            &token,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.to_string().contains("連携"), "{body}");
        let logged = entries(&app, OWN, &id).await;
        assert!(
            logged
                .iter()
                .any(|e| e.action == kiban_audit::AuditAction::Read
                    && e.person_id == i64::try_from(own_person).ok()
                    && e.role == "system_client"),
            "{logged:?}"
        );
        for path in [
            format!("/api/v1/municipalities/{OWN}/persons?name_kana=レンケイ"),
            format!("/api/v1/municipalities/{OWN}/persons/{own_person}/history"),
        ] {
            let (status, _, body) = get(&app, &path, &token).await;
            assert_eq!(status, 200, "{path}: {body}");
        }

        // Another municipality's path: 404, nothing read, the refusal in
        // the client's own municipality's log, none in the other's.
        let before = entries(&app, OWN, &id).await.len();
        let (status, _, body) = get(
            &app,
            &format!("/api/v1/municipalities/{OTHER}/persons/{other_person}"),
            &token,
        )
        .await;
        assert_eq!(status, 404, "{body}");
        assert!(!body.to_string().contains("越境"));
        let after = entries(&app, OWN, &id).await;
        assert_eq!(after.len(), before + 1);
        assert_eq!(
            after.last().unwrap().action,
            kiban_audit::AuditAction::Refused
        );
        assert!(entries(&app, OTHER, &id).await.is_empty());

        // An operation without the scope (recording a movement): 403.
        let (status, body) = app
            .post_json(
                &format!("/api/v1/municipalities/{OWN}/movements"),
                Some(&token),
                &json!({}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("insufficient_scope"))
        );
        // A client without the scope: 403 with the scope named, logged.
        let (narrow, narrow_secret) = client(&app, OWN, &["addressee:addressees:read"]).await;
        let narrow_token = access_token(&app, &narrow, &narrow_secret).await;
        let (status, headers, body) = get(
            &app,
            &format!("/api/v1/municipalities/{OWN}/persons/{own_person}"),
            &narrow_token,
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "insufficient_scope");
        assert!(!body.to_string().contains("レンケイ"));
        assert!(headers["www-authenticate"].to_str().unwrap().contains(READ));
        let refused = entries(&app, OWN, &narrow).await;
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].action, kiban_audit::AuditAction::Refused);
        assert_eq!(refused[0].person_id, i64::try_from(own_person).ok());

        // Every tenant operation of the table without a scope refuses
        // clients (the door answers before the handler reads anything).
        let mut checked = 0;
        for op in kiban_web::openapi::operations() {
            if !matches!(op.access, Access::Tenant(_)) || !op.scopes.is_empty() {
                continue;
            }
            let path = op
                .path
                .split('/')
                .map(|seg| match seg {
                    "{m}" => OWN,
                    s if s.starts_with('{') => "1",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = reqwest::Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{} {}", op.method, op.path);
            checked += 1;
        }
        assert!(checked > 20, "{checked}");
        // Staff-wide operations are staff only.
        let (status, body) = app
            .post_json(
                "/api/v1/calc/wareki",
                Some(&token),
                &json!({"date": "2019-05-01"}),
            )
            .await;
        assert_eq!(status, 403, "{body}");

        // A client token is not a screen session.
        let db = &app.database.as_ref().unwrap().db;
        assert!(
            kiban_auth::authenticate(db, &token, kiban_auth::TokenKind::Session)
                .await
                .is_err()
        );
        // A client may revoke the token it uses.
        let spare = access_token(&app, &id, &secret).await;
        let response = app
            .client
            .delete(app.url("/api/v1/sessions/current"))
            .bearer_auth(&spare)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let (status, _, _) = get(
            &app,
            &format!("/api/v1/municipalities/{OWN}/persons"),
            &spare,
        )
        .await;
        assert_eq!(status, 401, "a revoked token opens nothing");
        // Disabling the client ends its tokens at once.
        let tenant = db.tenant(code(OWN)).await.unwrap();
        kiban_auth::clients::disable_client(
            &tenant,
            &kiban_audit::Actor::new("kiban-cli", "operator"),
            &id,
        )
        .await
        .unwrap();
        let (status, _, _) = get(
            &app,
            &format!("/api/v1/municipalities/{OWN}/persons/{own_person}"),
            &token,
        )
        .await;
        assert_eq!(status, 401);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_document_lists_the_oauth_endpoints_and_the_scopes() {
    let document = kiban_web::openapi::document();
    let scheme = &document["components"]["securitySchemes"]["oauth2"];
    assert_eq!(
        scheme["flows"]["clientCredentials"]["tokenUrl"],
        "/oauth/token"
    );
    assert!(scheme["flows"]["clientCredentials"]["scopes"][READ].is_string());
    let token = &document["paths"]["/oauth/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert_eq!(
        token["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/OAuthError"
    );
    let person = &document["paths"]["/api/v1/municipalities/{m}/persons/{person_id}"]["get"];
    assert_eq!(person["security"][1]["oauth2"][0], READ);
}
