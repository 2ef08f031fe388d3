//! Deleting records once they are old enough (storage limitation).
//!
//! Each part registers what it deletes with a [`Runner`]: one purge per
//! kind of record ([`RetentionKind`]), each deleting a batch at a time
//! ([`Batches`]: a few hundred rows per statement, so no statement holds
//! locks for long or bloats the WAL in one go) until a batch deletes
//! nothing. The runner repeats every `RETENTION_INTERVAL_SECS`. A pass runs
//! on one replica at a time ([`crate::exclusive`]); every delete is
//! idempotent all the same, so a pass cut short is simply finished by the
//! next one.
//!
//! Periods come from the environment ([`Settings::from_env`]): one variable
//! per kind (`roundabout_api::retention::RULES`), read and checked by every
//! part alike, so each part can also tell an officer what the others keep.
//! Councils choose their own periods for some kinds; eligibility owns those
//! choices, and a part that deletes records of councils it does not own
//! reads them with [`Overrides`].
//!
//! Metrics: `retention_deleted_total{kind}` (rows deleted) and
//! `retention_last_run_timestamp_seconds{kind}` (when the kind's purge last
//! finished), both present at zero from the start for every kind the part
//! purges.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts};
use roundabout_api::{
    retention::{self, CouncilPeriodData},
    routes,
    states::RetentionKind,
};
use sqlx::PgPool;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::{
    client::ServiceClient,
    config::{self, ConfigError},
    internal_auth::Caller,
    metrics::Metrics,
    server::Task,
    shutdown::Shutdown,
};

/// The retention periods and how the purges run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Days per kind, in [`RetentionKind::ALL`]'s order.
    days: Vec<i32>,
    /// `RETENTION_INTERVAL_SECS`: the pause between passes (default an hour).
    pub interval: Duration,
    /// `RETENTION_BATCH_SIZE`: rows deleted per statement (default 500).
    pub batch: i64,
    /// `RETENTION_PAUSED`: nothing is deleted while set (a legal hold, or an
    /// investigation that needs the records); default false.
    pub paused: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            days: retention::RULES.iter().map(|r| r.default_days).collect(),
            interval: Duration::from_secs(3600),
            batch: 500,
            paused: false,
        }
    }
}

fn index(kind: RetentionKind) -> usize {
    RetentionKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("a declared kind")
}

impl Settings {
    /// Reads every `RETENTION_*_DAYS` variable (each within its kind's
    /// bounds), `RETENTION_INTERVAL_SECS` (60 to 86,400) and
    /// `RETENTION_BATCH_SIZE` (1 to 10,000) and `RETENTION_PAUSED`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut days = Vec::with_capacity(retention::RULES.len());
        for rule in retention::RULES {
            days.push(check_days(rule, config::parse_or(rule.var, rule.default_days)?)?);
        }
        let interval: u64 = config::parse_or("RETENTION_INTERVAL_SECS", 3600)?;
        if !(60..=86_400).contains(&interval) {
            return Err(ConfigError::new("RETENTION_INTERVAL_SECS", "must be from 60 to 86400"));
        }
        let batch: i64 = config::parse_or("RETENTION_BATCH_SIZE", 500)?;
        if !(1..=10_000).contains(&batch) {
            return Err(ConfigError::new("RETENTION_BATCH_SIZE", "must be from 1 to 10000"));
        }
        let settings = Self {
            days,
            interval: Duration::from_secs(interval),
            batch,
            paused: config::parse_or("RETENTION_PAUSED", false)?,
        };
        settings.check_dead_after_delivered()?;
        Ok(settings)
    }

    /// Undeliverable messages are what an operator investigates: they are
    /// kept at least as long as delivered ones.
    fn check_dead_after_delivered(&self) -> Result<(), ConfigError> {
        if self.days(RetentionKind::DeadMessages) < self.days(RetentionKind::DeliveredMessages) {
            return Err(ConfigError::new(
                retention::rule(RetentionKind::DeadMessages).var,
                format!(
                    "must be at least {}",
                    retention::rule(RetentionKind::DeliveredMessages).var
                ),
            ));
        }
        Ok(())
    }

    /// The configured period of `kind`, in days.
    pub fn days(&self, kind: RetentionKind) -> i32 {
        self.days[index(kind)]
    }

    /// The same settings with `kind` kept `days` (tests, tools). Panics
    /// outside the kind's bounds, as the configuration would refuse them.
    pub fn with_days(mut self, kind: RetentionKind, days: i32) -> Self {
        check_days(retention::rule(kind), days).expect("a period within the kind's bounds");
        self.days[index(kind)] = days;
        self
    }

    /// The same settings with the background passes paused (tests that
    /// run the purges themselves).
    pub fn paused(mut self) -> Self {
        self.paused = true;
        self
    }

    /// The same settings deleting `batch` rows per statement.
    pub fn with_batch(mut self, batch: i64) -> Self {
        self.batch = batch.max(1);
        self
    }
}

