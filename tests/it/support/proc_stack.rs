//! Every part of the marketplace as its own process (`roundabout serve
//! <part>`), each on a free port with a fresh database, the way a
//! deployment runs them; and a small world to book in. Used by
//! `tests/it/observability.rs` (logs per process) and `benches/capacity.rs`
//! (CPU time per process).

use std::path::Path;

use roundabout::graphql_client::GraphqlClient;
use roundabout_support::testing;
use serde_json::json;

use super::{
    booking_limits_env,
    bookings::{vehicle_input, WITNEY},
    council_input,
    eligibility::{create_scheme, ev_scheme, ok, profile, square, step, CREATE_ZONE, UPDATE_PROFILE},
    procs::{free_port, Proc},
    sign_in, ADMIN_EMAIL, ADMIN_PASSWORD, CREATE_COUNCIL, PASSWORD, SIGN_UP_HOUSEHOLD, SIGN_UP_PROVIDER,
};

pub const WEBHOOK_SECRET: &str = "whsec_observability_test_secret";
/// In start order: each after the parts it needs at start.
pub const PARTS: [&str; 5] = ["eligibility", "inventory", "payments", "bookings", "gateway"];

pub struct ProcStack {
    procs: Vec<Proc>,
    /// Each part's database URL, in [`PARTS`] order.
    #[allow(dead_code, reason = "benches/capacity.rs reads them")]
    databases: Vec<String>,
    pub gateway: String,
}

impl ProcStack {
    /// Starts every part; with `logs`, each writes JSON logs to `<part>.log` there.
    pub async fn start(logs: Option<&Path>) -> Self {
        Self::start_with(logs, None).await
    }

    /// As [`ProcStack::start`], with bookings' household limits set.
    pub async fn start_with(logs: Option<&Path>, limits: Option<roundabout_bookings::domain::Limits>) -> Self {
        let ports: Vec<u16> = PARTS.iter().map(|_| free_port()).collect();
        let url = |part: &str| format!("http://127.0.0.1:{}", ports[index(part)]);
        let mut procs = Vec::new();
        let mut databases = Vec::new();
        for part in PARTS {
            let db = match part {
                "gateway" => testing::fresh_database(&roundabout_gateway::MIGRATOR).await.1,
                "inventory" => testing::fresh_database(&roundabout_inventory::MIGRATOR).await.1,
                "eligibility" => testing::fresh_database(&roundabout_eligibility::MIGRATOR).await.1,
                "bookings" => testing::fresh_database(&roundabout_bookings::MIGRATOR).await.1,
                _ => testing::fresh_database(&roundabout_payments::MIGRATOR).await.1,
            };
            let mut env = vec![
                ("DATABASE_URL".to_string(), db.clone()),
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
            if let (Some(l), "bookings") = (&limits, part) {
                env.extend(booking_limits_env(l));
            }
            if part == "payments" {
                env.push(("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()));
            }
            let mut p = Proc::new(part, ports[index(part)], env);
            if let Some(dir) = logs {
                p = p.log_to(dir.join(format!("{part}.log")));
            }
            p.start().await;
            procs.push(p);
            databases.push(db);
        }
        Self {
            procs,
            databases,
            gateway: url("gateway"),
        }
    }

    pub fn url(&self, part: &str) -> String {
        self.procs[index(part)].url()
    }

    /// Where `part` serves `/metrics`: its internal listener.
    pub fn metrics_url(&self, part: &str) -> String {
        self.procs[index(part)].metrics_url()
    }

    #[allow(dead_code, reason = "benches/capacity.rs calls it")]
    pub fn pid(&self, part: &str) -> u32 {
        self.procs[index(part)].pid().expect("started")
    }

    #[allow(dead_code, reason = "benches/capacity.rs calls it")]
    pub fn database_url(&self, part: &str) -> &str {
        &self.databases[index(part)]
    }
}

fn index(part: &str) -> usize {
    PARTS.iter().position(|p| *p == part).expect("a part")
}

const APPLY: &str =
    "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { field code message } } }";
const APPROVE: &str = "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id } userErrors { field code message } } }";
const ADD_VEHICLE: &str =
    "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }";

/// What [`world`] made.
pub struct World {
    #[allow(dead_code, reason = "benches/capacity.rs reads it")]
    pub council: String,
    #[allow(dead_code, reason = "benches/capacity.rs reads it")]
    pub provider_id: String,
    pub vehicle: String,
    /// The eligible household's bearer token.
    pub household_token: String,
}

/// Through the public API: a council with the published EV scheme, an
/// approved provider with one vehicle near Witney, and an eligible household.
pub async fn world(gateway: &str) -> World {
    let anon = GraphqlClient::new(gateway);
    let admin = anon.with_token(sign_in(&anon, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let c = ok(
        &admin,
        "createCouncil",
        CREATE_COUNCIL,
        json!({"input": council_input("WOX", "officer@wox.test")}),
    )
    .await;
    let council = c["council"]["id"].as_str().unwrap().to_string();
    let officer = anon.with_token(sign_in(&anon, "officer@wox.test", PASSWORD).await);
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
    let household_token = h["token"].as_str().unwrap().to_string();
    ok(
        &anon.with_token(household_token.clone()),
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
    )
    .await;
    World {
        council,
        provider_id,
        vehicle,
        household_token,
    }
}
