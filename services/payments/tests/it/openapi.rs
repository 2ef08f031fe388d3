//! The OpenAPI document (`docs/openapi/payments.json`): committed as the
//! code generates it, true to the router (the public webhook included),
//! served behind the caller token, and run through schemathesis against
//! the service.

use roundabout_payments::http::openapi::document;
use roundabout_support::testing::openapi::{self, schemathesis};
use uuid::Uuid;

use crate::support::service::{bookings, hire, start};

#[test]
fn the_committed_document_is_what_the_code_generates() {
    openapi::check_committed("payments", &document());
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_service_serves() {
    let p = start(None).await;
    openapi::check_routes(&p.svc.url, "payments", &document()).await;
}

#[tokio::test]
async fn the_document_is_served_to_signed_callers_only() {
    let p = start(None).await;
    openapi::check_served_to_signed_callers(&p.svc.url, "payments", &document()).await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let p = start(None).await;
    // An invoiced hire: a payment, its ledger and its export to reach.
    let booking = Uuid::new_v4();
    let paid = p.post("/internal/payments", hire(booking, None)).await.unwrap();
    let household = paid["household_id"].as_str().unwrap_or_default().to_string();
    let booking_id = booking.to_string();
    let doc = openapi::with_examples(&document(), |path, name| {
        Some(match name {
            "booking_id" => booking_id.clone(),
            "id" if path.starts_with("/internal/households/") => household.clone(),
            _ => return None,
        })
    });
    // Bookings moves money; the other routes are tried as it too.
    schemathesis::Run {
        url: &p.svc.url,
        audience: "payments",
        caller: bookings(),
        document: &doc,
        max_examples: 20,
    }
    .assert_passes()
    .await;
}
