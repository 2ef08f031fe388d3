//! The OpenAPI document (`docs/openapi/bookings.json`): committed as the
//! code generates it, true to the router, served behind the caller token,
//! and run through schemathesis against the service (its neighbours
//! unreachable: whatever needs them must answer 503, never 500).

use roundabout_bookings::{build, http::openapi::document, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::{Caller, HouseholdMembership},
    testing::{
        self, admin_caller,
        openapi::{self, schemathesis},
        Running,
    },
};
use serde_json::{json, Value};
use uuid::Uuid;

async fn spawn() -> Running {
    let (_, url) = testing::fresh_database(&MIGRATOR).await;
    let nowhere = "http://127.0.0.1:9".to_string();
    Running::spawn(
        build(Config::new(
            testing::host_config("bookings", &url),
            nowhere.clone(),
            nowhere.clone(),
            nowhere,
        ))
        .await
        .unwrap(),
    )
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    openapi::check_committed("bookings", &document());
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_service_serves() {
    let svc = spawn().await;
    openapi::check_routes(&svc.url, "bookings", &document()).await;
}

#[tokio::test]
async fn the_document_is_served_to_signed_callers_only() {
    let svc = spawn().await;
    openapi::check_served_to_signed_callers(&svc.url, "bookings", &document()).await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let svc = spawn().await;
    let (household, council) = (Uuid::new_v4(), Uuid::new_v4());
    // A payment event stored before the run, so its key is seen again.
    let _: Value = svc
        .client("bookings")
        .send(
            reqwest::Method::POST,
            "/internal/payment-events",
            Some(&json!({"booking_id": Uuid::new_v4(), "status": "AUTHORISED", "failure_code": null})),
            &Caller::service("payments"),
            Some("payment:seed:AUTHORISED"),
        )
        .await
        .unwrap();
    let (household_id, council_id) = (household.to_string(), council.to_string());
    let doc = openapi::with_examples(&document(), |path, name| {
        Some(match name {
            "id" if path.starts_with("/internal/households/") => household_id.clone(),
            "id" if path.starts_with("/internal/councils/") => council_id.clone(),
            _ => return None,
        })
    });
    // A household that is also an admin and its council's officer reaches
    // the handlers of offers and bookings and of the reports.
    let caller = Caller {
        household: Some(HouseholdMembership {
            household_id: household,
            council_id: council,
        }),
        officer_of: vec![council],
        ..admin_caller()
    };
    schemathesis::Run {
        url: &svc.url,
        audience: "bookings",
        caller,
        document: &doc,
        max_examples: 20,
    }
    .assert_passes()
    .await;
}
