//! `roundabout up` as a user runs it: a real process with its own private
//! PostgreSQL cluster, child processes for every part, and the demo.

use crate::support;
use std::{
    process::Command,
    time::{Duration, Instant},
};

use crate::support::gql::{
    bookings::{book, book_vehicle, hire, my_bookings, MyBookings},
    councils::{councils, Councils},
    households::{my_council, MyCouncil},
    offers::{offers, Offers},
    Payload, Typed,
};
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

use crate::support::up::{data_dir, free_port, signal, Up, EXE};

/// Children of `pid` whose command line contains `needle`.
fn children_matching(pid: u32, needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // The parent pid is the second field after the command in parentheses.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a.to_string()) else {
            continue;
        };
        let ppid: u32 = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read_to_string(format!("/proc/{child}/cmdline"))
            .unwrap_or_default()
            .replace('\0', " ");
        if ppid == pid && cmdline.contains(needle) {
            out.push(child);
        }
    }
    out
}

async fn councils(port: u16) -> Vec<councils::CouncilsCouncils> {
    GraphqlClient::new(&format!("http://127.0.0.1:{port}"))
        .data::<Councils>(councils::Variables)
        .await
        .councils
}

/// Vehicles in the demo council's public GBFS feed.
async fn demo_fleet_size(port: u16) -> usize {
    let status: Value = reqwest::get(format!("http://127.0.0.1:{port}/gbfs/WOX/vehicle_status.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["data"]["vehicles"].as_array().map_or(0, Vec::len)
}

/// GraphiQL at the printed address, in Chromium (`web/browser-tests/graphiql.mjs`):
/// it loads with nothing from outside the machine, fetches the schema with
/// the standard introspection query and its documentation explorer lists
/// the root types and their fields. Without Chromium (outside CI) it is
/// said and not checked.
fn graphiql_documentation_explorer_loads(port: u16) {
    if !std::path::Path::new("/usr/bin/chromium").exists() && std::env::var_os("CHROMIUM").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is missing: install Debian's chromium package"
        );
        eprintln!("GraphiQL not checked: no /usr/bin/chromium (apt-get install chromium)");
        return;
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new("node")
            .arg("browser-tests/graphiql.mjs")
            .arg(format!("http://127.0.0.1:{port}/graphiql"))
            .arg(shots.join("graphiql.png"))
            .current_dir(root.join("web"))
            .output()
            .expect("node runs")
    });
    assert!(
        out.status.success(),
        "GraphiQL did not load its documentation explorer:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn up_serves_the_demo_keeps_its_data_and_stops_cleanly() {
    let dir = data_dir();
    let port = free_port();

    // First run: private cluster, migrations, every part, the demo.
    let mut up = Up::start(&dir, port, free_port(), true);
    let banner = tokio::task::block_in_place(|| up.wait_ready());
    assert!(banner.contains(&format!("http://127.0.0.1:{port}/graphql")), "{banner}");
    // The terminal shows the summary, not the hundreds of requests the
    // parts served meanwhile (the demo was seeded through them), and no
    // colour codes; those lines are in each part's file.
    assert_quiet(&banner);
    let logs = dir.join("logs");
    assert!(banner.contains(&format!("Logs:      {}", logs.display())), "{banner}");
    assert!(banner.contains(&format!("http://127.0.0.1:{port}/graphiql")));
    graphiql_documentation_explorer_loads(port);
    assert!(banner.contains("officer@westoxon.example"));
    // The web front end, at the printed address.
    let web = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("Web:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no web address in {banner}"));
    let start = reqwest::get(web).await.unwrap();
    assert!(start.status().is_success());
    assert!(start
        .text()
        .await
        .unwrap()
        .contains("Transport offers from your council"));
    let first = councils(port).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].name, "West Oxfordshire");
    // The demo fleet: both providers approved, about 50 vehicles published.
    let fleet = demo_fleet_size(port).await;
    assert_eq!(fleet, 50);

    // A demo household signs in with the printed password.
    let accounts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("demo-accounts.json")).unwrap()).unwrap();
    let ahmed = accounts
        .iter()
        .find(|a| a["email"] == "ahmed@households.example")
        .unwrap();
    assert!(banner.contains(ahmed["password"].as_str().unwrap()));
    let client = GraphqlClient::new(&format!("http://127.0.0.1:{port}"));
    let token = support::sign_in(&client, "ahmed@households.example", ahmed["password"].as_str().unwrap()).await;
    let ahmed_client = client.with_token(token);
    let me = ahmed_client.data::<MyCouncil>(my_council::Variables).await.me;
    let code = me.and_then(|m| m.household).map(|h| h.council.code);
    assert_eq!(code.as_deref(), Some("WOX"));

    // The household books the best offer for a hire three days ahead.
    let start = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    let input = offers::OffersInput {
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
    };
    let found = ahmed_client.data::<Offers>(offers::Variables { input }).await.offers;
    let vehicle = found.first().expect("an offer").vehicle.id.clone();
    let booked = book(&ahmed_client, hire(&vehicle, start, 4, "up-test-1")).await;
    booked.assert_ok();
    let booking = booked.booking.clone().unwrap_or_else(|| panic!("{booked:?}"));
    assert_eq!(booking.status, book_vehicle::BookingStatus::Confirmed, "{booking:?}");
    let booking_id = booking.id;

    // Each part got a key pair of its own, kept with the other secrets
    // (owner-only), and no shared internal key.
    let secrets_path = dir.join("secrets.json");
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(&secrets_path).unwrap()).unwrap();
    let keys = secrets["internal_keys"].as_object().unwrap();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert!(secrets.get("internal_key").is_none());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    // A child sees its own private key alone.
    let gateway_pid = children_matching(up.child.id(), "serve gateway")[0];
    let environ = std::fs::read(format!("/proc/{gateway_pid}/environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(environ.contains(keys["gateway"].as_str().unwrap()));
    assert!(!environ.contains(keys["bookings"].as_str().unwrap()));
    // The gateway's port has no metrics; they are printed as internal.
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 404);
    assert!(banner.contains("Metrics:"), "{banner}");

    // SIGTERM stops everything, PostgreSQL included, with success.
    signal("-TERM", up.child.id());
    let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(status.success(), "{status}");
    assert!(!dir.join("pg/postmaster.pid").exists(), "PostgreSQL was left running");

    // Second run: the same data, seeded once, and the same keys.
    let mut up = Up::start(&dir, port, free_port(), true);
    tokio::task::block_in_place(|| up.wait_ready());
    let again: Value = serde_json::from_str(&std::fs::read_to_string(&secrets_path).unwrap()).unwrap();
    assert_eq!(again["internal_keys"], secrets["internal_keys"]);
    assert_eq!(councils(port).await, first);
    assert_eq!(
        demo_fleet_size(port).await,
        fleet,
        "a second up --demo adds no vehicles"
    );

    // The second run finds the booking the first one made.
    let token = support::sign_in(&client, "ahmed@households.example", ahmed["password"].as_str().unwrap()).await;
    let bookings = client
        .with_token(token)
        .data::<MyBookings>(my_bookings::Variables)
        .await
        .me
        .and_then(|m| m.household);
    let found = bookings.unwrap_or_else(|| panic!("no household")).bookings;
    assert_eq!(found.total_count, 1, "{found:?}");
    assert_eq!(found.nodes[0].id, booking_id);
    assert_eq!(found.nodes[0].status, my_bookings::BookingStatus::Confirmed);

    // The security review's first finding, against the real thing: one
    // anonymous ~4 KB request nested 2,000 deep is refused, and every part
    // is still running afterwards.
    let deep = format!(
        "{{ locatePostcode(councilId:\"x\", postcode: {}\"OX1\"{}) {{ lat }} }}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": deep }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let refusal: Value = res.json().await.unwrap();
    assert_eq!(support::error_code(&refusal), "TOO_DEEPLY_NESTED", "{refusal}");
    for part in ["gateway", "inventory", "eligibility", "bookings", "payments", "web"] {
        assert_eq!(
            children_matching(up.child.id(), &format!("serve {part}")).len(),
            1,
            "{part} is still running"
        );
    }
    assert_eq!(councils(port).await, first);

    // Still quiet while serving; every request is in its part's log.
    let printed = tokio::task::block_in_place(|| up.printed(None, Duration::from_secs(1)));
    assert_quiet(&printed);
    let gateway_log = std::fs::read_to_string(logs.join("gateway.log")).unwrap();
    assert!(
        gateway_log
            .lines()
            .any(|l| l.contains(" INFO ") && l.contains("route=/graphql") && l.contains("status=200")),
        "no request line in the gateway's log:\n{gateway_log}"
    );
    assert!(!gateway_log.contains('\u{1b}'), "colour codes in a file");
    let web_log = std::fs::read_to_string(logs.join("web.log")).unwrap();
    assert!(web_log.contains("route=/ status=200"), "{web_log}");

    // A part that dies is started again while `up` keeps running
    // (up_supervisor.rs follows restarts through), and `up` still stops
    // cleanly afterwards; both are told on the terminal.
    let victims = children_matching(up.child.id(), "serve inventory");
    assert_eq!(victims.len(), 1, "one inventory child");
    signal("-KILL", victims[0]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = children_matching(up.child.id(), "serve inventory");
        if now.len() == 1 && now[0] != victims[0] {
            break;
        }
        assert!(Instant::now() < deadline, "inventory was not started again: {now:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up.child.try_wait().unwrap().is_none(), "up stopped after one crash");
    let told = tokio::task::block_in_place(|| up.printed(Some("inventory started again"), Duration::from_secs(20)));
    assert!(told.contains("inventory stopped unexpectedly"), "{told}");
    assert!(told.contains("inventory started again"), "{told}");
    signal("-TERM", up.child.id());
    let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(status.success(), "{status}");
    assert!(!dir.join("pg/postmaster.pid").exists(), "PostgreSQL was left running");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `up`'s terminal output has no part's per-request (info) line and no
/// colour codes.
#[track_caller]
fn assert_quiet(printed: &str) {
    for line in printed.lines() {
        assert!(
            !(line.contains(" INFO ") || line.contains("route=")),
            "a part's request line on the terminal: {line}\n{printed}"
        );
        assert!(!line.contains('\u{1b}'), "colour codes: {line:?}");
    }
}

#[test]
fn up_explains_how_to_install_postgresql_when_it_is_missing() {
    let dir = data_dir();
    let out = Command::new(EXE)
        .args(["up", "--port", &free_port().to_string(), "--data-dir"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .env("PG_BIN_DIR", "/nonexistent/postgresql/bin")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("apt-get install postgresql"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_names_the_bad_variable() {
    let out = Command::new(EXE)
        .args(["serve", "inventory"])
        .env("DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");

    // The internal keys: missing, then malformed, each named.
    let serve = |env: &[(&str, &str)]| {
        let out = Command::new(EXE)
            .args(["serve", "gateway"])
            .env("DATABASE_URL", "postgres://x@127.0.0.1/x")
            .env_remove("INTERNAL_SIGNING_KEY")
            .env_remove("INTERNAL_TRUSTED_KEYS")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let stderr = serve(&[]);
    assert!(stderr.contains("INTERNAL_SIGNING_KEY: must be set"), "{stderr}");
    let stderr = serve(&[("INTERNAL_SIGNING_KEY", "short")]);
    assert!(
        stderr.contains("INTERNAL_SIGNING_KEY") && stderr.contains("<kid>:"),
        "{stderr}"
    );
    let signing = roundabout_support::testing::test_signing_key_text("gateway");
    let stderr = serve(&[("INTERNAL_SIGNING_KEY", &signing)]);
    assert!(stderr.contains("INTERNAL_TRUSTED_KEYS: must be set"), "{stderr}");
    let stderr = serve(&[
        ("INTERNAL_SIGNING_KEY", &signing),
        ("INTERNAL_TRUSTED_KEYS", "gateway:abc"),
    ]);
    assert!(
        stderr.contains("INTERNAL_TRUSTED_KEYS") && stderr.contains("<kid>=<issuer>"),
        "{stderr}"
    );
    // No shared key is read any more: it neither starts a part nor is needed.
    let stderr = serve(&[("INTERNAL_AUTH_KEY", &"k".repeat(40))]);
    assert!(stderr.contains("INTERNAL_SIGNING_KEY"), "{stderr}");
    // Metrics cannot share the serving port.
    let trusted = roundabout_support::testing::test_trusted_keys_text();
    let stderr = serve(&[
        ("INTERNAL_SIGNING_KEY", &signing),
        ("INTERNAL_TRUSTED_KEYS", &trusted),
        ("PORT", "8123"),
        ("METRICS_PORT", "8123"),
    ]);
    assert!(stderr.contains("METRICS_PORT"), "{stderr}");
}

#[test]
fn keys_prints_a_private_key_per_part_and_one_trusted_list() {
    let out = Command::new(EXE).args(["keys"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .to_string()
    };
    let trusted = roundabout_support::internal_keys::TrustedKeys::parse(&value("INTERNAL_TRUSTED_KEYS")).unwrap();
    assert_eq!(trusted.len(), 5);
    for part in ["gateway", "inventory", "eligibility", "bookings", "payments"] {
        let key = roundabout_support::internal_keys::SigningKey::parse(&value(&format!(
            "{}_SIGNING_KEY",
            part.to_uppercase()
        )))
        .unwrap();
        assert!(key.kid().starts_with(&format!("{part}-")), "{}", key.kid());
        let t = trusted.get(key.kid()).unwrap();
        assert_eq!(&*t.issuer, part);
        assert_eq!(t.public_key(), key.public_key());
    }
    // One part, for a rotation: its private key and its entry alone.
    let out = Command::new(EXE).args(["keys", "bookings"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.contains("_SIGNING_KEY=")).count(),
        1,
        "{text}"
    );
    assert!(text.contains("BOOKINGS_SIGNING_KEY=bookings-"), "{text}");
}
