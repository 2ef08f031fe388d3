//! A marketplace ready to book: a council with the Witney zone and the
//! published EV scheme, an approved provider with vehicles near Witney and
//! eligible households, and the queries the booking tests share.

use chrono::{DateTime, Duration, DurationRound, Utc};
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

use super::{
    eligibility::{create_scheme, ev_scheme, ok, profile, square, step, CREATE_ZONE, UPDATE_PROFILE},
    Options, Stack, PASSWORD, SIGN_UP_PROVIDER,
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

pub const APPLY: &str =
    "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { field code message } } }";
pub const APPROVE: &str = "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id } userErrors { field code message } } }";
const ADD_VEHICLE: &str =
    "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }";

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
        let (council, officer) = stack.council("WOX", "officer@wox.test").await;
        let z = ok(
            &officer,
            "createZone",
            CREATE_ZONE,
            json!({"input": {"councilId": council, "name": "Witney", "geometry": square(WITNEY.0, WITNEY.1, 0.05)}}),
        )
        .await;
        let witney = z["zone"]["id"].as_str().unwrap().to_string();
        let mut input = ev_scheme(&council, &[&witney]);
        input["budgetPence"] = json!(budget_pence);
        let s = ok(&officer, "createScheme", &create_scheme(), json!({"input": input})).await;
        let scheme = s["scheme"]["id"].as_str().unwrap().to_string();
        ok(&officer, "publishScheme", &step("publishScheme"), json!({"id": scheme})).await;

        let p = stack
            .anon
            .mutate(
                "signUpProvider",
                SIGN_UP_PROVIDER,
                json!({"input": {"email": "fleet@cotswold.test", "password": PASSWORD, "organisationName": "Cotswold Car Club"}}),
            )
            .await
            .unwrap();
        let provider_id = p["viewer"]["provider"]["id"].as_str().unwrap().to_string();
        let provider = stack.anon.with_token(p["token"].as_str().unwrap());
        ok(&provider, "applyToCouncil", APPLY, json!({"c": council})).await;
        ok(
            &officer,
            "approveProvider",
            APPROVE,
            json!({"c": council, "p": provider_id}),
        )
        .await;
        let mut vehicles = Vec::new();
        for (i, seats) in [5, 4, 7].into_iter().enumerate() {
            let d = 0.002 * (i as f64 + 1.0);
            let v = ok(
                &provider,
                "addVehicle",
                ADD_VEHICLE,
                json!({"i": vehicle_input(WITNEY.1 + d, WITNEY.0 + d, seats)}),
            )
            .await;
            vehicles.push(v["vehicle"]["id"].as_str().unwrap().to_string());
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
        let h = self.stack.household(&self.council, email).await;
        let p = ok(
            &h,
            "updateHouseholdProfile",
            UPDATE_PROFILE,
            json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
        )
        .await;
        let id = p["household"]["id"].as_str().unwrap().to_string();
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

pub fn code(p: &Value) -> String {
    p["userErrors"][0]["code"].as_str().unwrap_or("").to_string()
}

/// Counts rows of a table in a service's database.
pub async fn rows(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
