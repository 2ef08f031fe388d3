//! Benchmark: `offers` with 100,000 vehicles and 1,000,000 existing
//! bookings, 16 concurrent clients, through the gateway and — in the same
//! run, against the same services — straight at the bookings service.
//!
//! ```sh
//! cargo xtask test --release --bench offers
//! ```
//!
//! (`OFFERS_VEHICLES`, `OFFERS_BOOKINGS`, `OFFERS_CLIENTS` and
//! `OFFERS_REQUESTS` change the sizes; `OFFERS_TRANSPORT=http` or
//! `in-process` runs only that transport's rounds.) Vehicles and bookings are seeded
//! directly into the inventory and bookings databases; the council, zone,
//! scheme, provider and household go through the public API.

/// mimalloc: faster than the system allocator for the many small JSON
/// values a request makes (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use roundabout_support::{
    client::{ServiceClient, Transport},
    internal_auth::{Caller, HouseholdMembership},
    testing,
};
use serde_json::{json, Value};
use support::bench::{cpu_now, env_or, marketplace, percentile, postmaster, seed_bookings, Cpu, Marketplace};
use support::eligibility::{ok, profile, UPDATE_PROFILE};
use support::*;
use uuid::Uuid;

fn report(name: &str, mut times: Vec<Duration>, wall: Duration, offers: usize, cpu: Cpu) {
    times.sort();
    let n = times.len() as f64;
    println!(
        "{name:<36} p50 {:>7.2} ms   p99 {:>7.2} ms   {} requests, {:.0}/s, {:.1} offers each; \
         CPU per request {:.2} ms here + {:.2} ms PostgreSQL",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len(),
        n / wall.as_secs_f64(),
        offers as f64 / n,
        cpu.own_ms / n,
        cpu.pg_ms / n,
    );
}

const WITNEY: (f64, f64) = (-1.485, 51.785);
const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id seats propulsion } distanceKm price { basePence subsidyPence householdPence } score reasons } }";

