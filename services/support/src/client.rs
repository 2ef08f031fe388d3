//! Calls to another service's internal API.
//!
//! Each call carries a caller token addressed to that service, and the
//! current request's `traceparent` when there is one. A refusal is
//! returned as the service's own envelope (status, code, message, field) so the
//! gateway can turn it into a `UserError`; anything else (unreachable, 5xx,
//! an unreadable answer) is `Unavailable`.
//!
//! **Replicas.** A service's URL may list several base URLs, comma-separated
//! (`BOOKINGS_URL=http://10.0.0.1:7003,http://10.0.0.2:7003`). Calls then go
//! round-robin across the replicas not marked down:
//!
//! - A replica whose connection fails (refused, reset, closed before an
//!   answer; not a timeout, not a 4xx/5xx answer) is marked down for
//!   [`DOWN_FOR`], and a background check asks its `/readyz` every
//!   [`PROBE_EVERY`]: the mark is renewed while it is not ready and lifted as
//!   soon as it is.
//! - Every [`SWEEP_EVERY`] a background check asks each replica's `/readyz`
//!   and marks down one that is not ready (draining, database unreachable).
//! - The failed call is tried once more on another replica when that cannot
//!   do anything twice: always when the connection was refused (nothing was
//!   sent), otherwise only for an idempotent call — `GET`, `PUT`, `DELETE`,
//!   a call carrying an `Idempotency-Key` (the outbox's deliveries), or one
//!   of the `POST`s that only read ([`read_only_post`]: the batch reads,
//!   vehicle search, offers, subsidy quotes, postcode look-ups).
//! - When every replica is marked down, calls go to them anyway (round-robin):
//!   a mark is a hint, never a reason to refuse a call.
//!
//! With one URL nothing of this runs: no background check, no retry.
//!
//! **Timeout.** Each call has [`call_timeout`] in all (`INTERNAL_CALL_TIMEOUT_SECS`,
//! default 15 s) and 2 s to connect.

use std::{sync::Arc, time::Duration};

use reqwest::{header::CONTENT_TYPE, Method, StatusCode};
use roundabout_api::ErrorCode;
use serde::{de::DeserializeOwned, Serialize};
use tracing::Instrument;

mod in_process;
mod replicas;

pub use in_process::{enter as enter_in_process, send as send_in_process, Served as ServedInProcess, Transport};
use replicas::{idempotent, Replicas};
pub use replicas::{read_only_post, DOWN_FOR, PROBE_EVERY, SWEEP_EVERY};

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

