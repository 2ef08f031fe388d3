//! Every part of the marketplace as its own process (`roundabout serve
//! <part>`), each on a free port with a fresh database, the way a
//! deployment runs them; and a small world to book in. Used by
//! `tests/it/observability.rs` (logs per process) and `benches/capacity.rs`
//! (CPU time per process).

use std::path::Path;

use roundabout::graphql_client::GraphqlClient;
use roundabout_support::testing;

use super::{
    booking_limits_env,
    bookings::WITNEY,
    eligibility::square,
    gql::{self, Payload, Typed},
    procs::{free_port, Proc},
    sign_in, ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD,
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
        Self::start_env(logs, limits, &[]).await
    }

    /// As [`ProcStack::start_with`], with `extra` added to every part's environment.
    pub async fn start_env(
        logs: Option<&Path>,
        limits: Option<roundabout_bookings::domain::Limits>,
        extra: &[(&str, &str)],
    ) -> Self {
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
            env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
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

    /// The part's process, to kill and start again.
    #[allow(dead_code, reason = "the benches include this file and do not call it")]
    pub fn proc_mut(&mut self, part: &str) -> &mut Proc {
        &mut self.procs[index(part)]
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
    use gql::councils::{council_input, create_council, create_zone, CreateCouncil, CreateZone};
    use gql::fleet::{add_vehicle, apply_to_council, approve_provider, AddVehicle, ApplyToCouncil, ApproveProvider};
    use gql::households::{profile, update_household_profile, UpdateHouseholdProfile};
    use gql::identity::{sign_up_household, sign_up_provider, SignUpHousehold, SignUpProvider};
    use gql::schemes::{create_scheme, ev_scheme, publish_scheme, CreateScheme, PublishScheme};

    let anon = GraphqlClient::new(gateway);
    let admin = anon.with_token(sign_in(&anon, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let c = admin
        .data::<CreateCouncil>(create_council::Variables {
            input: council_input("WOX", "officer@wox.test"),
        })
        .await
        .create_council;
    c.assert_ok();
    let council = c.council.expect("the council").id;
    let officer = anon.with_token(sign_in(&anon, "officer@wox.test", PASSWORD).await);
    let z = officer
        .data::<CreateZone>(create_zone::Variables {
            input: create_zone::CreateZoneInput {
                council_id: council.clone(),
                name: "Witney".into(),
                geometry: square(WITNEY.0, WITNEY.1, 0.05),
            },
        })
        .await
        .create_zone;
    z.assert_ok();
    let zone = z.zone.expect("the zone").id;
    let s = officer
        .data::<CreateScheme>(create_scheme::Variables {
            input: ev_scheme(&council, &[&zone]),
        })
        .await
        .create_scheme;
    s.assert_ok();
    let scheme = s.scheme.expect("the scheme").id;
    officer
        .data::<PublishScheme>(publish_scheme::Variables { id: scheme })
        .await
        .publish_scheme
        .assert_ok();

    let p = anon
        .data::<SignUpProvider>(sign_up_provider::Variables {
            input: sign_up_provider::SignUpProviderInput {
                email: "fleet@cotswold.test".into(),
                password: PASSWORD.into(),
                organisation_name: "Cotswold Car Club".into(),
            },
        })
        .await
        .sign_up_provider;
    p.assert_ok();
    let provider_id = p
        .viewer
        .as_ref()
        .and_then(|v| v.provider.as_ref())
        .expect("the provider")
        .id
        .clone();
    let provider = anon.with_token(p.token.expect("a token"));
    provider
        .data::<ApplyToCouncil>(apply_to_council::Variables {
            council_id: council.clone(),
        })
        .await
        .apply_to_council
        .assert_ok();
    officer
        .data::<ApproveProvider>(approve_provider::Variables {
            council_id: council.clone(),
            provider_id: provider_id.clone(),
        })
        .await
        .approve_provider
        .assert_ok();
    let v = provider
        .data::<AddVehicle>(add_vehicle::Variables {
            input: gql::fleet::vehicle_input(WITNEY.1 + 0.002, WITNEY.0 + 0.002, 5),
        })
        .await
        .add_vehicle;
    v.assert_ok();
    let vehicle = v.vehicle.expect("the vehicle").id;

    let h = anon
        .data::<SignUpHousehold>(sign_up_household::Variables {
            input: sign_up_household::SignUpHouseholdInput {
                email: "ahmed@wox.test".into(),
                password: PASSWORD.into(),
                council_id: council.clone(),
                display_name: None,
            },
        })
        .await
        .sign_up_household;
    h.assert_ok();
    let household_token = h.token.expect("a token");
    anon.with_token(household_token.clone())
        .data::<UpdateHouseholdProfile>(update_household_profile::Variables {
            input: profile(WITNEY.0, WITNEY.1, 1_500_000, 0),
        })
        .await
        .update_household_profile
        .assert_ok();
    World {
        council,
        provider_id,
        vehicle,
        household_token,
    }
}

/// Seeds `n` vehicles of every kind, spread over the Witney area, straight
/// into inventory's database (benches/capacity.rs, benches/overload.rs).
#[allow(dead_code, reason = "the benches call it")]
pub async fn seed_vehicles(inventory: &sqlx::PgPool, provider: uuid::Uuid, n: usize) {
    sqlx::query(
        "insert into vehicles (id, provider_id, kind, make, model, seats, propulsion, range_km,
             wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence, per_month_lease_pence)
         select gen_random_uuid(), $2, (array['CAR','VAN','WAV','MINIBUS'])[1 + (g % 4)], 'Make', 'Model',
                2 + (g % 7), (array['ELECTRIC','HYBRID','PETROL','DIESEL'])[1 + (g % 4)], 300, g % 9 = 0,
                51.70 + random() * 0.20, -1.60 + random() * 0.30, 400 + g % 600, 3000 + g % 3000, 25000 + g % 20000
         from generate_series(1, $1) g",
    )
    .bind(i64::try_from(n).expect("a number of vehicles"))
    .bind(provider)
    .execute(inventory)
    .await
    .expect("seed vehicles");
}
