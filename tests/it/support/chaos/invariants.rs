//! The chaos run's invariants, checked across the databases and against
//! localstripe once the stack has settled.

use std::collections::HashMap;

use roundabout_support::testing::localstripe::LocalStripe;
use serde_json::Value;
use sqlx::{PgPool, Row};

use super::Check;

/// A count; -1 when the query fails (the database still restarting), which
/// counts as not settled.
async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(-1)
}

/// What is still in flight: saga steps and undelivered outbox messages.
pub(super) async fn pending(bookings: &PgPool, payments: &PgPool, eligibility: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    let steps = count(bookings, "select count(*) from bookings where step <> 'DONE'").await;
    if steps != 0 {
        out.push(format!("{steps} bookings with a saga step to do"));
    }
    for (name, pool) in [
        ("bookings", bookings),
        ("payments", payments),
        ("eligibility", eligibility),
    ] {
        let n = count(pool, "select count(*) from outbox where delivered_at is null").await;
        if n != 0 {
            out.push(format!("{n} {name} outbox messages undelivered"));
        }
    }
    out
}

fn check(name: &'static str, problems: Vec<String>) -> Check {
    Check {
        name,
        pass: problems.is_empty(),
        detail: problems.into_iter().take(5).collect::<Vec<_>>().join("; "),
    }
}

struct BookingRow {
    status: String,
    subsidy: i64,
    refund: Option<i64>,
}

struct PaymentRow {
    method: String,
    status: String,
    amount: i64,
    refunded: i64,
    intent: Option<String>,
}