#[tokio::main]
async fn main() {
    let vehicles = env_or("OFFERS_VEHICLES", 100_000);
    let bookings = env_or("OFFERS_BOOKINGS", 1_000_000);
    let clients = env_or("OFFERS_CLIENTS", 16);
    let requests = env_or("OFFERS_REQUESTS", 250);
    let stack = Stack::start().await;

    // The world through the API.
    let Marketplace {
        council, provider_id, ..
    } = marketplace(&stack, None).await;
    let household = stack.household(&council, "family@bench.test").await;
    let hp = ok(
        &household,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
    )
    .await;
    let household_id: Uuid = hp["household"]["id"].as_str().unwrap().parse().unwrap();

    // Vehicles inside the council's box (-1.60..-1.30, 51.70..51.90), seeded.
    let started = Instant::now();
    sqlx::query(
        "insert into vehicles (id, provider_id, kind, make, model, seats, propulsion, range_km,
             wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence, per_month_lease_pence)
         select gen_random_uuid(), $2, (array['CAR','VAN','WAV','MINIBUS'])[1 + (g % 4)], 'Make', 'Model',
                2 + (g % 7), (array['ELECTRIC','HYBRID','PETROL','DIESEL'])[1 + (g % 4)], 300, g % 9 = 0,
                51.70 + random() * 0.20, -1.60 + random() * 0.30, 400 + g % 600, 3000 + g % 3000, 25000 + g % 20000
         from generate_series(1, $1) g",
    )
    .bind(vehicles as i64)
    .bind(provider_id)
    .execute(&stack.inventory_pool)
    .await
    .unwrap();
    println!(
        "inserted {vehicles} vehicles in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Bookings: ten of 48 hours per vehicle, one every four days from the
    // start of today at an offset of 0–47 hours, none overlapping on one
    // vehicle. The searched afternoon (day 3, 10:00–14:00) falls inside about
    // a quarter of the vehicles' first booking, whatever the time of the run.
    let ids: Vec<Uuid> = sqlx::query_scalar("select id from vehicles order by id")
        .fetch_all(&stack.inventory_pool)
        .await
        .unwrap();
    let started = Instant::now();
    let per_vehicle = bookings.div_ceil(ids.len().max(1));
    let count = seed_bookings(
        &stack.bookings_pool,
        council.parse().unwrap(),
        provider_id,
        &ids,
        per_vehicle,
    )
    .await;
    println!("inserted {count} bookings in {:.1} s", started.elapsed().as_secs_f64());

    // Saturday-ish: three days ahead, 10:00–14:00.
    let start = (Utc::now() + chrono::Duration::days(3))
        .duration_trunc(chrono::Duration::days(1))
        .unwrap()
        + chrono::Duration::hours(10);
    let input = json!({"kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(4), "radiusKm": 5.0, "seats": 4, "first": 20});

    // Wait for the index to follow the seeded vehicles (a full page of
    // offers), then a little longer for the last feed batches.
    let started = Instant::now();
    loop {
        let v = household.query(OFFERS, json!({"i": input})).await.unwrap();
        if v["offers"].as_array().is_some_and(|a| a.len() == 20) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "index never caught up: {v}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("index caught up after {:.0} s", started.elapsed().as_secs_f64());

    let mut caller = Caller::user(Uuid::new_v4(), "bench");
    caller.household = Some(HouseholdMembership {
        household_id,
        council_id: council.parse().unwrap(),
    });
    let direct = ServiceClient::new(
        "bookings",
        &stack.bookings_url,
        testing::test_client_auth(),
        ServiceClient::http_client(),
    );
    let body = {
        let mut b = json!({"household_id": household_id, "kind": "HIRE", "start": input["start"], "end": input["end"],
                           "radius_km": 5.0, "seats": 4, "first": 20});
        b["near"] = Value::Null;
        b
    };

    // PostgreSQL's backends are children of its postmaster.
    let postmaster = postmaster(&stack.bookings_pool).await;

    // The same rounds over HTTP between the parts and then in process
    // (`INTERNAL_TRANSPORT`), side by side in one run.
    // `OFFERS_TRANSPORT=in-process` (or `http`) runs only that one's rounds.
    let only = std::env::var("OFFERS_TRANSPORT").ok();
    let rounds = [
        (Transport::Http, "http", 1),
        (Transport::Http, "http", 2),
        (Transport::InProcess, "in-process", 1),
        (Transport::InProcess, "in-process", 2),
    ];
    let rounds = rounds.into_iter().filter(|r| only.as_deref().is_none_or(|o| o == r.1));
    for (transport, way, round) in rounds {
        transport.set();
        // Warm-up.
        for _ in 0..50 {
            household.query(OFFERS, json!({"i": input})).await.unwrap();
        }
        let wall = Instant::now();
        let cpu = cpu_now(postmaster);
        let runs = (0..clients).map(|_| {
            let h = household.clone();
            let input = input.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(requests);
                let mut n = 0;
                for _ in 0..requests {
                    let t = Instant::now();
                    let v = h.query(OFFERS, json!({"i": input})).await.unwrap();
                    times.push(t.elapsed());
                    n += v["offers"].as_array().map_or(0, Vec::len);
                }
                (times, n)
            })
        });
        let (mut times, mut found) = (Vec::new(), 0);
        for r in futures::future::join_all(runs).await {
            let (t, n) = r.unwrap();
            times.extend(t);
            found += n;
        }
        let (elapsed, used) = (wall.elapsed(), cpu_now(postmaster) - cpu);
        report(&format!("gateway, {way}, round {round}"), times, elapsed, found, used);

        let wall = Instant::now();
        let cpu = cpu_now(postmaster);
        let runs = (0..clients).map(|_| {
            let c = direct.clone();
            let caller = caller.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(requests);
                let mut n = 0;
                for _ in 0..requests {
                    let t = Instant::now();
                    let v: Vec<Value> = c.post("/internal/offers", &body, &caller).await.unwrap();
                    times.push(t.elapsed());
                    n += v.len();
                }
                (times, n)
            })
        });
        let (mut times, mut found) = (Vec::new(), 0);
        for r in futures::future::join_all(runs).await {
            let (t, n) = r.unwrap();
            times.extend(t);
            found += n;
        }
        let (elapsed, used) = (wall.elapsed(), cpu_now(postmaster) - cpu);
        report(
            &format!("bookings directly, {way}, round {round}"),
            times,
            elapsed,
            found,
            used,
        );
    }
}
