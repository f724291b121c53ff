//! The error replies of the emulated service, rendered the way restJson1 puts
//! them on the wire.
//!
//! Every error carries its type twice, as the service does: in the
//! `x-amzn-ErrorType` header (which the Rust SDK, botocore and the AWS CLI read
//! first) and as `__type` in the JSON body, next to `message` and the
//! modelled members (`reason`/`fieldList`, `resourceId`/`resourceType`,
//! `limit`). The request id header is added by the request pipeline.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// Header naming the error type; the SDKs read it before the body.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-ErrorType";

/// `ValidationException.reason`, the model's `ValidationExceptionReason` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationReason {
    /// The operation is not known (the model has it; unknown paths get
    /// `UnknownOperationException` instead, see [`ApiError::UnknownOperation`]).
    UnknownOperation,
    /// One or more members break a constraint; `fieldList` says which.
    FieldValidationFailed,
    /// Anything else, such as a pagination token that is not ours.
    Other,
}

impl ValidationReason {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownOperation => "UNKNOWN_OPERATION",
            Self::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            Self::Other => "OTHER",
        }
    }
}

/// One entry of `ValidationException.fieldList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Member path, such as `eventName` or `messageReviewHandler.uri`.
    pub name: String,
    /// What the member must satisfy, worded like the service.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            message: message.into(),
        }
    }
}

/// Every error the emulator answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400 `ValidationException`.
    Validation {
        /// Why, as the model's enum.
        reason: ValidationReason,
        /// Human-readable summary.
        message: String,
        /// The members at fault.
        fields: Vec<FieldError>,
    },
    /// 404 `ResourceNotFoundException` for a room (`resourceType` = ROOM).
    ResourceNotFound {
        /// The room id (the part of the ARN after `room/`).
        resource_id: String,
        /// Human-readable message.
        message: String,
    },
    /// 429 `ThrottlingException`, from a quota or an injected fault.
    Throttling {
        /// The room id the request named, or the account id when it named none.
        resource_id: String,
        /// The quota in transactions per second.
        limit: u32,
    },
    /// 403 `MissingAuthenticationTokenException`: no `Authorization` header.
    MissingAuthenticationToken,
    /// 403 `IncompleteSignatureException`: the `Authorization` header is malformed.
    IncompleteSignature(String),
    /// 403 `InvalidSignatureException`: the signature, its scope or its time is wrong.
    InvalidSignature(String),
    /// 403 `UnrecognizedClientException`: unknown access key id or session token.
    UnrecognizedClient,
    /// 400 `SerializationException`: the body is not the JSON the operation takes.
    Serialization(String),
    /// 415 `UnsupportedMediaTypeException`: a body with a content type other than JSON.
    UnsupportedMediaType(String),
    /// 404 `UnknownOperationException`: no operation at this method and path.
    UnknownOperation,
    /// 413 `RequestEntityTooLargeException`: the body is larger than the cap.
    RequestEntityTooLarge(usize),
    /// 408 `RequestTimeoutException`: the body did not arrive in time.
    RequestTimeout,
    /// 500 `InternalServerException` (injected faults).
    InternalServer,
    /// 503 `ServiceUnavailableException` (injected faults).
    ServiceUnavailable,
    /// 403 `AccessDeniedException`: the key may not call this operation.
    AccessDenied(String),
    /// 402 `ServiceQuotaExceededException`: the account holds as many
    /// resources of this kind in the region as it may.
    ServiceQuotaExceeded {
        /// The account id.
        resource_id: String,
        /// Human-readable message.
        message: String,
        /// The quota.
        limit: u32,
    },
    /// 409 `ConflictException`: the resource is in use.
    Conflict {
        /// The id of the resource in conflict.
        resource_id: String,
        /// Human-readable message.
        message: String,
    },
}

