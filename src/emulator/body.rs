//! Reading an API request's body: the size cap and the deadline, and the
//! content type a body must have.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::errors::ApiError;
use super::operation::Operation;

/// Reads the whole body, refusing more than `max` bytes (by
/// `Content-Length` up front, or while reading) and bodies slower than
/// `timeout`.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::RequestEntityTooLarge(max));
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(ApiError::RequestTimeout),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(ApiError::RequestEntityTooLarge(max))
        }
        Ok(Err(e)) => Err(ApiError::Serialization(format!(
            "Could not read the request body: {e}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A body, when there is one, must be JSON. A missing `Content-Type` is
/// tolerated (curl without `-H`); any other type is refused with 415.
pub fn check_content_type(headers: &HeaderMap, op: Operation, body: &[u8]) -> Result<(), ApiError> {
    let takes_body = !matches!(
        op,
        Operation::ListTagsForResource | Operation::UntagResource
    );
    if !takes_body || body.is_empty() {
        return Ok(());
    }
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let mime = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported Media Type: expected application/json, got '{}'",
            String::from_utf8_lossy(value.as_bytes())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(check_content_type(&h, Operation::SendEvent, b"{}").is_ok());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/JSON; charset=utf-8"),
        );
        assert!(check_content_type(&h, Operation::SendEvent, b"{}").is_ok());
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(matches!(
            check_content_type(&h, Operation::SendEvent, b"{}"),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(check_content_type(&h, Operation::SendEvent, b"").is_ok());
        assert!(check_content_type(&h, Operation::ListTagsForResource, b"x").is_ok());
    }
}
