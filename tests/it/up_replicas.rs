//! `roundabout up --replicas 2`: two copies of every service and of the
//! gateway, each supervised; reads through the public port keep answering
//! while a bookings replica and a gateway replica are SIGKILLed, and both
//! come back.

use std::{
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use graphql_client::GraphQLQuery;
use roundabout::graphql_client::GraphqlClient;
use serde_json::Value;

use crate::support::{
    self,
    gql::offers::{offers, Offers},
    up::{data_dir, free_port, signal, Up, EXE},
};

const PARTS: [&str; 5] = ["inventory", "eligibility", "bookings", "payments", "gateway"];

fn status(up: &Up) -> Value {
    let raw = std::fs::read_to_string(up.dir.join("status.json")).unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn part(up: &Up, name: &str) -> Value {
    status(up)["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in status.json"))
}

/// Waits until `name` is ready with `restarts` restarts; returns its pid.
fn wait_ready(up: &Up, name: &str, restarts: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let p = part(up, name);
        if p["state"] == "ready" && p["restarts"] == restarts {
            return p["pid"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "{name} not ready in time: {p}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ahmed's offers for a hire three days ahead, as a request body.
fn offers_request() -> graphql_client::QueryBody<offers::Variables> {
    let start = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    Offers::build_query(offers::Variables {
        input: offers::OffersInput {
            kind: offers::BookingKind::Hire,
            start,
            end: Some(start + chrono::Duration::hours(4)),
            lease_months: None,
            near: None,
            radius_km: Some(25.0),
            seats: None,
            wheelchair_accessible: None,
            electric_only: None,
            first: None,
            household_id: None,
        },
    })
}

/// Whether an offers answer is a success with offers in it.
fn answered(res: &anyhow::Result<Value>) -> bool {
    res.as_ref()
        .is_ok_and(|v| v.get("errors").is_none() && v["data"]["offers"].as_array().is_some_and(|o| !o.is_empty()))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_of_every_part_keep_reads_answering_while_one_of_each_is_killed() {
    let dir = data_dir();
    let (port, web_port) = (free_port(), free_port());
    let mut up = Up::start_with(&dir, port, web_port, true, &["--replicas", "2"]);
    let banner = tokio::task::block_in_place(|| up.wait_ready());
    assert!(banner.contains("Replicas:  2 of each service"), "{banner}");

    // Both copies of every part are up, each its own process on its own port.
    let mut pids = std::collections::HashSet::new();
    let mut urls = std::collections::HashSet::new();
    for name in PARTS {
        for n in 1..=2 {
            let p = part(&up, &format!("{name}#{n}"));
            assert_eq!(p["state"], "ready", "{p}");
            assert_eq!(p["restarts"], 0, "every replica started at the first attempt: {p}");
            assert!(pids.insert(p["pid"].as_u64().unwrap()), "{p}");
            assert!(urls.insert(p["url"].as_str().unwrap().to_string()), "{p}");
        }
    }
    assert_eq!(
        status(&up)["parts"].as_array().unwrap().len(),
        11,
        "ten replicas and the web front end"
    );
    let shown = Command::new(EXE)
        .args(["status", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout).to_string();
    assert!(shown.status.success(), "{text}");
    for name in PARTS {
        for n in 1..=2 {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{name}#{n} ")))
                .unwrap_or_else(|| panic!("no {name}#{n} in {text}"));
            assert!(line.contains(" ready "), "{text}");
        }
    }

    // A household reads offers through the public port, over and over.
    let accounts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    let ahmed = accounts
        .iter()
        .find(|a| a["email"] == "ahmed@households.example")
        .unwrap();
    let client = GraphqlClient::new(&format!("http://127.0.0.1:{port}"));
    let token = support::sign_in(&client, "ahmed@households.example", ahmed["password"].as_str().unwrap()).await;
    let client = client.with_token(token);
    // Each inventory replica's index follows the demo's vehicles (written
    // through one of them) within its poll: wait until four reads in a row,
    // spread over every replica, find offers.
    let settle = Instant::now() + Duration::from_secs(30);
    let mut in_a_row = 0;
    while in_a_row < 4 {
        let res = client.send(&offers_request()).await;
        in_a_row = if answered(&res) { in_a_row + 1 } else { 0 };
        assert!(Instant::now() < settle, "no offers before the kills: {res:?}");
        if in_a_row == 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, ok_after_kill) = (
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicU32::new(0)),
    );
    let killed = Arc::new(AtomicBool::new(false));
    let reads = {
        let (stop, ok, failed, ok_after_kill, killed) = (
            stop.clone(),
            ok.clone(),
            failed.clone(),
            ok_after_kill.clone(),
            killed.clone(),
        );
        tokio::spawn(async move {
            let body = offers_request();
            let mut failures = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                // About ten reads a second: a resident's pace, well under
                // the gateway's per-address rate limit (20 a second).
                tokio::time::sleep(Duration::from_millis(100)).await;
                let res = tokio::time::timeout(Duration::from_secs(10), client.send(&body))
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 10 s")));
                if answered(&res) {
                    ok.fetch_add(1, Ordering::SeqCst);
                    if killed.load(Ordering::SeqCst) {
                        ok_after_kill.fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    failed.fetch_add(1, Ordering::SeqCst);
                    failures.push(match res {
                        Ok(v) => v.to_string(),
                        Err(e) => format!("{e:#}"),
                    });
                }
            }
            failures
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    // One bookings replica and one gateway replica die.
    let old_bookings = part(&up, "bookings#1")["pid"].as_u64().unwrap();
    let old_gateway = part(&up, "gateway#2")["pid"].as_u64().unwrap();
    signal("-KILL", u32::try_from(old_bookings).unwrap());
    signal("-KILL", u32::try_from(old_gateway).unwrap());
    killed.store(true, Ordering::SeqCst);
    let at_kill = ok.load(Ordering::SeqCst);

    // Both are started again and serve.
    let new_bookings = tokio::task::block_in_place(|| wait_ready(&up, "bookings#1", 1, Duration::from_secs(30)));
    let new_gateway = tokio::task::block_in_place(|| wait_ready(&up, "gateway#2", 1, Duration::from_secs(30)));
    assert_ne!(new_bookings, old_bookings);
    assert_ne!(new_gateway, old_gateway);
    assert!(part(&up, "bookings#1")["last_exit"]
        .as_str()
        .unwrap()
        .contains("SIGKILL"));
    // Reads go on a little with every replica back.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let failures = reads.await.unwrap();
    let (ok, failed, ok_after_kill) = (
        ok.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
        ok_after_kill.load(Ordering::SeqCst),
    );
    println!("offers reads: {ok} answered ({ok_after_kill} after the kills), {failed} failed: {failures:?}");
    assert!(at_kill >= 3, "reads were running before the kills: {at_kill}");
    assert!(
        ok_after_kill >= 10,
        "reads kept answering after the kills: {ok_after_kill}"
    );
    // A read in flight on the gateway that dies is lost with its
    // connection (the front cannot replay it): at most one per connection
    // the reader had open to it.
    assert!(failed <= 2, "{failed} reads failed: {failures:?}");

    // The web front end answers through the front over the gateways.
    let web = reqwest::get(format!("http://127.0.0.1:{web_port}/")).await.unwrap();
    assert!(web.status().is_success());

    // And every replica is ready again.
    for name in PARTS {
        for n in 1..=2 {
            assert_eq!(part(&up, &format!("{name}#{n}"))["state"], "ready");
        }
    }
    signal("-TERM", up.child.id());
    let exit = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(exit.success(), "{exit}");
    assert!(
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "the public port is free again"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
