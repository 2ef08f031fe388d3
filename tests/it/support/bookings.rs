//! A marketplace ready to book: a council with the Witney zone and the
//! published EV scheme, an approved provider with vehicles near Witney and
//! eligible households, and the queries the booking tests share.

use chrono::{DateTime, Duration, DurationRound, Utc};
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

use super::{
    eligibility::square,
    gql::{self, Payload, Typed},
    Options, Stack, PASSWORD,
};

pub const WITNEY: (f64, f64) = (-1.485, 51.785);

pub const BOOKING_FIELDS: &str = "id status kind start end leaseMonths vehicle { id } household { id } \
    price { currency basePence subsidyPence householdPence } subsidies { scheme { id name } amountPence } \
    payment { status method amountPence refundedPence clientSecret } cancellation { at reason refundPence } createdAt";

pub fn book_mutation() -> String {
    format!("mutation($i: BookVehicleInput!) {{ bookVehicle(input: $i) {{ booking {{ {BOOKING_FIELDS} }} userErrors {{ field code message }} }} }}")
}

pub fn cancel_mutation() -> String {
    format!("mutation($id: ID!, $r: String) {{ cancelBooking(id: $id, reason: $r) {{ booking {{ {BOOKING_FIELDS} }} userErrors {{ field code message }} }} }}")
}

/// The world of a booking test.
pub struct World {
    pub stack: Stack,
    pub council: String,
    pub officer: GraphqlClient,
    pub provider: GraphqlClient,
    pub provider_id: String,
    /// Vehicles near Witney: hire £6.50/h or £45/day, lease £300/month.
    pub vehicles: Vec<String>,
}

pub fn vehicle_input(lat: f64, lon: f64, seats: i32) -> Value {
    json!({
        "kind": "CAR", "make": "Renault", "model": "Zoe", "seats": seats, "propulsion": "ELECTRIC",
        "rangeKm": 300, "co2GramsPerKm": 0, "wheelchairAccessible": false,
        "location": {"lat": lat, "lon": lon},
        "pricing": {"perHourPence": 650, "perDayPence": 4500, "perMonthLeasePence": 30000, "depositPence": 10000}
    })
}

impl World {
    /// Builds the world with a scheme budget of `budget_pence`.
    pub async fn new(budget_pence: i64) -> Self {
        Self::on(Stack::start().await, budget_pence).await
    }

    /// Builds the world on a stack whose bookings service lets one
    /// household book without limit (for tests that book many times).
    pub async fn unbounded(budget_pence: i64) -> Self {
        let options = Options {
            booking_limits: Some(roundabout_bookings::domain::Limits::unbounded()),
            ..Options::default()
        };
        Self::on(Stack::start_with(options).await, budget_pence).await
    }

    /// Builds the world on a given stack.
    pub async fn on(stack: Stack, budget_pence: i64) -> Self {
        use gql::councils::{create_zone, CreateZone};
        use gql::fleet::{
            add_vehicle, apply_to_council, approve_provider, AddVehicle, ApplyToCouncil, ApproveProvider,
        };
        use gql::identity::{sign_up_provider, SignUpProvider};
        use gql::schemes::{create_scheme, publish_scheme, CreateScheme, PublishScheme};

        let (council, officer) = stack.council("WOX", "officer@wox.test").await;
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
        let witney = z.zone.expect("the zone").id;
        let mut input = gql::schemes::ev_scheme(&council, &[&witney]);
        input.budget_pence = budget_pence;
        let s = officer
            .data::<CreateScheme>(create_scheme::Variables { input })
            .await
            .create_scheme;
        s.assert_ok();
        let scheme = s.scheme.expect("the scheme").id;
        officer
            .data::<PublishScheme>(publish_scheme::Variables { id: scheme })
            .await
            .publish_scheme
            .assert_ok();

        let p = stack
            .anon
            .data::<SignUpProvider>(sign_up_provider::Variables {
                input: sign_up_provider::SignUpProviderInput {
                    email: "fleet@cotswold.test".into(),
                    password: PASSWORD.into(),
                    organisation_name: "Cotswold Car Club".into(),
                },
            })
            .await
            .sign_up_provider;
        let provider_id = p
            .viewer
            .as_ref()
            .and_then(|v| v.provider.as_ref())
            .unwrap_or_else(|| panic!("no provider: {p:?}"))
            .id
            .clone();
        let provider = stack.anon.with_token(p.token.expect("a token"));
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
        let mut vehicles = Vec::new();
        for (i, seats) in [5, 4, 7].into_iter().enumerate() {
            let d = 0.002 * (i as f64 + 1.0);
            let v = provider
                .data::<AddVehicle>(add_vehicle::Variables {
                    input: gql::fleet::vehicle_input(WITNEY.1 + d, WITNEY.0 + d, seats),
                })
                .await
                .add_vehicle;
            v.assert_ok();
            vehicles.push(v.vehicle.expect("the vehicle").id);
        }
        Self {
            stack,
            council,
            officer,
            provider,
            provider_id,
            vehicles,
        }
    }

    /// A household in the council, eligible for the scheme, living in Witney.
    pub async fn household(&self, email: &str) -> (GraphqlClient, String) {
        use gql::households::{update_household_profile, UpdateHouseholdProfile};
        let h = self.stack.household(&self.council, email).await;
        let p = h
            .data::<UpdateHouseholdProfile>(update_household_profile::Variables {
                input: gql::households::profile(WITNEY.0, WITNEY.1, 1_500_000, 0),
            })
            .await
            .update_household_profile;
        p.assert_ok();
        let id = p.household.expect("the household").id;
        (h, id)
    }
}

/// A whole hour `days` days from now.
pub fn in_days(days: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::days(days))
        .duration_trunc(Duration::hours(1))
        .unwrap()
}

/// A hire booking input.
pub fn hire(vehicle: &str, start: DateTime<Utc>, hours: i64, key: &str) -> Value {
    json!({"vehicleId": vehicle, "kind": "HIRE", "start": start, "end": start + Duration::hours(hours), "idempotencyKey": key})
}

pub async fn book(h: &GraphqlClient, input: Value) -> Value {
    h.mutate("bookVehicle", &book_mutation(), json!({"i": input}))
        .await
        .unwrap()
}

/// Counts rows of a table in a service's database.
pub async fn rows(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
