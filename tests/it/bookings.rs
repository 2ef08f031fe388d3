//! Booking through the gateway against the real services (the payment
//! processor is the in-process fake): confirmation by invoice and card,
//! the calendar refusing overlaps, a declined card compensated, cancellation
//! refunds per policy, and tenancy.

use crate::support::bookings::*;
use crate::support::eligibility::{ok, profile, UPDATE_PROFILE};
use chrono::Duration;
use serde_json::{json, Value};

const SCHEME_SPEND: &str = "query($id: ID!) { council(id: $id) { schemes { id committedPence remainingPence } } }";

async fn committed(w: &World) -> i64 {
    let v = w.officer.query(SCHEME_SPEND, json!({"id": w.council})).await.unwrap();
    v["council"]["schemes"][0]["committedPence"].as_i64().unwrap()
}

#[tokio::test]
async fn a_household_books_by_invoice_and_card_and_a_second_household_is_refused() {
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("one@wox.test").await;
    let (h2, _) = w.household("two@wox.test").await;
    let start = in_days(3);

    // By invoice: 4 hours at £6.50 (cheaper than a day at £45), 40 % subsidy.
    let p = book(&h1, hire(&w.vehicles[0], start, 4, "k1")).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let b = &p["booking"];
    assert_eq!(b["status"], "CONFIRMED");
    assert_eq!(
        b["price"],
        json!({"currency": "GBP", "basePence": 2600, "subsidyPence": 1040, "householdPence": 1560})
    );
    assert_eq!(b["subsidies"][0]["scheme"]["name"], "EV lease support");
    assert_eq!(b["payment"]["method"], "INVOICE");
    assert_eq!(b["payment"]["status"], "CAPTURED");
    assert_eq!(b["payment"]["amountPence"], 1560);
    assert_eq!(b["household"]["id"], h1_id.as_str());
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(committed(&w).await, 1040);

    // The same key and request: the same booking; a different request: a conflict.
    let again = book(&h1, hire(&w.vehicles[0], start, 4, "k1")).await;
    assert_eq!(again["booking"]["id"], id.as_str());
    let other = book(&h1, hire(&w.vehicles[1], start, 4, "k1")).await;
    assert_eq!(code(&other), "IDEMPOTENCY_CONFLICT");
    assert_eq!(other["booking"], Value::Null);

    // Another household, the same vehicle, an overlapping period.
    let refused = book(&h2, hire(&w.vehicles[0], start + Duration::hours(3), 2, "k1")).await;
    assert_eq!(code(&refused), "SLOT_UNAVAILABLE");
    // Back to back is fine (half-open periods), by card this time.
    let mut by_card = hire(&w.vehicles[0], start + Duration::hours(4), 2, "k2");
    by_card["paymentMethod"] = json!("pm_card_visa");
    let p = book(&h2, by_card).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["booking"]["status"], "CONFIRMED");
    assert_eq!(p["booking"]["payment"]["method"], "CARD");
    assert_eq!(p["booking"]["payment"]["status"], "CAPTURED");
    assert_eq!(p["booking"]["payment"]["clientSecret"], Value::Null);
    assert_eq!(rows(&w.stack.bookings_pool, "select count(*) from bookings").await, 2);

    // Tenancy: nobody sees another household's booking.
    let q = format!("query($id: ID!) {{ booking(id: $id) {{ {BOOKING_FIELDS} }} }}");
    let own = h1.query(&q, json!({"id": id})).await.unwrap();
    assert_eq!(own["booking"]["id"], id.as_str());
    let theirs = h2.query(&q, json!({"id": id})).await.unwrap();
    assert_eq!(theirs["booking"], Value::Null);
    let officer = w.officer.query(&q, json!({"id": id})).await.unwrap();
    assert_eq!(officer["booking"]["id"], id.as_str());

    // Lists.
    let mine = h1
        .query(
            "{ me { household { bookings { totalCount nodes { id vehicle { id } } } } } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(mine["me"]["household"]["bookings"]["totalCount"], 1);
    assert_eq!(mine["me"]["household"]["bookings"]["nodes"][0]["id"], id.as_str());
    let fleet = w
        .provider
        .query(
            "{ me { provider { bookings(first: 1) { totalCount edges { cursor node { id } } pageInfo { hasNextPage } } } } }",
            json!({}),
        )
        .await
        .unwrap();
    let page = &fleet["me"]["provider"]["bookings"];
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["edges"][0]["node"]["id"], id.as_str());
}

