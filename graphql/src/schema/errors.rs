//! The contract's error conventions.
//!
//! A refusal the user can act on is a `UserError` in the mutation's payload
//! with a stable `code`. A missing or bad token is a GraphQL error with
//! `extensions.code = UNAUTHENTICATED`; acting outside one's role or tenancy is
//! `FORBIDDEN`. A service that cannot be reached is `SERVICE_UNAVAILABLE`.
//! Internal detail (SQL, service addresses) never reaches the client.
//! Every code is the contract's `roundabout_api::ErrorCode`; a service's
//! refusal keeps its code.

use async_graphql::{ErrorExtensions, SimpleObject};
use roundabout_api::ErrorCode;
use roundabout_support::{client::ClientError, ApiError};

/// A refusal the user can act on.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// Path to the input field concerned, e.g. `["input", "email"]`.
    pub field: Option<Vec<String>>,
    /// Stable machine code, e.g. `EMAIL_TAKEN`.
    // A `String` in the public schema; built from (and read back as) the
    // contract's `ErrorCode`.
    pub code: String,
    /// A plain-English message to show the user.
    pub message: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: None,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn at<const N: usize>(mut self, path: [&str; N]) -> Self {
        self.field = Some(path.iter().map(|s| s.to_string()).collect());
        self
    }
}

/// A GraphQL error with `extensions.code`.
pub fn coded(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

pub fn unauthenticated() -> async_graphql::Error {
    coded(ErrorCode::Unauthenticated, "Sign in to do this")
}

pub fn forbidden(message: impl Into<String>) -> async_graphql::Error {
    coded(ErrorCode::Forbidden, message)
}

/// Logs the cause and answers an opaque `INTERNAL` error.
pub fn internal(cause: impl Into<anyhow::Error>) -> async_graphql::Error {
    let cause = cause.into();
    tracing::error!(error = ?cause, "internal error");
    coded(
        ErrorCode::Internal,
        "Something went wrong on our side; nothing was changed. Please try again.",
    )
}

/// Why a mutation did not complete: a refusal for the payload, or an error
/// for the response's `errors`.
#[derive(Debug)]
pub enum Failure {
    User(UserError),
    Fatal(async_graphql::Error),
}

impl Failure {
    pub fn user(e: UserError) -> Self {
        Self::User(e)
    }
}

fn input_path(field: Option<Vec<String>>) -> Option<Vec<String>> {
    field.map(|f| std::iter::once("input".to_string()).chain(f).collect())
}

fn from_refusal(status: u16, code: ErrorCode, message: String, field: Option<Vec<String>>) -> Failure {
    match status {
        401 => Failure::Fatal(coded(ErrorCode::Unauthenticated, message)),
        403 => Failure::Fatal(coded(ErrorCode::Forbidden, message)),
        _ => Failure::User(UserError {
            field: input_path(field),
            code: code.into(),
            message,
        }),
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        if e.status.is_server_error() {
            return Self::Fatal(coded(ErrorCode::Internal, e.body.message));
        }
        from_refusal(e.status.as_u16(), e.body.code, e.body.message, e.body.field)
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Refused { status, body, .. } => {
                from_refusal(status.as_u16(), body.code, body.message, body.field)
            }
            e @ ClientError::Unavailable { .. } => Self::Fatal(unavailable(e)),
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        if let Some((code, message)) = roundabout_support::error::database_unavailable(&e) {
            return Self::Fatal(coded(code, message));
        }
        Self::Fatal(internal(e))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Fatal(internal(e))
    }
}

impl From<async_graphql::Error> for Failure {
    fn from(e: async_graphql::Error) -> Self {
        Self::Fatal(e)
    }
}

/// A service could not answer.
pub fn unavailable(e: ClientError) -> async_graphql::Error {
    tracing::error!(error = %e, "service call failed");
    coded(
        ErrorCode::ServiceUnavailable,
        "A part of Roundabout is not answering; nothing was changed. Please try again shortly.",
    )
}

/// For reads: any service failure is a GraphQL error.
pub fn read_error(e: ClientError) -> async_graphql::Error {
    match Failure::from(e) {
        Failure::Fatal(e) => e,
        Failure::User(u) => coded(ErrorCode::InvalidInput, u.message),
    }
}

/// A mutation payload that can carry refusals.
pub trait Refusable: Sized {
    fn refused(errors: Vec<UserError>) -> Self;
}

/// Turns a mutation's outcome into its payload or a GraphQL error.
pub fn payload<T: Refusable>(outcome: Result<T, Failure>) -> async_graphql::Result<T> {
    match outcome {
        Ok(p) => Ok(p),
        Err(Failure::User(e)) => Ok(T::refused(vec![e])),
        Err(Failure::Fatal(e)) => Err(e),
    }
}

/// `per_hour_pence` → `perHourPence`.
pub fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A service refusal with the GraphQL input's field names.
pub fn refusal(e: ClientError) -> Failure {
    match Failure::from(e) {
        Failure::User(mut u) => {
            u.field = u.field.map(|f| f.iter().map(|s| camel(s)).collect());
            Failure::User(u)
        }
        other => other,
    }
}
