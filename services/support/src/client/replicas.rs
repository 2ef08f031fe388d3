//! A service's replicas: which calls may be sent to another one, the
//! round-robin rotation, the marks of replicas
//! whose connection failed, and the readiness checks that lift them (see
//! the [`client`](super) module's documentation).

use reqwest::Method;
use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex, PoisonError, Weak,
    },
    time::{Duration, Instant},
};

/// How long a replica whose connection failed is left out.
pub const DOWN_FOR: Duration = Duration::from_secs(3);
/// How often a replica marked down is asked whether it is ready again.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How often every replica's readiness is checked.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How long a readiness check may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// One replica of a service.
#[derive(Debug)]
pub(super) struct Replica {
    pub(super) base: String,
    /// Left out of the rotation until then.
    down_until: Mutex<Option<Instant>>,
    /// A readiness check is running for it.
    probing: AtomicBool,
}

impl Replica {
    fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            down_until: Mutex::new(None),
            probing: AtomicBool::new(false),
        }
    }

    pub(super) fn is_up(&self, now: Instant) -> bool {
        self.down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|t| t <= now)
    }

    fn mark_down(&self) {
        *self.down_until.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + DOWN_FOR);
    }

    fn mark_up(&self) {
        *self.down_until.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// A service's replicas and the rotation over them, shared by a client's clones.
#[derive(Debug)]
pub(super) struct Replicas {
    pub(super) list: Vec<Replica>,
    next: AtomicUsize,
    /// The periodic readiness check has been started.
    sweeping: AtomicBool,
}

impl Replicas {
    pub(super) fn new(bases: &str) -> Self {
        let mut list: Vec<Replica> = bases
            .split(',')
            .map(|b| b.trim().trim_end_matches('/'))
            .filter(|b| !b.is_empty())
            .map(Replica::new)
            .collect();
        if list.is_empty() {
            // No URL at all: calls fail as unreachable, as they always did.
            list.push(Replica::new(""));
        }
        Self {
            list,
            next: AtomicUsize::new(0),
            sweeping: AtomicBool::new(false),
        }
    }

    /// The next replica in the rotation that is up and is not `avoid`;
    /// when there is none, the next one other than `avoid` (if any).
    pub(super) fn pick(&self, avoid: Option<usize>) -> usize {
        let n = self.list.len();
        if n == 1 {
            return 0;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let candidates = (0..n).map(|k| (start + k) % n).filter(|i| Some(*i) != avoid);
        let mut fallback = None;
        for i in candidates {
            if self.list[i].is_up(now) {
                return i;
            }
            fallback.get_or_insert(i);
        }
        fallback.unwrap_or(start % n)
    }
}

/// Leaves replica `i` out for a while and has its readiness watched.
pub(super) fn down(replicas: &Arc<Replicas>, http: &reqwest::Client, i: usize) {
    let Some(r) = replicas.list.get(i) else {
        return;
    };
    r.mark_down();
    if r.probing.swap(true, Ordering::AcqRel) {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        r.probing.store(false, Ordering::Release);
        return;
    };
    rt.spawn(probe(Arc::downgrade(replicas), http.clone(), i));
}

/// Starts the periodic readiness check of every replica, once.
pub(super) fn start_sweep(replicas: &Arc<Replicas>, http: &reqwest::Client) {
    if replicas.sweeping.swap(true, Ordering::AcqRel) {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        replicas.sweeping.store(false, Ordering::Release);
        return;
    };
    rt.spawn(sweep(Arc::downgrade(replicas), http.clone()));
}

async fn ready(http: &reqwest::Client, base: &str) -> bool {
    http.get(format!("{base}{}", roundabout_api::routes::common::READYZ))
        .timeout(PROBE_TIMEOUT)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Watches a replica marked down: renews the mark while it is not ready,
/// lifts it once it is. Ends with the last clone of its client.
async fn probe(replicas: Weak<Replicas>, http: reqwest::Client, i: usize) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let Some(all) = replicas.upgrade() else {
            return;
        };
        let Some(r) = all.list.get(i) else {
            return;
        };
        if ready(&http, &r.base).await {
            r.mark_up();
            r.probing.store(false, Ordering::Release);
            tracing::info!(replica = %r.base, "replica ready again");
            return;
        }
        r.mark_down();
    }
}

/// Every [`SWEEP_EVERY`]: marks down each replica that is not ready (and
/// has it watched until it is). Ends with the last clone of its client.
async fn sweep(replicas: Weak<Replicas>, http: reqwest::Client) {
    loop {
        tokio::time::sleep(SWEEP_EVERY).await;
        let Some(all) = replicas.upgrade() else {
            return;
        };
        for (i, r) in all.list.iter().enumerate() {
            if r.probing.load(Ordering::Acquire) || ready(&http, &r.base).await {
                continue;
            }
            tracing::warn!(replica = %r.base, "replica not ready; leaving it out");
            r.mark_down();
            if !r.probing.swap(true, Ordering::AcqRel) {
                tokio::spawn(probe(Arc::downgrade(&all), http.clone(), i));
            }
        }
    }
}

/// `POST` routes that only read: safe to send again after a connection
/// was lost mid-call. (Every route ending in `/batch` is a read by ids.)
pub fn read_only_post(path: &str) -> bool {
    use roundabout_api::routes;
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    path.ends_with("/batch")
        || [
            routes::inventory::VEHICLES_SEARCH,
            routes::bookings::OFFERS,
            routes::eligibility::SUBSIDY_QUOTE,
            routes::eligibility::POSTCODE_COUNCILS,
        ]
        .contains(&path)
}

/// Whether sending `method path` twice does nothing more than sending it once.
pub(super) fn idempotent(method: &Method, path: &str, idempotency_key: Option<&str>) -> bool {
    idempotency_key.is_some()
        || matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE)
        || (*method == Method::POST && read_only_post(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_calls_are_idempotent() {
        use roundabout_api::routes;
        assert!(idempotent(&Method::GET, "/internal/bookings/1", None));
        assert!(idempotent(&Method::PUT, "/internal/vehicles/1", None));
        assert!(idempotent(&Method::POST, routes::bookings::BOOKINGS_BATCH, None));
        assert!(idempotent(&Method::POST, routes::bookings::OFFERS, None));
        assert!(idempotent(&Method::POST, "/internal/payment-events", Some("k")));
        assert!(!idempotent(&Method::POST, routes::bookings::BOOKINGS, None));
        assert!(!idempotent(&Method::POST, routes::payments::PAYMENTS, None));
    }
}
