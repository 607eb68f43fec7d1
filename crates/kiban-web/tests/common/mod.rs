//! `TestApp`: the real application on port 0 with a fresh database, on
//! either engine, with typed helpers.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helper"
)]
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use kiban_auth::Role;
use kiban_core::MunicipalityCode;
use kiban_store::Backend;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::TestDatabase;
use serde_json::Value;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database: Option<TestDatabase>,
    server: tokio::task::JoinHandle<()>,
}

pub fn code(s: &str) -> MunicipalityCode {
    MunicipalityCode::parse(s).unwrap()
}

impl TestApp {
    /// Starts the app with two municipalities (131016 千代田区 and 990019
    /// デモ市), a staff account per role in each, and an operator.
    pub async fn spawn(backend: Backend) -> TestApp {
        let database = TestDatabase::new(backend).await.unwrap();
        let db = database.db.clone();
        for (c, name) in [("131016", "千代田区"), ("990019", "デモ市")] {
            platform::create_municipality(
                &db,
                &Municipality {
                    code: code(c),
                    name: name.into(),
                    prefecture: "東京都".into(),
                },
            )
            .await
            .unwrap();
            let tenant = db.tenant(code(c)).await.unwrap();
            for role in Role::ALL {
                kiban_auth::create_staff(
                    &tenant,
                    role.code(),
                    &format!("{}職員", role.label_ja()),
                    role,
                    PASSWORD,
                )
                .await
                .unwrap();
            }
        }
        kiban_auth::create_operator(&db, "ops", PASSWORD)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = kiban_web::AppState::new(db, kiban_web::WebConfig::default());
        let server = tokio::spawn(async move {
            axum::serve(listener, kiban_web::router(state))
                .await
                .unwrap();
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base: format!("http://{addr}"),
            client,
            database: Some(database),
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A bearer token of a staff member (login = role code) or, with
    /// municipality `None`, of the operator.
    pub async fn token(&self, municipality: Option<&str>, login: &str) -> String {
        let mut body = serde_json::json!({"login": login, "password": PASSWORD});
        if let Some(m) = municipality {
            body["municipality_code"] = Value::String(m.into());
        }
        let response = self
            .client
            .post(self.url("/api/v1/sessions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "login {login}");
        let json: Value = response.json().await.unwrap();
        json["token"].as_str().unwrap().to_owned()
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(Value::Null);
        (status, json)
    }

    pub async fn stop(mut self) {
        self.server.abort();
        if let Some(db) = self.database.take() {
            db.cleanup().await.unwrap();
        }
    }
}
