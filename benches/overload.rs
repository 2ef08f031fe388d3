//! Overload: what the marketplace does when offered several times the load
//! it can serve (docs/PERFORMANCE.md, "Overload").
//!
//! ```sh
//! cargo xtask test --release --bench overload
//! ```
//!
//! Every part runs as its own process with its default admission limit
//! (`MAX_CONCURRENT_REQUESTS`, or `OVERLOAD_LIMIT` for every part) and the
//! gateway's per-client rate limit off. Households' offers searches go
//! through the gateway in three phases:
//!
//! 1. unloaded: one search at a time (`OVERLOAD_UNLOADED`, 300), for the
//!    unloaded latency;
//! 2. capacity: `OVERLOAD_CLIENTS` (16) searching back to back for
//!    `OVERLOAD_SECONDS` (10), for the throughput the stack sustains;
//! 3. overload: searches started at `OVERLOAD_FACTOR` (5) times that
//!    throughput, whatever the answers, for `OVERLOAD_SECONDS`.
//!
//! It prints, for the overload, how many searches were served, shed (503
//! `OVERLOADED`), timed out or failed otherwise; the latency of served and of
//! shed searches; each part's largest resident memory; and whether every
//! part is still serving afterwards. `OVERLOAD_VEHICLES` (2,000) are seeded.

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "a bench uses a part of the integration tests' helpers")]
mod support;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};
use support::bookings::in_days;
use support::proc_stack::{seed_vehicles, world, ProcStack, PARTS};
use uuid::Uuid;

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id seats } distanceKm price { basePence subsidyPence householdPence } } }";

fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What became of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Served,
    Shed,
    TimedOut,
    /// A 5xx other than a 503 refusal, a GraphQL error, or no answer.
    Failed,
}

struct Load {
    http: reqwest::Client,
    url: String,
    token: String,
    body: Value,
}

impl Load {
    async fn search(&self) -> (Outcome, Duration) {
        let started = Instant::now();
        let res = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&self.body)
            .send()
            .await;
        let outcome = match res {
            Err(_) => Outcome::Failed,
            Ok(r) => {
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default();
                match (status.as_u16(), code) {
                    (200, "") if body["data"]["offers"].is_array() => Outcome::Served,
                    (503, "OVERLOADED") => Outcome::Shed,
                    (503, "TIMED_OUT") => Outcome::TimedOut,
                    _ => Outcome::Failed,
                }
            }
        };
        (outcome, started.elapsed())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let vehicles = env_or("OVERLOAD_VEHICLES", 2_000);
    let unloaded_n = env_or("OVERLOAD_UNLOADED", 300);
    let clients = env_or("OVERLOAD_CLIENTS", 16);
    let seconds = env_or("OVERLOAD_SECONDS", 10) as u64;
    let factor = env_or("OVERLOAD_FACTOR", 5) as f64;
    let limit = std::env::var("OVERLOAD_LIMIT").ok();
    let mut extra = vec![("RATE_LIMIT_PER_SECOND", "0")];
    if let Some(l) = &limit {
        extra.push(("MAX_CONCURRENT_REQUESTS", l.as_str()));
    }
    let stack = ProcStack::start_env(None, None, &extra).await;
    let w = world(&stack.gateway).await;
    let inventory = sqlx::PgPool::connect(stack.database_url("inventory")).await.unwrap();
    let provider: Uuid = w.provider_id.parse().unwrap();
    seed_vehicles(&inventory, provider, vehicles).await;

    let start = in_days(3);
    let input = json!({"kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(4),
                       "radiusKm": 5.0, "seats": 4, "first": 20});
    let household = GraphqlClient::new(&stack.gateway).with_token(&w.household_token);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let o = household.query(OFFERS, json!({"i": input})).await.unwrap();
        if o["offers"].as_array().map_or(0, Vec::len) == 20 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let load = Arc::new(Load {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        url: format!("{}/graphql", stack.gateway),
        token: w.household_token.clone(),
        body: json!({"query": OFFERS, "variables": {"i": input}}),
    });
    for _ in 0..50 {
        load.search().await;
    }
    let rss_before: BTreeMap<&str, f64> = PARTS.iter().map(|p| (*p, rss_mib(stack.pid(p)))).collect();

