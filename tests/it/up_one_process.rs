//! `roundabout up --one-process`: every part and the web front end in one
//! supervised child (`roundabout serve all`), calling one another in
//! process. The demo is seeded and a household books and sees its booking
//! on the web, all through that one process; SIGKILLed, it comes back with
//! the booking kept.

use std::time::{Duration, Instant};

use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

use crate::support::{
    self,
    bookings::book_mutation,
    up::{data_dir, free_port, signal, Up},
    web::Browser,
};

/// `up`'s children as `status.json` lists them.
fn parts(up: &Up) -> Vec<Value> {
    let raw = std::fs::read_to_string(up.dir.join("status.json")).unwrap();
    let status: Value = serde_json::from_str(&raw).unwrap();
    status["parts"].as_array().unwrap().clone()
}

/// Waits until the one child is ready after `restarts` restarts; its pid.
fn ready(up: &Up, restarts: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let p = &parts(up)[0];
        if p["state"] == "ready" && p["restarts"] == restarts {
            return p["pid"].as_u64().unwrap();
        }
        assert!(Instant::now() < deadline, "not ready in time: {p}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_process_serves_the_demo_books_and_comes_back_after_a_kill() {
    let dir = data_dir();
    let (port, web_port) = (free_port(), free_port());
    let mut up = Up::start_with(&dir, port, web_port, true, &["--one-process"]);
    let banner = tokio::task::block_in_place(|| up.wait_ready());
    assert!(banner.contains("Process:   every part in one"), "{banner}");
    for part in ["inventory", "eligibility", "bookings", "payments", "gateway", "web"] {
        assert!(
            banner.contains(&format!("{part} ")),
            "{part}'s metrics port is shown: {banner}"
        );
    }
    let children = parts(&up);
    assert_eq!(children.len(), 1, "{children:?}");
    assert_eq!(children[0]["name"], "roundabout");
    let pid = ready(&up, 0, Duration::from_secs(5));
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
        .unwrap()
        .replace('\0', " ");
    assert!(cmdline.contains("serve all"), "{cmdline}");

    // A demo household books the first offer: the gateway, bookings,
    // inventory, eligibility and payments answer from the one process.
    let accounts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    let password = accounts
        .iter()
        .find(|a| a["email"] == "ahmed@households.example")
        .and_then(|a| a["password"].as_str())
        .unwrap()
        .to_string();
    let anon = GraphqlClient::new(&format!("http://127.0.0.1:{port}"));
    let ahmed = anon.with_token(support::sign_in(&anon, "ahmed@households.example", &password).await);
    let start = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    let end = start + chrono::Duration::hours(4);
    let offers = ahmed
        .query(
            "query($i: OffersInput!) { offers(input: $i) { vehicle { id } price { subsidyPence } } }",
            json!({"i": {"kind": "HIRE", "start": start, "end": end, "radiusKm": 25.0}}),
        )
        .await
        .unwrap();
    let first = &offers["offers"][0];
    assert!(
        first["price"]["subsidyPence"].as_i64().unwrap() > 0,
        "priced with the scheme: {offers}"
    );
    let booked = ahmed
        .mutate(
            "bookVehicle",
            &book_mutation(),
            json!({"i": {"vehicleId": first["vehicle"]["id"], "kind": "HIRE", "start": start, "end": end, "idempotencyKey": "one-process"}}),
        )
        .await
        .unwrap();
    assert_eq!(booked["booking"]["status"], "CONFIRMED", "{booked}");
    let id = booked["booking"]["id"].as_str().unwrap().to_string();

    // The web front end, in the same process, shows it.
    let mut browser = Browser::new(&format!("http://127.0.0.1:{web_port}"));
    browser.sign_in("ahmed@households.example", &password).await;
    let page = browser.visit("/bookings").await;
    assert!(page.status.is_success(), "{}", page.text());
    assert!(
        page.body.contains(&format!("/bookings/{id}")),
        "the booking is listed: {}",
        page.text()
    );

    // Killed, the one process is started again, with every part in it.
    signal("-KILL", pid as u32);
    let again = ready(&up, 1, Duration::from_secs(60));
    assert_ne!(again, pid);
    let mine = ahmed
        .query("query($id: ID!) { booking(id: $id) { id status } }", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(mine["booking"]["status"], "CONFIRMED", "{mine}");

    signal("-TERM", up.child.id());
    let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(status.success(), "{status}");
}
