//! The saga's backlog as metrics. The booking row is the saga's outbox
//! (`docs/ARCHITECTURE.md`), so its unfinished steps are this service's
//! outbox backlog: how many bookings have a step to perform, by step, and
//! how long the oldest has waited since its last change.

use std::time::Duration;

use prometheus::{IntGauge, IntGaugeVec, Opts};
use roundabout_support::{metrics::Metrics, server::Task};
use sqlx::PgPool;

use crate::saga::step;

const STEPS: [&str; 9] = [
    step::HOLD_BUDGET,
    step::CHARGE,
    step::COMMIT_BUDGET,
    step::CAPTURE,
    step::RELEASE_PAYMENT,
    step::REFUND,
    step::RELEASE_BUDGET,
    step::FREE_SLOT,
    step::PAYOUT,
];

/// How often the gauges are read from the database.
pub const EVERY: Duration = Duration::from_secs(15);

/// Registers the saga gauges and returns the task that keeps them current.
pub fn saga_task(metrics: &Metrics, pool: PgPool) -> Task {
    let pending = IntGaugeVec::new(
        Opts::new(
            "saga_pending_bookings",
            "Bookings with a saga step still to perform, by step.",
        ),
        &["step"],
    )
    .expect("valid metric");
    let oldest = IntGauge::new(
        "saga_oldest_pending_age_seconds",
        "Seconds since the longest-waiting unfinished booking last changed.",
    )
    .expect("valid metric");
    metrics.register(&pending);
    metrics.register(&oldest);
    roundabout_support::metrics::refresher("saga backlog", EVERY, move || {
        let (pending, oldest, pool) = (pending.clone(), oldest.clone(), pool.clone());
        async move {
            // Served by bookings_due_idx (partial: step <> 'DONE').
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                "select step, count(*), coalesce(extract(epoch from now() - min(updated_at))::bigint, 0)
                 from bookings where step <> 'DONE' group by step",
            )
            .fetch_all(&pool)
            .await?;
            pending.reset();
            // Every step has a series, at zero when none waits there.
            for st in STEPS {
                pending.with_label_values(&[st]).set(0);
            }
            let mut max_age = 0;
            for (step, count, age) in rows {
                pending.with_label_values(&[&step]).set(count);
                max_age = max_age.max(age);
            }
            oldest.set(max_age);
            Ok(())
        }
    })
}
