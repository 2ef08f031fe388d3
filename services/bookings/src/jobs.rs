//! Background work: the saga resumer (after a crash, an outage, or a
//! payment event) and the lifecycle scheduler (CONFIRMED → ACTIVE at the
//! start, ACTIVE → COMPLETED at the end, then the provider's payout).

use std::time::Duration;

use roundabout_support::{exclusive, shutdown::Shutdown};

use crate::{saga, AppState};

/// Runs a pass every `every` until shutdown.
pub async fn run(state: AppState, every: Duration, shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.clone().wait() => return,
        }
        // Sagas are claimed booking by booking, so replicas could share the
        // work; but the lifecycle moves and the inbox wake-up are passes
        // over everything due, and one replica at a time keeps them simple.
        if let Err(e) = exclusive::run(&state.pool, "bookings.jobs", pass(&state)).await {
            tracing::error!(error = ?e, "bookings job pass failed");
        }
    }
}

/// One pass: wake bookings with payment events, move the lifecycle on,
/// then drive every booking whose next attempt is due.
pub async fn pass(state: &AppState) -> sqlx::Result<()> {
    saga::wake_from_events(state).await?;
    lifecycle(state).await?;
    for id in crate::db::due(&state.pool, 100).await? {
        saga::drive(state, id, false).await?;
    }
    Ok(())
}

/// Starts and ends bookings on time; a completed booking's next step is
/// the provider's payout.
pub async fn lifecycle(state: &AppState) -> sqlx::Result<()> {
    crate::db::start_due(&state.pool).await?;
    crate::db::complete_due(&state.pool).await
}
