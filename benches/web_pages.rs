//! Benchmark: the web front end's offers page and the officer's report
//! page, 8 people at once, each page from before its request is sent to
//! after the whole HTML is read, over HTTP to the web front end (on the
//! loopback, so the time is the server's). The data are the offers
//! benchmark's: 100,000 vehicles and 1,000,000 bookings in one council,
//! made over two years (so the report of the last 30 days, the page's
//! default, counts about 41,000 of them).
//!
//! ```sh
//! cargo xtask test --release --bench web_pages
//! ```
//!
//! (`WEB_VEHICLES`, `WEB_BOOKINGS`, `WEB_USERS` and `WEB_PAGES` — pages per
//! person — change the sizes.) Each page is measured with the calls behind
//! it (web → gateway → services) over HTTP and then in process
//! (`INTERNAL_TRANSPORT`), with CPU per page: this process (the web front
//! end, every part and the clients) plus PostgreSQL's backends.

/// mimalloc, as the `roundabout` binary uses (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use roundabout_support::client::Transport;
use support::bench::{cpu_now, env_or, percentile, postmaster, seed_bookings, Cpu};
use support::proc_stack::{seed_vehicles, world};
use support::web::{Browser, Web};
use support::*;
use uuid::Uuid;

fn report(name: &str, mut times: Vec<Duration>, wall: Duration, cpu: Cpu) {
    times.sort();
    let n = times.len() as f64;
    println!(
        "{name:<36} p50 {:>7.2} ms   p99 {:>7.2} ms   {} pages, {:.0}/s; CPU per page {:.2} ms here + {:.2} ms PostgreSQL",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len(),
        n / wall.as_secs_f64(),
        cpu.own_ms / n,
        cpu.pg_ms / n,
    );
}

/// `users` signed-in browsers each getting `path` `pages` times at once;
/// every page must answer 200 and contain `expect`.
async fn measure(name: &str, browsers: &[Browser], path: &str, expect: &'static str, pages: usize, postmaster: u32) {
    // Warm-up: a few pages each.
    for b in browsers {
        let mut b = b.clone();
        for _ in 0..3 {
            let p = b.get(path).await;
            assert!(p.status.is_success() && p.body.contains(expect), "{path}: {}", p.text());
        }
    }
    let (wall, cpu) = (Instant::now(), cpu_now(postmaster));
    let runs = browsers.iter().map(|b| {
        let (mut b, path) = (b.clone(), path.to_string());
        tokio::spawn(async move {
            let mut times = Vec::with_capacity(pages);
            for _ in 0..pages {
                let t = Instant::now();
                let p = b.get(&path).await;
                times.push(t.elapsed());
                assert!(p.status.is_success() && p.body.contains(expect), "{path}: {}", p.status);
            }
            times
        })
    });
    let mut times = Vec::new();
    for r in futures::future::join_all(runs).await {
        times.extend(r.unwrap());
    }
    let (elapsed, used) = (wall.elapsed(), cpu_now(postmaster) - cpu);
    report(name, times, elapsed, used);
}

#[tokio::main]
async fn main() {
    let vehicles = env_or("WEB_VEHICLES", 100_000);
    let bookings = env_or("WEB_BOOKINGS", 1_000_000);
    let users = env_or("WEB_USERS", 8);
    let pages = env_or("WEB_PAGES", 100);
    let stack = Stack::start().await;
    let web = Web::start(&stack).await;
    let w = world(&stack.gateway_url).await;
    let provider: Uuid = w.provider_id.parse().unwrap();
    let started = Instant::now();
    seed_vehicles(&stack.inventory_pool, provider, vehicles).await;
    let ids: Vec<Uuid> = sqlx::query_scalar("select id from vehicles order by id")
        .fetch_all(&stack.inventory_pool)
        .await
        .unwrap();
    let count = seed_bookings(
        &stack.bookings_pool,
        w.council.parse().unwrap(),
        provider,
        &ids,
        bookings.div_ceil(ids.len().max(1)),
    )
    .await;
    println!(
        "seeded {} vehicles and {count} bookings in {:.0} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );

    // The household's offers page: a hire three days ahead, 10:00–14:00,
    // within 5 km (as the offers benchmark searches).
    let day = (Utc::now() + chrono::Duration::days(3)).date_naive();
    let offers = format!(
        "/find-a-vehicle/hire?search=1&kind=HIRE&day={}&month={}&year={}&time=10:00&hours=4&radius=5",
        day.day(),
        day.month(),
        day.year()
    );
    let mut households = Vec::new();
    let mut officers = Vec::new();
    for _ in 0..users {
        let mut b = web.browser();
        b.sign_in("ahmed@wox.test", PASSWORD).await;
        households.push(b);
        let mut b = web.browser();
        b.sign_in("officer@wox.test", PASSWORD).await;
        officers.push(b);
    }
    // Wait until inventory's index has followed the seeded vehicles.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let p = households[0].clone().get(&offers).await;
        if p.body.matches("app-offer__title").count() >= 5 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let postmaster = postmaster(&stack.bookings_pool).await;
    for (transport, way) in [(Transport::Http, "http"), (Transport::InProcess, "in-process")] {
        transport.set();
        measure(
            &format!("offers page, {way}"),
            &households,
            &offers,
            "app-offer__title",
            pages,
            postmaster,
        )
        .await;
        measure(
            &format!("officer report page, {way}"),
            &officers,
            "/officer/reports",
            "</html>",
            pages,
            postmaster,
        )
        .await;
    }
}
