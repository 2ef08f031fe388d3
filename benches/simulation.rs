//! Benchmark: `simulateScheme` over 100,000 households, end to end through
//! the gateway (HTTP → gateway → eligibility → PostgreSQL and back).
//!
//! Run with a private PostgreSQL started by the test runner:
//!
//! ```sh
//! cargo xtask test --release --bench simulation
//! ```
//!
//! (`SIMULATION_HOUSEHOLDS` and `SIMULATION_RUNS` change the size and the
//! number of timed runs.) Households are seeded directly into the
//! eligibility database; everything else goes through the public API.

/// mimalloc: faster than the system allocator for the many small JSON
/// values a request makes (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let households = env_or("SIMULATION_HOUSEHOLDS", 100_000);
    let runs = env_or("SIMULATION_RUNS", 7);
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;

    let zone = officer
        .mutate(
            "createZone",
            "mutation($input: CreateZoneInput!) { createZone(input: $input) { zone { id } userErrors { code message } } }",
            json!({"input": {"councilId": council, "name": "Witney", "geometry": {"type": "Polygon", "coordinates": [[[-1.53, 51.76], [-1.44, 51.76], [-1.44, 51.81], [-1.53, 51.81], [-1.53, 51.76]]]}}}),
        )
        .await
        .unwrap();
    let zone_id = zone["zone"]["id"].as_str().unwrap().to_string();
    let scheme = officer
        .mutate(
            "createScheme",
            "mutation($input: SchemeInput!) { createScheme(input: $input) { scheme { id } userErrors { code message } } }",
            json!({"input": {
                "councilId": council, "name": "EV lease support", "zoneIds": [zone_id],
                "criteria": [
                    {"id": "income", "label": "Income under £25,000", "rule": {"<": [{"var": "household.annualIncomePence"}, 2_500_000]}, "failText": "Income {value} is above {limit}"},
                    {"id": "no-car", "label": "No car", "rule": {"==": [{"var": "household.carsOwned"}, 0]}, "failText": "You own a car"},
                    {"id": "seats", "label": "Needs at most 7 seats", "rule": {"<=": [{"var": "household.needs.seats"}, 7]}, "failText": "Too many seats"},
                ],
                "subsidy": {"percentBasisPoints": 4000, "capPerBookingPence": 12000},
                "appliesTo": ["LEASE", "HIRE"], "budgetPence": 20_000_000,
            }}),
        )
        .await
        .unwrap();
    let scheme_id = scheme["scheme"]["id"].as_str().unwrap().to_string();

    let seeded = Instant::now();
    seed_households(&stack.eligibility_pool, &council, &zone_id, households).await;
    println!("seeded {households} households in {:.1?}", seeded.elapsed());

    let query = "query($id: ID!) { simulateScheme(schemeId: $id) { householdsEvaluated eligibleHouseholds estimatedSubsidyPence failuresByCriterion { criterionId count } } }";
    let warm = officer.query(query, json!({"id": scheme_id})).await.unwrap();
    println!("result: {}", warm["simulateScheme"]);
    assert_eq!(warm["simulateScheme"]["householdsEvaluated"], households);

    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        officer.query(query, json!({"id": scheme_id})).await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "simulateScheme over {households} households, {runs} runs through the gateway: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(times[0]),
        ms(times[runs / 2]),
        ms(times[runs - 1]),
    );
    if times[runs / 2] > Duration::from_secs(1) {
        eprintln!("median above the 1 s target");
        std::process::exit(1);
    }
}

/// Inserts households and profiles with varied, reproducible facts: about
/// a third in the zone, incomes spread from £0 to £60,000, 0 to 2 cars.
async fn seed_households(pool: &sqlx::PgPool, council: &str, zone: &str, n: usize) {
    let council = uuid::Uuid::parse_str(council).unwrap();
    let zone = uuid::Uuid::parse_str(zone).unwrap();
    sqlx::query(
        "insert into households (id, council_id)
         select md5('h' || i)::uuid, $1 from generate_series(1, $2) as i",
    )
    .bind(council)
    .bind(n as i64)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into household_profiles (household_id, council_id, lat, lon, members, annual_income_pence, cars_owned,
            blue_badge, benefits, lead_age, needs_seats, needs_wheelchair_accessible, needs_electric_preferred, zone_ids)
         select md5('h' || i)::uuid, $1, 51.70 + (i % 200) * 0.001, -1.60 + (i % 300) * 0.001,
            1 + i % 6, (i * 7919) % 6000000, i % 3, i % 17 = 0,
            case when i % 4 = 0 then array['universal_credit'] else array[]::text[] end,
            18 + i % 70, 1 + i % 8, i % 23 = 0, i % 2 = 0,
            case when i % 3 = 0 then array[$3::uuid] else array[]::uuid[] end
         from generate_series(1, $2) as i",
    )
    .bind(council)
    .bind(n as i64)
    .bind(zone)
    .execute(pool)
    .await
    .unwrap();
}