/// The per-call timeout when `INTERNAL_CALL_TIMEOUT_SECS` is unset.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// The per-call timeout: `INTERNAL_CALL_TIMEOUT_SECS` (whole seconds, at
/// least 1), default [`DEFAULT_CALL_TIMEOUT`].
pub fn call_timeout() -> Result<Duration, crate::config::ConfigError> {
    const VAR: &str = "INTERNAL_CALL_TIMEOUT_SECS";
    let secs: u64 = crate::config::parse_or(VAR, DEFAULT_CALL_TIMEOUT.as_secs())?;
    if secs == 0 || secs > 3600 {
        return Err(crate::config::ConfigError::new(
            VAR,
            format!("expected 1 to 3600 seconds, got {secs}"),
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// A client for one service (one or several replicas).
#[derive(Clone, Debug)]
pub struct ServiceClient {
    service: &'static str,
    replicas: Arc<Replicas>,
    http: reqwest::Client,
    auth: InternalAuth,
    /// The whole call's limit (reqwest's own for HTTP; the in-process
    /// transport's here).
    timeout: Duration,
}

/// Why one attempt failed.
enum Failure {
    /// The connection failed: `sent` is false when it was never made.
    Connection { sent: bool, reason: String },
    /// Anything else (a timeout, …): not tried again.
    Other(String),
}

impl ServiceClient {
    /// `service` is the target's name (the token audience), `base` its URL,
    /// or several replicas' URLs separated by commas.
    pub fn new(service: &'static str, base: impl Into<String>, auth: InternalAuth, http: reqwest::Client) -> Self {
        Self {
            service,
            replicas: Arc::new(Replicas::new(&base.into())),
            http,
            auth,
            timeout: call_timeout().unwrap_or(DEFAULT_CALL_TIMEOUT),
        }
    }

    /// A shared HTTP client with sensible timeouts for internal calls: 2 s
    /// to connect, [`call_timeout`] in all (an unreadable
    /// `INTERNAL_CALL_TIMEOUT_SECS` is reported and the default used).
    pub fn http_client() -> reqwest::Client {
        let timeout = call_timeout().unwrap_or_else(|e| {
            tracing::error!(error = %e, "using the default internal call timeout");
            DEFAULT_CALL_TIMEOUT
        });
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client builds")
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The first replica's URL.
    pub fn base_url(&self) -> &str {
        self.replicas.list.first().map_or("", |r| r.base.as_str())
    }

    /// Every replica's URL.
    pub fn base_urls(&self) -> impl Iterator<Item = &str> {
        self.replicas.list.iter().map(|r| r.base.as_str())
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
    /// With several replicas, see the module's documentation for which one
    /// and when it is tried again.
    pub async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        caller: &Caller,
        idempotency_key: Option<&str>,
    ) -> Result<T, ClientError> {
        let body = match body {
            // Serialized once; a second attempt shares the same bytes.
            Some(b) => Some(axum::body::Bytes::from(
                serde_json::to_vec(b).map_err(|e| self.unavailable(format!("unwritable request: {e}")))?,
            )),
            None => None,
        };
        let call = crate::trace::outgoing(self.service, method.as_str(), path);
        let span = call.span.clone();
        let answer = self
            .exchange(&call, method, path, body, caller, idempotency_key)
            .instrument(span)
            .await;
        call.finish(answer.as_ref().ok().map(|(status, _)| status.as_u16()));
        let (status, bytes) = answer?;
        if status.is_success() {
            let bytes = bytes.as_ref();
            let raw: &[u8] = if bytes.is_empty() { b"null" } else { bytes };
            return serde_json::from_slice(raw).map_err(|e| self.unavailable(format!("unreadable answer: {e}")));
        }
        if status.is_client_error() {
            if let Ok(env) = serde_json::from_slice::<ErrorEnvelope>(bytes.as_ref()) {
                return Err(ClientError::Refused {
                    service: self.service,
                    status,
                    body: env.error,
                });
            }
        }
        Err(self.unavailable(format!("answered {status}")))
    }

    /// The call itself, on one replica or, when that cannot do anything
    /// twice, a second: the answer's status and body.
    async fn exchange(
        &self,
        call: &crate::trace::Outgoing,
        method: Method,
        path: &str,
        body: Option<axum::body::Bytes>,
        caller: &Caller,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, axum::body::Bytes), ClientError> {
        let token = self.auth.sign(self.service, caller);
        let several = self.replicas.list.len() > 1;
        if several {
            replicas::start_sweep(&self.replicas, &self.http);
        }
        let first = self.replicas.pick(None);
        let (status, bytes) = match self
            .attempt(call, first, &method, path, body.as_ref(), &token, idempotency_key)
            .await
        {
            Ok(answer) => answer,
            Err(Failure::Other(reason)) => return Err(self.unavailable(reason)),
            Err(Failure::Connection { sent, reason }) => {
                if several {
                    replicas::down(&self.replicas, &self.http, first);
                }
                if !(several && (!sent || idempotent(&method, path, idempotency_key))) {
                    return Err(self.unavailable(reason));
                }
                let second = self.replicas.pick(Some(first));
                tracing::debug!(service = self.service, %reason, "trying another replica");
                match self
                    .attempt(call, second, &method, path, body.as_ref(), &token, idempotency_key)
                    .await
                {
                    Ok(answer) => answer,
                    Err(Failure::Other(reason)) => return Err(self.unavailable(reason)),
                    Err(Failure::Connection { reason, .. }) => {
                        replicas::down(&self.replicas, &self.http, second);
                        return Err(self.unavailable(reason));
                    }
                }
            }
        };
        Ok((status, bytes))
    }

    /// One try on replica `i`: the answer's status and body.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        call: &crate::trace::Outgoing,
        i: usize,
        method: &Method,
        path: &str,
        body: Option<&axum::body::Bytes>,
        token: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(StatusCode, axum::body::Bytes), Failure> {
        let base = self.replicas.list.get(i).map_or("", |r| r.base.as_str());
        let mut headers = vec![(CALLER_HEADER, token)];
        headers.extend(call.headers());
        if let Some(k) = idempotency_key {
            headers.push(("idempotency-key", k));
        }
        if let Some(answer) = in_process::send(base, method, path, &headers, body, self.timeout).await {
            return answer
                .map(|res| (res.status(), res.into_body()))
                .map_err(Failure::Other);
        }
        let mut req = self.http.request(method.clone(), format!("{base}{path}"));
        // The caller token, the trace the callee continues, the key.
        for (name, value) in headers {
            req = req.header(name, value);
        }
        if let Some(b) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
        }
        let res = req.send().await.map_err(classify)?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(classify)?;
        Ok((status, bytes))
    }

    fn unavailable(&self, reason: String) -> ClientError {
        ClientError::Unavailable {
            service: self.service,
            reason,
        }
    }
}

/// Sorts a failed send: was the connection lost, and had anything been sent?
fn classify(e: reqwest::Error) -> Failure {
    let (timeout, connect, lost) = (e.is_timeout(), e.is_connect(), e.is_request() || e.is_body());
    let reason = e.without_url().to_string();
    if timeout {
        Failure::Other(reason)
    } else if connect {
        Failure::Connection { sent: false, reason }
    } else if lost {
        Failure::Connection { sent: true, reason }
    } else {
        Failure::Other(reason)
    }
}

#[cfg(test)]
mod tests {
    use std::{
        net::SocketAddr,
        sync::atomic::{AtomicU32, Ordering},
        time::Instant,
    };

    use axum::{
        routing::{get, post},
        Json, Router,
    };
    use serde_json::{json, Value};

    use super::*;
    use crate::internal_keys::{SigningKey, TrustedKeys};

    fn auth() -> InternalAuth {
        let key = SigningKey::from_seed("test-gateway", &[7; 32]).unwrap();
        InternalAuth::for_tests("test", key, Vec::new(), TrustedKeys::default())
    }

    fn client(bases: &[String]) -> ServiceClient {
        ServiceClient::new("bookings", bases.join(","), auth(), ServiceClient::http_client())
    }

    /// A tiny service answering `GET /thing`, `POST /internal/things` and
    /// `/readyz`, counting the calls; serves on `listener`.
    async fn serve(listener: tokio::net::TcpListener, name: &'static str) -> Arc<AtomicU32> {
        let hits = Arc::new(AtomicU32::new(0));
        let (h1, h2) = (hits.clone(), hits.clone());
        let app = Router::new()
            .route(
                "/thing",
                get(move || async move {
                    h1.fetch_add(1, Ordering::SeqCst);
                    Json(json!({ "who": name }))
                }),
            )
            .route(
                "/internal/things",
                post(move || async move {
                    h2.fetch_add(1, Ordering::SeqCst);
                    Json(json!({ "who": name }))
                }),
            )
            .route("/readyz", get(|| async { "ready" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        hits
    }

    async fn server(name: &'static str) -> (String, Arc<AtomicU32>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        (url, serve(listener, name).await)
    }

    /// An address where nothing listens (connections are refused).
    fn stopped() -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }

    /// A server that reads a request and closes the connection without an
    /// answer (a replica dying mid-call); counts the connections.
    async fn hangs_up() -> (String, Arc<AtomicU32>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                drop(s);
            }
        });
        (url, hits)
    }

    fn me() -> Caller {
        Caller::service("gateway")
    }

    #[tokio::test]
    async fn calls_go_round_robin_across_replicas() {
        let (a, hits_a) = server("a").await;
        let (b, hits_b) = server("b").await;
        let c = client(&[a, b.clone() + "/"]);
        let mut seen = Vec::new();
        for _ in 0..10 {
            let v: Value = c.get("/thing", &me()).await.unwrap();
            seen.push(v["who"].as_str().unwrap().to_string());
        }
        assert_eq!(hits_a.load(Ordering::SeqCst), 5);
        assert_eq!(hits_b.load(Ordering::SeqCst), 5);
        assert_ne!(seen[0], seen[1], "consecutive calls alternate: {seen:?}");
        assert_eq!(c.base_urls().nth(1), Some(b.as_str()), "a trailing slash is dropped");
    }

    #[tokio::test]
    async fn a_refused_replica_is_skipped_left_out_and_brought_back_when_ready() {
        let (a, hits_a) = server("a").await;
        let dead = stopped();
        let c = client(&[format!("http://{dead}"), a]);
        // Refused before anything was sent: even a non-idempotent POST is
        // safe to send to the other replica.
        for _ in 0..6 {
            let v: Value = c.post("/internal/things", &json!({}), &me()).await.unwrap();
            assert_eq!(v["who"], "a");
        }
        assert_eq!(hits_a.load(Ordering::SeqCst), 6);
        assert!(
            !c.replicas.list[0].is_up(Instant::now()),
            "the refusing replica is marked down"
        );
        // The replica comes back on its port: the readiness check lifts the
        // mark well before it would expire.
        let listener = tokio::net::TcpListener::bind(dead).await.unwrap();
        let hits_b = serve(listener, "b").await;
        let back = Instant::now() + DOWN_FOR - Duration::from_millis(500);
        while !c.replicas.list[0].is_up(Instant::now()) {
            assert!(
                Instant::now() < back,
                "the replica was not brought back by its readiness"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for _ in 0..4 {
            let _: Value = c.get("/thing", &me()).await.unwrap();
        }
        assert_eq!(hits_b.load(Ordering::SeqCst), 2, "back in the rotation");
    }

    #[tokio::test]
    async fn a_lost_connection_is_retried_on_another_replica_only_when_idempotent() {
        let (a, hits_a) = server("a").await;
        let (gone, hung_up) = hangs_up().await;
        let bases = [gone, a];
        // Each new client starts its rotation at the first replica, the one
        // that hangs up.
        let err = client(&bases)
            .post::<_, Value>("/internal/things", &json!({}), &me())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Unavailable { .. }), "{err}");
        assert_eq!(hung_up.load(Ordering::SeqCst), 1);
        assert_eq!(
            hits_a.load(Ordering::SeqCst),
            0,
            "a POST that may have been done is not sent again"
        );

        let v: Value = client(&bases).get("/thing", &me()).await.unwrap();
        assert_eq!(v["who"], "a", "a GET is tried again on the other replica");
        let v: Value = client(&bases)
            .send(Method::POST, "/internal/things", Some(&json!({})), &me(), Some("key-1"))
            .await
            .unwrap();
        assert_eq!(v["who"], "a", "so is a call with an idempotency key");
        assert_eq!(hung_up.load(Ordering::SeqCst), 3);
        assert_eq!(hits_a.load(Ordering::SeqCst), 2);

        // One replica alone: nothing to retry on.
        let err = client(&bases[..1]).get::<Value>("/thing", &me()).await.unwrap_err();
        assert!(matches!(err, ClientError::Unavailable { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_part_served_in_this_process_is_called_without_a_socket_unless_http_is_chosen() {
        // Entered under an address where nothing listens: only the
        // in-process transport can answer.
        let addr = stopped();
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let router = Router::new().route(
            "/internal/things",
            post(
                move |headers: axum::http::HeaderMap, Json(body): Json<Value>| async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let caller = headers.contains_key(CALLER_HEADER);
                    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap().to_string());
                    Json(json!({ "echo": body, "caller": caller, "key": key }))
                },
            ),
        );
        let served = enter_in_process(addr, router);
        let c = client(&[format!("http://{addr}")]);

        Transport::InProcess.set();
        let v: Value = c
            .send(
                Method::POST,
                "/internal/things",
                Some(&json!({"n": 1})),
                &me(),
                Some("k-1"),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"echo": {"n": 1}, "caller": true, "key": "k-1"}));
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        Transport::Http.set();
        let err = c
            .post::<_, Value>("/internal/things", &json!({}), &me())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Unavailable { .. }), "over HTTP: {err}");

        // A part that stops serving leaves: its calls go over HTTP again.
        Transport::InProcess.set();
        drop(served);
        let err = c
            .post::<_, Value>("/internal/things", &json!({}), &me())
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Unavailable { .. }), "after it left: {err}");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_call_timeout_comes_from_the_environment() {
        // nextest runs each test in a process of its own.
        const VAR: &str = "INTERNAL_CALL_TIMEOUT_SECS";
        std::env::remove_var(VAR);
        assert_eq!(call_timeout().unwrap(), DEFAULT_CALL_TIMEOUT);
        std::env::set_var(VAR, "30");
        assert_eq!(call_timeout().unwrap(), Duration::from_secs(30));
        for bad in ["0", "-1", "soon", "3601"] {
            std::env::set_var(VAR, bad);
            let err = call_timeout().unwrap_err().to_string();
            assert!(err.contains(VAR), "{bad}: {err}");
        }
        std::env::remove_var(VAR);
    }
}
