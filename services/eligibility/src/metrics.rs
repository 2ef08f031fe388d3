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
    // One row per scheme line with a version in effect; the sums use
    // budget_allocations_line_idx (line_id, state).
    let rows: Vec<(String, String, String, i64, i64, i64)> = sqlx::query_as(
        "select c.code, l.id::text, s.name, l.budget_pence,
                coalesce((select sum(a.amount_pence) from budget_allocations a
                          where a.line_id = l.id and a.state = 'COMMITTED'), 0)::bigint,
                coalesce((select sum(a.amount_pence) from budget_allocations a
                          where a.line_id = l.id and a.state = 'HELD' and a.expires_at > now()), 0)::bigint
         from scheme_lines l
         join councils c on c.id = l.council_id
         join lateral (select name from schemes
                       where line_id = l.id and status in ('ACTIVE', 'PAUSED')
                       order by version desc limit 1) s on true",
    )
    .fetch_all(pool)
    .await?;
    g.budget.reset();
    g.committed.reset();
    g.held.reset();
    for (council, line, name, budget, committed, held) in rows {
        let labels = [council.as_str(), line.as_str(), name.as_str()];
        g.budget.with_label_values(&labels).set(budget);
        g.committed.with_label_values(&labels).set(committed);
        g.held.with_label_values(&labels).set(held);
    }
    Ok(())
}
