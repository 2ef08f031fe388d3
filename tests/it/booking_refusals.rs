//! Every bad booking request through the gateway: each its typed error,
//! and nothing written in bookings, payments or the scheme budget; and the
//! booking bounds (lead time, hire length, a household's bookings held or
//! unpaid and its overlapping hires), which hold under concurrency and for
//! an officer booking for a household too.

use crate::support::bookings::*;
use chrono::{Duration, TimeZone, Utc};
use futures::future::join_all;
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
            "HIRE_TOO_LONG",
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

const SCHEME_SPEND: &str = "query($id: ID!) { council(id: $id) { schemes { id committedPence } } }";

async fn committed(w: &World) -> i64 {
    let v = w.officer.query(SCHEME_SPEND, json!({"id": w.council})).await.unwrap();
    v["council"]["schemes"][0]["committedPence"].as_i64().unwrap()
}

async fn bookings(w: &World) -> i64 {
    rows(&w.stack.bookings_pool, "select count(*) from bookings").await
}

/// Books and expects `code`, with nothing written anywhere.
async fn refused(w: &World, h: &roundabout::graphql_client::GraphqlClient, input: Value, code_: &str, field: Value) {
    let before = (
        bookings(w).await,
        rows(&w.stack.payments_pool, "select count(*) from payments").await,
        committed(w).await,
    );
    let p = book(h, input.clone()).await;
    assert_eq!(code(&p), code_, "{input}: {p}");
    assert_eq!(p["userErrors"][0]["field"], field, "{input}: {p}");
    assert_eq!(p["booking"], Value::Null, "{p}");
    let after = (
        bookings(w).await,
        rows(&w.stack.payments_pool, "select count(*) from payments").await,
        committed(w).await,
    );
    assert_eq!(after, before, "{code_}: nothing is written");
}

#[tokio::test]
async fn bookings_beyond_the_bounds_are_refused_with_their_codes() {
    let w = World::new(20_000_000).await;
    let (h, h_id) = w.household("one@wox.test").await;
    let v = &w.vehicles;

    // A hire starting 9999-12-31 (confirmed, with today's subsidy, before).
    let far = Utc.with_ymd_and_hms(9999, 12, 31, 10, 0, 0).unwrap();
    refused(
        &w,
        &h,
        hire(&v[0], far, 2, "far"),
        "LEAD_TIME_TOO_LONG",
        json!(["input", "start"]),
    )
    .await;
    refused(
        &w,
        &h,
        hire(&v[0], in_days(366), 2, "next-year"),
        "LEAD_TIME_TOO_LONG",
        json!(["input", "start"]),
    )
    .await;
    let lease = json!({"vehicleId": v[2], "kind": "LEASE", "start": in_days(400), "leaseMonths": 12, "idempotencyKey": "lease"});
    refused(&w, &h, lease, "LEAD_TIME_TOO_LONG", json!(["input", "start"])).await;
    refused(
        &w,
        &h,
        hire(&v[0], in_days(3), 15 * 24, "long"),
        "HIRE_TOO_LONG",
        json!(["input", "end"]),
    )
    .await;
    // Within the bounds: a year ahead less a day, and fourteen days.
    let p = book(&h, hire(&v[0], in_days(364), 14 * 24, "ok-far")).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");

    // A second hire at the same time, of another vehicle.
    let start = in_days(3);
    let p = book(&h, hire(&v[1], start, 4, "first")).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
    let first = p["booking"]["id"].as_str().unwrap().to_string();
    refused(
        &w,
        &h,
        hire(&v[2], start + Duration::hours(2), 4, "overlap"),
        "OVERLAPPING_BOOKING",
        json!(["input", "start"]),
    )
    .await;
    // The same vehicle again is still the vehicle's refusal.
    refused(&w, &h, hire(&v[1], start, 4, "same"), "SLOT_UNAVAILABLE", Value::Null).await;
    // Two invoices unpaid: a third booking, even by card, waits for one to be paid or cancelled.
    refused(
        &w,
        &h,
        hire(&v[2], in_days(5), 2, "third"),
        "TOO_MANY_UNPAID_BOOKINGS",
        Value::Null,
    )
    .await;
    let mut by_card = hire(&v[2], in_days(5), 2, "third-card");
    by_card["paymentMethod"] = json!("pm_card_visa");
    refused(&w, &h, by_card, "TOO_MANY_UNPAID_BOOKINGS", Value::Null).await;
    // An officer booking for the household meets the same bounds.
    let mut assisted = hire(&v[2], in_days(5), 2, "assisted");
    assisted["householdId"] = json!(h_id);
    refused(
        &w,
        &w.officer,
        assisted.clone(),
        "TOO_MANY_UNPAID_BOOKINGS",
        Value::Null,
    )
    .await;
    let mut assisted_far = hire(&v[2], in_days(400), 2, "assisted-far");
    assisted_far["householdId"] = json!(h_id);
    refused(
        &w,
        &w.officer,
        assisted_far,
        "LEAD_TIME_TOO_LONG",
        json!(["input", "start"]),
    )
    .await;
    // Cancelling one makes room.
    let p = h
        .mutate("cancelBooking", &cancel_mutation(), json!({"id": first}))
        .await
        .unwrap();
    assert_eq!(p["booking"]["status"], "CANCELLED", "{p}");
    let p = book(&w.officer, assisted).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");

    // Bookings paid by card are not unpaid: a household paying by card books on.
    let (card, _) = w.household("card@wox.test").await;
    for (i, vehicle) in v.iter().enumerate() {
        let mut input = hire(vehicle, in_days(10 + i as i64), 2, &format!("card-{i}"));
        input["paymentMethod"] = json!("pm_card_visa");
        let p = book(&card, input).await;
        assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
    }
}

