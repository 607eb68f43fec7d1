//! The documented request bodies and the handlers' parsers agree, for every
//! operation of the table that takes a JSON body: the schema's example is
//! read without a complaint about its shape, and a body without one of the
//! schema's required members is refused with that member named. The
//! document is built from the same table as the router, so a new operation
//! with a body is checked without a line here.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use common::TestApp;
use kiban_auth::{Permission, Role};
use kiban_store::testing::BACKENDS;
use kiban_web::openapi::{self, Access};
use serde_json::{Value, json};

const OWN: &str = "990019";

/// The error codes that mean "the body's shape is not what the parser
/// reads": what a documented example must never get. (`invalid_value` is
/// not among them: an example's value may be refused on its merits, a
/// shortened impression image for one.)
const SHAPE_ERRORS: [&str; 4] = [
    "malformed_json",
    "missing_field",
    "invalid_type",
    "unknown_field",
];

/// The schema of the operation's JSON body, with its `$ref` resolved.
fn body_schema(document: &Value, path: &str, method: &str) -> Option<Value> {
    let schema =
        document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
            .clone();
    let name = schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")?
        .to_owned();
    Some(document["components"]["schemas"][name].clone())
}

/// The path with its parameters filled in: the own municipality and ids of
/// the records [`fixtures`] made.
fn concrete(path: &str, f: &Fixtures) -> String {
    path.replace("{m}", OWN)
        .replace("{person_id}", &f.person.to_string())
        .replace("{addressee_id}", &f.person.to_string())
        .replace("{business}", "resident_tax")
        .replace("{id}", &f.registration.to_string())
        .replace("{measure_id}", &f.measure.to_string())
        .replace("{fiscal_year}", "2026")
        .replace("{record_id}", "1")
}

/// The records the paths name.
struct Fixtures {
    person: i64,
    registration: i64,
    measure: i64,
}

/// A login whose role may call the operation (the logins are role codes).
fn login_for(access: Access) -> Option<&'static str> {
    let permission = match access {
        Access::Tenant(p) | Access::Staff(p) => p,
        Access::Public | Access::Authenticated => return None,
    };
    Role::ALL
        .into_iter()
        .find(|r| r.allows(permission))
        .map(Role::code)
}

fn impression() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(include_bytes!(
        "../../kiban-print/tests/fixtures/impression.png"
    ))
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let url = app.url(path);
    let mut request = match method {
        "put" => app.client.put(url),
        _ => app.client.post(url),
    }
    .json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A household with a person (from the movement schema's own example), a
/// seal registration and a 支援措置 of that person, so that paths naming a
/// person, a registration or a measure reach their body's parser.
async fn fixtures(app: &TestApp, document: &Value) -> Fixtures {
    let token = app.token(Some(OWN), "registry_clerk").await;
    let movement = body_schema(document, "/api/v1/municipalities/{m}/movements", "post").unwrap();
    let (status, recorded) = send(
        app,
        "post",
        &format!("/api/v1/municipalities/{OWN}/movements"),
        Some(&token),
        &movement["example"],
    )
    .await;
    assert_eq!(status, 201, "{recorded}");
    let person = recorded["persons"][0]["person_id"].as_i64().unwrap();
    let (status, sealed) = send(
        app,
        "post",
        &format!("/api/v1/municipalities/{OWN}/seal-registrations"),
        Some(&token),
        &json!({"person_id": person, "procedure": "identity_verified",
                "impression_png_base64": impression()}),
    )
    .await;
    assert_eq!(status, 201, "{sealed}");
    let manager = login_for(Access::Tenant(Permission::ManageSupportMeasures)).unwrap();
    let token = app.token(Some(OWN), manager).await;
    let (status, measure) = send(
        app,
        "post",
        &format!("/api/v1/municipalities/{OWN}/persons/{person}/support-measures"),
        Some(&token),
        &json!({"reason": "domestic_violence", "starts_on": "2024-05-01"}),
    )
    .await;
    assert_eq!(status, 201, "{measure}");
    Fixtures {
        person,
        registration: sealed["registration_id"].as_i64().unwrap(),
        measure: measure["measure_id"].as_i64().unwrap(),
    }
}

#[tokio::test]
async fn every_documented_body_is_what_its_parser_reads() {
    let document = openapi::document();
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let fixtures = fixtures(&app, &document).await;
        let mut checked = 0;
        for operation in openapi::operations() {
            let Some(schema) = body_schema(&document, operation.path, operation.method) else {
                continue;
            };
            let Some(login) = login_for(operation.access) else {
                // The login itself (no permission to find a role by): its
                // body is checked by the security tests.
                continue;
            };
            let token = app.token(Some(OWN), login).await;
            let path = concrete(operation.path, &fixtures);
            let example = schema
                .get("example")
                .cloned()
                .unwrap_or_else(|| panic!("{}: the body schema has no example", operation.id));
            // The example's shape is read without a complaint (what it asks
            // may still be refused: a registration already abolished, a
            // person not found).
            let (status, answer) =
                send(&app, operation.method, &path, Some(&token), &example).await;
            let code = answer["error"]["code"].as_str().unwrap_or_default();
            assert!(
                !(status == 400 || status == 422) || !SHAPE_ERRORS.contains(&code),
                "{backend:?} {}: its documented example is refused as {status} {answer}",
                operation.id
            );
            // Without a required member, the answer names it.
            let required: Vec<String> = schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            for member in required {
                let mut without = example.clone();
                without.as_object_mut().unwrap().remove(&member);
                let (status, answer) =
                    send(&app, operation.method, &path, Some(&token), &without).await;
                assert_eq!(
                    (status, answer["error"]["field"].as_str()),
                    (422, Some(member.as_str())),
                    "{backend:?} {} without {member}: {answer}",
                    operation.id
                );
            }
            checked += 1;
        }
        // Every body but the login's and the calculation's (free-form).
        assert!(checked >= 10, "only {checked} bodies checked");
        app.stop().await;
    }
}