pub(super) async fn invariants(
    bookings: &PgPool,
    payments: &PgPool,
    eligibility: &PgPool,
    stripe: &LocalStripe,
) -> Vec<Check> {
    let mut checks = Vec::new();

    let overlaps: Vec<String> = sqlx::query(
        "select a.id::text, b.id::text from bookings a join bookings b
           on a.vehicle_id = b.vehicle_id and a.id < b.id and a.period && b.period
         where a.slot_held and b.slot_held",
    )
    .fetch_all(bookings)
    .await
    .expect("an invariant query runs")
    .iter()
    .map(|r| format!("{} overlaps {}", r.get::<String, _>(0), r.get::<String, _>(1)))
    .collect();
    checks.push(check("no two held bookings overlap on a vehicle", overlaps));

    let unbalanced: Vec<String> = sqlx::query(
        "select transaction_id, sum(amount_pence)::bigint from ledger_entries group by 1 having sum(amount_pence) <> 0",
    )
    .fetch_all(payments)
    .await
    .expect("an invariant query runs")
    .iter()
    .map(|r| format!("transaction {} sums to {}", r.get::<i64, _>(0), r.get::<i64, _>(1)))
    .collect();
    checks.push(check("every ledger transaction balances", unbalanced));

    // A settled payment has one charge, and what its household side and
    // council side hold is what it records; an unsettled one has none.
    let ledger: Vec<String> = sqlx::query(
        "with t as (
           select p.booking_id, p.status, p.amount_pence, p.refunded_pence, p.subsidy_pence,
             coalesce(sum(e.amount_pence) filter (where e.account = 'cash:stripe' or e.account like 'receivable:household:%'), 0)::bigint as household_side,
             coalesce(sum(e.amount_pence) filter (where e.account like 'receivable:council:%'), 0)::bigint as council_side,
             count(distinct lt.id) filter (where lt.idempotency_key = 'charge:' || p.booking_id) as charges,
             count(distinct lt.id) filter (where lt.idempotency_key = 'cancellation:' || p.booking_id) as cancels
           from payments p
           left join ledger_transactions lt on lt.idempotency_key in ('charge:' || p.booking_id, 'cancellation:' || p.booking_id)
           left join ledger_entries e on e.transaction_id = lt.id
           group by p.booking_id)
         select booking_id::text, status, amount_pence, refunded_pence, household_side, council_side, charges from t
         where (status in ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED')
                and (charges <> 1 or household_side <> amount_pence - refunded_pence
                     or council_side <> case when cancels > 0 then 0 else subsidy_pence end))
            or (status in ('PENDING', 'REQUIRES_ACTION', 'AUTHORISED', 'FAILED', 'CANCELLED') and charges <> 0)",
    )
    .fetch_all(payments)
    .await
    .expect("an invariant query runs")
    .iter()
    .map(|r| {
        format!(
            "payment {} {} amount {} refunded {}: ledger household side {}, council side {}, charges {}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<i64, _>(2),
            r.get::<i64, _>(3),
            r.get::<i64, _>(4),
            r.get::<i64, _>(5),
            r.get::<i64, _>(6)
        )
    })
    .collect();
    checks.push(check(
        "every payment's ledger entries equal its recorded amounts",
        ledger,
    ));

    // Budgets.
    let over: Vec<String> = sqlx::query(
        "select l.id::text, l.budget_pence, coalesce(sum(a.amount_pence) filter (where a.state = 'COMMITTED'), 0)::bigint
         from scheme_lines l left join budget_allocations a on a.line_id = l.id
         group by l.id having coalesce(sum(a.amount_pence) filter (where a.state = 'COMMITTED'), 0) > l.budget_pence",
    )
    .fetch_all(eligibility)
    .await
    .expect("an invariant query runs")
    .iter()
    .map(|r| {
        format!(
            "scheme {} committed {} of {}",
            r.get::<String, _>(0),
            r.get::<i64, _>(2),
            r.get::<i64, _>(1)
        )
    })
    .collect();
    checks.push(check("every scheme's committed subsidy is within its budget", over));

    let booking_rows: HashMap<String, BookingRow> =
        sqlx::query("select id::text, status, subsidy_pence, refund_pence from bookings")
            .fetch_all(bookings)
            .await
            .expect("an invariant query runs")
            .iter()
            .map(|r| {
                (
                    r.get::<String, _>(0),
                    BookingRow {
                        status: r.get(1),
                        subsidy: r.get(2),
                        refund: r.get(3),
                    },
                )
            })
            .collect();
    let live = |s: &str| matches!(s, "CONFIRMED" | "ACTIVE" | "COMPLETED");
    let committed: HashMap<String, i64> =
        sqlx::query("select booking_id::text, amount_pence from budget_allocations where state = 'COMMITTED'")
            .fetch_all(eligibility)
            .await
            .expect("an invariant query runs")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect();
    let mut budget = Vec::new();
    for (id, b) in &booking_rows {
        let expected = if live(&b.status) { b.subsidy } else { 0 };
        let got = committed.get(id).copied().unwrap_or(0);
        if expected != got {
            budget.push(format!(
                "booking {id} ({}): subsidy {expected}, committed {got}",
                b.status
            ));
        }
    }
    for id in committed.keys() {
        if !booking_rows.contains_key(id) {
            budget.push(format!("{id} committed without a booking"));
        }
    }
    checks.push(check(
        "every scheme's committed subsidy equals its live bookings' subsidies",
        budget,
    ));

    let payment_rows: HashMap<String, PaymentRow> = sqlx::query(
        "select booking_id::text, method, status, amount_pence, refunded_pence, stripe_intent_id from payments",
    )
    .fetch_all(payments)
    .await
    .expect("an invariant query runs")
    .iter()
    .map(|r| {
        (
            r.get::<String, _>(0),
            PaymentRow {
                method: r.get(1),
                status: r.get(2),
                amount: r.get(3),
                refunded: r.get(4),
                intent: r.get(5),
            },
        )
    })
    .collect();
    let mut confirmed = Vec::new();
    for (id, b) in booking_rows.iter().filter(|(_, b)| live(&b.status)) {
        let ok = payment_rows.get(id).is_some_and(|p| match p.method.as_str() {
            "CARD" => matches!(p.status.as_str(), "AUTHORISED" | "CAPTURED" | "PARTIALLY_REFUNDED"),
            _ => !matches!(p.status.as_str(), "CANCELLED" | "FAILED"),
        });
        if !ok {
            let p = payment_rows.get(id).map(|p| format!("{} {}", p.method, p.status));
            confirmed.push(format!("booking {id} {} has payment {p:?}", b.status));
        }
    }
    checks.push(check(
        "every confirmed booking has an authorised or captured card payment or an invoice",
        confirmed,
    ));

    let mut orphans = Vec::new();
    for (id, p) in &payment_rows {
        let b = booking_rows.get(id);
        let booking_live = b.is_some_and(|b| live(&b.status));
        let bad = match p.status.as_str() {
            "AUTHORISED" | "PENDING" | "REQUIRES_ACTION" => !booking_live,
            // Taken and kept: the booking lives, or it was cancelled and
            // exactly the promised refund went back.
            "CAPTURED" | "PARTIALLY_REFUNDED" | "REFUNDED" => {
                !booking_live && b.is_none_or(|b| b.refund.unwrap_or(p.amount) != p.refunded)
            }
            _ => false,
        };
        if bad || p.refunded > p.amount {
            orphans.push(format!(
                "payment {id} {} {} (amount {}, refunded {}) for booking {:?}",
                p.method,
                p.status,
                p.amount,
                p.refunded,
                b.map(|b| b.status.clone())
            ));
        }
    }
    checks.push(check(
        "no authorised or captured charge without a live booking, and refunds never exceed captures",
        orphans,
    ));

    // localstripe agrees with the payments database.
    let intents = stripe.list("payment_intents").await;
    let by_id: HashMap<&str, &Value> = intents.iter().filter_map(|i| Some((i["id"].as_str()?, i))).collect();
    let known: std::collections::HashSet<String> = sqlx::query_scalar::<_, String>(
        "select stripe_intent_id from payments where stripe_intent_id is not null
         union select intent_id from lease_instalments where intent_id is not null",
    )
    .fetch_all(payments)
    .await
    .expect("an invariant query runs")
    .into_iter()
    .collect();
    let mut disagree = Vec::new();
    for (id, p) in payment_rows.iter().filter(|(_, p)| p.method == "CARD") {
        let Some(intent_id) = &p.intent else {
            if !matches!(p.status.as_str(), "FAILED" | "CANCELLED") {
                disagree.push(format!("payment {id} {} has no intent", p.status));
            }
            continue;
        };
        let Some(i) = by_id.get(intent_id.as_str()) else {
            disagree.push(format!("payment {id}: intent {intent_id} unknown to the processor"));
            continue;
        };
        let status = i["status"].as_str().unwrap_or_default();
        let fits = match p.status.as_str() {
            "CAPTURED" | "PARTIALLY_REFUNDED" | "REFUNDED" => {
                status == "succeeded" && i["amount_received"].as_i64() == Some(p.amount)
            }
            "AUTHORISED" => status == "requires_capture",
            "CANCELLED" => status == "canceled",
            _ => true,
        };
        if !fits {
            disagree.push(format!("payment {id} {} but its intent is {status}", p.status));
        }
        if p.refunded > 0 || p.status == "REFUNDED" || p.status == "PARTIALLY_REFUNDED" {
            let refunded: i64 = stripe
                .refunds_of(intent_id)
                .await
                .iter()
                .filter(|r| r["status"] != "failed" && r["status"] != "canceled")
                .filter_map(|r| r["amount"].as_i64())
                .sum();
            if refunded != p.refunded {
                disagree.push(format!(
                    "payment {id}: refunded {} recorded, {refunded} at the processor",
                    p.refunded
                ));
            }
        }
    }
    for i in &intents {
        let status = i["status"].as_str().unwrap_or_default();
        let id = i["id"].as_str().unwrap_or_default();
        if matches!(status, "succeeded" | "requires_capture") && !known.contains(id) {
            disagree.push(format!("intent {id} ({status}) has no payment"));
        }
    }
    checks.push(check(
        "localstripe's records agree with the payments database",
        disagree,
    ));
    checks
}
