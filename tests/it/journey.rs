//! The main journey of `docs/RULES.md` through the gateway against all the real
//! services, payments on its Stripe adapter against localstripe: admin →
//! council → zones → scheme → provider → vehicles (and payout onboarding) →
//! household → eligibility → offers → book with a card → second household
//! refused → cancel → refund → report. What payments says it did at the
//! processor is read back from localstripe.

use crate::support::bookings::*;
use crate::support::eligibility::MY_ELIGIBILITY;
use crate::support::{Cards, Options, Stack};
use chrono::{Datelike, Duration, Utc, Weekday};
use serde_json::{json, Value};

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id seats propulsion } distanceKm \
    price { currency basePence subsidyPence householdPence } subsidies { scheme { name } amountPence } score reasons } }";

const REPORT: &str = "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    bookings households grossPence subsidyPence householdPaidPence refundedPence cancelledBookings cancellationChargesPence \
    byScheme { scheme { name } bookings subsidyPence committedPence remainingPence } } }";

/// Next Saturday (at least two days away) at 10:00 UTC.
fn saturday_ten() -> chrono::DateTime<Utc> {
    let mut d = Utc::now().date_naive() + Duration::days(2);
    while d.weekday() != Weekday::Sat {
        d += Duration::days(1);
    }
    d.and_hms_opt(10, 0, 0).unwrap().and_utc()
}

#[tokio::test]
async fn the_main_journey() {
    // Admin → council → zones → scheme (published) → provider (approved) → vehicles.
    let stack = Stack::start_with(Options {
        cards: Cards::LocalStripe,
        ..Options::default()
    })
    .await;
    let w = World::on(stack, 20_000_000).await;
    let stripe = w.stack.stripe.as_ref().unwrap();
    let began = Utc::now() - Duration::minutes(1);

    // The provider starts payout onboarding: an express account at the processor.
    let o = w
        .provider
        .mutate(
            "startPayoutOnboarding",
            "mutation { startPayoutOnboarding { url userErrors { code message } } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(o["userErrors"], json!([]), "{o}");
    let account = o["url"]
        .as_str()
        .unwrap()
        .split('/')
        .find(|p| p.starts_with("acct_"))
        .unwrap();
    assert_eq!(stripe.get(&format!("accounts/{account}")).await["type"], "express");

    // The household signs up, fills its profile and qualifies, with reasons.
    let (h, _) = w.household("family@wox.test").await;
    let e = h.query(MY_ELIGIBILITY, json!({})).await.unwrap();
    let decision = &e["me"]["household"]["eligibility"][0];
    assert_eq!(decision["scheme"]["name"], "EV lease support");
    assert_eq!(decision["eligible"], true);
    assert!(decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["passed"] == true));

    // Offers for Saturday 10:00–14:00 within 5 km, needing 4 seats.
    let start = saturday_ten();
    let input = json!({"kind": "HIRE", "start": start, "end": start + Duration::hours(4), "radiusKm": 5.0, "seats": 4});
    let o = h.query(OFFERS, json!({"i": input})).await.unwrap();
    let offers = o["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 3, "{o}");
    let scores: Vec<f64> = offers.iter().map(|o| o["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "best first: {scores:?}");
    for offer in offers {
        assert_eq!(
            offer["price"],
            json!({"currency": "GBP", "basePence": 2600, "subsidyPence": 1040, "householdPence": 1560})
        );
        assert_eq!(offer["subsidies"][0]["scheme"]["name"], "EV lease support");
        let reasons: Vec<&str> = offer["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(reasons[0].ends_with("km from home"), "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("Seats ") && r.ends_with("fits your 4")),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&"£15.60 after a £10.40 council subsidy"),
            "{reasons:?}"
        );
        assert!(reasons.contains(&"Electric"), "{reasons:?}");
    }
    // The exact fit (4 seats) ranks above the 7-seater at a similar distance.
    let best = offers[0]["vehicle"]["id"].as_str().unwrap().to_string();

    // Book the best with a card.
    let mut booking = json!({"vehicleId": best, "kind": "HIRE", "start": start, "end": start + Duration::hours(4),
                             "paymentMethod": "pm_card_visa", "idempotencyKey": "saturday"});
    let p = book(&h, booking.clone()).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["booking"]["status"], "CONFIRMED");
    assert_eq!(p["booking"]["payment"]["status"], "CAPTURED");
    let id = p["booking"]["id"].as_str().unwrap().to_string();
    // At the processor: one PaymentIntent for the booking, its £15.60 captured.
    let intents = stripe.intents_with("booking_id", &id).await;
    assert_eq!(intents.len(), 1, "{intents:?}");
    let intent = intents[0]["id"].as_str().unwrap().to_string();
    let pi = stripe.get(&format!("payment_intents/{intent}")).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    assert_eq!(pi["amount"], 1560);
    assert_eq!(pi["amount_received"], 1560);
    assert_eq!(pi["currency"], "gbp");
    assert!(stripe.refunds_of(&intent).await.is_empty());
    // The booked vehicle is no longer offered for that period.
    let o = h.query(OFFERS, json!({"i": input})).await.unwrap();
    assert!(o["offers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["vehicle"]["id"] != best.as_str()));

    // A second household, the same vehicle, an overlapping time: refused.
    let (h2, _) = w.household("neighbour@wox.test").await;
    booking["start"] = json!(start + Duration::hours(2));
    booking["end"] = json!(start + Duration::hours(5));
    let refused = book(&h2, booking).await;
    assert_eq!(code(&refused), "SLOT_UNAVAILABLE");

    // The household cancels days ahead: the whole share back, the subsidy released.
    let c = h
        .mutate(
            "cancelBooking",
            &cancel_mutation(),
            json!({"id": id, "r": "Change of plan"}),
        )
        .await
        .unwrap();
    assert_eq!(c["userErrors"], json!([]), "{c}");
    assert_eq!(c["booking"]["status"], "CANCELLED");
    assert_eq!(c["booking"]["cancellation"]["refundPence"], 1560);
    assert_eq!(c["booking"]["payment"]["status"], "REFUNDED");
    // The refund was made at the processor, once, of the whole £15.60.
    let refunds = stripe.refunds_of(&intent).await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 1560);
    assert_eq!(refunds[0]["status"], "succeeded");
    let charge = pi["latest_charge"].as_str().unwrap();
    assert_eq!(stripe.get(&format!("charges/{charge}")).await["amount_refunded"], 1560);
    // The ledger balances, per transaction and overall.
    let unbalanced = rows(
        &w.stack.payments_pool,
        "select count(*) from (select transaction_id from ledger_entries group by transaction_id having sum(amount_pence) <> 0) t",
    )
    .await;
    assert_eq!(unbalanced, 0);

    // The officer's report: the booking was cancelled, so it is counted
    // apart with its refund, in none of the money that stands.
    let r = w
        .officer
        .query(
            REPORT,
            json!({"c": w.council, "f": began, "t": Utc::now() + Duration::minutes(1)}),
        )
        .await
        .unwrap();
    assert_eq!(
        r["councilReport"],
        json!({"bookings": 0, "households": 0, "grossPence": 0, "subsidyPence": 0, "householdPaidPence": 0,
               "refundedPence": 1560, "cancelledBookings": 1, "cancellationChargesPence": 0, "byScheme": []})
    );
    // Households see no report.
    let denied = h
        .raw(REPORT, json!({"c": w.council, "f": began, "t": Utc::now()}))
        .await
        .unwrap();
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
}
