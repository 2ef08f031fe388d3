//! The chaos run: `roundabout up --demo` with card payments on localstripe,
//! a mixed load of households searching, booking (card and invoice, hires
//! and a lease) and cancelling, and Stripe's webhooks, while a random part is SIGKILLed every few
//! seconds and PostgreSQL is stopped `immediate` and started again. When
//! the load stops and the stack has settled, the invariants are checked
//! across the databases and against localstripe (docs/RELIABILITY.md,
//! "Chaos").
//!
//! `cargo xtask chaos --minutes 10` runs it at length (benches/chaos.rs);
//! `tests/it/chaos.rs` runs a short one with the suite.

use std::{
    collections::{BTreeMap, HashMap},
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use chrono::{DurationRound, Utc};
use rand::{seq::SliceRandom, Rng};
use roundabout::{graphql_client::GraphqlClient, supervise::Status, Part};
use roundabout_support::pg_cluster::PgCluster;
use roundabout_support::testing::localstripe::{LocalStripe, SECRET_KEY};
use serde_json::{json, Value};
use sqlx::{PgPool, Row};

const EXE: &str = env!("CARGO_BIN_EXE_roundabout");

/// How long and how hard.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long the load and the faults last.
    pub duration: Duration,
    /// Copies of each service and of the gateway (`up --replicas`).
    pub replicas: usize,
    /// A random part is SIGKILLed this often.
    pub kill_every: Duration,
    /// How many times PostgreSQL is stopped `immediate` and started again.
    pub pg_restarts: usize,
    /// Households working at once.
    pub workers: usize,
    /// The longest the stack may take to finish what is in flight once the
    /// load stops.
    pub settle: Duration,
}

impl Options {
    /// The short run of the test suite.
    pub fn short() -> Self {
        Self {
            duration: Duration::from_secs(60),
            replicas: 2,
            kill_every: Duration::from_secs(5),
            pg_restarts: 2,
            workers: 6,
            settle: Duration::from_secs(90),
        }
    }
}

/// One invariant's result.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub pass: bool,
    pub detail: String,
}

/// A part killed, and how long until it served again.
#[derive(Debug, Clone)]
pub struct Kill {
    pub part: String,
    pub back_after: Option<Duration>,
}

/// What the run saw.
#[derive(Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
    /// Requests sent during the chaos, and those answered without a 5xx or
    /// a connection error.
    pub requests: u64,
    pub answered: u64,
    pub bookings_confirmed: u64,
    pub cancellations: u64,
    /// Stripe events delivered and accepted (a repeat now and then).
    pub webhooks: u64,
    pub kills: Vec<Kill>,
    pub pg_restarts: usize,
    pub chaos_for: Duration,
    pub settled_in: Option<Duration>,
}

impl Report {
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.pass)
    }

    pub fn availability(&self) -> f64 {
        100.0 * self.answered as f64 / self.requests.max(1) as f64
    }

    /// p50 and p99 of the time from a kill to the part serving again.
    pub fn recovery(&self) -> (Option<Duration>, Option<Duration>, usize) {
        let mut back: Vec<Duration> = self.kills.iter().filter_map(|k| k.back_after).collect();
        back.sort();
        let not_back = self.kills.len() - back.len();
        let at = |p: f64| (!back.is_empty()).then(|| back[((back.len() as f64 - 1.0) * p).round() as usize]);
        (at(0.5), at(0.99), not_back)
    }

    pub fn print(&self) {
        println!("\nchaos for {:.0} s:", self.chaos_for.as_secs_f64());
        println!(
            "  requests: {}, answered without a 5xx or a connection error: {} ({:.2}%)",
            self.requests,
            self.answered,
            self.availability()
        );
        println!(
            "  throughput: {:.1} answered requests/s; {} bookings confirmed, {} cancelled, {} Stripe events accepted",
            self.answered as f64 / self.chaos_for.as_secs_f64().max(1.0),
            self.bookings_confirmed,
            self.cancellations,
            self.webhooks
        );
        let (p50, p99, not_back) = self.recovery();
        let mut by_part: BTreeMap<&str, usize> = BTreeMap::new();
        for k in &self.kills {
            *by_part.entry(k.part.as_str()).or_default() += 1;
        }
        println!(
            "  kills: {} ({by_part:?}); serving again after p50 {:.2} s, p99 {:.2} s; not back: {not_back}",
            self.kills.len(),
            p50.unwrap_or_default().as_secs_f64(),
            p99.unwrap_or_default().as_secs_f64(),
        );
        println!(
            "  PostgreSQL stopped immediate and started again: {} times",
            self.pg_restarts
        );
        match self.settled_in {
            Some(d) => println!("  settled {:.1} s after the load stopped", d.as_secs_f64()),
            None => println!("  did not settle in time"),
        }
        println!("invariants:");
        for c in &self.checks {
            println!(
                "  {} {}{}",
                if c.pass { "PASS" } else { "FAIL" },
                c.name,
                if c.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", c.detail)
                }
            );
        }
    }
}

