//! The payments service's own metrics: Stripe webhook deliveries by outcome,
//! their lag behind the event, and events stored but not yet applied.
//!
//! The collectors are process-wide and registered into each service
//! instance's registry (several instances in one test process share them).

use std::sync::LazyLock;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts};
use roundabout_support::metrics::Metrics;
use sqlx::PgPool;

pub struct WebhookMetrics {
    /// `stripe_webhook_events_total{type, outcome}`.
    pub events: IntCounterVec,
    /// `stripe_webhook_lag_seconds{type}`: from the event's `created` to its receipt.
    pub lag: HistogramVec,
    pub unprocessed: IntGauge,
    pub oldest_unprocessed_seconds: IntGauge,
}

pub static WEBHOOKS: LazyLock<WebhookMetrics> = LazyLock::new(|| WebhookMetrics {
    events: IntCounterVec::new(
        Opts::new(
            "stripe_webhook_events_total",
            "Stripe webhook deliveries, by event type and outcome.",
        ),
        &["type", "outcome"],
    )
    .expect("valid metric"),
    lag: HistogramVec::new(
        HistogramOpts::new(
            "stripe_webhook_lag_seconds",
            "Seconds from a Stripe event's creation to its receipt here.",
        )
        .buckets(vec![
            1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0,
        ]),
        &["type"],
    )
    .expect("valid metric"),
    unprocessed: IntGauge::new(
        "stripe_webhook_unprocessed_events",
        "Stripe events stored but not yet applied.",
    )
    .expect("valid metric"),
    oldest_unprocessed_seconds: IntGauge::new(
        "stripe_webhook_oldest_unprocessed_age_seconds",
        "Age of the oldest Stripe event stored but not yet applied.",
    )
    .expect("valid metric"),
});

/// Registers the collectors into a service's registry.
pub fn register(metrics: &Metrics) {
    let w = &*WEBHOOKS;
    metrics.register(&w.events);
    metrics.register(&w.lag);
    metrics.register(&w.unprocessed);
    metrics.register(&w.oldest_unprocessed_seconds);
}

/// Records one delivery. Outcomes: `processed`, `duplicate`, `ignored`,
/// `rejected` (bad signature or body; the type is then `unknown`) and
/// `failed` (an error answered 5xx, so Stripe retries).
pub fn delivered(event_type: &str, outcome: &str) {
    WEBHOOKS.events.with_label_values(&[event_type, outcome]).inc();
}

/// Records an event's lag behind its creation at Stripe.
pub fn lag(event_type: &str, created_unix: i64) {
    let secs = (chrono::Utc::now().timestamp() - created_unix).max(0);
    WEBHOOKS.lag.with_label_values(&[event_type]).observe(secs as f64);
}

/// Refreshes the backlog gauges from the inbox.
pub async fn refresh(pool: &PgPool) -> anyhow::Result<()> {
    let (count, age) = crate::db::events::backlog(pool).await?;
    WEBHOOKS.unprocessed.set(count);
    WEBHOOKS.oldest_unprocessed_seconds.set(age);
    Ok(())
}