#[tokio::test]
async fn a_declined_card_fails_takes_nothing_commits_nothing_and_frees_the_slot() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let start = in_days(2);
    let mut input = hire(&w.vehicles[0], start, 4, "declined");
    input["paymentMethod"] = json!(roundabout_payments::processor::fake::DECLINED_CARD);
    let p = book(&h, input).await;
    assert_eq!(code(&p), "PAYMENT_DECLINED", "{p}");
    assert_eq!(p["booking"]["status"], "FAILED");
    assert_eq!(p["booking"]["payment"]["status"], "FAILED");
    assert_eq!(committed(&w).await, 0);
    assert_eq!(
        rows(&w.stack.payments_pool, "select count(*) from ledger_entries").await,
        0
    );
    // The slot is free again.
    let p = book(&h, hire(&w.vehicles[0], start, 4, "retry")).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
}

#[tokio::test]
async fn cancellation_refunds_per_policy_and_releases_the_subsidy() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let (other, _) = w.household("two@wox.test").await;

    // Days ahead: the whole household share back.
    let early = book(&h, hire(&w.vehicles[0], in_days(3), 4, "early")).await;
    let early_id = early["booking"]["id"].as_str().unwrap().to_string();
    // Hours ahead: half.
    let soon_start = chrono::Utc::now() + Duration::hours(3);
    let soon = book(&h, hire(&w.vehicles[1], soon_start, 4, "soon")).await;
    assert_eq!(soon["booking"]["status"], "CONFIRMED", "{soon}");
    let soon_id = soon["booking"]["id"].as_str().unwrap().to_string();
    assert_eq!(committed(&w).await, 2080);

    // Someone else's booking: not found; the provider: forbidden.
    let cancel = cancel_mutation();
    let p = other
        .mutate("cancelBooking", &cancel, json!({"id": early_id}))
        .await
        .unwrap();
    assert_eq!(code(&p), "NOT_FOUND");
    let err = w.provider.raw(&cancel, json!({"id": early_id})).await.unwrap();
    assert_eq!(err["errors"][0]["extensions"]["code"], "FORBIDDEN", "{err}");

    let p = h
        .mutate("cancelBooking", &cancel, json!({"id": early_id, "r": "Plans changed"}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let b = &p["booking"];
    assert_eq!(b["status"], "CANCELLED");
    assert_eq!(b["cancellation"]["reason"], "Plans changed");
    assert_eq!(b["cancellation"]["refundPence"], 1560);
    assert_eq!(b["payment"]["status"], "REFUNDED");
    assert_eq!(b["payment"]["refundedPence"], 1560);
    assert_eq!(committed(&w).await, 1040);

    // The officer of the council cancels the other: half back.
    let p = w
        .officer
        .mutate("cancelBooking", &cancel, json!({"id": soon_id}))
        .await
        .unwrap();
    assert_eq!(p["booking"]["cancellation"]["refundPence"], 780, "{p}");
    assert_eq!(p["booking"]["payment"]["status"], "PARTIALLY_REFUNDED");
    assert_eq!(committed(&w).await, 0);

    // Twice: INVALID_STATE, nothing changes.
    let p = h
        .mutate("cancelBooking", &cancel, json!({"id": early_id}))
        .await
        .unwrap();
    assert_eq!(code(&p), "INVALID_STATE");
    // The slot is free again.
    let p = book(&other, hire(&w.vehicles[0], in_days(3), 4, "after")).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
}

#[tokio::test]
async fn the_scheduler_starts_and_completes_a_booking_and_releases_the_payout() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let start = chrono::Utc::now() + Duration::seconds(3);
    let input = json!({"vehicleId": w.vehicles[0], "kind": "HIRE", "start": start,
                       "end": start + Duration::seconds(3), "idempotencyKey": "short"});
    let p = book(&h, input).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
    let id: uuid::Uuid = p["booking"]["id"].as_str().unwrap().parse().unwrap();
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, step): (String, String) = sqlx::query_as("select status, step from bookings where id = $1")
            .bind(id)
            .fetch_one(&w.stack.bookings_pool)
            .await
            .unwrap();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "COMPLETED" && step == "DONE" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stuck at {status}/{step}: {seen:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen.contains(&"ACTIVE".to_string()), "{seen:?}");
    // The provider's share is released for payout.
    let payouts = rows(
        &w.stack.payments_pool,
        &format!("select count(*) from payouts where booking_id = '{id}'"),
    )
    .await;
    assert_eq!(payouts, 1);
}

