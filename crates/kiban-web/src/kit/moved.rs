//! The screens' old addresses. Every staff screen lives under
//! `/app/<business>/…`; the addresses screens had before answer with a
//! permanent redirect (308, which keeps the method and the body of a form's
//! POST) to the new one, with the query string, so that bookmarks and forms
//! open before an upgrade keep working.

use axum::Router;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;

use crate::AppState;
use crate::kit::page::not_found_page;

/// One screen address that moved: the old route and the new, with the same
/// `{parameters}`.
pub struct Moved {
    /// The route before (`/registry/persons/{person_id}`).
    pub old: &'static str,
    /// The route now (`/app/registry/persons/{person_id}`).
    pub new: &'static str,
}

/// Every screen address that moved.
pub const MOVED: &[Moved] = &[
    Moved {
        old: "/registry",
        new: "/app/registry",
    },
    Moved {
        old: "/registry/follow-up/missing-residence-status",
        new: "/app/registry/follow-up/missing-residence-status",
    },
    Moved {
        old: "/registry/persons/{person_id}",
        new: "/app/registry/persons/{person_id}",
    },
    Moved {
        old: "/registry/households/{household_id}",
        new: "/app/registry/households/{household_id}",
    },
    Moved {
        old: "/registry/movements/{kind}",
        new: "/app/registry/movements/{kind}",
    },
    Moved {
        old: "/app/persons/{person_id}/individual-number",
        new: "/app/registry/persons/{person_id}/individual-number",
    },
    Moved {
        old: "/app/persons/{person_id}/individual-number/reveal",
        new: "/app/registry/persons/{person_id}/individual-number/reveal",
    },
    Moved {
        old: "/app/persons/{person_id}/support-measures",
        new: "/app/protection/persons/{person_id}/support-measures",
    },
    Moved {
        old: "/app/access-log",
        new: "/app/audit/access-log",
    },
    Moved {
        old: "/app/access-log.csv",
        new: "/app/audit/access-log.csv",
    },
    Moved {
        old: "/enrol",
        new: "/app/staff/enrol",
    },
];

/// The routes of the old addresses, each answering any method with a 308 to
/// its new address.
pub(crate) fn routes() -> Router<AppState> {
    MOVED.iter().fold(Router::new(), |router, moved| {
        let (old, new) = (moved.old, moved.new);
        router.route(
            old,
            any(move |uri: Uri| async move { redirect(old, new, &uri) }),
        )
    })
}

fn redirect(old: &str, new: &str, uri: &Uri) -> Response {
    match relocate(old, new, uri.path()) {
        Some(path) => {
            let target = match uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            Redirect::permanent(&target).into_response()
        }
        None => not_found_page("指定されたページは見つかりません。"),
    }
}

/// The new address of `path`, a match of the route `old`: each
/// `{parameter}` of `new` takes the segment of `path` at the place of the
/// same parameter in `old`.
fn relocate(old: &str, new: &str, path: &str) -> Option<String> {
    let pattern: Vec<&str> = old.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    if pattern.len() != segments.len() {
        return None;
    }
    let mut relocated = new.to_owned();
    for (part, segment) in pattern.iter().zip(&segments) {
        if part.starts_with('{') && part.ends_with('}') {
            relocated = relocated.replace(part, segment);
        } else if part != segment {
            return None;
        }
    }
    Some(relocated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_place() {
        assert_eq!(
            relocate(
                "/registry/persons/{person_id}",
                "/app/registry/persons/{person_id}",
                "/registry/persons/42"
            )
            .as_deref(),
            Some("/app/registry/persons/42")
        );
        assert_eq!(
            relocate("/registry", "/app/registry", "/registry").as_deref(),
            Some("/app/registry")
        );
        assert_eq!(relocate("/registry", "/app/registry", "/other"), None);
    }

    #[test]
    fn every_new_address_has_the_old_parameters() {
        for moved in MOVED {
            let parameters = |route: &str| -> Vec<String> {
                route
                    .split('/')
                    .filter(|part| part.starts_with('{'))
                    .map(str::to_owned)
                    .collect()
            };
            assert_eq!(
                parameters(moved.old),
                parameters(moved.new),
                "{}",
                moved.old
            );
            assert!(moved.new.starts_with("/app/"), "{}", moved.new);
        }
    }
}