#[tokio::test]
async fn a_household_cannot_pass_its_limits_with_requests_at_once() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("racer@wox.test").await;
    // Twelve invoiced hires at once, none overlapping (a different day each):
    // two pass (the unpaid limit), ten are refused.
    let calls = (0..12).map(|i| {
        let h = h.clone();
        let input = hire(&w.vehicles[i % 3], in_days(3 + i as i64), 2, &format!("unpaid-{i}"));
        async move { book(&h, input).await }
    });
    let answers = join_all(calls).await;
    let confirmed = answers.iter().filter(|p| p["booking"]["status"] == "CONFIRMED").count();
    let codes: Vec<String> = answers.iter().map(code).collect();
    assert_eq!(confirmed, 2, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| *c == "TOO_MANY_UNPAID_BOOKINGS").count(),
        10,
        "{codes:?}"
    );
    assert_eq!(bookings(&w).await, 2);

    // Nine hires at once of three vehicles at the same time, by card (so
    // only the overlap limits them): one passes.
    let (c, _) = w.household("overlapper@wox.test").await;
    let start = in_days(30);
    let calls = (0..9).map(|i| {
        let c = c.clone();
        let mut input = hire(
            &w.vehicles[i % 3],
            start + Duration::minutes(i as i64),
            2,
            &format!("overlap-{i}"),
        );
        input["paymentMethod"] = json!("pm_card_visa");
        async move { book(&c, input).await }
    });
    let answers = join_all(calls).await;
    let confirmed = answers.iter().filter(|p| p["booking"]["status"] == "CONFIRMED").count();
    let codes: Vec<String> = answers.iter().map(code).collect();
    assert_eq!(confirmed, 1, "{codes:?}");
    assert!(
        codes.iter().all(|c| c.is_empty()
            || c == "OVERLAPPING_BOOKING"
            || c == "SLOT_UNAVAILABLE"
            || c == "TOO_MANY_UNPAID_BOOKINGS"),
        "{codes:?}"
    );
    assert!(codes.iter().any(|c| c == "OVERLAPPING_BOOKING"), "{codes:?}");
    assert_eq!(bookings(&w).await, 3);
}
