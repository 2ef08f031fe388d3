//! Notifications: telling households, providers and officers what happened,
//! by email, text message or letter.
//!
//! A bounded part of the gateway, because the gateway holds who people are
//! and how to reach them (accounts, memberships, households' contact
//! preferences) and who has been erased; it keeps its own tables
//! (`contact_preferences`, `notification_events`, `notifications`) and
//! shares nothing with the rest of the gateway but the pool.
//!
//! The flow (docs/ARCHITECTURE.md, "Notifications"):
//! 1. **Intake** ([`intake`]): the services publish events in their own
//!    `events` table in the same transaction as the change (bookings: a
//!    trigger on the booking's status). This task reads the events not yet
//!    taken, and for each, in one transaction, records the event id once
//!    and writes every message it causes — one per recipient and channel,
//!    with its address and words — then acknowledges the events. A crash
//!    before the acknowledgement only means the events are read again and
//!    found recorded.
//! 2. **Sending** ([`send`]): each message due is claimed (`for update skip
//!    locked`, with a lease) and marked `SENDING` before the transport is
//!    called, then marked with the transport's answer and id. A message left
//!    `SENDING` by a crash is in doubt: the transport is asked whether it
//!    has it (GOV.UK Notify by its reference) before it is sent again.
//!    Failures are retried with back-off; definite refusals fail at once.
//! 3. **Delivery**: a message a transport accepted but has not yet
//!    delivered (`SENT`) is looked up again later until it is delivered or
//!    has failed.
//!
//! Nothing goes to an erased household or a closed account: the claim
//! checks, and such a message is `WITHDRAWN`. A reminder of a booking since
//! cancelled is withdrawn too.

pub mod assisted;
pub mod callback;
pub mod db;
pub mod erased;
pub mod intake;
pub mod messages;
pub mod send;
pub mod transports;

use std::{sync::Arc, time::Duration};

use prometheus::{IntCounterVec, IntGauge, Opts};
use roundabout_support::{metrics::Metrics, shutdown::Shutdown};
use sqlx::PgPool;

use crate::services::Services;

pub use transports::Transports;

/// How notifications behave (from the environment, see [`Settings::from_env`]).
#[derive(Clone)]
pub struct Settings {
    /// `NOTIFY_REMINDER_LEAD_SECS`: how long before a hire starts its
    /// reminder goes (a day).
    pub reminder_lead: Duration,
    /// `NOTIFY_POLL_MILLIS`: how often the services' events and the
    /// messages due are looked at.
    pub poll: Duration,
    /// `NOTIFY_SITE_URL`: where people sign in, named in messages (the web
    /// front end's address; default `PUBLIC_URL`).
    pub site_url: String,
    /// `NOTIFY_MAX_ATTEMPTS`: tries before a message is given up as failed.
    pub max_attempts: i32,
    /// `NOTIFY_LEASE_SECS`: how long a claimed message is left to its
    /// sender before another sender may take it (a minute): a sender that
    /// died is replaced then.
    pub lease: Duration,
    /// `NOTIFY_SEND_PAUSE` (`before_send` or `after_send`; development
    /// only): the sender stops for good at that point of its first
    /// message, so the crash tests can kill the gateway there.
    pub pause: Option<send::Pause>,
    /// The transports, chosen by `NOTIFY_API_KEY`, `SMTP_URL` or, outside
    /// production, the demo mailbox.
    pub transports: Transports,
    /// `NOTIFY_CALLBACK_TOKEN`: the bearer token GOV.UK Notify sends with
    /// delivery receipts ([`callback`]); without it the route answers 404.
    pub callback_token: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("reminder_lead", &self.reminder_lead)
            .field("poll", &self.poll)
            .field("site_url", &self.site_url)
            .field("transports", &self.transports.describe())
            .finish_non_exhaustive()
    }
}

impl Default for Settings {
    /// A day's reminder lead, a poll a second, ten attempts, the demo mailbox.
    fn default() -> Self {
        Self {
            reminder_lead: Duration::from_secs(24 * 3600),
            poll: Duration::from_secs(1),
            site_url: "http://localhost:8080".to_string(),
            max_attempts: 10,
            lease: Duration::from_secs(60),
            pause: None,
            transports: Transports::mailbox(),
            callback_token: None,
        }
    }
}

