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

mod invariants;
mod load;

use invariants::{invariants, pending};
use load::{household, sign_in, webhooks, Tally, WEBHOOK_SECRET};

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use rand::seq::SliceRandom;
use roundabout::{graphql_client::GraphqlClient, supervise::Status, Part};
use roundabout_support::pg_cluster::PgCluster;
use roundabout_support::testing::localstripe::{LocalStripe, SECRET_KEY};
use serde_json::Value;
use sqlx::PgPool;

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

/// What `up` last wrote to `<dir>/status.json`.
pub(super) fn read_status(dir: &Path) -> Option<Status> {
    let raw = std::fs::read_to_string(dir.join("status.json")).ok()?;
    serde_json::from_str(&raw).ok()
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
        read_status(&self.dir)
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
                let Some(s) = read_status(&dir) else {
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
