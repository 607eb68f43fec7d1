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
    /// The server's counts of its requests (for the operations report).
    pub usage: std::sync::Arc<kiban_ops::usage::UsageBook>,
    server: tokio::task::JoinHandle<()>,
    /// Second-factor secrets of the accounts enrolled through
    /// [`TestApp::login_screen`], with the last step used: (municipality,
    /// login) → (Base32 secret, step).
    totp: std::sync::Mutex<std::collections::HashMap<(String, String), (String, u64)>>,
}

/// A browser of its own: a cookie jar, no redirects followed.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The body of a `GET` of `url` by `client` (with its cookies), as text.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).map_or(0, |i| i + marker.len());
    let token = html[start..].split('"').next().unwrap_or_default();
    assert!(!token.is_empty(), "the page has a CSRF field");
    token.to_owned()
}

/// The text of the element with id `id` (up to the next tag).
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let start = html.find(&marker)?;
    let rest = &html[start..];
    let open_end = rest.find('>')? + 1;
    let text = rest[open_end..].split('<').next()?;
    Some(text.trim().to_owned())
}

/// Posts a form with `client` (a screen session); answers the status, the
/// page and the `Location` of a redirect.
pub async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let response = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

pub fn code(s: &str) -> MunicipalityCode {
    MunicipalityCode::parse(s).unwrap()
}