#[tokio::test]
async fn an_officer_sees_and_counts_only_the_provider_bookings_made_in_its_council() {
    // One household hires two vehicles at the same time: beyond its limits.
    let w = World::unbounded(20_000_000).await;
    // The provider also operates in a second council covering the same area.
    let (other, other_officer) = w.stack.council("OXC", "officer@oxc.test").await;
    ok(&w.provider, "applyToCouncil", APPLY, json!({"c": other})).await;
    ok(
        &other_officer,
        "approveProvider",
        APPROVE,
        json!({"c": other, "p": w.provider_id}),
    )
    .await;
    // Bookings: one in the second council, then two in the first.
    let elsewhere = w.stack.household(&other, "far@oxc.test").await;
    ok(
        &elsewhere,
        "updateHouseholdProfile",
        UPDATE_PROFILE,
        json!({"input": profile(WITNEY.0, WITNEY.1, 1_500_000, 0)}),
    )
    .await;
    let p = book(&elsewhere, hire(&w.vehicles[0], in_days(2), 2, "x")).await;
    assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
    let elsewhere_id = p["booking"]["id"].clone();
    let (h, _) = w.household("one@wox.test").await;
    let mut mine = Vec::new();
    for (i, v) in w.vehicles[1..].iter().enumerate() {
        let p = book(&h, hire(v, in_days(3), 2, &format!("k{i}"))).await;
        assert_eq!(p["booking"]["status"], "CONFIRMED", "{p}");
        mine.push(p["booking"]["id"].as_str().unwrap().to_string());
    }

    let q = "query($c: ID!, $after: String) { council(id: $c) { providers { bookings(first: 1, after: $after) { \
             totalCount pageInfo { hasNextPage endCursor } nodes { id } } } } }";
    let page = |officer: &'static str, after: Value| {
        let (client, council) = if officer == "WOX" {
            (&w.officer, &w.council)
        } else {
            (&other_officer, &other)
        };
        async move {
            let v = client.query(q, json!({"c": council, "after": after})).await.unwrap();
            v["council"]["providers"][0]["bookings"].clone()
        }
    };
    let first = page("WOX", Value::Null).await;
    assert_eq!(first["totalCount"], 2, "{first}");
    assert_eq!(first["nodes"], json!([{"id": mine[0]}]));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = page("WOX", first["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(second["totalCount"], 2, "{second}");
    assert_eq!(second["nodes"], json!([{"id": mine[1]}]));
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let theirs = page("OXC", Value::Null).await;
    assert_eq!(theirs["totalCount"], 1, "{theirs}");
    assert_eq!(theirs["nodes"], json!([{"id": elsewhere_id}]));
    assert_eq!(theirs["pageInfo"]["hasNextPage"], false);
    // The provider itself sees and counts all three.
    let all = w
        .provider
        .query("{ me { provider { bookings { totalCount } } } }", json!({}))
        .await
        .unwrap();
    assert_eq!(all["me"]["provider"]["bookings"]["totalCount"], 3);
}

const UPDATE_CONTACT: &str = "mutation($i: ProviderContactInput!) { updateProviderContact(input: $i) { provider { contact { pickupAddress phone email } } userErrors { field code message } } }";

#[tokio::test]
async fn households_read_the_provider_s_contact_details_on_their_bookings_and_officers_on_the_provider() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("contact@wox.test").await;

    // Bad details are refused at their field; nothing is stored.
    let p = w
        .provider
        .mutate(
            "updateProviderContact",
            UPDATE_CONTACT,
            json!({"i": {"email": "bookings"}}),
        )
        .await
        .unwrap();
    assert_eq!(code(&p), "INVALID_INPUT", "{p}");
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "email"]));
    // Only a provider's members set them.
    let refused = h
        .raw(UPDATE_CONTACT, json!({"i": {"phone": "01993 555010"}}))
        .await
        .unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let p = w
        .provider
        .mutate(
            "updateProviderContact",
            UPDATE_CONTACT,
            json!({"i": {"pickupAddress": "Market Square\nWitney", "phone": "01993 555010", "email": "bookings@cotswold.example"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let contact = json!({"pickupAddress": "Market Square\nWitney", "phone": "01993 555010", "email": "bookings@cotswold.example"});
    assert_eq!(p["provider"]["contact"], contact);

    // The household reads them on its booking, not on any provider.
    let b = book(&h, hire(&w.vehicles[0], in_days(3), 4, "contact-1")).await;
    let id = b["booking"]["id"].as_str().unwrap();
    let q = "query($id: ID!) { booking(id: $id) { providerContact { pickupAddress phone email } vehicle { provider { contact { phone } } } } }";
    let v = h.query(q, json!({"id": id})).await.unwrap();
    assert_eq!(v["booking"]["providerContact"], contact);
    assert!(v["booking"]["vehicle"]["provider"]["contact"].is_null(), "{v}");
    // Another household sees neither the booking nor the details.
    let (other, _) = w.household("other-contact@wox.test").await;
    let v = other.query(q, json!({"id": id})).await.unwrap();
    assert!(v["booking"].is_null());

    // Officers of the council read them on the booking and the provider.
    let v = w.officer.query(q, json!({"id": id})).await.unwrap();
    assert_eq!(v["booking"]["providerContact"], contact);
    let v = w
        .officer
        .query(
            "query($c: ID!) { council(id: $c) { providers { contact { pickupAddress phone email } } } }",
            json!({"c": w.council}),
        )
        .await
        .unwrap();
    assert_eq!(v["council"]["providers"][0]["contact"], contact);
    // The council's contact details: its officers set them, anyone reads them.
    const COUNCIL_CONTACT: &str = "mutation($c: ID!, $i: CouncilContactInput!) { updateCouncilContact(councilId: $c, input: $i) { council { contact { email phone } } userErrors { field code message } } }";
    let refused = h
        .raw(
            COUNCIL_CONTACT,
            json!({"c": w.council, "i": {"email": "x@wox.example"}}),
        )
        .await
        .unwrap();
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    let p = w
        .officer
        .mutate(
            "updateCouncilContact",
            COUNCIL_CONTACT,
            json!({"c": w.council, "i": {"phone": "ring us"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "phone"]), "{p}");
    let p = w
        .officer
        .mutate(
            "updateCouncilContact",
            COUNCIL_CONTACT,
            json!({"c": w.council, "i": {"email": "transport@wox.example", "phone": "01993 861000"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let v = w
        .stack
        .anon
        .query(
            "query($c: ID!) { council(id: $c) { contact { email phone } } }",
            json!({"c": w.council}),
        )
        .await
        .unwrap();
    assert_eq!(
        v["council"]["contact"],
        json!({"email": "transport@wox.example", "phone": "01993 861000"})
    );

    // Empty clears a part.
    let p = w
        .provider
        .mutate(
            "updateProviderContact",
            UPDATE_CONTACT,
            json!({"i": {"pickupAddress": "", "phone": "01993 555010"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        p["provider"]["contact"],
        json!({"pickupAddress": null, "phone": "01993 555010", "email": null})
    );
}