/// `roundabout up` under test.
struct UpProc {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl UpProc {
    fn start(dir: &Path, replicas: usize, stripe: &LocalStripe) -> Self {
        let port = roundabout_support::ports::free_port().unwrap();
        let web_port = roundabout_support::ports::free_port().unwrap();
        let mut cmd = Command::new(EXE);
        cmd.args([
            "up",
            "--demo",
            "--port",
            &port.to_string(),
            "--web-port",
            &web_port.to_string(),
        ]);
        if replicas > 1 {
            cmd.args(["--replicas", &replicas.to_string()]);
        }
        cmd.arg("--data-dir")
            .arg(dir)
            .env_remove("DATABASE_URL")
            .env_remove("BOOTSTRAP_ADMIN_EMAIL")
            .env_remove("BOOTSTRAP_ADMIN_PASSWORD")
            .env("RUST_LOG", "error")
            .env("STRIPE_SECRET_KEY", SECRET_KEY)
            .env("STRIPE_API_BASE", &stripe.base)
            .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            // The load comes from one address.
            .env("RATE_LIMIT_PER_SECOND", "0")
            // The background work runs often, so the run settles quickly.
            .env("BOOKINGS_JOB_MS", "300")
            .env("PAYMENTS_JOB_SECS", "1")
            .env("RECONCILE_AFTER_SECS", "3")
            .env("BOOKING_PAYMENT_TIMEOUT_SECS", "30")
            .envs(super::booking_limits_env(
                &roundabout_bookings::domain::Limits::unbounded(),
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("start roundabout up");
        let out = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if l.contains("Press Ctrl-C to stop") {
                    let _ = tx.send(());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if rx.recv_timeout(Duration::from_millis(200)).is_ok() {
                break;
            }
            if let Ok(Some(s)) = child.try_wait() {
                panic!("up exited before it was ready ({s})");
            }
            assert!(Instant::now() < deadline, "up was not ready in 5 minutes");
        }
        Self {
            child,
            dir: dir.to_path_buf(),
            port,
        }
    }

    fn status(&self) -> Option<Status> {
        let raw = std::fs::read_to_string(self.dir.join("status.json")).ok()?;
        serde_json::from_str(&raw).ok()
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

/// Whether a GraphQL answer counts as served: a 200 without a server-side
/// error code (a refusal such as `SLOT_UNAVAILABLE` is a correct answer).
fn served(res: &anyhow::Result<Value>) -> bool {
    let Ok(v) = res else { return false };
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect())
        .unwrap_or_default();
    let has_data = v.get("data").is_some_and(|d| !d.is_null());
    let server_side = codes
        .iter()
        .any(|c| matches!(*c, "SERVICE_UNAVAILABLE" | "INTERNAL" | "OVERLOADED" | "TIMED_OUT"));
    (has_data || !codes.is_empty()) && !server_side
}

/// What the chaos run's payments parts take Stripe's webhooks signed with.
const WEBHOOK_SECRET: &str = "whsec_chaos_run_secret";

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id } } }";
const BOOK: &str =
    "mutation($i: BookVehicleInput!) { bookVehicle(input: $i) { booking { id status } userErrors { code } } }";
const CANCEL: &str =
    "mutation($id: ID!) { cancelBooking(id: $id, reason: \"chaos\") { booking { id status } userErrors { code } } }";

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    answered: AtomicU64,
    confirmed: AtomicU64,
    cancelled: AtomicU64,
    webhooks: AtomicU64,
}

