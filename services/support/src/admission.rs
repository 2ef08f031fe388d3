//! Bounding every part in time and in load.
//!
//! Each request is admitted only while fewer than `MAX_CONCURRENT_REQUESTS`
//! are being served; past that it is shed at once with 503 and
//! `Retry-After`, instead of queueing without bound (where every request,
//! old and new, would be slow, and memory would grow with the queue). An
//! admitted request that has not answered within `REQUEST_TIMEOUT_MS` is
//! dropped and answered 503: its work stops at its next await, and any
//! transaction it held is rolled back, which every write path is built to
//! survive (it is the same as the process dying at that point; a saga step
//! keeps its claim and is resumed).
//!
//! The probes (`/healthz`, `/readyz`) sit outside the limit, so that an
//! overloaded replica is not also reported dead and restarted.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use roundabout_api::ErrorCode;
use tokio::sync::Semaphore;

use crate::error::{ErrorBody, ErrorEnvelope};

/// Why a request was not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many requests were already being served.
    Overloaded,
    /// The request took longer than the timeout.
    TimedOut,
}

impl Refusal {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Overloaded => ErrorCode::Overloaded,
            Self::TimedOut => ErrorCode::TimedOut,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Overloaded => "This service is busy. Please try again in a moment.",
            Self::TimedOut => "This took too long, so it was stopped. Please try again in a moment.",
        }
    }

    /// Seconds a client should wait before trying again.
    pub fn retry_after_secs(self) -> u64 {
        1
    }
}

/// Turns a refusal into the part's own kind of answer.
pub type Render = fn(Refusal) -> Response;

/// The admission limit and the timeout of one part.
#[derive(Clone)]
pub struct Admission {
    permits: Arc<Semaphore>,
    limit: usize,
    timeout: Duration,
    render: Render,
    shed: Option<prometheus::IntCounterVec>,
}

impl Admission {
    pub fn new(limit: usize, timeout: Duration) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            timeout,
            render: envelope,
            shed: None,
        }
    }

    /// Answers refusals with `render` instead of the JSON error envelope.
    pub fn with_render(mut self, render: Render) -> Self {
        self.render = render;
        self
    }

    /// Counts refusals in `counter` (labelled by reason).
    pub fn with_counter(mut self, counter: prometheus::IntCounterVec) -> Self {
        self.shed = Some(counter);
        self
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> usize {
        self.limit.saturating_sub(self.permits.available_permits())
    }

    fn refuse(&self, why: Refusal) -> Response {
        if let Some(c) = &self.shed {
            c.with_label_values(&[match why {
                Refusal::Overloaded => "overloaded",
                Refusal::TimedOut => "timed_out",
            }])
            .inc();
        }
        let mut res = (self.render)(why);
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(why.retry_after_secs()));
        res
    }
}

/// Middleware: admits the request or sheds it, and bounds it in time.
pub async fn admit(State(a): State<Admission>, req: Request, next: Next) -> Response {
    let Ok(_permit) = a.permits.clone().try_acquire_owned() else {
        return a.refuse(Refusal::Overloaded);
    };
    match tokio::time::timeout(a.timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(timeout_ms = a.timeout.as_millis(), "request timed out and was stopped");
            a.refuse(Refusal::TimedOut)
        }
    }
}

/// 503 with the JSON error envelope every service answers with.
pub fn envelope(why: Refusal) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ErrorEnvelope {
            error: ErrorBody {
                code: why.code(),
                message: why.message().to_string(),
                field: None,
            },
        }),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, middleware, routing::get, Router};
    use tower::ServiceExt;

    fn app(a: Admission) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .route("/fast", get(|| async { "ok" }))
            .layer(middleware::from_fn_with_state(a, admit))
    }

    async fn call(app: &Router, path: &str) -> (StatusCode, Option<String>, serde_json::Value) {
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, retry, body)
    }

    #[tokio::test]
    async fn past_the_limit_requests_are_shed_at_once_and_the_limit_frees_again() {
        let a = Admission::new(2, Duration::from_secs(5));
        let app = app(a.clone());
        let slow: Vec<_> = (0..2)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { call(&app, "/slow").await })
            })
            .collect();
        // Both slow requests hold their permits.
        while a.in_flight() < 2 {
            tokio::task::yield_now().await;
        }
        let started = std::time::Instant::now();
        let (status, retry, body) = call(&app, "/fast").await;
        assert!(started.elapsed() < Duration::from_millis(100), "shedding must not wait");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["error"]["code"], "OVERLOADED");
        for s in slow {
            assert_eq!(s.await.unwrap().0, StatusCode::OK);
        }
        assert_eq!(a.in_flight(), 0);
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_request_past_its_timeout_is_stopped_and_answered_503() {
        let a = Admission::new(4, Duration::from_millis(50));
        let app = app(a.clone());
        let (status, retry, body) = call(&app, "/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["error"]["code"], "TIMED_OUT");
        // The stopped request gave its permit back.
        assert_eq!(a.in_flight(), 0);
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);
    }
}
