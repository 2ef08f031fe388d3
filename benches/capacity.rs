//! Measurement for docs/SCALING.md: the CPU time each part spends per
//! offers search and per booking, with every part its own process (as
//! deployed, JSON logs at `info`), and the CPU time of the PostgreSQL
//! backends serving each part's database. CPU per request, not latency, is
//! what sizes replicas: a replica with one core sustains about
//! 1 / (CPU seconds per request) requests a second before it queues.
//!
//! ```sh
//! cargo xtask test --release --bench capacity
//! ```
//!
//! `CAPACITY_VEHICLES` (default 20,000, seeded in one council), `CAPACITY_BOOKINGS`
//! (existing bookings, default 200,000), `CAPACITY_CLIENTS` (8),
//! `CAPACITY_SEARCHES` (2,000) and `CAPACITY_BOOKS` (200) change the sizes.
//! CPU times come from `/proc/<pid>/stat` (Linux only); each part's idle
//! CPU (its background jobs), measured for 5 s first, is subtracted.

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use roundabout::graphql_client::GraphqlClient;
use serde_json::json;
use support::bookings::{book_mutation, hire, in_days};
use support::proc_stack::{seed_vehicles, world, ProcStack, PARTS};
use uuid::Uuid;

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id seats propulsion } distanceKm price { basePence subsidyPence householdPence } score reasons } }";

fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process so far.
fn cpu_of(pid: u32, tck: f64) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14 and stime 15.
    let utime: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (utime + stime) / tck
}

/// CPU seconds of each part's process and of the PostgreSQL backends
/// connected to its database (found by the database name in their title).
fn snapshot(stack: &ProcStack, tck: f64) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let dbs: Vec<(&str, String)> = PARTS
        .iter()
        .map(|p| {
            let url = stack.database_url(p);
            (*p, url.rsplit('/').next().unwrap_or_default().to_string())
        })
        .collect();
    for p in PARTS {
        out.insert(p.to_string(), cpu_of(stack.pid(p), tck));
        out.insert(format!("postgres ({p})"), 0.0);
    }
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read_to_string(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            if !cmd.starts_with("postgres:") {
                continue;
            }
            if let Some((part, _)) = dbs.iter().find(|(_, db)| cmd.contains(&format!(" {db} "))) {
                *out.get_mut(&format!("postgres ({part})")).unwrap() += cpu_of(pid, tck);
            }
        }
    }
    out
}

fn delta(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    b.iter()
        .map(|(k, v)| (k.clone(), v - a.get(k).copied().unwrap_or(0.0)))
        .collect()
}

fn report(what: &str, n: usize, wall: Duration, used: &BTreeMap<String, f64>, idle: &BTreeMap<String, f64>) {
    println!(
        "\n{what}: {n} in {:.1} s ({:.0}/s); CPU per {what}, idle subtracted:",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );
    let mut total = 0.0;
    for (k, v) in used {
        let per = ((v - idle.get(k).copied().unwrap_or(0.0) * wall.as_secs_f64()) / n as f64).max(0.0);
        total += per;
        println!("  {k:<24} {:>7.3} ms", per * 1e3);
    }
    println!("  {:<24} {:>7.3} ms", "total", total * 1e3);
}