impl Settings {
    /// Reads `NOTIFY_*` and chooses the transports: GOV.UK Notify when
    /// `NOTIFY_API_KEY` is set, SMTP for email when `SMTP_URL` is, and
    /// otherwise, outside production, the demo mailbox. In production with
    /// neither, nothing can be sent: messages are recorded and fail with
    /// the reason, and a warning is logged at start.
    pub fn from_env(
        environment: &roundabout_support::config::Environment,
        public_url: &str,
    ) -> Result<Self, roundabout_support::config::ConfigError> {
        use roundabout_support::config::{self, ConfigError};
        let lead: u64 = config::parse_or("NOTIFY_REMINDER_LEAD_SECS", 24 * 3600)?;
        let poll: u64 = config::parse_or("NOTIFY_POLL_MILLIS", 1_000)?;
        if !(50..=60_000).contains(&poll) {
            return Err(ConfigError::new("NOTIFY_POLL_MILLIS", "must be between 50 and 60000"));
        }
        let max_attempts: i32 = config::parse_or("NOTIFY_MAX_ATTEMPTS", 10)?;
        if !(1..=50).contains(&max_attempts) {
            return Err(ConfigError::new("NOTIFY_MAX_ATTEMPTS", "must be between 1 and 50"));
        }
        let site_url = match config::optional("NOTIFY_SITE_URL")? {
            Some(_) => config::base_url("NOTIFY_SITE_URL")?,
            None => public_url.to_string(),
        };
        let lease: u64 = config::parse_or("NOTIFY_LEASE_SECS", 60)?;
        if !(1..=3_600).contains(&lease) {
            return Err(ConfigError::new("NOTIFY_LEASE_SECS", "must be between 1 and 3600"));
        }
        let pause = match config::optional("NOTIFY_SEND_PAUSE")?.as_deref() {
            None => None,
            Some(_) if environment.is_production() => {
                return Err(ConfigError::new(
                    "NOTIFY_SEND_PAUSE",
                    "is for tests and refused in production",
                ));
            }
            Some("before_send") => Some(send::Pause::BeforeSend),
            Some("after_send") => Some(send::Pause::AfterSend),
            Some(_) => {
                return Err(ConfigError::new(
                    "NOTIFY_SEND_PAUSE",
                    "must be before_send or after_send",
                ))
            }
        };
        let transports = transports::from_env(environment)?;
        let callback_token = config::optional("NOTIFY_CALLBACK_TOKEN")?;
        if callback_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err(ConfigError::new(
                "NOTIFY_CALLBACK_TOKEN",
                "must be at least 32 characters",
            ));
        }
        Ok(Self {
            reminder_lead: Duration::from_secs(lead),
            poll: Duration::from_millis(poll),
            site_url,
            max_attempts,
            lease: Duration::from_secs(lease),
            pause,
            transports,
            callback_token,
        })
    }
}

/// The notifications task: intake, sending and following delivery.
#[derive(Clone)]
pub struct Notifier {
    pool: PgPool,
    services: Services,
    settings: Arc<Settings>,
    metrics: NotifyMetrics,
}

#[derive(Clone)]
struct NotifyMetrics {
    /// `notifications_total{channel, outcome}`: sent, delivered, failed,
    /// withdrawn, retried.
    outcomes: IntCounterVec,
    /// `notification_events_total{source, kind}`: events recorded.
    events: IntCounterVec,
    /// `notifications_pending`: messages waiting to be sent or delivered.
    pending: IntGauge,
}

impl Notifier {
    pub fn new(pool: PgPool, services: Services, settings: Settings) -> Self {
        let outcomes = IntCounterVec::new(
            Opts::new(
                "notifications_total",
                "Messages to people by channel and outcome (sent, delivered, failed, withdrawn, retried).",
            ),
            &["channel", "outcome"],
        )
        .expect("valid metric");
        for channel in ["EMAIL", "SMS", "LETTER"] {
            for outcome in ["sent", "delivered", "failed", "withdrawn", "retried"] {
                outcomes.with_label_values(&[channel, outcome]);
            }
        }
        let events = IntCounterVec::new(
            Opts::new(
                "notification_events_total",
                "Services' events recorded for notifications.",
            ),
            &["source", "kind"],
        )
        .expect("valid metric");
        let pending = IntGauge::new(
            "notifications_pending",
            "Messages waiting to be sent or for their delivery to be known.",
        )
        .expect("valid metric");
        Self {
            pool,
            services,
            settings: Arc::new(settings),
            metrics: NotifyMetrics {
                outcomes,
                events,
                pending,
            },
        }
    }

    /// Exports the metrics with the part's own.
    pub fn with_metrics(self, metrics: &Metrics) -> Self {
        metrics.register(&self.metrics.outcomes);
        metrics.register(&self.metrics.events);
        metrics.register(&self.metrics.pending);
        self
    }

    /// Until `stop`: takes events, sends what is due, follows deliveries.
    pub async fn run(self, stop: Shutdown) {
        loop {
            if let Err(e) = self.intake_once().await {
                tracing::warn!(error = %e, "notifications: events not taken; trying again");
            }
            match self.send_due().await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notifications: sending interrupted; trying again"),
            }
            if let Ok(n) = db::pending_count(&self.pool).await {
                self.metrics.pending.set(n);
            }
            tokio::select! {
                _ = stop.clone().wait() => return,
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }
}