impl Tally {
    fn count(&self, res: &anyhow::Result<Value>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if served(res) {
            self.answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One household's load until `stop`.
async fn household(gql: GraphqlClient, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let mut mine: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let hour = |d: i64, h: i64| {
        (Utc::now() + chrono::Duration::days(d) + chrono::Duration::hours(h))
            .duration_trunc(chrono::Duration::hours(1))
            .unwrap_or_else(|_| Utc::now())
    };
    while !stop.load(Ordering::Relaxed) {
        let (roll, day, at, card, lease) = {
            let mut rng = rand::thread_rng();
            (
                rng.gen_range(0..100),
                rng.gen_range(2..120),
                rng.gen_range(0..20),
                rng.gen_bool(0.5),
                rng.gen_range(0..100) < 5,
            )
        };
        if roll < 45 || seen.is_empty() {
            let start = hour(day, at);
            let input = if lease {
                json!({"kind": "LEASE", "start": start, "leaseMonths": 2, "radiusKm": 30.0, "first": 10})
            } else {
                json!({"kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(3), "radiusKm": 30.0, "first": 10})
            };
            let res = gql.raw(OFFERS, json!({"i": input})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                let ids: Vec<String> = v["data"]["offers"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|o| o["vehicle"]["id"].as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                if !ids.is_empty() {
                    seen = ids;
                }
            }
        } else if roll < 80 {
            let Some(vehicle) = seen.choose(&mut rand::thread_rng()).cloned() else {
                continue;
            };
            let start = hour(day, at);
            let mut input = if lease {
                json!({"vehicleId": vehicle, "kind": "LEASE", "start": start, "leaseMonths": 2})
            } else {
                json!({"vehicleId": vehicle, "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(3)})
            };
            input["idempotencyKey"] = json!(uuid::Uuid::new_v4().to_string());
            if card {
                input["paymentMethod"] = json!("pm_card_visa");
            }
            let res = gql.raw(BOOK, json!({"i": input})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                let b = &v["data"]["bookVehicle"]["booking"];
                if let Some(id) = b["id"].as_str() {
                    mine.push(id.to_string());
                    if b["status"] == "CONFIRMED" {
                        tally.confirmed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        } else if !mine.is_empty() {
            let i = rand::thread_rng().gen_range(0..mine.len());
            let id = mine.swap_remove(i);
            let res = gql.raw(CANCEL, json!({"id": id})).await;
            tally.count(&res);
            if let Ok(v) = &res {
                if v["data"]["cancelBooking"]["booking"]["status"] == "CANCELLED" {
                    tally.cancelled.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Stripe's side until `stop`: every few hundred milliseconds, the event of
/// a recent PaymentIntent's current state, signed, to a payments replica;
/// now and then the same event twice (Stripe delivers at least once).
async fn webhooks(dir: PathBuf, stripe_base: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let mut last: Option<(String, String)> = None;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let Some(status) = std::fs::read_to_string(dir.join("status.json"))
            .ok()
            .and_then(|raw| serde_json::from_str::<Status>(&raw).ok())
        else {
            continue;
        };
        let targets: Vec<String> = status
            .parts
            .iter()
            .filter(|p| p.name.starts_with("payments"))
            .map(|p| format!("{}/webhooks/stripe", p.url))
            .collect();
        let Some(target) = targets.choose(&mut rand::thread_rng()).cloned() else {
            continue;
        };
        let repeat = rand::thread_rng().gen_bool(0.2);
        let (id, body) = match (&last, repeat) {
            (Some(l), true) => l.clone(),
            _ => {
                let Ok(res) = http
                    .get(format!("{stripe_base}v1/payment_intents?limit=20"))
                    .basic_auth(SECRET_KEY, Some(""))
                    .send()
                    .await
                else {
                    continue;
                };
                let Ok(page) = res.json::<Value>().await else { continue };
                let intents = page["data"].as_array().cloned().unwrap_or_default();
                let Some(intent) = intents.choose(&mut rand::thread_rng()).cloned() else {
                    continue;
                };
                let kind = match intent["status"].as_str().unwrap_or_default() {
                    "succeeded" => "payment_intent.succeeded",
                    "requires_capture" => "payment_intent.amount_capturable_updated",
                    "canceled" => "payment_intent.canceled",
                    "requires_payment_method" => "payment_intent.payment_failed",
                    _ => continue,
                };
                let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
                let body = json!({"id": id, "type": kind, "created": Utc::now().timestamp(),
                                  "data": {"object": intent}})
                .to_string();
                (id, body)
            }
        };
        let signature =
            roundabout_payments::domain::signature::sign(WEBHOOK_SECRET, Utc::now().timestamp(), body.as_bytes());
        let res = http
            .post(&target)
            .header("stripe-signature", signature)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        tally.requests.fetch_add(1, Ordering::Relaxed);
        if res.is_ok_and(|r| !r.status().is_server_error()) {
            tally.answered.fetch_add(1, Ordering::Relaxed);
            tally.webhooks.fetch_add(1, Ordering::Relaxed);
        }
        last = Some((id, body));
    }
}

async fn sign_in(anon: &GraphqlClient, email: &str, password: &str) -> String {
    let q = "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code } } }";
    for _ in 0..50 {
        if let Ok(v) = anon.raw(q, json!({"i": {"email": email, "password": password}})).await {
            if let Some(t) = v["data"]["signIn"]["token"].as_str() {
                return t.to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{email} could not sign in");
}

/// Runs the chaos and checks the invariants.
pub async fn run(opts: &Options) -> Report {
    let stripe = LocalStripe::start();
    let dir = super::up::data_dir();
    let mut up = UpProc::start(&dir, opts.replicas, &stripe);
    let gateway = format!("http://127.0.0.1:{}", up.port);
    let anon = GraphqlClient::new(&gateway);

    // Every demo household works.
    let accounts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).expect("demo accounts"))
            .expect("demo accounts are JSON");
    let mut tokens = Vec::new();
    for a in accounts.iter().filter(|a| a["role"] == "household") {
        tokens.push(sign_in(&anon, a["email"].as_str().unwrap(), a["password"].as_str().unwrap()).await);
    }
    assert!(!tokens.is_empty(), "the demo has households");

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers: Vec<_> = (0..opts.workers)
        .map(|i| {
            let gql = anon.with_token(tokens[i % tokens.len()].clone());
            tokio::spawn(household(gql, tally.clone(), stop.clone()))
        })
        .collect();
    workers.push(tokio::spawn(webhooks(
        dir.clone(),
        stripe.base.clone(),
        tally.clone(),
        stop.clone(),
    )));

    // The faults.
    let cluster = PgCluster::start(&dir).expect("the running cluster");
    let kills: Arc<Mutex<Vec<Kill>>> = Arc::default();
    let mut watchers = Vec::new();
    let started = Instant::now();
    let pg_at: Vec<Duration> = (1..=opts.pg_restarts)
        .map(|i| opts.duration.mul_f64(i as f64 / (opts.pg_restarts + 1) as f64))
        .collect();
    let mut pg_done = 0;
    let mut next_kill = started + opts.kill_every;
    let mut recent: Vec<(String, Instant)> = Vec::new();
    let mut up_exited = None;
    while started.elapsed() < opts.duration {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(Some(exit)) = up.child.try_wait() {
            up_exited = Some(exit.to_string());
            break;
        }
        if pg_done < pg_at.len() && started.elapsed() >= pg_at[pg_done] {
            pg_done += 1;
            cluster.crash().expect("stop PostgreSQL immediate");
            tokio::time::sleep(Duration::from_secs(2)).await;
            cluster.start_again().expect("start PostgreSQL again");
            continue;
        }
        if Instant::now() < next_kill {
            continue;
        }
        next_kill = Instant::now() + opts.kill_every;
        let Some(status) = up.status() else { continue };
        // `up` rightly gives up on a part that exits five times within a
        // minute (a part that keeps crashing is broken): leave alone a part
        // already killed four times within the last minute.
        recent.retain(|(_, at): &(String, Instant)| at.elapsed() < roundabout::supervise::CRASH_WINDOW);
        let candidates: Vec<_> = status
            .parts
            .iter()
            .filter(|p| p.pid.is_some() && p.state == roundabout::supervise::State::Ready)
            .filter(|p| recent.iter().filter(|(n, _)| *n == p.name).count() + 1 < roundabout::supervise::MAX_CRASHES)
            .collect();
        let Some(victim) = candidates.choose(&mut rand::thread_rng()) else {
            continue;
        };
        let (name, pid) = (victim.name.clone(), victim.pid.unwrap_or_default());
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        recent.push((name.clone(), Instant::now()));
        let killed_at = Instant::now();
        let kills = kills.clone();
        let dir = dir.clone();
        watchers.push(tokio::spawn(async move {
            let mut back_after = None;
            while killed_at.elapsed() < Duration::from_secs(60) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let Some(s) = std::fs::read_to_string(dir.join("status.json"))
                    .ok()
                    .and_then(|raw| serde_json::from_str::<Status>(&raw).ok())
                else {
                    continue;
                };
                if s.parts.iter().any(|p| {
                    p.name == name && p.pid.is_some_and(|p| p != pid) && p.state == roundabout::supervise::State::Ready
                }) {
                    back_after = Some(killed_at.elapsed());
                    break;
                }
            }
            kills.lock().unwrap().push(Kill { part: name, back_after });
        }));
    }
    let chaos_for = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    for w in watchers {
        let _ = w.await;
    }

    if let Some(exit) = up_exited {
        println!("the run's data directory is kept: {}", dir.display());
        return Report {
            checks: vec![Check {
                name: "up kept running through the chaos",
                pass: false,
                detail: format!("up exited: {exit}"),
            }],
            requests: tally.requests.load(Ordering::Relaxed),
            answered: tally.answered.load(Ordering::Relaxed),
            kills: kills.lock().unwrap().clone(),
            pg_restarts: pg_done,
            chaos_for,
            ..Report::default()
        };
    }

    // Settle: every part ready, then nothing left in flight.
    let server = cluster.url();
    let db = |part: Part| {
        let url = roundabout_support::db::database_url(&server, &part.database());
        async move { PgPool::connect(&url).await.expect("connect to a part's database") }
    };
    let bookings = db(Part::Bookings).await;
    let payments = db(Part::Payments).await;
    let eligibility = db(Part::Eligibility).await;
    let settle_started = Instant::now();
    let mut settled_in = None;
    while settle_started.elapsed() < opts.settle {
        let ready = up
            .status()
            .is_some_and(|s| s.parts.iter().all(|p| p.state == roundabout::supervise::State::Ready));
        if ready && pending(&bookings, &payments, &eligibility).await.is_empty() {
            settled_in = Some(settle_started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let mut checks = vec![Check {
        name: "up kept running through the chaos",
        pass: true,
        detail: String::new(),
    }];
    let left = pending(&bookings, &payments, &eligibility).await;
    checks.push(Check {
        name: "no saga step and no outbox message left pending after the settle time",
        pass: left.is_empty(),
        detail: left.join("; "),
    });
    checks.extend(invariants(&bookings, &payments, &eligibility, &stripe).await);
    let report = Report {
        checks,
        requests: tally.requests.load(Ordering::Relaxed),
        answered: tally.answered.load(Ordering::Relaxed),
        bookings_confirmed: tally.confirmed.load(Ordering::Relaxed),
        cancellations: tally.cancelled.load(Ordering::Relaxed),
        webhooks: tally.webhooks.load(Ordering::Relaxed),
        kills: kills.lock().unwrap().clone(),
        pg_restarts: pg_done,
        chaos_for,
        settled_in,
    };
    up.stop();
    if report.passed() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("the run's data directory is kept: {}", dir.display());
    }
    report
}

/// A count; -1 when the query fails (the database still restarting), which
/// counts as not settled.
async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(-1)
}

/// What is still in flight: saga steps and undelivered outbox messages.
async fn pending(bookings: &PgPool, payments: &PgPool, eligibility: &PgPool) -> Vec<String> {
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

async fn invariants(bookings: &PgPool, payments: &PgPool, eligibility: &PgPool, stripe: &LocalStripe) -> Vec<Check> {
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
