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
