//! The OpenAPI document, snapshotted: any change to the published API shows
//! in review (`cargo insta review`). It is built from the one table of
//! operations that the router and the route matrix use too.

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

use std::collections::BTreeSet;

use serde_json::Value;

#[test]
fn the_document_is_snapshotted() {
    insta::assert_json_snapshot!("openapi", kiban_web::openapi::document());
}

/// Every `$ref` in `value`.
fn refs(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(target) = v.as_str()
                {
                    found.insert(target.to_owned());
                }
                refs(v, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_1_with_every_body_described() {
    let doc = kiban_web::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("Error"));
    // Every reference resolves to a schema of the document.
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    assert!(found.len() > 30, "{found:?}");
    for target in &found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} is not a schema reference"));
        assert!(schemas.contains_key(name), "{target} does not resolve");
    }
    for op in kiban_web::openapi::operations() {
        let described = &doc["paths"][op.path][op.method];
        assert_eq!(described["operationId"], op.id);
        let responses = described["responses"].as_object().unwrap();
        assert!(responses.contains_key(&op.success.to_string()), "{}", op.id);
        for status in op.error_statuses() {
            let response = &responses[&status.to_string()];
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if op.id == "healthz" {
                continue;
            }
            // The OAuth endpoints answer RFC 6749's own error body.
            let expected = if op.path.starts_with("/oauth/") {
                "#/components/schemas/OAuthError"
            } else {
                "#/components/schemas/Error"
            };
            assert_eq!(
                schema, expected,
                "{} {status}: the common error body",
                op.id
            );
        }
        // A JSON (or, for OAuth, form) request body is a named schema with
        // its properties (the calculation's body depends on its kind); a
        // text body is a string.
        if let Some(body) = described.get("requestBody") {
            let schema = &body["content"][op.request_media]["schema"];
            if op.request_media.starts_with("text/") {
                // A text body (an income-csv-v1 file) is read by its
                // handler: a string of that media type.
                assert_eq!(schema["type"], "string", "{}", op.id);
            } else if op.id != "calculate" {
                let name = schema["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .unwrap_or_else(|| panic!("{}: {schema}", op.id));
                assert!(
                    schemas[name]["properties"].is_object(),
                    "{}: {name} has properties",
                    op.id
                );
            }
        }
    }
    // No schema is a bare object: each names its properties (but the
    // free-form calculation and document bodies, which are inline).
    for (name, schema) in schemas {
        assert!(
            schema["properties"].is_object() || schema["enum"].is_array(),
            "{name}: {schema}"
        );
    }
}

#[test]
fn the_api_error_body_matches_its_schema() {
    let response = axum::response::IntoResponse::into_response(kiban_web::ApiError::invalid(
        "persons[0].name_kana",
        kiban_core::Message::Required {
            field: "persons[0].name_kana".into(),
        },
    ));
    let (_, body) = response.into_parts();
    let bytes = futures_body(body);
    let parsed: kiban_web::openapi::ErrorBody = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(parsed.error.code, "missing_field");
    assert_eq!(parsed.error.field.as_deref(), Some("persons[0].name_kana"));
    let response = axum::response::IntoResponse::into_response(kiban_web::ApiError::not_found());
    let (_, body) = response.into_parts();
    let parsed: kiban_web::openapi::ErrorBody =
        serde_json::from_slice(&futures_body(body)).unwrap();
    assert_eq!(parsed.error.field, None);
}

fn futures_body(body: axum::body::Body) -> Vec<u8> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec() })
}
