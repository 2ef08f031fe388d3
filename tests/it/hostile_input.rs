//! Control characters in the services' text fields, through the gateway:
//! a NUL (which PostgreSQL cannot store) or an invisible text-direction
//! character in a zone, scheme, test case, profile, vehicle, fleet or
//! postcode file, organisation name, idempotency key or cancellation reason
//! is an `INVALID_INPUT` naming the field (or the row), never a 500, and
//! changes nothing. The gateway refuses control characters in variables
//! itself; text-direction characters reach the services, which refuse them
//! (each service's `tests/fuzz.rs` sends the rest to it directly).

use crate::support::bookings::*;
use crate::support::eligibility::*;
use crate::support::{PASSWORD, SIGN_UP_PROVIDER};
use roundabout::graphql_client::{user_error_code, GraphqlClient};
use serde_json::{json, Value};

const ADD_VEHICLE: &str =
    "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }";
const IMPORT_VEHICLES: &str = "mutation($i: ImportVehiclesInput!) { importVehicles(input: $i) { importedCount rowErrors { line field code message } userErrors { field code message } } }";
const IMPORT_POSTCODES: &str = "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field code message } userErrors { field code message } } }";

/// Every row count the refusals below must leave alone.
async fn counts(w: &World) -> Vec<i64> {
    let s = &w.stack;
    vec![
        count(&s.eligibility_pool, "zones").await,
        count(&s.eligibility_pool, "schemes").await,
        count(&s.eligibility_pool, "scheme_test_cases").await,
        count(&s.eligibility_pool, "household_profiles").await,
        count(&s.eligibility_pool, "postcodes").await,
        count(&s.inventory_pool, "vehicles").await,
        count(&s.inventory_pool, "providers").await,
        count(&s.bookings_pool, "bookings").await,
        count(&s.payments_pool, "payments").await,
    ]
}

/// Runs a mutation that must be refused: by the service, as a `UserError`
/// with `code` (answered with the payload), or already by the gateway, which
/// refuses control characters in any variable as an `INVALID_INPUT` error of
/// the response (answered with null).
async fn refused(client: &GraphqlClient, name: &str, query: &str, vars: Value, code: &str) -> Value {
    let v = client.raw(query, vars).await.unwrap();
    if v["errors"].is_array() {
        assert_eq!(v["errors"][0]["extensions"]["code"], "INVALID_INPUT", "{name}: {v}");
        return Value::Null;
    }
    let p = v["data"][name].clone();
    assert_eq!(user_error_code(&p).as_deref(), Some(code), "{name}: {p}");
    p
}

