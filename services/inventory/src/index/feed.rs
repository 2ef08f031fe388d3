//! Keeping the index consistent with the database.
//!
//! Every write to `vehicles` or `provider_councils` takes a change number from
//! one sequence and records its transaction id (a trigger does both, so no
//! write path can forget). A replica reads changes in (transaction id, change
//! number) order, but only those of transactions older than the oldest one
//! still running (`pg_snapshot_xmin`): a transaction that took its number
//! early and commits late is therefore read when it commits, never skipped.
//! The watermark only moves forward.
//!
//! The trigger also notifies `inventory_changes`, which PostgreSQL delivers
//! to every listening replica when the writing transaction commits: each
//! replica catches up at once, so a vehicle added through one replica is
//! found by a search on any other within milliseconds. Each replica also
//! polls every `INDEX_POLL_MS`, the safety net for notifications missed while
//! its listening connection was down.

use std::{sync::Arc, time::Duration};

use sqlx::{postgres::PgListener, PgPool};

use super::GeoIndex;
use crate::db::{self, vehicles::Watermark};

/// Rows read per query while catching up.
const BATCH: i64 = 5_000;

/// Serialises catch-ups so two of them never apply the same batch twice.
#[derive(Default)]
pub struct Follower {
    running: tokio::sync::Mutex<()>,
}

impl GeoIndex {
    /// Loads councils, approvals and vehicles; used once at start.
    pub async fn load(&self, pool: &PgPool) -> anyhow::Result<()> {
        for c in db::councils::all(pool).await? {
            self.add_council(c);
        }
        let mut rows = Vec::new();
        let mut mark = Watermark::start();
        loop {
            let batch = db::vehicles::changes_since(pool, &mark, BATCH).await?;
            let n = batch.len();
            if let Some(last) = batch.last() {
                mark = Watermark {
                    xid: last.change_xid.clone(),
                    seq: last.row.change_seq,
                };
            }
            rows.extend(batch.into_iter().map(|c| c.row));
            if (n as i64) < BATCH {
                break;
            }
        }
        self.bulk_load(rows);
        self.write().vehicle_mark = mark;
        self.catch_up_approvals(pool).await?;
        tracing::info!(vehicles = self.len(), "geo index loaded");
        Ok(())
    }

    /// Applies every change committed since the last call.
    pub async fn catch_up(&self, pool: &PgPool, follower: &Follower) -> anyhow::Result<()> {
        let _one_at_a_time = follower.running.lock().await;
        self.catch_up_approvals(pool).await?;
        loop {
            let mark = self.read().vehicle_mark.clone();
            let batch = db::vehicles::changes_since(pool, &mark, BATCH).await?;
            let n = batch.len();
            let mut g = self.write();
            for c in batch {
                g.vehicle_mark = Watermark {
                    xid: c.change_xid,
                    seq: c.row.change_seq,
                };
                Self::apply_vehicle_locked(&mut g, c.row);
            }
            if (n as i64) < BATCH {
                return Ok(());
            }
        }
    }

    async fn catch_up_approvals(&self, pool: &PgPool) -> anyhow::Result<()> {
        loop {
            let mark = self.read().approval_mark.clone();
            let batch = db::vehicles::approval_changes_since(pool, &mark, BATCH).await?;
            let n = batch.len();
            let mut g = self.write();
            for c in batch {
                Self::apply_approval_locked(&mut g, c.provider_id, c.council_id, c.status, c.change_seq);
                g.approval_mark = Watermark {
                    xid: c.change_xid,
                    seq: c.change_seq,
                };
            }
            if (n as i64) < BATCH {
                return Ok(());
            }
        }
    }
}

/// The channel every change to vehicles and approvals is announced on.
pub const CHANNEL: &str = "inventory_changes";

/// Follows the change feed until shutdown: at once when notified, and every
/// `every` regardless.
pub async fn follow(
    index: Arc<GeoIndex>,
    follower: Arc<Follower>,
    pool: PgPool,
    every: Duration,
    shutdown: roundabout_support::shutdown::Shutdown,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut listener = listen(&pool).await;
    // After a notification, a change can still be held back for a moment
    // by an older transaction still running (the feed reads only below the
    // oldest one): read again every 50 ms for a second, not only at the
    // next poll.
    let mut recheck_until: Option<tokio::time::Instant> = None;
    loop {
        let recheck = async {
            match recheck_until {
                Some(until) if tokio::time::Instant::now() < until => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await
                }
                _ => std::future::pending().await,
            }
        };
        let notified = async {
            match listener.as_mut() {
                Some(l) => {
                    let got = l.recv().await.map(|_| ());
                    // One catch-up answers every notification already here.
                    while l.next_buffered().is_some() {}
                    got
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {
                if listener.is_none() {
                    listener = listen(&pool).await;
                }
            }
            () = recheck => {}
            got = notified => {
                recheck_until = Some(tokio::time::Instant::now() + std::time::Duration::from_secs(1));
                if let Err(e) = got {
                    // The listener reconnects by itself on the next receive;
                    // a closed pool or a refused LISTEN ends it until the
                    // next tick tries again.
                    tracing::warn!(error = %e, "geo index lost its change notifications; polling meanwhile");
                    listener = None;
                }
            }
        }
        if let Err(e) = index.catch_up(&pool, &follower).await {
            tracing::warn!(error = ?e, "geo index could not follow the change feed; retrying");
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut l = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "geo index cannot listen for changes; polling meanwhile");
            return None;
        }
    };
    match l.listen(CHANNEL).await {
        Ok(()) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "geo index cannot listen for changes; polling meanwhile");
            None
        }
    }
}