    // 1. Unloaded.
    let mut unloaded = Vec::new();
    for _ in 0..unloaded_n {
        let (o, d) = load.search().await;
        assert_eq!(o, Outcome::Served, "an unloaded search must be served");
        unloaded.push(d);
    }
    unloaded.sort();
    let (u50, u99) = (percentile(&unloaded, 0.5), percentile(&unloaded, 0.99));
    println!(
        "unloaded: {unloaded_n} searches one at a time: p50 {:.1} ms, p99 {:.1} ms",
        ms(u50),
        ms(u99)
    );

    // 2. Capacity: closed loop.
    let window = Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let load = load.clone();
            tokio::spawn(async move {
                let mut served = Vec::new();
                let mut other = 0usize;
                while started.elapsed() < window {
                    match load.search().await {
                        (Outcome::Served, d) => served.push(d),
                        _ => other += 1,
                    }
                }
                (served, other)
            })
        })
        .collect();
    let mut served = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (s, o) = t.await.unwrap();
        served.extend(s);
        refused += o;
    }
    let wall = started.elapsed().as_secs_f64();
    served.sort();
    let capacity = served.len() as f64 / wall;
    println!(
        "capacity: {clients} clients back to back for {wall:.1} s: {capacity:.0} searches/s served \
         (p50 {:.1} ms, p99 {:.1} ms), {refused} not served",
        ms(percentile(&served, 0.5)),
        ms(percentile(&served, 0.99)),
    );

    // 3. Overload: open loop at `factor` × capacity.
    let rate = (capacity * factor).max(1.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let results: Arc<Mutex<Vec<(Outcome, Duration)>>> = Arc::default();
    let peak: Arc<Mutex<BTreeMap<&'static str, f64>>> = Arc::default();
    let sampling = {
        let peak = peak.clone();
        let pids: Vec<(&'static str, u32)> = PARTS.iter().map(|p| (*p, stack.pid(p))).collect();
        tokio::spawn(async move {
            loop {
                for (p, pid) in &pids {
                    let now = rss_mib(*pid);
                    let mut g = peak.lock().unwrap();
                    let e = g.entry(*p).or_insert(0.0);
                    *e = e.max(now);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut inflight = Vec::new();
    let mut offered = 0usize;
    while started.elapsed() < window {
        ticker.tick().await;
        offered += 1;
        let load = load.clone();
        let results = results.clone();
        inflight.push(tokio::spawn(async move {
            let r = load.search().await;
            results.lock().unwrap().push(r);
        }));
    }
    let offered_for = started.elapsed().as_secs_f64();
    for t in inflight {
        t.await.unwrap();
    }
    sampling.abort();
    let results = results.lock().unwrap().clone();
    let mut by: BTreeMap<Outcome, Vec<Duration>> = BTreeMap::new();
    for (o, d) in results {
        by.entry(o).or_default().push(d);
    }
    for v in by.values_mut() {
        v.sort();
    }
    println!(
        "overload: {offered} searches offered in {offered_for:.1} s ({:.0}/s, {factor}× capacity):",
        offered as f64 / offered_for
    );
    for (o, v) in &by {
        println!(
            "  {o:?}: {} ({:.0}%), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            v.len(),
            100.0 * v.len() as f64 / offered.max(1) as f64,
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(v.last().copied().unwrap_or_default()),
        );
    }
    if let Some(s) = by.get(&Outcome::Served) {
        println!(
            "  served p99 / unloaded p99 = {:.2}",
            ms(percentile(s, 0.99)) / ms(u99).max(0.001)
        );
    }
    println!("resident memory (MiB) before → largest during the overload:");
    let peak = peak.lock().unwrap().clone();
    for p in PARTS {
        println!(
            "  {p:<12} {:>6.1} → {:>6.1}",
            rss_before[p],
            peak.get(p).copied().unwrap_or(0.0)
        );
    }
    // Every part still serves.
    let (o, _) = load.search().await;
    println!("after the overload a search is {o:?}");
    assert_eq!(o, Outcome::Served);
    println!("admission limit per part: {}", limit.as_deref().unwrap_or("default"));
}
