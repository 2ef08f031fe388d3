//! Prometheus metrics: one registry per service, HTTP request counts and
//! latency by route and status, and a text `/metrics` endpoint.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

/// A service's metric registry and its standard metrics.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// Messages waiting in the outbox, and the age of the oldest, by destination.
    pub outbox_pending: IntGaugeVec,
    pub outbox_oldest_seconds: IntGaugeVec,
    pub outbox_delivered: IntCounterVec,
    pub outbox_failures: IntCounterVec,
    service: Arc<str>,
}

impl Metrics {
    pub fn new(service: &str) -> Self {
        let registry = Registry::new_custom(None, Some([("service".to_string(), service.to_string())].into()))
            .expect("valid registry labels");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by route and status."),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency, by route.").buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let outbox_pending = IntGaugeVec::new(
            Opts::new("outbox_pending_messages", "Outbox messages not yet delivered."),
            &["destination"],
        )
        .expect("valid metric");
        let outbox_oldest_seconds = IntGaugeVec::new(
            Opts::new(
                "outbox_oldest_pending_age_seconds",
                "Age of the oldest undelivered outbox message.",
            ),
            &["destination"],
        )
        .expect("valid metric");
        let outbox_delivered = IntCounterVec::new(
            Opts::new("outbox_delivered_total", "Outbox messages delivered."),
            &["destination"],
        )
        .expect("valid metric");
        let outbox_failures = IntCounterVec::new(
            Opts::new("outbox_delivery_failures_total", "Failed outbox delivery attempts."),
            &["destination", "kind"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(outbox_oldest_seconds.clone()),
            Box::new(outbox_delivered.clone()),
            Box::new(outbox_failures.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        Self {
            registry,
            requests,
            latency,
            outbox_pending,
            outbox_oldest_seconds,
            outbox_delivered,
            outbox_failures,
            service: Arc::from(service),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Middleware recording each request's count and latency.
pub async fn track(State(m): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    m.latency
        .with_label_values(&[&method, &route])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[&method, &route, res.status().as_str()])
        .inc();
    res
}

/// `GET /metrics`.
pub async fn endpoint(State(m): State<Metrics>) -> impl IntoResponse {
    ([("content-type", "text/plain; version=0.0.4")], m.render())
}