fn check_days(rule: &retention::Rule, days: i32) -> Result<i32, ConfigError> {
    if !(rule.min_days..=rule.max_days).contains(&days) {
        return Err(ConfigError::new(
            rule.var,
            format!("must be from {} to {} days", rule.min_days, rule.max_days),
        ));
    }
    Ok(days)
}

/// The periods of one kind across councils, shaped for a query:
/// `unnest($councils, $days)` for the councils with their own period,
/// `default_days` for every other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouncilPeriods {
    pub default_days: i32,
    pub councils: Vec<Uuid>,
    pub days: Vec<i32>,
}

impl CouncilPeriods {
    /// `kind`'s periods among `overrides`, with `default_days` for the rest.
    pub fn of(kind: RetentionKind, default_days: i32, overrides: &[CouncilPeriodData]) -> Self {
        let (councils, days) = overrides
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| (o.council_id, o.days))
            .unzip();
        Self {
            default_days,
            councils,
            days,
        }
    }

    /// The same periods, none shorter than the default: what is safe to
    /// delete by when councils' latest choices are unknown.
    fn at_least_default(mut self) -> Self {
        for d in &mut self.days {
            *d = (*d).max(self.default_days);
        }
        self
    }
}

/// Councils' own periods, read from eligibility at each pass by the parts
/// that delete records of councils they do not own (the gateway, bookings).
///
/// When eligibility cannot be reached, the last periods read are used, each
/// raised to at least the default, so an outage never deletes more than the
/// default allows nor less than a council chose to keep. Before any read
/// has succeeded nothing is known about which councils chose to keep
/// records longer, so the council kinds are left for a later pass.
#[derive(Clone)]
pub struct Overrides {
    eligibility: ServiceClient,
    caller: Caller,
    last: Arc<Mutex<Option<Vec<CouncilPeriodData>>>>,
}

