//! The saga's backlog as metrics. The booking row is the saga's outbox
//! (`docs/ARCHITECTURE.md`), so its unfinished steps are this service's
//! outbox backlog: how many bookings have a step to perform, by step, and
//! how long the oldest has waited since its last change.

use std::time::Duration;

use prometheus::{IntGauge, IntGaugeVec, Opts};
use roundabout_support::{metrics::Metrics, server::Task};
use sqlx::PgPool;

use roundabout_api::states::SagaStep;

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
            let rows = crate::db::backlog(&pool).await?;
            pending.reset();
            // Every step has a series, at zero when none waits there.
            for st in SagaStep::ALL.iter().filter(|s| **s != SagaStep::Done) {
                pending.with_label_values(&[st.as_str()]).set(0);
            }
            let mut max_age = 0;
            for row in rows {
                pending.with_label_values(&[row.step.as_str()]).set(row.count);
                max_age = max_age.max(row.age_secs);
            }
            oldest.set(max_age);
            Ok(())
        }
    })
}
