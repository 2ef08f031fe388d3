//! What this service deletes once it is old enough: abandoned bookings
//! after their council's period (read from eligibility, which owns
//! councils' choices), payment events once acted on, delivered and dead outbox
//! messages, and events the gateway has taken.

use roundabout_api::states::RetentionKind;
use roundabout_support::{
    client::ServiceClient,
    metrics::Metrics,
    retention::{Overrides, Runner, Settings},
};
use sqlx::PgPool;

use crate::db;

/// The service's purges, with their metrics on `metrics`; councils' own
/// periods are read from `eligibility`.
pub fn runner(pool: PgPool, settings: Settings, eligibility: ServiceClient, metrics: &Metrics) -> Runner {
    let overrides = Overrides::new(eligibility, crate::NAME);
    let abandoned = settings.days(RetentionKind::AbandonedBookings);
    let events = settings.days(RetentionKind::PaymentEvents);
    let (p1, p2) = (pool.clone(), pool.clone());
    Runner::new(crate::NAME, pool, settings, metrics)
        .with(RetentionKind::AbandonedBookings, move |b| {
            let (pool, overrides) = (p1.clone(), overrides.clone());
            async move {
                let Some(p) = overrides.periods(RetentionKind::AbandonedBookings, abandoned).await else {
                    return Ok(0);
                };
                b.run(|n| db::retention::purge_abandoned(&pool, p.default_days, &p.councils, &p.days, n))
                    .await
            }
        })
        .with(RetentionKind::PaymentEvents, move |b| {
            let pool = p2.clone();
            async move { b.run(|n| db::retention::purge_payment_events(&pool, events, n)).await }
        })
        .with_outbox()
        .with_events()
}
