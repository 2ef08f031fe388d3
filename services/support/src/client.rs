//! Calls to another service's internal API.
//!
//! Each call carries a caller token addressed to that service, and the
//! current request's `traceparent` when there is one. A refusal is
//! returned as the service's own envelope (status, code, message, field) so the
//! gateway can turn it into a `UserError`; anything else (unreachable, 5xx,
//! an unreadable answer) is `Unavailable`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use roundabout_api::ErrorCode;
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    error::{ErrorBody, ErrorEnvelope},
    internal_auth::{Caller, InternalAuth, CALLER_HEADER},
};

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a 4xx refusal.
    #[error("{service} refused: {status} {}: {}", body.code, body.message)]
    Refused {
        service: &'static str,
        status: StatusCode,
        body: ErrorBody,
    },
    /// The service could not be reached, failed, or answered nonsense.
    #[error("{service} unavailable: {reason}")]
    Unavailable { service: &'static str, reason: String },
}

impl ClientError {
    /// The refusal's machine code, if it was one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { body, .. } => Some(body.code),
            Self::Unavailable { .. } => None,
        }
    }

    /// The refusal's code as its word on the wire, if it was one.
    pub fn code(&self) -> Option<&'static str> {
        self.error_code().map(ErrorCode::as_str)
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Refused { status, .. } if *status == StatusCode::NOT_FOUND)
    }
}

/// A client for one service.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    service: &'static str,
    base: String,
    http: reqwest::Client,
    auth: InternalAuth,
}

impl ServiceClient {
    /// `service` is the target's name (the token audience), `base` its URL.
    pub fn new(service: &'static str, base: impl Into<String>, auth: InternalAuth, http: reqwest::Client) -> Self {
        Self {
            service,
            base: base.into().trim_end_matches('/').to_string(),
            http,
            auth,
        }
    }

    /// A shared HTTP client with sensible timeouts for internal calls.
    pub fn http_client() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(15))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client builds")
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, caller: &Caller) -> Result<T, ClientError> {
        self.send::<(), T>(Method::GET, path, None, caller, None).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        caller: &Caller,
    ) -> Result<T, ClientError> {
        self.send(Method::POST, path, Some(body), caller, None).await
    }

    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        caller: &Caller,
    ) -> Result<T, ClientError> {
        self.send(Method::PUT, path, Some(body), caller, None).await
    }

    /// Sends a request; `idempotency_key` goes in the `Idempotency-Key` header.
    pub async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        caller: &Caller,
        idempotency_key: Option<&str>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .request(method, &url)
            .header(CALLER_HEADER, self.auth.sign(self.service, caller));
        // The request being served continues its trace in the callee.
        if let Some(ctx) = crate::trace::current() {
            req = req.header(crate::trace::TRACEPARENT, ctx.traceparent());
        }
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .map_err(|e| self.unavailable(e.without_url().to_string()))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| self.unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            let raw: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(raw).map_err(|e| self.unavailable(format!("unreadable answer: {e}")));
        }
        if status.is_client_error() {
            if let Ok(env) = serde_json::from_slice::<ErrorEnvelope>(&bytes) {
                return Err(ClientError::Refused {
                    service: self.service,
                    status,
                    body: env.error,
                });
            }
        }
        Err(self.unavailable(format!("answered {status}")))
    }

    fn unavailable(&self, reason: String) -> ClientError {
        ClientError::Unavailable {
            service: self.service,
            reason,
        }
    }
}
