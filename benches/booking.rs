//! Benchmark: confirmed bookings a second through the gateway, 32 clients at
//! once, each booking a vehicle no other booking takes, half by invoice and
//! half by card on payments' in-process fake card processor; beside it, in
//! the same run and on the same PostgreSQL, the machine's floor: single-row
//! inserts, each its own durable commit, from as many clients.
//!
//! ```sh
//! cargo xtask test --release --bench booking
//! ```
//!
//! (`BOOKING_CLIENTS`, default 32, and `BOOKING_PER_CLIENT`, default 40,
//! change the sizes.) Each round is run with the calls between parts over
//! HTTP and then in process (`INTERNAL_TRANSPORT`), and reports latency,
//! bookings a second, and CPU per confirmed booking: this process (every
//! part and the clients) plus PostgreSQL's backends.

/// mimalloc, as the `roundabout` binary uses (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::time::{Duration, Instant};

use roundabout::graphql_client::GraphqlClient;
use roundabout_support::client::Transport;
use serde_json::json;
use support::bench::{cpu_now, env_or, marketplace, percentile, postmaster, Cpu, Marketplace};
use support::bookings::{book_mutation, hire, in_days};
use support::eligibility::{ok, profile, UPDATE_PROFILE};
use support::*;
use uuid::Uuid;

const WITNEY: (f64, f64) = (-1.485, 51.785);

/// Prints a round's figures; `idle` is the CPU a second the stack spends
/// doing nothing asked of it (its background jobs), left out of the "work"
/// figure.
fn report(name: &str, mut times: Vec<Duration>, wall: Duration, cpu: Cpu, floor: f64, idle: Cpu) -> f64 {
    times.sort();
    let n = times.len() as f64;
    let rate = n / wall.as_secs_f64();
    let secs = wall.as_secs_f64();
    let (own, pg) = (cpu.own_ms / n, cpu.pg_ms / n);
    let (own_work, pg_work) = (
        (cpu.own_ms - idle.own_ms * secs) / n,
        (cpu.pg_ms - idle.pg_ms * secs) / n,
    );
    println!(
        "{name:<30} p50 {:>7.2} ms   p99 {:>7.2} ms   {} in {secs:.1} s: {rate:.0}/s ({:.1} % of the floor); \
         CPU per one {own:.2} ms here + {pg:.2} ms PostgreSQL = {:.2} ms (without the idle jobs' {:.2} ms: {:.2} + {:.2} = {:.2} ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len(),
        100.0 * rate / floor,
        own + pg,
        own + pg - own_work - pg_work,
        own_work,
        pg_work,
        own_work + pg_work,
    );
    rate
}

/// The floor: `clients` connections each inserting `per_client` rows, one
/// durable commit per row, into a table of three columns with a primary key.
async fn plain_inserts(pool: &sqlx::PgPool, clients: usize, per_client: usize, postmaster: u32) -> f64 {
    let opts = (*pool.connect_options()).clone();
    let floor = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(clients).expect("a number of clients"))
        .min_connections(u32::try_from(clients).expect("a number of clients"))
        .connect_with(opts)
        .await
        .unwrap();
    sqlx::query("create table if not exists bench_floor (id uuid primary key, at timestamptz not null default now(), n int not null)")
        .execute(&floor)
        .await
        .unwrap();
    let (wall, cpu) = (Instant::now(), cpu_now(postmaster));
    let runs = (0..clients).map(|_| {
        let pool = floor.clone();
        tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let t = Instant::now();
                sqlx::query("insert into bench_floor (id, n) values ($1, $2)")
                    .bind(Uuid::new_v4())
                    .bind(i32::try_from(n).expect("a row number"))
                    .execute(&pool)
                    .await
                    .unwrap();
                times.push(t.elapsed());
            }
            times
        })
    });
    let mut times = Vec::new();
    for r in futures::future::join_all(runs).await {
        times.extend(r.unwrap());
    }
    let (elapsed, used) = (wall.elapsed(), cpu_now(postmaster) - cpu);
    let n = times.len() as f64;
    let rate = n / elapsed.as_secs_f64();
    report("plain inserts (the floor)", times, elapsed, used, rate, Cpu::default());
    floor.close().await;
    rate
}

