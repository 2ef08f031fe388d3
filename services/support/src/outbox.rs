//! The transactional outbox and its relay.
//!
//! A service that must tell another service something writes an outbox row in
//! the same transaction as the change it describes ([`enqueue`]). The relay
//! ([`Relay`]) drains the table: it POSTs each message to the destination's
//! idempotent endpoint with the message's `Idempotency-Key`, marks it delivered
//! on a 2xx, and otherwise retries with exponential backoff. A definite refusal
//! (a 4xx other than 408/429) is parked as dead with its reason, so one bad
//! message never blocks the rest. Rows are claimed with `for update skip
//! locked`, so several replicas can relay side by side; a crash between the
//! call and the update only causes a redelivery, which receivers absorb.
//!
//! Every service's first migration creates the `outbox` table:
//!
//! ```sql
//! create table outbox (
//!     id bigserial primary key,
//!     destination text not null,
//!     path text not null,
//!     payload jsonb not null,
//!     idempotency_key text not null constraint outbox_idempotency_key_key unique,
//!     created_at timestamptz not null default now(),
//!     attempts integer not null default 0,
//!     next_attempt_at timestamptz not null default now(),
//!     last_error text,
//!     delivered_at timestamptz,
//!     dead_at timestamptz
//! );
//! ```

use std::{collections::HashMap, time::Duration};

use reqwest::Method;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tracing::Instrument;

use crate::{
    client::{ClientError, ServiceClient},
    db::outbox as db,
    internal_auth::Caller,
    metrics::Metrics,
    shutdown::Shutdown,
};

/// A message to deliver.
#[derive(Debug, Clone)]
pub struct Message {
    /// Destination service name, as known to the relay.
    pub destination: &'static str,
    /// Path on the destination, e.g. `/internal/budget/commit`.
    pub path: String,
    pub payload: serde_json::Value,
    /// Unique per message; the receiver deduplicates on it.
    pub idempotency_key: String,
}

impl Message {
    pub fn new(
        destination: &'static str,
        path: impl Into<String>,
        payload: &impl Serialize,
        idempotency_key: impl Into<String>,
    ) -> Self {
        Self {
            destination,
            path: path.into(),
            payload: serde_json::to_value(payload).expect("outbox payload serialises"),
            idempotency_key: idempotency_key.into(),
        }
    }
}

/// Writes `msg` inside the caller's transaction. A message with an
/// idempotency key already in the outbox is not written again.
pub async fn enqueue(conn: &mut PgConnection, msg: &Message) -> sqlx::Result<()> {
    db::insert(conn, msg.destination, &msg.path, &msg.payload, &msg.idempotency_key).await
}

/// Drains the outbox.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    destinations: HashMap<&'static str, ServiceClient>,
    caller: Caller,
    metrics: Metrics,
    poll: Duration,
    batch: i64,
}

/// The delay before attempt `attempts + 1`: 0.5 s doubling to at most 5 min.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 10) as u32;
    Duration::from_millis(500u64.saturating_mul(1 << exp)).min(Duration::from_secs(300))
}

impl Relay {
    /// `service` is this service's name; deliveries are signed as it.
    pub fn new(pool: PgPool, service: &str, destinations: Vec<ServiceClient>, metrics: Metrics) -> Self {
        // Counters start at zero for every destination, so a rate or an
        // increase of failures is defined before the first one happens.
        for c in &destinations {
            metrics.outbox_delivered.with_label_values(&[c.service()]);
            for kind in ["retry", "refused"] {
                metrics.outbox_failures.with_label_values(&[c.service(), kind]);
            }
        }
        Self {
            pool,
            destinations: destinations.into_iter().map(|c| (c.service(), c)).collect(),
            caller: Caller::service(service),
            metrics,
            poll: Duration::from_millis(200),
            batch: 32,
        }
    }

    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Relays until `shutdown`.
    pub async fn run(self, shutdown: Shutdown) {
        let mut last_gauge = std::time::Instant::now() - Duration::from_secs(60);
        loop {
            if shutdown.is_triggered() {
                return;
            }
            let delivered = match self.drain_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = ?e, "outbox relay pass failed");
                    0
                }
            };
            if last_gauge.elapsed() > Duration::from_secs(5) {
                last_gauge = std::time::Instant::now();
                if let Err(e) = self.update_gauges().await {
                    tracing::warn!(error = ?e, "outbox gauges not updated");
                }
            }
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {},
                    _ = shutdown.clone().wait() => return,
                }
            }
        }
    }

    /// One pass: claims a batch of due messages and tries each once. Returns
    /// how many were attempted.
    pub async fn drain_once(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let rows = db::claim_due(&mut tx, self.batch).await?;
        let n = rows.len();
        for row in rows {
            let outcome = match self.destinations.get(row.destination.as_str()) {
                None => Err((true, format!("unknown destination {}", row.destination))),
                // Each delivery is a trace of its own when spans are exported.
                Some(client) => client
                    .send::<_, serde_json::Value>(
                        Method::POST,
                        &row.path,
                        Some(&row.payload),
                        &self.caller,
                        Some(&row.idempotency_key),
                    )
                    .instrument(tracing::info_span!("outbox delivery", destination = %row.destination))
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        let permanent = matches!(&e, ClientError::Refused { status, .. }
                            if status.as_u16() != 408 && status.as_u16() != 429);
                        (permanent, e.to_string())
                    }),
            };
            match outcome {
                Ok(()) => {
                    db::delivered(&mut tx, row.id).await?;
                    self.metrics
                        .outbox_delivered
                        .with_label_values(&[&row.destination])
                        .inc();
                }
                Err((permanent, reason)) => {
                    let kind = if permanent { "refused" } else { "retry" };
                    self.metrics
                        .outbox_failures
                        .with_label_values(&[&row.destination, kind])
                        .inc();
                    tracing::warn!(id = row.id, destination = %row.destination, attempts = row.attempts + 1, permanent, %reason, "outbox delivery failed");
                    let delay = backoff(row.attempts);
                    db::failed(&mut tx, row.id, &reason, delay.as_secs_f64(), permanent).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn update_gauges(&self) -> anyhow::Result<()> {
        let rows = db::pending(&self.pool).await?;
        self.metrics.outbox_pending.reset();
        self.metrics.outbox_oldest_seconds.reset();
        // Every known destination has a series, at zero when drained, so
        // alerts and dashboards see "nothing waiting" rather than no data.
        for dest in self.destinations.keys() {
            self.metrics.outbox_pending.with_label_values(&[dest]).set(0);
            self.metrics.outbox_oldest_seconds.with_label_values(&[dest]).set(0);
        }
        for (dest, count, age) in rows {
            self.metrics.outbox_pending.with_label_values(&[&dest]).set(count);
            self.metrics.outbox_oldest_seconds.with_label_values(&[&dest]).set(age);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(50), Duration::from_secs(300));
    }
}
