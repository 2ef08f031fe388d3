//! Prometheus metrics: one registry per service (every series labelled with
//! `service`), HTTP request counts and latency by route and status, the
//! database pool, the outbox, and a text `/metrics` endpoint. A service adds
//! its own metrics to `registry` (see [`Metrics::register`]).

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

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
    db_pool_connections: IntGaugeVec,
    db_pool_max: IntGauge,
    /// Requests refused by the admission limit or stopped by the timeout.
    pub refused: IntCounterVec,
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
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency, by route and status.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
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
        let db_pool_connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by state (in_use, idle), when scraped.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let db_pool_max =
            IntGauge::new("db_pool_max_connections", "The database pool's size limit.").expect("valid metric");
        let refused = IntCounterVec::new(
            Opts::new(
                "http_requests_refused_total",
                "Requests answered 503 without being served: overloaded (shed at admission) or timed_out.",
            ),
            &["reason"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(refused.clone()),
            Box::new(db_pool_connections.clone()),
            Box::new(db_pool_max.clone()),
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
            db_pool_connections,
            db_pool_max,
            refused,
            service: Arc::from(service),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Registers a service's own metric; panics on a duplicate name, which is
    /// a programming error found by any test that builds the service.
    pub fn register<C: prometheus::core::Collector + Clone + 'static>(&self, c: &C) {
        self.registry
            .register(Box::new(c.clone()))
            .expect("metric registered once");
    }

    /// Records the pool's current use (called at each scrape).
    pub fn observe_pool(&self, pool: &sqlx::PgPool) {
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        self.db_pool_connections
            .with_label_values(&["in_use"])
            .set((size - idle).max(0));
        self.db_pool_connections.with_label_values(&["idle"]).set(idle);
        self.db_pool_max.set(i64::from(pool.options().get_max_connections()));
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
    let status = res.status();
    m.latency
        .with_label_values(&[&method, &route, status.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests.with_label_values(&[&method, &route, status.as_str()]).inc();
    res
}

/// What `/metrics` reads: the registry and the pool to report on (none
/// for the web front end, which has no database).
#[derive(Clone)]
pub struct Scrape {
    pub metrics: Metrics,
    pub pool: Option<sqlx::PgPool>,
}

/// `GET /metrics`.
pub async fn endpoint(State(s): State<Scrape>) -> impl IntoResponse {
    if let Some(pool) = &s.pool {
        s.metrics.observe_pool(pool);
    }
    ([("content-type", "text/plain; version=0.0.4")], s.metrics.render())
}

/// The internal listener's router: `GET /metrics` and nothing else (404).
pub fn router(scrape: Scrape) -> axum::Router {
    axum::Router::new()
        .route(roundabout_api::routes::common::METRICS, axum::routing::get(endpoint))
        .with_state(scrape)
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
}

/// A background task for [`ServiceHost::with_task`](crate::server::ServiceHost::with_task)
/// that calls `refresh` now and then every `every` until shutdown: gauges
/// read from the database (budgets, backlogs). A failed refresh is logged
/// and tried again at the next tick.
pub fn refresher<F, Fut>(name: &'static str, every: std::time::Duration, refresh: F) -> crate::server::Task
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    Box::new(move |shutdown: crate::shutdown::Shutdown| {
        Box::pin(async move {
            loop {
                if let Err(e) = refresh().await {
                    tracing::warn!(gauges = name, error = ?e, "metric refresh failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.clone().wait() => return,
                }
            }
        })
    })
}
