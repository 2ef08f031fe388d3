//! Measurement for docs/SCALING.md: how much each table grows per booking,
//! per cancellation and per offers search, in rows and bytes (heap, indexes
//! and TOAST), through the real stack. Sizes do not depend on the build
//! profile, so a debug build will do:
//!
//! ```sh
//! cargo xtask test --bench growth
//! ```
//!
//! `GROWTH_BOOKINGS` (default 300) and `GROWTH_SEARCHES` (default 300)
//! change the sizes.

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use chrono::Duration;
use serde_json::json;
use sqlx::PgPool;
use support::bookings::{book, cancel_mutation, hire, in_days, World};

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id } price { householdPence } score } }";

fn env_or(var: &str, default: i64) -> i64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// (table, rows, total bytes) of every table of a database.
async fn tables(pool: &PgPool) -> Vec<(String, i64, i64)> {
    sqlx::query("vacuum analyze").execute(pool).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar(
        "select relname::text from pg_stat_user_tables where relname not like '_sqlx%' order by relname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for name in names {
        // Names come from the catalogue, not from input.
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from \"{name}\""))
            .fetch_one(pool)
            .await
            .unwrap();
        let bytes: i64 = sqlx::query_scalar("select pg_total_relation_size($1::regclass)")
            .bind(&name)
            .fetch_one(pool)
            .await
            .unwrap();
        out.push((name, rows, bytes));
    }
    out
}

async fn snapshot(w: &World) -> Vec<(String, String, i64, i64)> {
    let s = &w.stack;
    let mut all = Vec::new();
    for (db, pool) in [
        ("bookings", &s.bookings_pool),
        ("payments", &s.payments_pool),
        ("eligibility", &s.eligibility_pool),
        ("inventory", &s.inventory_pool),
        ("gateway", &s.gateway_pool),
    ] {
        for (t, rows, bytes) in tables(pool).await {
            all.push((db.to_string(), t, rows, bytes));
        }
    }
    all
}

fn report(what: &str, n: i64, before: &[(String, String, i64, i64)], after: &[(String, String, i64, i64)]) {
    println!("\nper {what} ({n} of them): table, rows added per {what}, bytes added per {what}");
    for (db, t, rows, bytes) in after {
        let (r0, b0) = before
            .iter()
            .find(|(d, tt, ..)| d == db && tt == t)
            .map(|(.., r, b)| (*r, *b))
            .unwrap_or((0, 0));
        if rows - r0 > 0 {
            println!(
                "  {db}.{t}: {:.2} rows, {:.0} bytes",
                (rows - r0) as f64 / n as f64,
                (bytes - b0) as f64 / n as f64
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let bookings = env_or("GROWTH_BOOKINGS", 300);
    let searches = env_or("GROWTH_SEARCHES", 300);
    // Each household books sixty hires on invoice: beyond its limits.
    let w = World::unbounded(1_000_000_000).await;
    let mut households = Vec::new();
    for i in 0..5 {
        households.push(w.household(&format!("h{i}@wox.test")).await.0);
    }
    // Warm-up: one booking, so first-use rows (customers, caches) are not counted.
    let first = book(&households[0], hire(&w.vehicles[0], in_days(200), 2, "warm-up")).await;
    assert_eq!(first["booking"]["status"], "CONFIRMED", "{first}");

    let before = snapshot(&w).await;
    let mut ids = Vec::new();
    for i in 0..bookings {
        let v = &w.vehicles[(i % 3) as usize];
        let start = in_days(2) + Duration::hours(3 * (i / 3));
        let h = &households[(i % 5) as usize];
        let p = book(h, hire(v, start, 2, &format!("g{i}"))).await;
        assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
        ids.push(((i % 5) as usize, p["booking"]["id"].as_str().unwrap().to_string()));
    }
    let after_bookings = snapshot(&w).await;
    report("booking", bookings, &before, &after_bookings);

    let cancels = bookings / 10;
    for (h, id) in ids.iter().take(cancels as usize) {
        let p = households[*h]
            .mutate(
                "cancelBooking",
                &cancel_mutation(),
                json!({"id": id, "r": "plans changed"}),
            )
            .await
            .unwrap();
        assert_eq!(p["booking"]["status"], "CANCELLED", "{p}");
    }
    let after_cancels = snapshot(&w).await;
    report("cancellation", cancels, &after_bookings, &after_cancels);

    let input = json!({"kind": "HIRE", "start": in_days(3), "end": in_days(3) + Duration::hours(4), "radiusKm": 5.0, "seats": 4});
    for _ in 0..searches {
        let o = households[1].query(OFFERS, json!({"i": input})).await.unwrap();
        assert!(o["offers"].as_array().is_some(), "{o}");
    }
    let after_searches = snapshot(&w).await;
    report("offers search", searches, &after_cancels, &after_searches);
}
