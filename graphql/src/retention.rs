//! What the gateway deletes once it is old enough: the audit log of
//! assisted actions after its council's period (read from eligibility,
//! which owns councils' choices), sessions after they ended or expired, and
//! sign-in counts after the last attempt, and messages sent to people
//! (with the events they came from) once finished.

use roundabout_api::states::RetentionKind;
use roundabout_support::{
    client::ServiceClient,
    metrics::Metrics,
    retention::{Overrides, Runner, Settings},
};
use sqlx::PgPool;

use crate::accounts;

/// The gateway's purges, with their metrics on `metrics`; councils' own
/// periods are read from `eligibility`.
pub fn runner(pool: PgPool, settings: Settings, eligibility: ServiceClient, metrics: &Metrics) -> Runner {
    let overrides = Overrides::new(eligibility, crate::NAME);
    let assisted = settings.days(RetentionKind::AssistedActions);
    let sessions = settings.days(RetentionKind::Sessions);
    let attempts = settings.days(RetentionKind::SignInAttempts);
    let notifications = settings.days(RetentionKind::Notifications);
    let (p1, p2, p3, p4) = (pool.clone(), pool.clone(), pool.clone(), pool.clone());
    Runner::new(crate::NAME, pool, settings, metrics)
        .with(RetentionKind::AssistedActions, move |b| {
            let (pool, overrides) = (p1.clone(), overrides.clone());
            async move {
                let Some(p) = overrides.periods(RetentionKind::AssistedActions, assisted).await else {
                    return Ok(0);
                };
                b.run(|n| accounts::retention::purge_assisted_actions(&pool, p.default_days, &p.councils, &p.days, n))
                    .await
            }
        })
        .with(RetentionKind::Sessions, move |b| {
            let pool = p2.clone();
            let keep_secs = i64::from(sessions) * 24 * 3600;
            async move { b.run(|n| accounts::sessions::purge(&pool, keep_secs, n)).await }
        })
        .with(RetentionKind::SignInAttempts, move |b| {
            let pool = p3.clone();
            async move { b.run(|n| accounts::throttle::purge(&pool, attempts, n)).await }
        })
        .with(RetentionKind::Notifications, move |b| {
            let pool = p4.clone();
            async move { b.run(|n| crate::notify::db::purge(&pool, notifications, n)).await }
        })
}
