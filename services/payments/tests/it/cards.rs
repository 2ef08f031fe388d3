//! Card payments through the service: against localstripe (the real adapter),
//! and with the in-process fake where a test needs to break the processor.

use std::sync::Arc;

use crate::support::{
    service::{hire, start, Payments},
    LocalStripe,
};
use roundabout_payments::processor::{fake::FakeProcessor, stripe::StripeProcessor, PaymentProcessor};
use roundabout_support::testing::localstripe::SECRET_KEY;
use serde_json::json;
use uuid::Uuid;

const VISA: &str = "4242424242424242";
const DECLINED: &str = "4000000000000341";

async fn with_localstripe() -> (LocalStripe, Payments) {
    let ls = LocalStripe::start();
    let gw: Arc<dyn PaymentProcessor> = Arc::new(StripeProcessor::new(SECRET_KEY, &ls.base).unwrap());
    let p = start(Some(gw)).await;
    (ls, p)
}

#[tokio::test]
async fn a_card_is_authorised_captured_and_refunded_never_above_the_capture() {
    let (ls, p) = with_localstripe().await;
    let booking = Uuid::new_v4();
    let pm = ls.card(VISA).await;
    let paid = p.post("/internal/payments", hire(booking, Some(&pm))).await.unwrap();
    assert_eq!(paid["method"], "CARD");
    assert_eq!(paid["status"], "AUTHORISED");
    let intent = paid["stripe_intent_id"].as_str().unwrap().to_string();
    assert_eq!(
        ls.get(&format!("payment_intents/{intent}")).await["status"],
        "requires_capture"
    );

    let captured = p
        .post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    assert_eq!(captured["status"], "CAPTURED");
    assert_eq!(
        ls.get(&format!("payment_intents/{intent}")).await["amount_received"],
        6_000
    );

    let err = p
        .post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": 7_000}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("REFUND_EXCEEDS_CAPTURED"));
    let refunded = p
        .post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": 6_000}),
        )
        .await
        .unwrap();
    assert_eq!(refunded["status"], "REFUNDED");
    let refunds = ls.get("refunds").await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1);
    assert_eq!(p.balances(booking).await["cash:stripe"], 0);
    p.ledger_is_balanced().await;
}

#[tokio::test]
async fn a_declined_card_fails_the_payment_and_takes_nothing() {
    let (ls, p) = with_localstripe().await;
    let booking = Uuid::new_v4();
    let pm = ls.card(DECLINED).await;
    let paid = p.post("/internal/payments", hire(booking, Some(&pm))).await.unwrap();
    assert_eq!(paid["status"], "FAILED");
    assert_eq!(paid["failure_code"], "card_declined");
    assert!(p.balances(booking).await.is_empty(), "no money moved");
    // Releasing a failed payment is harmless.
    let released = p
        .post(&format!("/internal/payments/{booking}/release"), json!({}))
        .await
        .unwrap();
    assert_eq!(released["status"], "FAILED");
    // Bookings hears about it through the outbox.
    assert_eq!(p.outbox_count(booking).await, 1);
}