#[tokio::main]
async fn main() {
    let clients = env_or("BOOKING_CLIENTS", 32);
    let per_client = env_or("BOOKING_PER_CLIENT", 40);
    let rounds: [(Transport, &str); 2] = [(Transport::Http, "http"), (Transport::InProcess, "in-process")];
    let warm = 2;
    let stack = Stack::start_with(Options {
        booking_limits: Some(roundabout_bookings::domain::Limits::unbounded()),
        ..Options::default()
    })
    .await;

    // A council, its zone and a published EV scheme with room for every
    // booking's subsidy, an approved provider and one household per client.
    let Marketplace {
        council, provider_id, ..
    } = marketplace(&stack, Some(2_000_000_000)).await;
    let mut households: Vec<GraphqlClient> = Vec::new();
    for i in 0..clients {
        let h = stack.household(&council, &format!("family{i}@bench.test")).await;
        ok(
            &h,
            "updateHouseholdProfile",
            UPDATE_PROFILE,
            json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
        )
        .await;
        households.push(h);
    }

    // Electric cars near Witney, one for every booking the run makes.
    let needed = clients * (per_client + warm) * rounds.len();
    sqlx::query(
        "insert into vehicles (id, provider_id, kind, make, model, seats, propulsion, range_km,
             wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence, per_month_lease_pence)
         select gen_random_uuid(), $2, 'CAR', 'Renault', 'Zoe', 5, 'ELECTRIC', 300, false,
                51.76 + random() * 0.05, -1.51 + random() * 0.05, 650, 4500, 30000
         from generate_series(1, $1) g",
    )
    .bind(needed as i64)
    .bind(provider_id)
    .execute(&stack.inventory_pool)
    .await
    .unwrap();
    let vehicles: Vec<String> = sqlx::query_scalar::<_, Uuid>("select id from vehicles order by id")
        .fetch_all(&stack.inventory_pool)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(vehicles.len(), needed);
    let postmaster = postmaster(&stack.bookings_pool).await;
    let start = in_days(3);
    let book = book_mutation();

    // What the stack spends a second with nothing asked of it: its
    // background jobs (outbox relays, the saga resumer, notifications).
    let idle_for = Duration::from_secs(5);
    let before = cpu_now(postmaster);
    tokio::time::sleep(idle_for).await;
    let spent = cpu_now(postmaster) - before;
    let idle = Cpu {
        own_ms: spent.own_ms / idle_for.as_secs_f64(),
        pg_ms: spent.pg_ms / idle_for.as_secs_f64(),
    };
    println!(
        "idle: {:.1} ms of CPU a second here + {:.1} ms PostgreSQL",
        idle.own_ms, idle.pg_ms
    );
    let floor = plain_inserts(&stack.bookings_pool, clients, per_client * 10, postmaster).await;
    let mut next = vehicles.iter();
    for (transport, way) in rounds {
        transport.set();
        // Every client books `per_client` vehicles of its own, alternating
        // invoice and card; the first `warm` of each are not timed.
        let mut work: Vec<Vec<(String, bool)>> = Vec::new();
        for _ in 0..clients {
            work.push(
                (0..per_client + warm)
                    .map(|i| (next.next().expect("a vehicle").clone(), i % 2 == 1))
                    .collect(),
            );
        }
        let go = std::sync::Arc::new(tokio::sync::Barrier::new(clients + 1));
        let runs = households.iter().zip(work).map(|(h, work)| {
            let (h, book, go) = (h.clone(), book.clone(), go.clone());
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(per_client);
                for (i, (vehicle, card)) in work.into_iter().enumerate() {
                    if i == warm {
                        go.wait().await;
                    }
                    let mut input = hire(&vehicle, start, 2, &Uuid::new_v4().to_string());
                    if card {
                        input["paymentMethod"] = json!("pm_card_visa");
                    }
                    let t = Instant::now();
                    let p = h.mutate("bookVehicle", &book, json!({"i": input})).await.unwrap();
                    let took = t.elapsed();
                    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
                    let paid = &p["booking"]["payment"];
                    assert_eq!(paid["method"], if card { "CARD" } else { "INVOICE" }, "{p}");
                    if i >= warm {
                        times.push(took);
                    }
                }
                times
            })
        });
        let runs: Vec<_> = runs.collect();
        go.wait().await;
        let (wall, cpu) = (Instant::now(), cpu_now(postmaster));
        let mut times = Vec::new();
        for r in futures::future::join_all(runs).await {
            times.extend(r.unwrap());
        }
        let (elapsed, used) = (wall.elapsed(), cpu_now(postmaster) - cpu);
        report(&format!("bookings, {way}"), times, elapsed, used, floor, idle);
    }
    let confirmed: i64 = sqlx::query_scalar("select count(*) from bookings where status = 'CONFIRMED'")
        .fetch_one(&stack.bookings_pool)
        .await
        .unwrap();
    assert_eq!(confirmed as usize, needed, "every booking confirmed");
    println!("{confirmed} bookings confirmed");
}
