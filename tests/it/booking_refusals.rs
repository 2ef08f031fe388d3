//! Every bad booking request through the gateway: each its typed error,
//! and nothing written in bookings, payments or the scheme budget; and the
//! booking bounds (lead time, hire length, a household's bookings held or
//! unpaid and its overlapping hires), which hold under concurrency and for
//! an officer booking for a household too.

use crate::support::bookings::{in_days, rows, World};
use crate::support::gql::bookings::{book, book_vehicle, cancel, hire, lease, BookVehicle};
use crate::support::gql::fleet::{set_vehicle_status, suspend_provider, SetVehicleStatus, SuspendProvider};
use crate::support::gql::schemes::{scheme_spend, SchemeSpend};
use crate::support::gql::{field, first_error_code, Payload, Typed};
use chrono::{Duration, TimeZone, Utc};
use futures::future::join_all;
use roundabout_support::internal_auth::{Caller, HouseholdMembership};
use serde_json::{json, Value};

const CONFIRMED: Option<&book_vehicle::BookingStatus> = Some(&book_vehicle::BookingStatus::Confirmed);

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
    let at = |s: chrono::DateTime<Utc>, e: chrono::DateTime<Utc>| book_vehicle::BookVehicleInput {
        end: Some(e),
        ..hire(v, s, 0, "bad")
    };
    let lease = |months: i64| lease(v, start, months, "bad");
    let cases: Vec<(&str, book_vehicle::BookVehicleInput, &str, Option<Vec<String>>)> = vec![
        (
            "end before start",
            at(start, start - Duration::hours(2)),
            "INVALID_INPUT",
            field(&["input", "end"]),
        ),
        (
            "in the past",
            at(Utc::now() - Duration::days(1), Utc::now() - Duration::hours(20)),
            "INVALID_INPUT",
            field(&["input", "start"]),
        ),
        (
            "zero length",
            at(start, start),
            "INVALID_INPUT",
            field(&["input", "end"]),
        ),
        (
            "100-day hire",
            at(start, start + Duration::days(100)),
            "HIRE_TOO_LONG",
            field(&["input", "end"]),
        ),
        (
            "lease of 0",
            lease(0),
            "INVALID_INPUT",
            field(&["input", "leaseMonths"]),
        ),
        (
            "lease of 50",
            lease(50),
            "INVALID_INPUT",
            field(&["input", "leaseMonths"]),
        ),
        (
            "unknown vehicle",
            hire(&uuid::Uuid::new_v4().to_string(), start, 2, "bad"),
            "VEHICLE_UNAVAILABLE",
            field(&["input", "vehicleId"]),
        ),
        (
            "not an id",
            hire("nope", start, 2, "bad"),
            "VEHICLE_UNAVAILABLE",
            field(&["input", "vehicleId"]),
        ),
    ];
    for (name, input, expect, field) in cases {
        let p = book(&h, input).await;
        assert_eq!(p.code(), expect, "{name}: {p:?}");
        assert_eq!(p.user_errors()[0].field, field, "{name}: {p:?}");
        assert_eq!(p.booking, None, "{name}");
    }
    nothing_written(&w).await;

    // A retired vehicle.
    w.provider
        .data::<SetVehicleStatus>(set_vehicle_status::Variables {
            id: w.vehicles[1].clone(),
            status: set_vehicle_status::VehicleStatus::Retired,
        })
        .await;
    let p = book(&h, hire(&w.vehicles[1], start, 2, "retired")).await;
    assert_eq!(p.code(), "VEHICLE_UNAVAILABLE", "{p:?}");
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
        .run::<BookVehicle>(book_vehicle::Variables {
            input: hire(v, start, 2, "officer"),
        })
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&err), "FORBIDDEN", "{err:?}");
    nothing_written(&w).await;

    // A suspended provider's vehicles cannot be booked.
    w.officer
        .data::<SuspendProvider>(suspend_provider::Variables {
            council_id: w.council.clone(),
            provider_id: w.provider_id.clone(),
        })
        .await;
    let p = book(&h, hire(v, start, 2, "suspended")).await;
    assert_eq!(p.code(), "VEHICLE_UNAVAILABLE", "{p:?}");
    nothing_written(&w).await;
}

#[tokio::test]
async fn a_lease_charges_its_first_month_and_commits_the_whole_term() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let p = book(&h, lease(&w.vehicles[2], in_days(5), 12, "lease")).await;
    p.assert_ok();
    let b = p.booking.unwrap();
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed);
    assert_eq!(b.lease_months, Some(12));
    // £300 a month for 12 months; 40 % capped at £120 a month.
    assert_eq!(
        b.price,
        book_vehicle::BookingFieldsPrice {
            currency: "GBP".into(),
            base_pence: 360000,
            subsidy_pence: 144000,
            household_pence: 216000,
        }
    );
    assert_eq!(b.payment.unwrap().amount_pence, 18000);
    assert_eq!(
        rows(&w.stack.payments_pool, "select count(*) from lease_instalments").await,
        11
    );
    // The whole year overlaps a later hire of the same vehicle.
    let (h2, _) = w.household("two@wox.test").await;
    let p = book(&h2, hire(&w.vehicles[2], in_days(60), 2, "x")).await;
    assert_eq!(p.code(), "SLOT_UNAVAILABLE");
}

