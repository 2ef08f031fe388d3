//! Observability across the whole stack, every part a separate process
//! with JSON logs: a `traceparent` sent to the gateway with one booking is
//! found in the logs of the gateway and of each service the booking
//! touched, and every metric the alert rules and the dashboard in
//! `deploy/observability/` use is exported by some part.

mod bookings_support;
mod common;
mod eligibility_support;

use std::{collections::BTreeSet, path::Path};

use bookings_support::{book_mutation, hire, in_days, vehicle_input, WITNEY};
use common::{procs::Proc, ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, SIGN_UP_HOUSEHOLD, SIGN_UP_PROVIDER};
use eligibility_support::{create_scheme, ev_scheme, ok, profile, square, step, CREATE_ZONE, UPDATE_PROFILE};
use roundabout::graphql_client::GraphqlClient;
use roundabout_support::testing;
use serde_json::{json, Value};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const WEBHOOK_SECRET: &str = "whsec_observability_test_secret";
const PARTS: [&str; 5] = ["gateway", "inventory", "eligibility", "bookings", "payments"];

struct ProcStack {
    procs: Vec<Proc>,
    gateway: String,
    logs: std::path::PathBuf,
}

impl ProcStack {
    /// Every part as a process on a free port with its own database.
    async fn start(logs: &Path) -> Self {
        let key = String::from_utf8(testing::TEST_INTERNAL_KEY.to_vec()).unwrap();
        let urls: Vec<(u16, String)> = PARTS
            .iter()
            .map(|_| {
                let port = common::procs::free_port();
                (port, format!("http://127.0.0.1:{port}"))
            })
            .collect();
        let url = |part: &str| urls[PARTS.iter().position(|p| *p == part).unwrap()].1.clone();
        let mut procs = Vec::new();
        // Dependencies first: eligibility, inventory, payments, bookings, gateway.
        for part in ["eligibility", "inventory", "payments", "bookings", "gateway"] {
            let db = match part {
                "gateway" => testing::fresh_database(&roundabout_gateway::MIGRATOR).await.1,
                "inventory" => testing::fresh_database(&roundabout_inventory::MIGRATOR).await.1,
                "eligibility" => testing::fresh_database(&roundabout_eligibility::MIGRATOR).await.1,
                "bookings" => testing::fresh_database(&roundabout_bookings::MIGRATOR).await.1,
                _ => testing::fresh_database(&roundabout_payments::MIGRATOR).await.1,
            };
            let mut env = vec![
                ("DATABASE_URL".to_string(), db),
                ("INTERNAL_AUTH_KEY".to_string(), key.clone()),
                ("ROUNDABOUT_ENV".to_string(), "development".to_string()),
                ("INVENTORY_URL".to_string(), url("inventory")),
                ("ELIGIBILITY_URL".to_string(), url("eligibility")),
                ("BOOKINGS_URL".to_string(), url("bookings")),
                ("PAYMENTS_URL".to_string(), url("payments")),
            ];
            if part == "gateway" {
                env.push(("BOOTSTRAP_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()));
                env.push(("BOOTSTRAP_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()));
            }
            if part == "payments" {
                env.push(("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()));
            }
            let port = urls[PARTS.iter().position(|p| *p == part).unwrap()].0;
            let mut p = Proc::new(part, port, env).log_to(logs.join(format!("{part}.log")));
            p.start().await;
            procs.push(p);
        }
        Self {
            procs,
            gateway: url("gateway"),
            logs: logs.to_path_buf(),
        }
    }

    fn log(&self, part: &str) -> String {
        std::fs::read_to_string(self.logs.join(format!("{part}.log"))).unwrap_or_default()
    }

    fn url(&self, part: &str) -> String {
        let i = ["eligibility", "inventory", "payments", "bookings", "gateway"]
            .iter()
            .position(|p| *p == part)
            .unwrap();
        self.procs[i].url()
    }
}

const APPLY: &str =
    "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { field code message } } }";
const APPROVE: &str = "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id } userErrors { field code message } } }";
const ADD_VEHICLE: &str =
    "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }";

/// A council with the published EV scheme, an approved provider with one
/// vehicle, and an eligible household; returns the household's token and
/// the vehicle.
async fn world(gateway: &str) -> (String, String) {
    let anon = GraphqlClient::new(gateway);
    let admin = anon.with_token(common::sign_in(&anon, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let c = ok(
        &admin,
        "createCouncil",
        common::CREATE_COUNCIL,
        json!({"input": common::council_input("WOX", "officer@wox.test")}),
    )
    .await;
    let council = c["council"]["id"].as_str().unwrap().to_string();
    let officer = anon.with_token(common::sign_in(&anon, "officer@wox.test", PASSWORD).await);
    let z = ok(
        &officer,
        "createZone",
        CREATE_ZONE,
        json!({"input": {"councilId": council, "name": "Witney", "geometry": square(WITNEY.0, WITNEY.1, 0.05)}}),
    )
    .await;
    let zone = z["zone"]["id"].as_str().unwrap().to_string();
    let s = ok(
        &officer,
        "createScheme",
        &create_scheme(),
        json!({"input": ev_scheme(&council, &[&zone])}),
    )
    .await;
    let scheme = s["scheme"]["id"].as_str().unwrap().to_string();
    ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": scheme})).await;

    let p = ok(
        &anon,
        "signUpProvider",
        SIGN_UP_PROVIDER,
        json!({"input": {"email": "fleet@cotswold.test", "password": PASSWORD, "organisationName": "Cotswold Car Club"}}),
    )
    .await;
    let provider_id = p["viewer"]["provider"]["id"].as_str().unwrap().to_string();
    let provider = anon.with_token(p["token"].as_str().unwrap());
    ok(&provider, "applyToCouncil", APPLY, json!({"c": council})).await;
    ok(
        &officer,
        "approveProvider",
        APPROVE,
        json!({"c": council, "p": provider_id}),
    )
    .await;
    let v = ok(
        &provider,
        "addVehicle",
        ADD_VEHICLE,
        json!({"i": vehicle_input(WITNEY.1 + 0.002, WITNEY.0 + 0.002, 5)}),
    )
    .await;
    let vehicle = v["vehicle"]["id"].as_str().unwrap().to_string();

    let h = ok(
        &anon,
        "signUpHousehold",
        SIGN_UP_HOUSEHOLD,
        json!({"input": {"email": "ahmed@wox.test", "password": PASSWORD, "councilId": council}}),
    )
    .await;
    let token = h["token"].as_str().unwrap().to_string();
    ok(
        &anon.with_token(token.clone()),
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
    )
    .await;
    (token, vehicle)
}

/// Log lines (JSON objects) of `log` that mention `trace_id`.
fn lines_with(log: &str, trace_id: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| l.contains(trace_id))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect()
}

#[tokio::test]
async fn a_traceparent_sent_with_a_booking_reaches_every_part_and_the_metrics_the_alerts_use_exist() {
    let logs = std::env::temp_dir().join(format!("roundabout-observability-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    let stack = ProcStack::start(&logs).await;
    let (token, vehicle) = world(&stack.gateway).await;

    // One booking, sent with a trace context of our own.
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", stack.gateway))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&json!({"query": book_mutation(), "variables": {"i": hire(&vehicle, in_days(3), 4, "traced")}}))
        .send()
        .await
        .unwrap();
    let echoed = res.headers()["traceresponse"].to_str().unwrap().to_string();
    assert!(echoed.starts_with(&format!("00-{TRACE_ID}-")), "{echoed}");
    let body: Value = res.json().await.unwrap();
    let booking = &body["data"]["bookVehicle"];
    assert_eq!(booking["userErrors"], json!([]), "{body}");
    assert_eq!(booking["booking"]["status"], "CONFIRMED", "{body}");

    // Every part logged the booking under the same trace id, as JSON: the
    // gateway and the services the saga called (inventory to check the
    // vehicle, eligibility to quote and hold/commit the subsidy, payments to
    // charge and capture, bookings itself).
    for part in PARTS {
        let lines = lines_with(&stack.log(part), TRACE_ID);
        assert!(
            !lines.is_empty(),
            "{part} logged nothing with trace id {TRACE_ID}:\n{}",
            stack.log(part)
        );
        let request = lines
            .iter()
            .find(|l| l["message"] == "request")
            .unwrap_or_else(|| panic!("{part} has no request line: {lines:?}"));
        assert_eq!(request["trace_id"], TRACE_ID, "{request}");
        assert!(request["route"].as_str().is_some(), "{request}");
        assert!(request["status"].as_u64().is_some(), "{request}");
    }
    // The gateway's hop is a child of the caller's span, not the same span.
    let gw = lines_with(&stack.log("gateway"), TRACE_ID);
    assert!(gw.iter().all(|l| l["span"]["span_id"] != "00f067aa0ba902b7"), "{gw:?}");

    // A signed Stripe event (not one payments handles) and a forged one, so
    // the webhook metrics have observations.
    let event = json!({"id": "evt_observability", "type": "customer.created",
                       "created": chrono::Utc::now().timestamp() - 2, "data": {"object": {"id": "cus_1"}}})
    .to_string();
    let http = reqwest::Client::new();
    let webhook = format!("{}/webhooks/stripe", stack.url("payments"));
    let signature =
        roundabout_payments::domain::signature::sign(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), event.as_bytes());
    let r = http
        .post(&webhook)
        .header("stripe-signature", signature)
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = http
        .post(&webhook)
        .header("stripe-signature", "t=1,v1=00")
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The gauges read from the databases refresh at start and then every
    // 15–30 s; the first refresh ran before the booking, so wait for the next
    // only if a series is missing.
    let wanted = metric_names_used_by_deploy_files();
    assert!(wanted.len() >= 10, "{wanted:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let missing = loop {
        let mut exported = String::new();
        for part in PARTS {
            exported.push_str(
                &http
                    .get(format!("{}/metrics", stack.url(part)))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|m| !exported.lines().any(|l| l.starts_with(m.as_str())))
            .collect();
        if missing.is_empty() || std::time::Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    };
    assert!(
        missing.is_empty(),
        "metrics used in deploy/observability but exported by no part: {missing:?}"
    );
    drop(stack);
    let _ = std::fs::remove_dir_all(logs);
}

/// The metric names the alert rules and the dashboard use: every word of
/// their expressions that ends like one of our metrics.
fn metric_names_used_by_deploy_files() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/observability");
    let mut text = String::new();
    for f in ["prometheus-rules.yml", "grafana-dashboard.json"] {
        text.push_str(&std::fs::read_to_string(dir.join(f)).unwrap());
    }
    let suffixes = [
        "_total",
        "_seconds",
        "_bucket",
        "_pence",
        "_messages",
        "_connections",
        "_events",
        "_bookings",
    ];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.contains('_') && !w.contains(':') && suffixes.iter().any(|s| w.ends_with(s)))
        .map(|w| {
            w.strip_suffix("_bucket")
                .or_else(|| w.strip_suffix("_sum"))
                .or_else(|| w.strip_suffix("_count"))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}
