//! The login page and the staff shell, as a browser without JavaScript sees
//! them.

mod common;

use common::{PASSWORD, TestApp};
use kiban_store::testing::BACKENDS;

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).map_or(0, |i| i + marker.len());
    let token = html[start..].split('"').next().unwrap_or_default();
    assert!(!token.is_empty(), "the page has a CSRF field");
    token.to_owned()
}

#[tokio::test]
async fn login_shell_and_logout() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let page = app
            .client
            .get(app.url("/login?m=990019"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("職員ログイン") && html.contains("lang=\"ja\""));
        assert!(
            !html.contains("<script"),
            "no inline or external script on the login page"
        );
        let csrf = csrf_of(&html);

        // A wrong password re-renders the form with a message and 401.
        let wrong = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("municipality_code", "990019"),
                ("login", "registry_clerk"),
                ("password", "nope-nope-nope"),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.unwrap().contains("正しくありません"));

        // A missing CSRF token is refused.
        let forged = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("municipality_code", "990019"),
                ("login", "registry_clerk"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);

        let html = app
            .client
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&html);
        let ok = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("municipality_code", "990019"),
                ("login", "registry_clerk"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        // The clerk may see 個人番号: the first login goes to the enrolment
        // of the second factor, which then logs in.
        assert_eq!(ok.status(), 303);
        assert_eq!(ok.headers()["location"], "/enrol");
        let before = app.client.get(app.url("/app")).send().await.unwrap();
        assert_eq!(before.status(), 303, "nothing but enrolment before it");
        app.enrol_screen("990019", "registry_clerk").await;
        let shell = app
            .client
            .get(app.url("/app"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(shell.contains("デモ市（990019）"), "{shell}");
        assert!(shell.contains("住民記録担当"));
        assert!(shell.contains("住民記録") && shell.contains("国民健康保険"));
        let csrf = csrf_of(&shell);
        let out = app
            .client
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let after = app.client.get(app.url("/app")).send().await.unwrap();
        assert_eq!(after.status(), 303, "the session is gone after logout");
        app.stop().await;
    }
}
