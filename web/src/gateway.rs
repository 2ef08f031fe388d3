//! The front end's only back end: the public GraphQL API, over HTTP.

use roundabout_api::ErrorCode;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use tracing::Instrument;

use roundabout_support::trace;

/// Why a GraphQL call gave no data.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// No token, or it expired: the user must sign in again.
    #[error("not signed in")]
    Unauthenticated,
    /// Outside the user's role or council.
    #[error("forbidden")]
    Forbidden,
    /// The gateway's request-rate limit (HTTP 429): try again after this long.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The gateway shed the request or stopped it at its timeout (HTTP 503
    /// `OVERLOADED` or `TIMED_OUT`): try again after this long.
    #[error("the gateway is busy")]
    Busy { retry_after_secs: u64 },
    /// Nothing there (`NOT_FOUND`): e.g. the demo mailbox where real
    /// messages are sent.
    #[error("not found")]
    NotFound,
    /// A query's input refused (`INVALID_INPUT`), with the API's message.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A refusal the user can act on (`userErrors` of a mutation payload).
#[derive(Debug, Clone, Deserialize)]
pub struct UserError {
    #[serde(default)]
    pub field: Option<Vec<String>>,
    pub code: String,
    pub message: String,
}

impl UserError {
    /// The input field concerned: the last element of the path.
    pub fn field_name(&self) -> Option<&str> {
        self.field.as_ref().and_then(|f| f.last()).map(String::as_str)
    }

    /// The refusal's code as the contract's enum; `None` for a word it does
    /// not know (the field stays the schema's `String`).
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code.parse().ok()
    }
}

/// A GraphQL client for the gateway at `<base>/graphql`.
#[derive(Clone)]
pub struct Gateway {
    http: reqwest::Client,
    /// The gateway's base URL.
    base: String,
    url: String,
}

/// How long a query may take, over HTTP or in process.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Gateway {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("an HTTP client with default TLS settings");
        let base = base.trim_end_matches('/').to_string();
        Self {
            http,
            url: format!("{base}/graphql"),
            base,
        }
    }

    /// Sends `query` with `variables` (as `token`'s user, if any) and
    /// deserialises `data`. Any GraphQL error fails the call; the codes
    /// `UNAUTHENTICATED`, `FORBIDDEN` and `NOT_FOUND`, and the rate limit
    /// (HTTP 429), are told apart. While serving a visitor, the request carries
    /// `X-Forwarded-For` with the visitor's address
    /// ([`crate::client::current_forwarded_for`]), so the gateway counts the
    /// visitor's requests, not the front end's; and the trace of the page
    /// being served (`traceparent`), so one trace runs from the page through
    /// the gateway to the services and their databases (a client span of its
    /// own when spans are exported).
    pub async fn query<T: DeserializeOwned>(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<T, GatewayError> {
        let call = trace::outgoing("gateway", "POST", "/graphql");
        let span = call.span.clone();
        async { read(self.send(&call, token, query, variables).await?) }
            .instrument(span)
            .await
    }

    /// Posts the query; its answer's body, unless the status says what
    /// happened (429, 503). When this process also serves the gateway, the
    /// request goes straight to its router (the in-process transport of
    /// `roundabout_support::client`), with the same headers and body.
    async fn send(
        &self,
        call: &trace::Outgoing,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, GatewayError> {
        let body = axum::body::Bytes::from(
            serde_json::to_vec(&json!({"query": query, "variables": variables}))
                .map_err(|e| anyhow::anyhow!("writing the query: {e}"))?,
        );
        let bearer = token.map(|t| format!("Bearer {t}"));
        let visitor = crate::client::current_forwarded_for();
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(4);
        if let Some(b) = &bearer {
            headers.push(("authorization", b));
        }
        if let Some(v) = &visitor {
            headers.push(("x-forwarded-for", v));
        }
        headers.extend(call.headers());
        let (status, retry, bytes) = match roundabout_support::client::send_in_process(
            &self.base,
            &axum::http::Method::POST,
            "/graphql",
            &headers,
            Some(&body),
            TIMEOUT,
        )
        .await
        {
            Some(answer) => {
                let res = answer.map_err(|e| {
                    call.finish(None);
                    anyhow::anyhow!("calling the gateway: {e}")
                })?;
                (res.status().as_u16(), retry_after(res.headers()), res.into_body())
            }
            None => {
                let mut req = self
                    .http
                    .post(&self.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body);
                for (name, value) in &headers {
                    req = req.header(*name, *value);
                }
                let res = req.send().await.map_err(|e| {
                    call.finish(None);
                    anyhow::anyhow!("calling the gateway: {e}")
                })?;
                let (status, retry) = (res.status().as_u16(), retry_after(res.headers()));
                let bytes = res.bytes().await.map_err(|e| {
                    call.finish(None);
                    anyhow::anyhow!("reading the gateway's answer: {e}")
                })?;
                (status, retry, bytes)
            }
        };
        call.finish(Some(status));
        if status == 429 {
            return Err(GatewayError::RateLimited {
                retry_after_secs: retry.unwrap_or(60),
            });
        }
        if status == 503 {
            return Err(GatewayError::Busy {
                retry_after_secs: retry.unwrap_or(1),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("reading the gateway's answer: {e}").into())
    }

    /// Whether the gateway answers its liveness probe.
    pub async fn is_up(&self) -> bool {
        let health = self.url.trim_end_matches("/graphql").to_string() + "/healthz";
        self.http
            .get(health)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }
}

/// The `data` of a GraphQL answer, or the error its `errors` stand for.
fn read<T: DeserializeOwned>(body: Value) -> Result<T, GatewayError> {
    if let Some(errors) = body["errors"].as_array().filter(|a| !a.is_empty()) {
        let codes: Vec<ErrorCode> = errors
            .iter()
            .filter_map(|e| e["extensions"]["code"].as_str())
            .filter_map(|c| c.parse().ok())
            .collect();
        if codes.contains(&ErrorCode::Unauthenticated) {
            return Err(GatewayError::Unauthenticated);
        }
        if codes.contains(&ErrorCode::Overloaded) || codes.contains(&ErrorCode::TimedOut) {
            return Err(GatewayError::Busy { retry_after_secs: 1 });
        }
        if codes.contains(&ErrorCode::Forbidden) {
            return Err(GatewayError::Forbidden);
        }
        if codes.contains(&ErrorCode::NotFound) {
            return Err(GatewayError::NotFound);
        }
        if codes.contains(&ErrorCode::InvalidInput) || codes.contains(&ErrorCode::PayloadTooLarge) {
            let message = errors[0]["message"].as_str().unwrap_or("The request was refused");
            return Err(GatewayError::Invalid(message.to_string()));
        }
        return Err(anyhow::anyhow!("GraphQL errors: {}", Value::Array(errors.clone())).into());
    }
    serde_json::from_value(body["data"].clone())
        .map_err(|e| anyhow::anyhow!("unexpected answer from the gateway: {e}: {}", body["data"]).into())
}

/// The whole seconds of an answer's `Retry-After`, if it has them.
fn retry_after(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(axum::http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}
