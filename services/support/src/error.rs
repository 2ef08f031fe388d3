//! The one error envelope every service answers with.
//!
//! A refusal is `{"error": {"code": "SLOT_UNAVAILABLE", "message": "…",
//! "field": ["input", "start"]}}` with a 4xx status. Internal causes (database,
//! I/O, a bug) are logged with their context and answered as an opaque 500 with
//! code `INTERNAL`: SQL, stack traces and library messages never reach a client.
//! Codes are the contract's [`ErrorCode`]: built and read as the enum, sent as
//! the same upper-case word.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use roundabout_api::ErrorCode;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The body of an error answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// The machine code of the refusal.
    pub code: ErrorCode,
    /// What was refused and why, in plain English.
    pub message: String,
    /// The input field the refusal is about, as a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Vec<String>>,
}

/// `{"error": ErrorBody}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// An error a handler returns; it becomes the envelope and a status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                field: None,
            },
        }
    }

    /// Names the input field the error is about, as a path.
    pub fn with_field<I, S>(mut self, path: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.body.field = Some(path.into_iter().map(Into::into).collect());
        self
    }

    /// 422 `INVALID_INPUT` about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, message).with_field([field])
    }

    /// 422 with a domain code such as `INVALID_GEOMETRY`.
    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// Logs the cause with its context and answers an opaque 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        tracing::error!(error = ?cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on our side; nothing was changed. Please try again.",
        )
    }

    pub fn code(&self) -> ErrorCode {
        self.body.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.body.code, self.body.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let overloaded = self.body.code == ErrorCode::Overloaded;
        let mut res = (self.status, Json(ErrorEnvelope { error: self.body })).into_response();
        if overloaded {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(1u64));
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let Some((code, message)) = database_unavailable(&e) {
            return Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        }
        unstorable_input(&e).unwrap_or_else(|| Self::internal(e))
    }
}

/// A database error that means "try again shortly", not a fault, with its
/// code and message (every part answers it the same way, 503):
/// - every pooled connection busy for the whole acquire timeout: the part
///   is overloaded (`OVERLOADED`), and nothing was done;
/// - the database could not be reached or ended the session (I/O, TLS, a
///   closed pool, SQLSTATE classes 08, connection exception, and 57,
///   operator intervention: PostgreSQL restarting): `SERVICE_UNAVAILABLE`.
///   What the request did is either committed or rolled back, never half
///   done.
pub fn database_unavailable(e: &sqlx::Error) -> Option<(ErrorCode, &'static str)> {
    if matches!(e, sqlx::Error::PoolTimedOut) {
        tracing::warn!("no database connection became free in time; request shed");
        return Some((
            ErrorCode::Overloaded,
            "This service is busy. Please try again in a moment.",
        ));
    }
    let unreachable = match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57")),
        _ => false,
    };
    unreachable.then(|| {
        tracing::warn!(error = %e, "the database could not be reached");
        (
            ErrorCode::ServiceUnavailable,
            "Part of the service is briefly unavailable. Please try again in a moment.",
        )
    })
}

/// A database refusal caused by the input itself — text PostgreSQL cannot
/// hold (NUL, an invalid escape in JSON), a value longer than its column, a
/// date outside PostgreSQL's range — as a 400 `INVALID_INPUT`. Handlers check
/// their fields first; this is the safety net for one they miss, so that no
/// such input is ever answered as a server failure. The statement failed, so
/// its transaction (if any) is rolled back and nothing is written.
fn unstorable_input(e: &sqlx::Error) -> Option<ApiError> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    let code = db.code()?;
    let message = match code.as_ref() {
        // character_not_in_repertoire, untranslatable_character.
        "22021" | "22P05" => "The text holds a character that cannot be stored, such as a null character; remove it",
        // string_data_right_truncation.
        "22001" => "A value is longer than can be stored; shorten it",
        // datetime_field_overflow.
        "22008" => "A date or time is outside the range that can be stored",
        _ => return None,
    };
    tracing::warn!(sqlstate = %code, "input refused by the database");
    Some(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message))
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

/// Wraps a 4xx answered in plain text — axum's own refusals of a path
/// parameter that is not a UUID, a query string of the wrong shape, a
/// method not allowed — in the envelope, so a caller always gets a code.
/// Each service's router carries it as
/// `axum::middleware::map_response(envelope_plain_refusals)`.
pub async fn envelope_plain_refusals(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return res;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        _ => ErrorCode::InvalidInput,
    };
    // axum's texts name the parameter and what was wrong with it; they are
    // short, but only the first line's first 300 characters are kept.
    let text = axum::body::to_bytes(res.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let mut message: String = text.lines().next().unwrap_or("").chars().take(300).collect();
    if message.trim().is_empty() {
        message = status.canonical_reason().unwrap_or("Refused").to_string();
    }
    ApiError::new(status, code, message).into_response()
}

/// The name of the constraint a database error violated, if any; handlers map
/// named constraints to user errors (`on_constraint`).
pub fn violated_constraint(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// A JSON object body whose rejection (bad JSON, not an object, wrong shape,
/// wrong content type) answers with the envelope and `INVALID_INPUT`
/// instead of axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Every body a route takes is an object; serde would also read a
        // struct from an array of its fields in order, which no caller
        // means and the OpenAPI documents do not allow.
        let Json(raw) = Json::<Box<serde_json::value::RawValue>>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        if !raw.get().trim_start().starts_with('{') {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidInput,
                "The body must be a JSON object",
            ));
        }
        match Json::<T>::from_bytes(raw.get().as_bytes()) {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = match &rejection {
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::PayloadTooLarge
    } else {
        ErrorCode::InvalidInput
    };
    // serde's message names the field and position, never internals.
    ApiError::new(status, code, rejection.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape_is_stable() {
        let err = ApiError::invalid("seats", "Seats must be between 1 and 16");
        let json = serde_json::to_value(ErrorEnvelope { error: err.body }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "INVALID_INPUT", "message": "Seats must be between 1 and 16", "field": ["seats"]}})
        );
    }

    #[test]
    fn a_database_pool_exhausted_for_its_whole_timeout_is_overload_not_failure() {
        let err = ApiError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.code(), ErrorCode::Overloaded);
        let res = err.into_response();
        assert_eq!(res.headers().get(axum::http::header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable_not_internal() {
        let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let err = ApiError::from(sqlx::Error::Io(cut));
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
        assert!(!err.body.message.contains("reset"));
        assert_eq!(
            ApiError::from(sqlx::Error::PoolClosed).code(),
            ErrorCode::ServiceUnavailable
        );
        assert_eq!(ApiError::from(sqlx::Error::RowNotFound).code(), ErrorCode::Internal);
    }

    #[tokio::test]
    async fn a_body_must_be_an_object_even_where_serde_would_read_an_array() {
        async fn extract(body: &'static str) -> Result<roundabout_api::ContactIn, ApiError> {
            let req = Request::builder()
                .method("PUT")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            ValidJson::<roundabout_api::ContactIn>::from_request(req, &())
                .await
                .map(|v| v.0)
        }
        let refused = extract("[null, null]").await.unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.code(), ErrorCode::InvalidInput);
        let wrong = extract(r#"{"phone": 7}"#).await.unwrap_err();
        assert!(wrong.body.message.contains("phone"), "{}", wrong.body.message);
        let ok = extract(r#" {"phone": "01993 123456"}"#).await.unwrap();
        assert_eq!(ok.phone.as_deref(), Some("01993 123456"));
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("relation \"secret_table\" does not exist"));
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.body.message.contains("secret_table"));
    }
}