#[tokio::test]
async fn a_released_authorisation_is_cancelled_at_the_processor() {
    let (ls, p) = with_localstripe().await;
    let booking = Uuid::new_v4();
    let pm = ls.card(VISA).await;
    let paid = p.post("/internal/payments", hire(booking, Some(&pm))).await.unwrap();
    let intent = paid["stripe_intent_id"].as_str().unwrap().to_string();
    let released = p
        .post(&format!("/internal/payments/{booking}/release"), json!({}))
        .await
        .unwrap();
    assert_eq!(released["status"], "CANCELLED");
    assert_eq!(ls.get(&format!("payment_intents/{intent}")).await["status"], "canceled");
    let err = p
        .post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_STATE"));
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_key_and_charges_once() {
    let (ls, p) = with_localstripe().await;
    let pm = ls.card(VISA).await;
    // A first booking gives the household its processor customer.
    let first = Uuid::new_v4();
    let req = hire(first, Some(&pm));
    p.post("/internal/payments", req.clone()).await.unwrap();

    // Stripe creates the second booking's intent, but the answer is lost.
    let second = Uuid::new_v4();
    let mut req2 = req.clone();
    req2["booking_id"] = json!(second);
    ls.fail_next(1, "after").await;
    let paid = p.post("/internal/payments", req2).await.unwrap();
    assert_eq!(paid["status"], "AUTHORISED");
    let intents = ls.get("payment_intents").await;
    let ours = intents["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["metadata"]["booking_id"] == second.to_string())
        .count();
    assert_eq!(ours, 1, "{intents}");
    assert_eq!(intents["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn releasing_a_payment_whose_intent_answer_was_lost_cancels_that_intent() {
    let (ls, p) = with_localstripe().await;
    let pm = ls.card(VISA).await;
    let first = Uuid::new_v4();
    let req = hire(first, Some(&pm));
    p.post("/internal/payments", req.clone()).await.unwrap();

    // The processor authorises the second booking, but every answer of the
    // service's three attempts is lost: the payment stays PENDING with no
    // intent recorded, while money is held on the card.
    let second = Uuid::new_v4();
    let mut req2 = req.clone();
    req2["booking_id"] = json!(second);
    ls.fail_next(3, "after").await;
    let err = p.post("/internal/payments", req2).await.unwrap_err();
    assert!(err.code().is_none(), "{err}");
    let held: Vec<_> = ls.intents_with("booking_id", &second.to_string()).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["status"], "requires_capture");

    // The booking is given up: releasing learns the intent by its key and
    // cancels it, so nothing stays held.
    let released = p
        .post(&format!("/internal/payments/{second}/release"), json!({}))
        .await
        .unwrap();
    assert_eq!(released["status"], "CANCELLED");
    let after: Vec<_> = ls.intents_with("booking_id", &second.to_string()).await;
    assert_eq!(after.len(), 1, "the same intent, not a second: {after:?}");
    assert_eq!(after[0]["status"], "canceled");
}

#[tokio::test]
async fn an_outage_leaves_the_payment_pending_until_reconciliation() {
    let fake = FakeProcessor::new();
    let p = start(Some(Arc::new(fake.clone()))).await;
    let booking = Uuid::new_v4();
    // Longer than the service's own retries.
    fake.fail_next(10);
    let err = p
        .post("/internal/payments", hire(booking, Some("pm_card_visa")))
        .await
        .unwrap_err();
    // A 503 is not a refusal: the client reports the service unavailable.
    assert!(err.code().is_none(), "{err}");
    let view = roundabout_payments::db::payments::get(&p.pool, booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.status.as_str(), "PENDING");
    fake.fail_next(0);
    let looked_at = roundabout_payments::ops::jobs::reconcile_once(&p.state).await.unwrap();
    assert_eq!(looked_at, 1);
    let view = roundabout_payments::db::payments::get(&p.pool, booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.status.as_str(), "AUTHORISED");
    assert_eq!(fake.intent_count(), 1);
}

#[tokio::test]
async fn without_a_payment_method_the_household_gets_a_client_secret() {
    let (ls, p) = with_localstripe().await;
    let booking = Uuid::new_v4();
    let mut req = hire(booking, None);
    req["card"] = json!(true);
    let paid = p.post("/internal/payments", req).await.unwrap();
    assert_eq!(paid["status"], "REQUIRES_ACTION");
    let intent = paid["stripe_intent_id"].as_str().unwrap().to_string();
    assert!(paid["client_secret"].as_str().unwrap().starts_with(&intent));
    drop(ls);
}

#[tokio::test]
async fn a_card_lease_bills_monthly_and_retries_a_failed_month() {
    let fake = FakeProcessor::new();
    let p = start(Some(Arc::new(fake.clone()))).await;
    let booking = Uuid::new_v4();
    let mut req = hire(booking, Some("pm_card_visa"));
    req["kind"] = json!("LEASE");
    req["base_pence"] = json!(30_000);
    req["subsidy_pence"] = json!(12_000);
    req["lease"] = json!({"months": 3, "start": "2026-01-01T00:00:00Z", "monthly_base_pence": 30_000, "monthly_subsidy_pence": 12_000});
    assert_eq!(p.post("/internal/payments", req).await.unwrap()["status"], "AUTHORISED");
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();

    // Month 2 is declined, month 3 goes through.
    fake.decline_next(1);
    roundabout_payments::ops::jobs::bill_leases_once(&p.state)
        .await
        .unwrap();
    let view: serde_json::Value = p
        .client
        .get(
            &format!("/internal/payments/{booking}"),
            &crate::support::service::bookings(),
        )
        .await
        .unwrap();
    let months = view["instalments"].as_array().unwrap();
    assert_eq!(months[0]["status"], "FAILED", "{view}");
    assert_eq!(months[0]["attempts"], 1);
    assert!(months[0]["last_error"].as_str().unwrap().contains("declined"));
    assert_eq!(months[1]["status"], "PAID");

    // Not retried before its time; then retried with a new attempt and paid.
    assert_eq!(
        roundabout_payments::ops::jobs::bill_leases_once(&p.state)
            .await
            .unwrap(),
        0
    );
    sqlx::query("update lease_instalments set next_attempt_at = now() where booking_id = $1 and month = 2")
        .bind(booking)
        .execute(&p.pool)
        .await
        .unwrap();
    roundabout_payments::ops::jobs::bill_leases_once(&p.state)
        .await
        .unwrap();
    let view: serde_json::Value = p
        .client
        .get(
            &format!("/internal/payments/{booking}"),
            &crate::support::service::bookings(),
        )
        .await
        .unwrap();
    assert!(
        view["instalments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "PAID"),
        "{view}"
    );
    // The first month's authorisation, then months 3 and 2 (after its retry).
    assert_eq!(fake.intent_count(), 3);
    p.ledger_is_balanced().await;
}
