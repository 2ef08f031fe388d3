//! The OpenAPI document (`docs/openapi/inventory.json`): committed as the
//! code generates it, true to the router, served behind the caller token,
//! and run through schemathesis against the service.

use roundabout_inventory::http::openapi::document;
use roundabout_support::{
    internal_auth::Caller,
    testing::openapi::{self, schemathesis},
};

use crate::support::{vehicle, witney, Inv};

#[test]
fn the_committed_document_is_what_the_code_generates() {
    openapi::check_committed("inventory", &document());
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_service_serves() {
    let inv = Inv::start().await;
    openapi::check_routes(&inv.svc.url, "inventory", &document()).await;
}

#[tokio::test]
async fn the_document_is_served_to_signed_callers_only() {
    let inv = Inv::start().await;
    openapi::check_served_to_signed_callers(&inv.svc.url, "inventory", &document()).await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let provider = inv.provider("Witney Wheels").await;
    inv.approved(&provider, council).await;
    let car = inv.add(&provider, vehicle(51.78, -1.48)).await;
    let provider_id = provider.provider_id.unwrap().to_string();
    let vehicle_id = car["id"].as_str().unwrap().to_string();
    let council_id = council.to_string();
    let doc = openapi::with_examples(&document(), |path, name| {
        Some(match name {
            "council_id" => council_id.clone(),
            "file" => "vehicle_status.json".into(),
            "id" if path.starts_with("/internal/vehicles/") => vehicle_id.clone(),
            "id" => provider_id.clone(),
            _ => return None,
        })
    });
    // A member of the provider who is also the council's officer and an
    // admin reaches every operation's handler.
    let caller = Caller {
        admin: true,
        officer_of: vec![council],
        ..provider
    };
    schemathesis::Run {
        url: &inv.svc.url,
        audience: "inventory",
        caller,
        document: &doc,
        max_examples: 30,
    }
    .assert_passes()
    .await;
}