impl Overrides {
    /// Reads from `eligibility`, signed as the service `service`.
    pub fn new(eligibility: ServiceClient, service: &str) -> Self {
        Self {
            eligibility,
            caller: Caller::service(service),
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// `kind`'s periods for this pass, or `None` to skip it (see above).
    pub async fn periods(&self, kind: RetentionKind, default_days: i32) -> Option<CouncilPeriods> {
        let read = self
            .eligibility
            .get::<Vec<CouncilPeriodData>>(routes::eligibility::RETENTION_OVERRIDES, &self.caller)
            .await;
        let mut last = self.last.lock().await;
        match read {
            Ok(all) => {
                let periods = CouncilPeriods::of(kind, default_days, &all);
                *last = Some(all);
                Some(periods)
            }
            Err(e) => match last.as_deref() {
                Some(known) => {
                    tracing::warn!(%kind, error = %e, "councils' retention periods not read; using the last known, none below the default");
                    Some(CouncilPeriods::of(kind, default_days, known).at_least_default())
                }
                None => {
                    tracing::warn!(%kind, error = %e, "councils' retention periods not read yet; nothing of this kind deleted this pass");
                    None
                }
            },
        }
    }
}

/// Deletes in batches, counting each row deleted.
#[derive(Clone)]
pub struct Batches {
    size: i64,
    deleted: IntCounter,
}

impl Batches {
    /// Rows per statement.
    pub fn size(&self) -> i64 {
        self.size
    }

    /// Calls `delete` with the batch size until it deletes nothing; answers
    /// the rows deleted in all.
    pub async fn run<F, Fut>(&self, mut delete: F) -> anyhow::Result<u64>
    where
        F: FnMut(i64) -> Fut,
        Fut: Future<Output = sqlx::Result<u64>>,
    {
        let mut total = 0;
        loop {
            let n = delete(self.size).await?;
            self.deleted.inc_by(n);
            total += n;
            if n == 0 {
                return Ok(total);
            }
            // Let requests have the pool between batches.
            tokio::task::yield_now().await;
        }
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = anyhow::Result<u64>> + Send>>;
type Purge = Arc<dyn Fn(Batches) -> BoxFuture + Send + Sync>;

/// A part's purges and the loop that runs them.
#[derive(Clone)]
pub struct Runner {
    lock: String,
    pool: PgPool,
    settings: Settings,
    deleted: IntCounterVec,
    last_run: IntGaugeVec,
    purges: Vec<(RetentionKind, Purge)>,
}

impl Runner {
    /// A runner for the part `service`, its metrics registered on `metrics`.
    pub fn new(service: &str, pool: PgPool, settings: Settings, metrics: &Metrics) -> Self {
        let deleted = IntCounterVec::new(
            Opts::new(
                "retention_deleted_total",
                "Rows deleted once past their retention period, by kind.",
            ),
            &["kind"],
        )
        .expect("valid metric");
        let last_run = IntGaugeVec::new(
            Opts::new(
                "retention_last_run_timestamp_seconds",
                "When the purge of each kind last finished (Unix seconds; 0 before the first).",
            ),
            &["kind"],
        )
        .expect("valid metric");
        metrics.register(&deleted);
        metrics.register(&last_run);
        Self {
            lock: format!("{service}.retention"),
            pool,
            settings,
            deleted,
            last_run,
            purges: Vec::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Adds the purge of `kind`: `purge` deletes what is due with the
    /// [`Batches`] it is given and answers how many rows it deleted.
    pub fn with<F, Fut>(mut self, kind: RetentionKind, purge: F) -> Self
    where
        F: Fn(Batches) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<u64>> + Send + 'static,
    {
        // Present at zero, so a rate is defined before the first deletion.
        self.deleted.with_label_values(&[kind.as_str()]);
        self.last_run.with_label_values(&[kind.as_str()]);
        self.purges.push((kind, Arc::new(move |b| Box::pin(purge(b)))));
        self
    }

    /// Adds the purge of the shared outbox table: delivered messages and,
    /// after their own longer period, dead ones.
    pub fn with_outbox(self) -> Self {
        let (pool, delivered) = (self.pool.clone(), self.settings.days(RetentionKind::DeliveredMessages));
        let this = self.with(RetentionKind::DeliveredMessages, move |b| {
            let pool = pool.clone();
            async move { b.run(|n| crate::db::outbox::purge_delivered(&pool, delivered, n)).await }
        });
        let (pool, dead) = (this.pool.clone(), this.settings.days(RetentionKind::DeadMessages));
        this.with(RetentionKind::DeadMessages, move |b| {
            let pool = pool.clone();
            async move { b.run(|n| crate::db::outbox::purge_dead(&pool, dead, n)).await }
        })
    }

    /// Adds the purge of events the gateway has taken (a service that
    /// publishes events, see [`crate::events`]), after the delivered
    /// messages' period: a taken event is a delivered message.
    pub fn with_events(self) -> Self {
        let (pool, delivered) = (self.pool.clone(), self.settings.days(RetentionKind::DeliveredMessages));
        self.with(RetentionKind::DeliveredMessages, move |b| {
            let pool = pool.clone();
            async move { b.run(|n| crate::db::events::purge_taken(&pool, delivered, n)).await }
        })
    }

    /// One pass over every purge, unless another replica is running one;
    /// answers the rows deleted per kind (`None` when another replica held
    /// the pass). A failed purge is logged and the others still run.
    pub async fn pass(&self) -> anyhow::Result<Option<Vec<(RetentionKind, u64)>>> {
        crate::exclusive::run(&self.pool, &self.lock, async {
            let mut done = Vec::with_capacity(self.purges.len());
            for (kind, purge) in &self.purges {
                let batches = Batches {
                    size: self.settings.batch,
                    deleted: self.deleted.with_label_values(&[kind.as_str()]),
                };
                match purge(batches).await {
                    Ok(n) => {
                        self.last_run
                            .with_label_values(&[kind.as_str()])
                            .set(chrono::Utc::now().timestamp());
                        if n > 0 {
                            tracing::info!(%kind, deleted = n, "records past their retention period deleted");
                        }
                        done.push((*kind, n));
                    }
                    Err(e) => tracing::warn!(%kind, error = ?e, "retention purge failed; trying again next pass"),
                }
            }
            Ok::<_, anyhow::Error>(done)
        })
        .await
    }

    /// The background task: a pass now, then every interval, until
    /// shutdown; nothing while [`Settings::paused`].
    pub fn task(self) -> Task {
        Box::new(move |shutdown: Shutdown| {
            Box::pin(async move {
                if self.settings.paused {
                    tracing::warn!("RETENTION_PAUSED is set: no records are deleted");
                    return;
                }
                loop {
                    if let Err(e) = self.pass().await {
                        tracing::warn!(error = ?e, "retention pass failed; trying again later");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(self.settings.interval) => {}
                        _ = shutdown.clone().wait() => return,
                    }
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn override_of(council: Uuid, kind: RetentionKind, days: i32) -> CouncilPeriodData {
        CouncilPeriodData {
            council_id: council,
            kind,
            days,
        }
    }

    #[test]
    fn defaults_are_the_rules_defaults() {
        let s = Settings::default();
        assert_eq!(s.days(RetentionKind::EligibilityDecisions), 730);
        assert_eq!(s.days(RetentionKind::SignInAttempts), 30);
        assert_eq!(s.days(RetentionKind::StripeEvents), 90);
        assert_eq!(s.days(RetentionKind::AbandonedBookings), 90);
        assert_eq!(s.days(RetentionKind::FinancialRecords), retention::SIX_YEARS);
        assert_eq!(s.batch, 500);
        assert!(s.check_dead_after_delivered().is_ok());
    }

    #[test]
    fn a_period_outside_its_bounds_names_its_variable() {
        let rule = retention::rule(RetentionKind::FinancialRecords);
        let err = check_days(rule, 365).unwrap_err();
        assert_eq!(err.var, "RETENTION_FINANCIAL_RECORDS_DAYS");
        assert!(err.reason.contains("2192"), "{}", err.reason);
        let s = Settings::default().with_days(RetentionKind::DeliveredMessages, 365);
        let s = Settings {
            days: {
                let mut d = s.days.clone();
                d[index(RetentionKind::DeadMessages)] = 30;
                d
            },
            ..s
        };
        assert_eq!(
            s.check_dead_after_delivered().unwrap_err().var,
            "RETENTION_DEAD_MESSAGES_DAYS"
        );
    }

    #[test]
    fn council_periods_keep_only_their_kind_and_never_fall_below_the_default_when_stale() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let all = [
            override_of(a, RetentionKind::AssistedActions, 400),
            override_of(b, RetentionKind::AssistedActions, 1000),
            override_of(a, RetentionKind::AbandonedBookings, 30),
        ];
        let p = CouncilPeriods::of(RetentionKind::AssistedActions, 730, &all);
        assert_eq!((p.councils.clone(), p.days.clone()), (vec![a, b], vec![400, 1000]));
        let stale = p.at_least_default();
        assert_eq!(stale.days, vec![730, 1000]);
    }
}