async fn committed(w: &World) -> i64 {
    let v = w
        .officer
        .data::<SchemeSpend>(scheme_spend::Variables {
            council_id: w.council.clone(),
        })
        .await;
    v.council.unwrap().schemes[0].committed_pence
}

async fn bookings(w: &World) -> i64 {
    rows(&w.stack.bookings_pool, "select count(*) from bookings").await
}

/// Books and expects `code`, with nothing written anywhere.
async fn refused(
    w: &World,
    h: &roundabout::graphql_client::GraphqlClient,
    input: book_vehicle::BookVehicleInput,
    code_: &str,
    field: Option<Vec<String>>,
) {
    let before = (
        bookings(w).await,
        rows(&w.stack.payments_pool, "select count(*) from payments").await,
        committed(w).await,
    );
    let p = book(h, input.clone()).await;
    assert_eq!(p.code(), code_, "{input:?}: {p:?}");
    assert_eq!(p.user_errors()[0].field, field, "{input:?}: {p:?}");
    assert_eq!(p.booking, None, "{p:?}");
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
        field(&["input", "start"]),
    )
    .await;
    refused(
        &w,
        &h,
        hire(&v[0], in_days(366), 2, "next-year"),
        "LEAD_TIME_TOO_LONG",
        field(&["input", "start"]),
    )
    .await;
    let far_lease = lease(&v[2], in_days(400), 12, "lease");
    refused(&w, &h, far_lease, "LEAD_TIME_TOO_LONG", field(&["input", "start"])).await;
    refused(
        &w,
        &h,
        hire(&v[0], in_days(3), 15 * 24, "long"),
        "HIRE_TOO_LONG",
        field(&["input", "end"]),
    )
    .await;
    // Within the bounds: a year ahead less a day, and fourteen days.
    let p = book(&h, hire(&v[0], in_days(364), 14 * 24, "ok-far")).await;
    assert_eq!(p.status(), CONFIRMED, "{p:?}");

    // A second hire at the same time, of another vehicle.
    let start = in_days(3);
    let p = book(&h, hire(&v[1], start, 4, "first")).await;
    assert_eq!(p.status(), CONFIRMED, "{p:?}");
    let first = p.booking.as_ref().unwrap().id.clone();
    refused(
        &w,
        &h,
        hire(&v[2], start + Duration::hours(2), 4, "overlap"),
        "OVERLAPPING_BOOKING",
        field(&["input", "start"]),
    )
    .await;
    // The same vehicle again is still the vehicle's refusal.
    refused(&w, &h, hire(&v[1], start, 4, "same"), "SLOT_UNAVAILABLE", None).await;
    // Two invoices unpaid: a third booking, even by card, waits for one to be paid or cancelled.
    refused(
        &w,
        &h,
        hire(&v[2], in_days(5), 2, "third"),
        "TOO_MANY_UNPAID_BOOKINGS",
        None,
    )
    .await;
    let mut by_card = hire(&v[2], in_days(5), 2, "third-card");
    by_card.payment_method = Some("pm_card_visa".into());
    refused(&w, &h, by_card, "TOO_MANY_UNPAID_BOOKINGS", None).await;
    // An officer booking for the household meets the same bounds.
    let mut assisted = hire(&v[2], in_days(5), 2, "assisted");
    assisted.household_id = Some(h_id.clone());
    refused(&w, &w.officer, assisted.clone(), "TOO_MANY_UNPAID_BOOKINGS", None).await;
    let mut assisted_far = hire(&v[2], in_days(400), 2, "assisted-far");
    assisted_far.household_id = Some(h_id.clone());
    refused(
        &w,
        &w.officer,
        assisted_far,
        "LEAD_TIME_TOO_LONG",
        field(&["input", "start"]),
    )
    .await;
    // Cancelling one makes room.
    let p = cancel(&h, &first, None).await;
    assert_eq!(
        p.status(),
        Some(&crate::support::gql::bookings::cancel_booking::BookingStatus::Cancelled),
        "{p:?}"
    );
    let p = book(&w.officer, assisted).await;
    assert_eq!(p.status(), CONFIRMED, "{p:?}");

    // Bookings paid by card are not unpaid: a household paying by card books on.
    let (card, _) = w.household("card@wox.test").await;
    for (i, vehicle) in v.iter().enumerate() {
        let mut input = hire(vehicle, in_days(10 + i as i64), 2, &format!("card-{i}"));
        input.payment_method = Some("pm_card_visa".into());
        let p = book(&card, input).await;
        assert_eq!(p.status(), CONFIRMED, "{p:?}");
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
    let confirmed = answers.iter().filter(|p| p.status() == CONFIRMED).count();
    let codes: Vec<String> = answers.iter().map(|p| p.code()).collect();
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
        input.payment_method = Some("pm_card_visa".into());
        async move { book(&c, input).await }
    });
    let answers = join_all(calls).await;
    let confirmed = answers.iter().filter(|p| p.status() == CONFIRMED).count();
    let codes: Vec<String> = answers.iter().map(|p| p.code()).collect();
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
