//! Pause points for crash tests (`BOOKINGS_SAGA_PAUSE`), so a test can stop
//! the saga exactly at a step and then SIGKILL a process there.
//!
//! `BOOKINGS_SAGA_PAUSE=before:CHARGE` (several comma-separated) makes the
//! first driver in this process that is about to perform `CHARGE` stop
//! there; `after:CHARGE` stops it once the step was performed but before its
//! outcome is recorded. A stopped driver keeps its claim, notes
//! `paused before CHARGE` in the booking's `last_error` (where a test sees
//! it), and waits until the process gets SIGUSR1 or dies. SIGUSR1 lets every
//! stopped driver go on and disarms every point, so the saga then runs as
//! usual. Unset, nothing is checked. Refused in production.
//!
//! Compiled in only with the crate's `saga-pause` feature, which the
//! workspace's tests turn on (a dev-dependency of the root crate); a
//! release build has no pause points and refuses the variable.

#[cfg(feature = "saga-pause")]
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use roundabout_api::states::SagaStep;
use roundabout_support::config::ConfigError;
#[cfg(feature = "saga-pause")]
use tokio::sync::watch;
use uuid::Uuid;

/// Before a step is performed, or after it was but before it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    Before,
    After,
}

#[cfg(feature = "saga-pause")]
impl When {
    fn word(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::After => "after",
        }
    }
}

/// The configured pause points; empty in normal operation.
#[derive(Debug, Clone, Default)]
pub struct Pauses {
    #[cfg(feature = "saga-pause")]
    inner: Option<Arc<Inner>>,
}

#[cfg(feature = "saga-pause")]
#[derive(Debug)]
struct Inner {
    armed: Mutex<HashSet<(When, String)>>,
    released: watch::Sender<bool>,
}

const VAR: &str = "BOOKINGS_SAGA_PAUSE";

impl Pauses {
    /// From `BOOKINGS_SAGA_PAUSE`; refused when `production`, and in a build
    /// without the `saga-pause` feature.
    pub fn from_env(production: bool) -> Result<Self, ConfigError> {
        match roundabout_support::config::optional(VAR)? {
            None => Ok(Self::default()),
            Some(_) if production => Err(ConfigError::new(VAR, "is for tests and is refused in production")),
            #[cfg(feature = "saga-pause")]
            Some(spec) => Self::parse(&spec),
            #[cfg(not(feature = "saga-pause"))]
            Some(_) => Err(ConfigError::new(
                VAR,
                "is for tests: this build has no saga pause points (feature saga-pause)",
            )),
        }
    }

    #[cfg(not(feature = "saga-pause"))]
    pub fn is_empty(&self) -> bool {
        true
    }

    #[cfg(not(feature = "saga-pause"))]
    pub async fn release_on_sigusr1(self) {}

    #[cfg(not(feature = "saga-pause"))]
    pub async fn at(&self, _pool: &sqlx::PgPool, _booking: Uuid, _when: When, _step: SagaStep) {}
}

#[cfg(feature = "saga-pause")]
impl Pauses {
    /// Parses `before:STEP,after:STEP,…`.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let mut armed = HashSet::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (when, step) = part
                .split_once(':')
                .ok_or_else(|| ConfigError::new(VAR, "expected before:STEP or after:STEP"))?;
            let when = match when {
                "before" => When::Before,
                "after" => When::After,
                _ => return Err(ConfigError::new(VAR, "expected before:STEP or after:STEP")),
            };
            if !matches!(step.parse::<SagaStep>(), Ok(s) if s != SagaStep::Done) {
                return Err(ConfigError::new(VAR, format!("unknown step {step}")));
            }
            armed.insert((when, step.to_string()));
        }
        if armed.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self {
            inner: Some(Arc::new(Inner {
                armed: Mutex::new(armed),
                released: watch::Sender::new(false),
            })),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// Releases every stopped driver and disarms every point.
    pub fn release(&self) {
        if let Some(inner) = &self.inner {
            inner.armed.lock().expect("pause points lock").clear();
            inner.released.send_replace(true);
        }
    }

    /// Releases on each SIGUSR1, for as long as the process runs.
    pub async fn release_on_sigusr1(self) {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
            tracing::error!("cannot listen for SIGUSR1; saga pause points stay until the process dies");
            return;
        };
        while usr1.recv().await.is_some() {
            tracing::warn!("SIGUSR1: saga pause points released");
            self.release();
        }
    }

    /// Stops here while `(when, step)` is armed (see the module docs).
    pub async fn at(&self, pool: &sqlx::PgPool, booking: Uuid, when: When, step: SagaStep) {
        let Some(inner) = &self.inner else {
            return;
        };
        if !inner
            .armed
            .lock()
            .expect("pause points lock")
            .contains(&(when, step.as_str().to_string()))
        {
            return;
        }
        let mut released = inner.released.subscribe();
        let note = format!("paused {} {step} ({VAR})", when.word());
        tracing::warn!(%booking, "{note}");
        if let Err(e) = crate::db::note_error(pool, booking, &note).await {
            tracing::error!(error = %e, "cannot note the pause");
        }
        let _ = released.wait_for(|r| *r).await;
    }
}

#[cfg(all(test, feature = "saga-pause"))]
mod tests {
    use super::*;

    #[test]
    fn points_are_parsed_and_checked() {
        assert!(Pauses::parse("").unwrap().is_empty());
        assert!(!Pauses::parse("before:CHARGE, after:REFUND").unwrap().is_empty());
        assert!(Pauses::parse("during:CHARGE").is_err());
        assert!(Pauses::parse("before:LUNCH").is_err());
        assert!(Pauses::parse("CHARGE").is_err());
    }
}