impl ApiError {
    /// A `FIELD_VALIDATION_FAILED` validation error, with the service's
    /// "N validation error(s) detected" message.
    pub fn field_validation(fields: Vec<FieldError>) -> Self {
        let n = fields.len();
        let details = fields
            .iter()
            .map(|f| {
                format!(
                    "Value at '{}' failed to satisfy constraint: {}",
                    f.name, f.message
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let plural = if n == 1 { "error" } else { "errors" };
        Self::Validation {
            reason: ValidationReason::FieldValidationFailed,
            message: format!("{n} validation {plural} detected: {details}"),
            fields,
        }
    }

    /// A validation error with reason `OTHER` for one member.
    pub fn other_validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            reason: ValidationReason::Other,
            message: message.clone(),
            fields: vec![FieldError::new(field, message)],
        }
    }

    /// Unknown room.
    pub fn room_not_found(arn: &str, room_id: &str) -> Self {
        Self::ResourceNotFound {
            resource_id: room_id.to_string(),
            message: format!("Room not found: {arn}"),
        }
    }

    /// Unknown logging configuration (the model's `ResourceType` has only
    /// `ROOM`, so that is the `resourceType`).
    pub fn logging_not_found(arn: &str, id: &str) -> Self {
        Self::ResourceNotFound {
            resource_id: id.to_string(),
            message: format!("Logging configuration not found: {arn}"),
        }
    }

    /// The error type as the service names it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "ValidationException",
            Self::ResourceNotFound { .. } => "ResourceNotFoundException",
            Self::Throttling { .. } => "ThrottlingException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature(_) => "IncompleteSignatureException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::Serialization(_) => "SerializationException",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaTypeException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::RequestEntityTooLarge(_) => "RequestEntityTooLargeException",
            Self::RequestTimeout => "RequestTimeoutException",
            Self::InternalServer => "InternalServerException",
            Self::ServiceUnavailable => "ServiceUnavailableException",
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::ServiceQuotaExceeded { .. } => "ServiceQuotaExceededException",
            Self::Conflict { .. } => "ConflictException",
        }
    }

    /// The HTTP status the service uses for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } | Self::Serialization(_) => StatusCode::BAD_REQUEST,
            Self::ResourceNotFound { .. } | Self::UnknownOperation => StatusCode::NOT_FOUND,
            Self::Throttling { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MissingAuthenticationToken
            | Self::IncompleteSignature(_)
            | Self::InvalidSignature(_)
            | Self::UnrecognizedClient
            | Self::AccessDenied(_) => StatusCode::FORBIDDEN,
            Self::ServiceQuotaExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestEntityTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether the reply goes out before the body was read (too large, too
    /// slow): the connection cannot carry another request, so the reply says
    /// `Connection: close` and hyper closes it after writing. Without that a
    /// keep-alive client would write its next request into a closed socket.
    pub fn ends_connection(&self) -> bool {
        matches!(self, Self::RequestEntityTooLarge(_) | Self::RequestTimeout)
    }

    /// Whether this is one of the signature/credential errors.
    pub fn is_auth(&self) -> bool {
        self.status() == StatusCode::FORBIDDEN && !matches!(self, Self::AccessDenied(_))
    }

    /// The `message` member.
    pub fn message(&self) -> String {
        match self {
            Self::Validation { message, .. }
            | Self::ResourceNotFound { message, .. }
            | Self::ServiceQuotaExceeded { message, .. }
            | Self::Conflict { message, .. } => message.clone(),
            Self::Throttling { limit, .. } => {
                format!("Request rate exceeded; the quota for this operation is {limit} TPS")
            }
            Self::MissingAuthenticationToken => "Missing Authentication Token".into(),
            Self::IncompleteSignature(m)
            | Self::InvalidSignature(m)
            | Self::Serialization(m)
            | Self::UnsupportedMediaType(m)
            | Self::AccessDenied(m) => m.clone(),
            Self::UnrecognizedClient => {
                "The security token included in the request is invalid.".into()
            }
            Self::UnknownOperation => {
                "The requested operation is not recognized by the service.".into()
            }
            Self::RequestEntityTooLarge(max) => {
                format!("Request body is larger than {max} bytes")
            }
            Self::RequestTimeout => "The request body was not received in time".into(),
            Self::InternalServer => "An internal error occurred (injected by the emulator)".into(),
            Self::ServiceUnavailable => {
                "The service is unavailable (injected by the emulator)".into()
            }
        }
    }

    /// The JSON body: `__type`, `message` and the modelled members.
    pub fn body(&self) -> Value {
        let mut body = json!({ "__type": self.code(), "message": self.message() });
        let obj = body.as_object_mut().expect("json! object");
        match self {
            Self::Validation { reason, fields, .. } => {
                obj.insert("reason".into(), reason.as_str().into());
                obj.insert("fieldList".into(), json!(fields));
            }
            Self::ResourceNotFound { resource_id, .. } => {
                obj.insert("resourceId".into(), resource_id.as_str().into());
                obj.insert("resourceType".into(), "ROOM".into());
            }
            Self::Conflict { resource_id, .. } => {
                obj.insert("resourceId".into(), resource_id.as_str().into());
                obj.insert("resourceType".into(), "ROOM".into());
            }
            Self::Throttling { resource_id, limit }
            | Self::ServiceQuotaExceeded {
                resource_id, limit, ..
            } => {
                obj.insert("resourceId".into(), resource_id.as_str().into());
                obj.insert("resourceType".into(), "ROOM".into());
                obj.insert("limit".into(), (*limit).into());
            }
            _ => {}
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut resp = (self.status(), body).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(self.code()));
        if self.ends_connection() {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_counts_fields() {
        let e = ApiError::field_validation(vec![
            FieldError::new("eventName", "Member must not be null"),
            FieldError::new("roomIdentifier", "Member must not be null"),
        ]);
        assert!(
            e.message()
                .starts_with("2 validation errors detected: Value at 'eventName'")
        );
        let body = e.body();
        assert_eq!(body["__type"], "ValidationException");
        assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
        assert_eq!(body["fieldList"][1]["name"], "roomIdentifier");
    }

    #[test]
    fn throttling_has_modelled_members() {
        let e = ApiError::Throttling {
            resource_id: "abc".into(),
            limit: 100,
        };
        let body = e.body();
        assert_eq!(body["limit"], 100);
        assert_eq!(body["resourceType"], "ROOM");
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        let resp = e.into_response();
        assert_eq!(resp.headers()[ERROR_TYPE_HEADER], "ThrottlingException");
    }
}