#[tokio::main]
async fn main() {
    let vehicles = env_or("CAPACITY_VEHICLES", 20_000);
    let existing = env_or("CAPACITY_BOOKINGS", 200_000);
    let clients = env_or("CAPACITY_CLIENTS", 8);
    let searches = env_or("CAPACITY_SEARCHES", 2_000);
    let books = env_or("CAPACITY_BOOKS", 200);
    let tck = ticks_per_second();
    let logs = std::env::temp_dir().join(format!("roundabout-capacity-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    // One household books every measured booking, on invoice: beyond its limits.
    let stack = ProcStack::start_with(Some(&logs), Some(roundabout_bookings::domain::Limits::unbounded())).await;
    let w = world(&stack.gateway).await;

    // Seed vehicles and bookings straight into the databases, as the
    // offers benchmark does (docs/PERFORMANCE.md).
    let inventory = sqlx::PgPool::connect(stack.database_url("inventory")).await.unwrap();
    let bookings_db = sqlx::PgPool::connect(stack.database_url("bookings")).await.unwrap();
    let provider: Uuid = w.provider_id.parse().unwrap();
    seed_vehicles(&inventory, provider, vehicles).await;
    let ids: Vec<Uuid> = sqlx::query_scalar("select id from vehicles order by id")
        .fetch_all(&inventory)
        .await
        .unwrap();
    let per_vehicle = existing.div_ceil(ids.len().max(1)) as i32;
    for chunk in ids.chunks(10_000) {
        sqlx::query(
            "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, period, status, step,
                 base_pence, subsidy_pence, first_base_pence, first_subsidy_pence, idempotency_key, request_digest, payment_status)
             select gen_random_uuid(), gen_random_uuid(), $2, $3, v, 'HIRE',
                    tstzrange(now() + make_interval(days => k * 4) + make_interval(hours => (abs(hashtext(v::text || k::text)) % 48)),
                              now() + make_interval(days => k * 4) + make_interval(hours => 48 + (abs(hashtext(v::text || k::text)) % 48)), '[)'),
                    'CONFIRMED', 'DONE', 2600, 1040, 2600, 1040, 'seed-' || k, 'seed', 'CAPTURED'
             from unnest($1::uuid[]) v, generate_series(0, $4 - 1) k",
        )
        .bind(chunk)
        .bind(w.council.parse::<Uuid>().unwrap())
        .bind(provider)
        .bind(per_vehicle)
        .execute(&bookings_db)
        .await
        .unwrap();
    }
    sqlx::query("analyze bookings").execute(&bookings_db).await.unwrap();
    println!(
        "seeded {} vehicles and {} bookings",
        ids.len(),
        per_vehicle as usize * ids.len()
    );

    let household = GraphqlClient::new(&stack.gateway).with_token(&w.household_token);
    let start = in_days(3);
    let input = json!({"kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(4),
                       "radiusKm": 5.0, "seats": 4, "first": 20});
    // Wait until inventory's index has followed the seeded vehicles.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let o = household.query(OFFERS, json!({"i": input})).await.unwrap();
        if o["offers"].as_array().map_or(0, Vec::len) == 20 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for _ in 0..50 {
        household.query(OFFERS, json!({"i": input})).await.unwrap();
    }

    // Idle: background jobs only.
    let a = snapshot(&stack, tck);
    let idle_for = Duration::from_secs(5);
    tokio::time::sleep(idle_for).await;
    let idle: BTreeMap<String, f64> = delta(&a, &snapshot(&stack, tck))
        .into_iter()
        .map(|(k, v)| (k, v / idle_for.as_secs_f64()))
        .collect();

    // Offers: `clients` concurrent households' searches through the gateway.
    let a = snapshot(&stack, tck);
    let started = Instant::now();
    let per_client = searches / clients;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let h = household.clone();
            let input = input.clone();
            tokio::spawn(async move {
                for _ in 0..per_client {
                    let o = h.query(OFFERS, json!({"i": input})).await.unwrap();
                    assert_eq!(o["offers"].as_array().map_or(0, Vec::len), 20, "{o}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed();
    report(
        "offers search",
        per_client * clients,
        wall,
        &delta(&a, &snapshot(&stack, tck)),
        &idle,
    );

    // Bookings: one after another, each a different vehicle and period
    // (beyond the seeded bookings), by invoice with the scheme's subsidy.
    let a = snapshot(&stack, tck);
    let started = Instant::now();
    for (i, v) in ids.iter().take(books).enumerate() {
        let p = household
            .mutate(
                "bookVehicle",
                &book_mutation(),
                json!({"i": hire(&v.to_string(), in_days(100 + (i % 50) as i64), 2, &format!("cap{i}"))}),
            )
            .await
            .unwrap();
        assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
    }
    let wall = started.elapsed();
    report("booking", books, wall, &delta(&a, &snapshot(&stack, tck)), &idle);
    println!("\nresident memory after the runs:");
    for p in PARTS {
        let status = std::fs::read_to_string(format!("/proc/{}/status", stack.pid(p))).unwrap_or_default();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap_or("VmRSS: ?")
            .trim_start_matches("VmRSS:")
            .trim();
        println!("  {p:<12} {rss}");
    }
    drop(stack);
    let _ = std::fs::remove_dir_all(logs);
}
