//! Every bad booking request through the gateway: each its typed error,
//! and nothing written in bookings, payments or the scheme budget.

mod bookings_support;
mod common;
mod eligibility_support;

use bookings_support::*;
use chrono::{Duration, Utc};
use roundabout_support::internal_auth::{Caller, HouseholdMembership};
use serde_json::{json, Value};

async fn nothing_written(w: &World) {
    assert_eq!(rows(&w.stack.bookings_pool, "select count(*) from bookings").await, 0);
    assert_eq!(rows(&w.stack.payments_pool, "select count(*) from payments").await, 0);
}

#[tokio::test]
async fn bad_booking_requests_are_refused_with_typed_errors_and_change_nothing() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let v = &w.vehicles[0];
    let start = in_days(2);
    let at = |s: chrono::DateTime<Utc>, e: chrono::DateTime<Utc>| json!({"vehicleId": v, "kind": "HIRE", "start": s, "end": e, "idempotencyKey": "bad"});
    let lease = |months: i32| json!({"vehicleId": v, "kind": "LEASE", "start": start, "leaseMonths": months, "idempotencyKey": "bad"});
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "end before start",
            at(start, start - Duration::hours(2)),
            "INVALID_INPUT",
            json!(["input", "end"]),
        ),
        (
            "in the past",
            at(Utc::now() - Duration::days(1), Utc::now() - Duration::hours(20)),
            "INVALID_INPUT",
            json!(["input", "start"]),
        ),
        (
            "zero length",
            at(start, start),
            "INVALID_INPUT",
            json!(["input", "end"]),
        ),
        (
            "100-day hire",
            at(start, start + Duration::days(100)),
            "INVALID_INPUT",
            json!(["input", "end"]),
        ),
        ("lease of 0", lease(0), "INVALID_INPUT", json!(["input", "leaseMonths"])),
        (
            "lease of 50",
            lease(50),
            "INVALID_INPUT",
            json!(["input", "leaseMonths"]),
        ),
        (
            "unknown vehicle",
            hire(&uuid::Uuid::new_v4().to_string(), start, 2, "bad"),
            "VEHICLE_UNAVAILABLE",
            json!(["input", "vehicleId"]),
        ),
        (
            "not an id",
            hire("nope", start, 2, "bad"),
            "VEHICLE_UNAVAILABLE",
            json!(["input", "vehicleId"]),
        ),
    ];
    for (name, input, expect, field) in cases {
        let p = book(&h, input).await;
        assert_eq!(code(&p), expect, "{name}: {p}");
        assert_eq!(p["userErrors"][0]["field"], field, "{name}: {p}");
        assert_eq!(p["booking"], Value::Null, "{name}");
    }
    nothing_written(&w).await;

    // A retired vehicle.
    let status =
        "mutation($id: ID!, $s: VehicleStatus!) { setVehicleStatus(id: $id, status: $s) { userErrors { code } } }";
    w.provider
        .mutate("setVehicleStatus", status, json!({"id": w.vehicles[1], "s": "RETIRED"}))
        .await
        .unwrap();
    let p = book(&h, hire(&w.vehicles[1], start, 2, "retired")).await;
    assert_eq!(code(&p), "VEHICLE_UNAVAILABLE", "{p}");
    nothing_written(&w).await;

    // Booking for another household, straight at the bookings service.
    let client = roundabout_support::client::ServiceClient::new(
        "bookings",
        &w.stack.bookings_url,
        roundabout_support::testing::test_client_auth(),
        reqwest::Client::new(),
    );
    let mut caller = Caller::user(uuid::Uuid::new_v4(), "someone");
    caller.household = Some(HouseholdMembership {
        household_id: uuid::Uuid::new_v4(),
        council_id: w.council.parse().unwrap(),
    });
    let body = json!({"household_id": uuid::Uuid::new_v4(), "vehicle_id": v, "kind": "HIRE", "start": start,
                      "end": start + Duration::hours(2), "idempotency_key": "other"});
    let err = client
        .send::<_, Value>(reqwest::Method::POST, "/internal/bookings", Some(&body), &caller, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    // Only households book: an officer through the gateway is refused.
    let err = w
        .officer
        .raw(&book_mutation(), json!({"i": hire(v, start, 2, "officer")}))
        .await
        .unwrap();
    assert_eq!(err["errors"][0]["extensions"]["code"], "FORBIDDEN", "{err}");
    nothing_written(&w).await;

    // A suspended provider's vehicles cannot be booked.
    let suspend =
        "mutation($c: ID!, $p: ID!) { suspendProvider(councilId: $c, providerId: $p) { userErrors { code } } }";
    w.officer
        .mutate("suspendProvider", suspend, json!({"c": w.council, "p": w.provider_id}))
        .await
        .unwrap();
    let p = book(&h, hire(v, start, 2, "suspended")).await;
    assert_eq!(code(&p), "VEHICLE_UNAVAILABLE", "{p}");
    nothing_written(&w).await;
}

#[tokio::test]
async fn a_lease_charges_its_first_month_and_commits_the_whole_term() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let p = book(
        &h,
        json!({"vehicleId": w.vehicles[2], "kind": "LEASE", "start": in_days(5), "leaseMonths": 12, "idempotencyKey": "lease"}),
    )
    .await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let b = &p["booking"];
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(b["leaseMonths"], 12);
    // £300 a month for 12 months; 40 % capped at £120 a month.
    assert_eq!(
        b["price"],
        json!({"currency": "GBP", "basePence": 360000, "subsidyPence": 144000, "householdPence": 216000})
    );
    assert_eq!(b["payment"]["amountPence"], 18000);
    assert_eq!(
        rows(&w.stack.payments_pool, "select count(*) from lease_instalments").await,
        11
    );
    // The whole year overlaps a later hire of the same vehicle.
    let (h2, _) = w.household("two@wox.test").await;
    let p = book(&h2, hire(&w.vehicles[2], in_days(60), 2, "x")).await;
    assert_eq!(code(&p), "SLOT_UNAVAILABLE");
}
