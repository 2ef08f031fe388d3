//! Scheme budgets as metrics: for every scheme in effect (ACTIVE or PAUSED),
//! its budget, what is committed and what is held, refreshed from the
//! database every [`EVERY`] — the input of the "budget near exhaustion" alert.

use std::time::Duration;

use prometheus::{IntGaugeVec, Opts};
use roundabout_support::{metrics::Metrics, server::Task};
use sqlx::PgPool;

/// How often the gauges are read from the database.
pub const EVERY: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct BudgetGauges {
    budget: IntGaugeVec,
    committed: IntGaugeVec,
    held: IntGaugeVec,
}

const LABELS: [&str; 3] = ["council", "scheme_line", "scheme"];

fn gauge(name: &str, help: &str) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), &LABELS).expect("valid metric")
}

/// Registers the budget gauges and returns the task that keeps them current.
pub fn budget_task(metrics: &Metrics, pool: PgPool) -> Task {
    let g = BudgetGauges {
        budget: gauge(
            "scheme_budget_pence",
            "A scheme's budget (its latest published version).",
        ),
        committed: gauge(
            "scheme_budget_committed_pence",
            "Subsidy committed against a scheme's budget.",
        ),
        held: gauge(
            "scheme_budget_held_pence",
            "Subsidy held (live holds) against a scheme's budget.",
        ),
    };
    metrics.register(&g.budget);
    metrics.register(&g.committed);
    metrics.register(&g.held);
    roundabout_support::metrics::refresher("scheme budgets", EVERY, move || {
        let (g, pool) = (g.clone(), pool.clone());
        async move { refresh(&g, &pool).await }
    })
}

async fn refresh(g: &BudgetGauges, pool: &PgPool) -> anyhow::Result<()> {
    let rows = crate::db::budget::line_positions(pool).await?;
    g.budget.reset();
    g.committed.reset();
    g.held.reset();
    for r in rows {
        let line = r.line_id.to_string();
        let labels = [r.council_code.as_str(), line.as_str(), r.scheme_name.as_str()];
        g.budget.with_label_values(&labels).set(r.budget_pence.get());
        g.committed.with_label_values(&labels).set(r.committed_pence.get());
        g.held.with_label_values(&labels).set(r.held_pence.get());
    }
    Ok(())
}
