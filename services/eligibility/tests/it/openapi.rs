//! The OpenAPI document (`docs/openapi/eligibility.json`): committed as the
//! code generates it, true to the router, served behind the caller token,
//! and run through schemathesis against the service.

use roundabout_eligibility::{build, http::openapi::document, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::Caller,
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
    Running::spawn(
        build(Config::new(testing::host_config("eligibility", &url)))
            .await
            .unwrap(),
    )
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    openapi::check_committed("eligibility", &document());
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_service_serves() {
    let svc = spawn().await;
    openapi::check_routes(&svc.url, "eligibility", &document()).await;
}

#[tokio::test]
async fn the_document_is_served_to_signed_callers_only() {
    let svc = spawn().await;
    openapi::check_served_to_signed_callers(&svc.url, "eligibility", &document()).await;
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let svc = spawn().await;
    let client = svc.client("eligibility");
    let council = Uuid::new_v4();
    let witney = json!({"type": "Polygon", "coordinates": [[[-1.53, 51.76], [-1.44, 51.76], [-1.44, 51.81], [-1.53, 51.81], [-1.53, 51.76]]]});
    let _: Value = client
        .post(
            "/internal/councils",
            &json!({"id": council, "name": "West Oxfordshire", "code": "WOX", "boundary": witney}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let household = Uuid::new_v4();
    let _: Value = client
        .put(
            &format!("/internal/households/{household}"),
            &json!({"council_id": council}),
            &Caller::service("gateway"),
        )
        .await
        .unwrap();
    let _: Value = client
        .put(
            &format!("/internal/councils/{council}/postcodes"),
            &json!({"csv": "pcds,lat,long\nOX28 4AB,51.785,-1.485\n"}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let (council_id, household_id) = (council.to_string(), household.to_string());
    let doc = openapi::with_examples(&document(), |path, name| {
        Some(match name {
            "postcode" => "OX28 4AB".into(),
            "id" if path.starts_with("/internal/councils/") => council_id.clone(),
            "id" if path.starts_with("/internal/households/") => household_id.clone(),
            _ => return None,
        })
    });
    // An admin who is also the council's officer reaches every handler
    // that is not for services alone.
    let caller = Caller {
        officer_of: vec![council],
        ..admin_caller()
    };
    schemathesis::Run {
        url: &svc.url,
        audience: "eligibility",
        caller,
        document: &doc,
        max_examples: 20,
    }
    .assert_passes()
    .await;
}
