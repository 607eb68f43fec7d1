//! The JSON API of the foundation on both engines: health, metrics, OpenAPI,
//! sessions, calculations, errors.

mod common;

use common::{PASSWORD, TestApp};
use kiban_store::testing::BACKENDS;
use serde_json::json;

#[tokio::test]
async fn health_metrics_and_openapi() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(
            health.json::<serde_json::Value>().await.unwrap(),
            json!({"status": "ok"})
        );
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("kiban_http_requests_total"), "{metrics}");
        let doc: serde_json::Value = app
            .client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        // Every documented operation is answered by the router (not 404/405).
        for op in kiban_web::openapi::operations() {
            let path = op.path.replace("{kind}", "age");
            let request = match op.method {
                "get" => app.client.get(app.url(&path)),
                "post" => app.client.post(app.url(&path)).json(&json!({})),
                "put" => app.client.put(app.url(&path)).json(&json!({})),
                "delete" => app.client.delete(app.url(&path)),
                other => panic!("method {other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            if op.path.contains("{code}") {
                // An unknown verification code is answered 404 with the
                // API's error body, not by the fallback.
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(status, 404);
                assert_eq!(body["error"]["code"], "not_found");
                assert!(doc["paths"][op.path][op.method].is_object());
                continue;
            }
            assert!(
                status != 404 && status != 405,
                "{} {} → {status}",
                op.method,
                op.path
            );
            assert!(
                doc["paths"][op.path][op.method].is_object(),
                "{} documented",
                op.path
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn sessions_answer_the_same_for_unknown_logins_and_lock_out() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let login =
            |m: &str, l: &str, p: &str| json!({"municipality_code": m, "login": l, "password": p});
        let (status, body) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &login("990019", "registry_clerk", "wrong-password!!"),
            )
            .await;
        assert_eq!(status, 401);
        let (status2, body2) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &login("990019", "nobody", "wrong-password!!"),
            )
            .await;
        assert_eq!(status2, 401);
        assert_eq!(body, body2, "unknown and known logins answer alike");
        let (status3, _) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &login("012289", "registry_clerk", PASSWORD),
            )
            .await;
        assert_eq!(status3, 401, "unknown municipality answers alike");
        let (status4, body4) = app
            .post_json("/api/v1/sessions", None, &json!({"login": 1}))
            .await;
        assert_eq!(status4, 422);
        assert_eq!(body4["error"]["field"], "login");
        let raw = app
            .client
            .post(app.url("/api/v1/sessions"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), 400);
        assert_eq!(
            raw.json::<serde_json::Value>().await.unwrap()["error"]["code"],
            "malformed_json"
        );

        // After repeated failures the account is locked, even for the right password.
        for _ in 0..kiban_auth::LOCKOUT_THRESHOLD {
            app.post_json(
                "/api/v1/sessions",
                None,
                &login("131016", "tax_clerk", "wrong-password!!"),
            )
            .await;
        }
        let (locked, _) = app
            .post_json(
                "/api/v1/sessions",
                None,
                &login("131016", "tax_clerk", PASSWORD),
            )
            .await;
        assert_eq!(locked, 429);
        // Other accounts are not affected.
        let token = app.token(Some("131016"), "nhi_clerk").await;
        let response = app
            .client
            .delete(app.url("/api/v1/sessions/current"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        // A revoked token no longer works.
        let (after, _) = app
            .post_json(
                "/api/v1/calc/age",
                Some(&token),
                &json!({"birth_date": "2000-01-01", "on": "2020-01-01"}),
            )
            .await;
        assert_eq!(after, 401);
        app.stop().await;
    }
}

#[tokio::test]
async fn calculations_through_the_api() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let token = app.token(Some("990019"), "tax_clerk").await;
        let (status, body) = app
            .post_json(
                "/api/v1/calc/check-digit",
                Some(&token),
                &json!({"scheme": "municipality_code", "number": "131017"}),
            )
            .await;
        assert_eq!(
            (status, body),
            (200, json!({"valid": false, "normalized": "131017"}))
        );
        let (status, body) = app
            .post_json(
                "/api/v1/calc/age",
                Some(&token),
                &json!({"birth_date": "2000-02-30", "on": "2020-01-01"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "birth_date");
        let (status, _) = app
            .post_json("/api/v1/calc/horoscope", Some(&token), &json!({}))
            .await;
        assert_eq!(status, 404);
        let (status, _) = app.post_json("/api/v1/calc/age", None, &json!({})).await;
        assert_eq!(status, 401);
        let operator = app.token(None, "ops").await;
        let (status, _) = app
            .post_json(
                "/api/v1/calc/age",
                Some(&operator),
                &json!({"birth_date": "2000-01-01", "on": "2020-01-01"}),
            )
            .await;
        assert_eq!(status, 403, "operators get no personal calculations");
        app.stop().await;
    }
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = TestApp::spawn(kiban_store::Backend::Sqlite).await;
    for path in ["/login", "/healthz", "/api/openapi.json", "/nowhere"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers.contains_key("x-request-id"));
    }
    app.stop().await;
}
