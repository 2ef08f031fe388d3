//! What this service deletes once it is old enough: eligibility decisions
//! and the record of profile reads, each after its council's period (its
//! own choice, else the default), and delivered and dead outbox messages.

use roundabout_api::states::RetentionKind;
use roundabout_support::{
    metrics::Metrics,
    retention::{Runner, Settings},
};
use sqlx::PgPool;

use crate::db;

/// The service's purges, with their metrics on `metrics`.
pub fn runner(pool: PgPool, settings: Settings, metrics: &Metrics) -> Runner {
    let decisions = settings.days(RetentionKind::EligibilityDecisions);
    let reads = settings.days(RetentionKind::ProfileReads);
    let (p1, p2) = (pool.clone(), pool.clone());
    Runner::new(crate::NAME, pool, settings, metrics)
        .with(RetentionKind::EligibilityDecisions, move |b| {
            let pool = p1.clone();
            async move { b.run(|n| db::retention::purge_decisions(&pool, decisions, n)).await }
        })
        .with(RetentionKind::ProfileReads, move |b| {
            let pool = p2.clone();
            async move { b.run(|n| db::retention::purge_profile_reads(&pool, reads, n)).await }
        })
        .with_outbox()
        .with_events()
}
