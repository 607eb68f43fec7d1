//! The query string of an API request, read like `axum::extract::Query`
//! but refused with the API's own error body (400 `malformed_query`,
//! JSON) instead of axum's plain-text answer, so that every answer of the
//! API is the one its document describes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kiban_core::Message;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The query parameters of a request, deserialized into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::of(Message::MalformedQuery {
                detail: rejection.body_text(),
            })),
        }
    }
}

/// The page size `limit` of a list, 1 to `max` (`max` when absent or
/// blank); anything else is refused naming `limit`.
pub(crate) fn page_limit(raw: Option<&str>, max: usize) -> Result<usize, ApiError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(max),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    Message::LimitOutOfRange {
                        field: "limit".into(),
                        max: max.to_string(),
                    },
                )
            }),
    }
}