impl TestApp {
    /// Starts the app with two municipalities (131016 千代田区 and 990019
    /// デモ市), a staff account per role in each, and an operator.
    /// The public verification's rate limit is off: tests call it more
    /// often than one client could ([`TestApp::spawn_with_config`] sets one).
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, true, Self::config()).await
    }

    /// [`TestApp::spawn`] as `kiban serve` runs when no master key is
    /// configured (the database's own pool keeps its key, for checks).
    pub async fn spawn_without_master_key(backend: Backend) -> TestApp {
        Self::spawn_with(backend, false, Self::config()).await
    }

    /// [`TestApp::spawn`] with web settings of the test's own.
    pub async fn spawn_with_config(backend: Backend, config: kiban_web::WebConfig) -> TestApp {
        Self::spawn_with(backend, true, config).await
    }

    /// The settings of [`TestApp::spawn`].
    pub fn config() -> kiban_web::WebConfig {
        kiban_web::WebConfig {
            verify_rate_per_minute: 0,
            ..kiban_web::WebConfig::default()
        }
    }

    async fn spawn_with(
        backend: Backend,
        master_key: bool,
        mut config: kiban_web::WebConfig,
    ) -> TestApp {
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
        if config.public_url.is_empty() {
            // As `kiban serve` without --public-url: http:// and the address.
            config.public_url = format!("http://{addr}");
        }
        let served = if master_key {
            db
        } else {
            database.db_without_master_key()
        };
        let state = kiban_web::AppState::new(served, config);
        let usage = state.usage.clone();
        let server = tokio::spawn(async move {
            let app = kiban_web::router(state)
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.unwrap();
        });
        let client = new_client();
        TestApp {
            base: format!("http://{addr}"),
            client,
            database: Some(database),
            usage,
            server,
            totp: Default::default(),
        }
    }

    /// A finished run of `population-statistics` (as of 2026-12-01) in
    /// municipality `m`, submitted and run to its end through the engine.
    pub async fn finished_job(&self, m: &str) -> i64 {
        let db = &self.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(m)).await.unwrap();
        let kinds = kiban_web::job_kinds();
        let params = [("as_of".to_owned(), "2026-12-01".to_owned())]
            .into_iter()
            .collect();
        let id =
            kiban_jobs::engine::submit(&tenant, &kinds, "population-statistics", &params, "test")
                .await
                .unwrap();
        let status = kiban_jobs::engine::run_to_end(
            &tenant,
            &kinds,
            id,
            &kiban_jobs::EngineOptions::default(),
            std::time::Duration::from_millis(10),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(status, kiban_jobs::Status::Succeeded);
        id
    }

    /// Runs the resident tax's annual assessment of 2026 to its end.
    pub async fn resident_tax_assessed(&self, m: &str) -> i64 {
        let db = &self.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(m)).await.unwrap();
        let kinds = kiban_web::job_kinds();
        let params = [("fiscal_year".to_owned(), "2026".to_owned())]
            .into_iter()
            .collect();
        let id =
            kiban_jobs::engine::submit(&tenant, &kinds, "resident-tax-assessment", &params, "test")
                .await
                .unwrap();
        let status = kiban_jobs::engine::run_to_end(
            &tenant,
            &kinds,
            id,
            &kiban_jobs::EngineOptions::default(),
            std::time::Duration::from_millis(10),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(status, kiban_jobs::Status::Succeeded);
        id
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A bearer token of a staff member (login = role code) or, with
    /// municipality `None`, of the operator. Accounts whose role needs a
    /// second factor get their token the service way (as `kiban token
    /// create` does); the others log in through `POST /api/v1/sessions`.
    pub async fn token(&self, municipality: Option<&str>, login: &str) -> String {
        if let Some(m) = municipality
            && kiban_auth::Role::parse(login).is_ok_and(|r| r.requires_second_factor())
        {
            let db = &self.database.as_ref().unwrap().db;
            let tenant = db.tenant(code(m)).await.unwrap();
            return kiban_auth::issue_staff_token(
                &tenant,
                login,
                kiban_auth::TokenKind::Api,
                jiff::SignedDuration::from_hours(8),
            )
            .await
            .unwrap()
            .token;
        }
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

    /// A browser holding a screen session of `login`, made the service way
    /// (no password, no second factor), for screens a test reaches without
    /// going through the login.
    pub async fn screen_session(&self, municipality: &str, login: &str) -> reqwest::Client {
        let db = &self.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(municipality)).await.unwrap();
        let issued = kiban_auth::issue_staff_token(
            &tenant,
            login,
            kiban_auth::TokenKind::Session,
            jiff::SignedDuration::from_hours(8),
        )
        .await
        .unwrap();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url: reqwest::Url = self.base.parse().unwrap();
        jar.add_cookie_str(&format!("kiban_session={}; Path=/", issued.token), &url);
        reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The second-factor code of an account enrolled through
    /// [`TestApp::login_screen`], for a step not used yet (the next one when
    /// the current one was used; the server accepts one step ahead).
    pub fn next_otp(&self, municipality: &str, login: &str) -> Option<String> {
        let mut map = self.totp.lock().unwrap();
        let (secret, last) = map.get_mut(&(municipality.to_owned(), login.to_owned()))?;
        let step = kiban_auth::current_step().max(*last + 1);
        assert!(
            step <= kiban_auth::current_step() + 1,
            "two logins of one account within one 30-second step"
        );
        *last = step;
        Some(
            kiban_auth::TotpSecret::from_base32(secret)
                .unwrap()
                .code_for_step(step),
        )
    }

    /// Logs `login` in on the screens with this client's cookies: password,
    /// then the second factor: enrolled on the enrolment screen at the first
    /// login of a role that needs one (the secret read from the page, the
    /// code computed here), a fresh code at later logins. Ends on `/app`.
    pub async fn login_screen(&self, municipality: &str, login: &str) {
        self.login_screen_with(&self.client, municipality, login)
            .await;
    }

    /// [`TestApp::login_screen`] with another browser (cookie jar).
    pub async fn login_screen_with(
        &self,
        client: &reqwest::Client,
        municipality: &str,
        login: &str,
    ) {
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_field(&html);
        let otp = self.next_otp(municipality, login).unwrap_or_default();
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("municipality_code", municipality),
                ("login", login),
                ("password", PASSWORD),
                ("otp", otp.as_str()),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "login {login}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        if location == "/app/staff/enrol" {
            self.enrol_screen_with(client, municipality, login).await;
        } else {
            assert_eq!(location, "/app");
        }
    }

    /// Completes the enrolment screen the client is on after a password
    /// login; remembers the secret for later logins.
    pub async fn enrol_screen(&self, municipality: &str, login: &str) {
        self.enrol_screen_with(&self.client, municipality, login)
            .await;
    }

    /// [`TestApp::enrol_screen`] with another browser (cookie jar).
    pub async fn enrol_screen_with(
        &self,
        client: &reqwest::Client,
        municipality: &str,
        login: &str,
    ) {
        let page = client
            .get(self.url("/app/staff/enrol"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("data:image/svg+xml;base64,"), "a QR code");
        let secret = element_text(&html, "totp-secret").unwrap();
        let csrf = csrf_field(&html);
        let step = kiban_auth::current_step();
        let code = kiban_auth::TotpSecret::from_base32(&secret)
            .unwrap()
            .code_for_step(step);
        let done = client
            .post(self.url("/app/staff/enrol"))
            .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        assert_eq!(done.headers()["location"], "/app");
        self.totp
            .lock()
            .unwrap()
            .insert((municipality.to_owned(), login.to_owned()), (secret, step));
    }

    /// Sets the certifier (市長の職名と氏名) printed on the certificates of
    /// municipality `m`, as its administrator would.
    pub async fn set_certifier(&self, m: &str, mayor_title: &str, mayor_name: &str) {
        let db = &self.database.as_ref().unwrap().db;
        let tenant = db.tenant(code(m)).await.unwrap();
        kiban_certificate::storage::set_certifier(
            &tenant,
            "municipality_admin",
            &kiban_certificate::storage::Certifier {
                mayor_title: mayor_title.into(),
                mayor_name: mayor_name.into(),
                official_seal: None,
            },
        )
        .await
        .unwrap();
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