#[tokio::test]
async fn control_characters_in_text_are_invalid_input_and_change_nothing() {
    let w = World::new(20_000_000).await;
    let (h, h_id) = w.household("one@wox.test").await;
    let booked = book(&h, hire(&w.vehicles[0], in_days(3), 2, "good")).await;
    let booking = booked["booking"]["id"].as_str().unwrap().to_string();
    let draft = ok(
        &w.officer,
        "createScheme",
        &create_scheme(),
        json!({"input": ev_scheme(&w.council, &[])}),
    )
    .await;
    let draft = draft["scheme"]["id"].as_str().unwrap().to_string();
    let before = counts(&w).await;
    let mut reached_a_service = 0;

    let nul = "Wit\u{0}ney";
    let rtl = "Wit\u{202E}yen";
    for name in [nul, rtl, "Wit\nney"] {
        let p = refused(
            &w.officer,
            "createZone",
            CREATE_ZONE,
            json!({"input": {"councilId": w.council, "name": name, "geometry": square(WITNEY.0, WITNEY.1, 0.01)}}),
            "INVALID_INPUT",
        )
        .await;
        if !p.is_null() {
            assert_eq!(p["userErrors"][0]["field"], json!(["input", "name"]), "{p}");
            reached_a_service += 1;
        }
    }

    let scheme = |change: &dyn Fn(&mut Value)| {
        let mut s = ev_scheme(&w.council, &[]);
        change(&mut s);
        json!({"input": s})
    };
    for (what, vars, code) in [
        ("name", scheme(&|s| s["name"] = json!(nul)), "INVALID_INPUT"),
        (
            "description",
            scheme(&|s| s["description"] = json!(format!("Help {rtl}"))),
            "INVALID_INPUT",
        ),
        (
            "label",
            scheme(&|s| s["criteria"][0]["label"] = json!(nul)),
            "INVALID_INPUT",
        ),
        (
            "fail text",
            scheme(&|s| s["criteria"][0]["failText"] = json!(nul)),
            "INVALID_INPUT",
        ),
        (
            "rule text",
            scheme(&|s| s["criteria"][0]["rule"] = json!({"in": [nul, {"var": "household.benefits"}]})),
            "INVALID_RULE",
        ),
        (
            "rule default",
            scheme(&|s| s["criteria"][0]["rule"] = json!({"==": [{"var": ["household.carsOwned", nul]}, 0]})),
            "INVALID_RULE",
        ),
    ] {
        let p = refused(&w.officer, "createScheme", &create_scheme(), vars, code).await;
        if !p.is_null() {
            assert!(p["scheme"].is_null(), "{what}: {p}");
        }
    }
    for (name, facts) in [
        (nul, json!({"household": {"members": 2}})),
        ("ok", json!({"household": {"benefits": [nul]}})),
    ] {
        refused(
            &w.officer,
            "addSchemeTestCase",
            &add_test_case(),
            json!({"input": {"schemeId": draft, "name": name, "facts": facts, "expectEligible": true}}),
            "INVALID_INPUT",
        )
        .await;
    }

    let mut p = profile(WITNEY.0, WITNEY.1, 1_500_000, 0);
    p["benefits"] = json!(["universal\u{0}credit"]);
    refused(
        &h,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": p}),
        "INVALID_INPUT",
    )
    .await;

    for (field, value) in [("make", nul), ("model", rtl)] {
        let mut v = vehicle_input(WITNEY.1, WITNEY.0, 4);
        v[field] = json!(value);
        let p = refused(&w.provider, "addVehicle", ADD_VEHICLE, json!({"i": v}), "INVALID_INPUT").await;
        if !p.is_null() {
            assert_eq!(p["userErrors"][0]["field"], json!(["input", field]), "{p}");
            reached_a_service += 1;
        }
    }
    let csv = "kind,make,model,seats,propulsion,lat,lon,per_hour_pence\n\
               CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,650\n\
               CAR,Re\u{0}nault,Zoe,5,ELECTRIC,51.78,-1.48,650\n";
    let p = refused(
        &w.provider,
        "importVehicles",
        IMPORT_VEHICLES,
        json!({"i": {"format": "CSV", "csv": csv}}),
        "INVALID_INPUT",
    )
    .await;
    if !p.is_null() {
        assert_eq!(p["rowErrors"][0]["line"], 3, "{p}");
    }
    if !p.is_null() {
        assert_eq!(p["rowErrors"][0]["field"], "make", "{p}");
    }

    let p = refused(
        &w.officer,
        "importPostcodes",
        IMPORT_POSTCODES,
        json!({"input": {"councilId": w.council, "csv": "pcds,lat,long\nOX28\u{0} 4AB,51.78,-1.49\n"}}),
        "INVALID_INPUT",
    )
    .await;
    if !p.is_null() {
        assert_eq!(p["rowErrors"][0]["field"], "postcode", "{p}");
    }

    let p = refused(
        &w.stack.anon,
        "signUpProvider",
        SIGN_UP_PROVIDER,
        json!({"input": {"email": "nul@example.test", "password": PASSWORD, "organisationName": "Cotswold\u{0}Cars"}}),
        "INVALID_INPUT",
    )
    .await;
    if !p.is_null() {
        assert!(p["token"].is_null(), "{p}");
    }

    let mut input = hire(&w.vehicles[1], in_days(4), 2, "key\u{0}");
    input["householdId"] = json!(h_id);
    let p = refused(
        &h,
        "bookVehicle",
        &book_mutation(),
        json!({"i": input}),
        "INVALID_INPUT",
    )
    .await;
    if !p.is_null() {
        assert_eq!(p["userErrors"][0]["field"], json!(["input", "idempotencyKey"]), "{p}");
    }
    let p = refused(
        &h,
        "cancelBooking",
        &cancel_mutation(),
        json!({"id": booking, "r": "Plans\u{0}changed"}),
        "INVALID_INPUT",
    )
    .await;
    if !p.is_null() {
        assert!(p["booking"].is_null(), "{p}");
    }

    // A text-direction character is no control character: whatever the
    // gateway lets through, the services refuse.
    assert!(reached_a_service >= 2, "{reached_a_service}");
    assert_eq!(counts(&w).await, before, "nothing was written");
    let b = h
        .query(
            "query($id: ID!) { booking(id: $id) { status } }",
            json!({"id": booking}),
        )
        .await
        .unwrap();
    assert_eq!(b["booking"]["status"], "CONFIRMED");
}
