//! Erasing a household, across every part, at its request or its
//! council's.
//!
//! A request (`closeAccount`) writes one `erasures` row and closes the
//! household's accounts in one transaction: from then on nobody signs in as
//! the household. This task then drives the row through its steps, in
//! order, one part each — bookings cancels the bookings that have not begun
//! (refunded by the usual rules) and waits for any hire under way; bookings,
//! payments and eligibility remove what is personal; the gateway deletes the
//! accounts last. Each step is an idempotent call recorded as done only
//! after the part answered, so a crash of any part, or of this process, at
//! any point, means the step is sent again, never skipped. Rows are claimed
//! with `for update skip locked` and a lease, so gateway replicas share the
//! work and a replica that dies mid-step leaves it to another once its lease
//! runs out. The booking saga is the model (see docs/ARCHITECTURE.md).

use std::time::Duration;

use prometheus::{IntCounterVec, IntGauge, Opts};
use roundabout_api::{privacy::ErasureStepData, routes};
use roundabout_support::{client::ServiceClient, internal_auth::Caller, metrics::Metrics, shutdown::Shutdown};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    accounts::erasures::{self as db, ErasureStep},
    services::Services,
};

/// How long a claimed step is left to its replica before another may try.
const LEASE_SECS: f64 = 60.0;

/// The delay before the attempt after `attempts`: 0.5 s doubling, at most a minute.
fn backoff(attempts: i32) -> f64 {
    (0.5 * f64::from(1 << attempts.clamp(0, 7))).min(60.0)
}

/// The erasure driver.
#[derive(Clone)]
pub struct Eraser {
    pool: PgPool,
    services: Services,
    poll: Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
    /// `erasure_steps_total{step, outcome}`: done, waiting (bookings to
    /// finish) or failed (to be retried).
    steps: IntCounterVec,
    /// `erasures_pending`: erasures not yet done.
    pending: IntGauge,
}

impl Eraser {
    pub fn new(pool: PgPool, services: Services) -> Self {
        let steps = IntCounterVec::new(
            Opts::new(
                "erasure_steps_total",
                "Households' erasure steps attempted, by step and outcome.",
            ),
            &["step", "outcome"],
        )
        .expect("valid metric");
        let pending = IntGauge::new("erasures_pending", "Households' erasures asked for and not yet done.")
            .expect("valid metric");
        Self {
            pool,
            services,
            poll: Duration::from_secs(1),
            wake: Default::default(),
            steps,
            pending,
        }
    }

    /// Exports the erasure's metrics with the part's own.
    pub fn with_metrics(self, metrics: &Metrics) -> Self {
        metrics.register(&self.steps);
        metrics.register(&self.pending);
        self
    }

    /// Starts work now rather than at the next poll (after a request).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn run(self, stop: Shutdown) {
        loop {
            if let Err(e) = self.drain().await {
                tracing::warn!(error = %e, "erasures: could not read the queue; trying again");
            }
            tokio::select! {
                _ = stop.clone().wait() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Performs every step due now.
    pub async fn drain(&self) -> sqlx::Result<()> {
        while let Some((household, step, attempts)) = db::claim(&self.pool, LEASE_SECS).await? {
            let counted = |outcome: &str| {
                let step = serde_json::to_value(step).ok();
                let step = step.as_ref().and_then(|s| s.as_str()).unwrap_or("UNKNOWN");
                self.steps.with_label_values(&[step, outcome]).inc();
            };
            match self.perform(household, step).await {
                Ok(d) if d.remaining == 0 => {
                    tracing::info!(%household, ?step, changed = d.changed, "erasure step done");
                    counted("done");
                    db::advance(&self.pool, household, step).await?;
                }
                Ok(d) => {
                    counted("waiting");
                    let why = format!("{} booking(s) must finish first", d.remaining);
                    db::retry_later(&self.pool, household, step, backoff(attempts).max(30.0), &why).await?;
                }
                Err(why) => {
                    tracing::warn!(%household, ?step, error = %why, "erasure step failed; will retry");
                    counted("failed");
                    db::retry_later(&self.pool, household, step, backoff(attempts), &why).await?;
                }
            }
        }
        self.pending.set(db::pending(&self.pool).await?);
        Ok(())
    }

    async fn perform(&self, household: Uuid, step: ErasureStep) -> Result<ErasureStepData, String> {
        let call = |client: &ServiceClient, path: String| {
            let client = client.clone();
            async move {
                client
                    .post::<_, ErasureStepData>(&path, &(), &Caller::service(crate::NAME))
                    .await
                    .map_err(|e| format!("{}: {e}", client.service()))
            }
        };
        let s = &self.services;
        match step {
            ErasureStep::CancelBookings => call(&s.bookings, routes::bookings::household_close(household)).await,
            ErasureStep::Bookings => call(&s.bookings, routes::bookings::household_erasure(household)).await,
            ErasureStep::Payments => call(&s.payments, routes::payments::household_erasure(household)).await,
            ErasureStep::Eligibility => call(&s.eligibility, routes::eligibility::household_erasure(household)).await,
            ErasureStep::Account => {
                let erase = async {
                    let mut tx = self.pool.begin().await?;
                    let n = db::erase_accounts(&mut tx, household).await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(n)
                };
                erase.await.map(ErasureStepData::done).map_err(|e| e.to_string())
            }
            ErasureStep::Done => Ok(ErasureStepData::done(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_in_order_and_end_done() {
        let mut s = ErasureStep::CancelBookings;
        let mut seen = vec![s];
        while s != ErasureStep::Done {
            s = s.next();
            seen.push(s);
        }
        assert_eq!(
            seen,
            [
                ErasureStep::CancelBookings,
                ErasureStep::Bookings,
                ErasureStep::Payments,
                ErasureStep::Eligibility,
                ErasureStep::Account,
                ErasureStep::Done
            ]
        );
    }

    #[test]
    fn retries_back_off_to_a_minute() {
        assert_eq!(backoff(0), 0.5);
        assert_eq!(backoff(3), 4.0);
        assert_eq!(backoff(30), 60.0);
    }
}
