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
        assert_eq!(ok.headers()["location"], "/app/staff/enrol");
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

/// Every screen address before `/app/<business>/…` answers, for GET and
/// POST, with a 308 to its new address, keeping the query string; the new
/// address is a route of the app (not the 404 page).
#[tokio::test]
async fn old_screen_addresses_redirect_to_the_new() {
    let app = TestApp::spawn(kiban_store::Backend::Sqlite).await;
    assert!(kiban_web::MOVED.len() >= 11);
    let sample = |route: &str| -> String {
        route
            .split('/')
            .map(|part| match part {
                "{kind}" => "move_in",
                part if part.starts_with('{') => "7",
                part => part,
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    for moved in kiban_web::MOVED {
        let (old, new) = (sample(moved.old), sample(moved.new));
        let get = app
            .client
            .get(app.url(&format!("{old}?a=1&b=%E3%83%A4")))
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 308, "GET {old}");
        assert_eq!(
            get.headers()["location"],
            format!("{new}?a=1&b=%E3%83%A4").as_str(),
            "GET {old}"
        );
        let bare = app.client.get(app.url(&old)).send().await.unwrap();
        assert_eq!(bare.headers()["location"], new.as_str(), "GET {old}");
        let post = app
            .client
            .post(app.url(&old))
            .form(&[("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 308, "POST {old}");
        assert_eq!(post.headers()["location"], new.as_str(), "POST {old}");
        // Not logged in: the new address is a screen, which sends the
        // browser to the login page (or refuses the form's POST).
        let followed = app.client.get(app.url(&new)).send().await.unwrap();
        assert_ne!(followed.status(), 404, "GET {new}");
    }
    app.stop().await;
}
