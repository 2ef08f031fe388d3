//! `POST /webhooks/stripe`: Stripe-shaped events signed with the real
//! algorithm, against a service whose processor is localstripe.

use std::sync::Arc;

use crate::support::{
    service::{hire, start, Payments, WEBHOOK_SECRET},
    LocalStripe,
};
use roundabout_payments::{domain::signature, processor::stripe::StripeProcessor};
use roundabout_support::testing::localstripe::SECRET_KEY;
use serde_json::{json, Value};
use uuid::Uuid;

async fn with_localstripe() -> (LocalStripe, Payments) {
    let ls = LocalStripe::start();
    let gw = Arc::new(StripeProcessor::new(SECRET_KEY, &ls.base).unwrap());
    let p = start(Some(gw)).await;
    (ls, p)
}

fn event(id: &str, kind: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "object": "event", "type": kind, "created": 1, "data": {"object": object}}))
        .unwrap()
}

async fn deliver(p: &Payments, body: &[u8], header: Option<String>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/webhooks/stripe", p.svc.url))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(h) = header {
        req = req.header("Stripe-Signature", h);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn signed(secret: &str, body: &[u8]) -> Option<String> {
    Some(signature::sign(secret, chrono::Utc::now().timestamp(), body))
}

async fn events_stored(p: &Payments) -> i64 {
    sqlx::query_scalar("select count(*) from stripe_events")
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

/// A card payment waiting for the household, which then confirms it at Stripe.
async fn confirmed_by_household(ls: &LocalStripe, p: &Payments) -> (Uuid, String) {
    let booking = Uuid::new_v4();
    let mut req = hire(booking, None);
    req["card"] = json!(true);
    let paid = p.post("/internal/payments", req).await.unwrap();
    assert_eq!(paid["status"], "REQUIRES_ACTION");
    let intent = paid["stripe_intent_id"].as_str().unwrap().to_string();
    let pm = ls.card("4242424242424242").await;
    // What Stripe.js does in the browser: attach the card, then confirm.
    let http = reqwest::Client::new();
    for (path, form) in [
        (
            format!("payment_intents/{intent}"),
            vec![("payment_method", pm.as_str())],
        ),
        (format!("payment_intents/{intent}/confirm"), vec![]),
    ] {
        let res = http
            .post(format!("{}v1/{path}", ls.base))
            .basic_auth(SECRET_KEY, Some(""))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.text().await.unwrap());
    }
    (booking, intent)
}

async fn status(p: &Payments, booking: Uuid) -> String {
    roundabout_payments::db::payments::get(&p.pool, booking)
        .await
        .unwrap()
        .unwrap()
        .status
        .to_string()
}

#[tokio::test]
async fn an_event_is_applied_once_however_often_it_is_replayed() {
    let (ls, p) = with_localstripe().await;
    let (booking, intent) = confirmed_by_household(&ls, &p).await;
    let body = event(
        "evt_capturable",
        "payment_intent.amount_capturable_updated",
        json!({"id": intent, "object": "payment_intent"}),
    );
    let (code, v) = deliver(&p, &body, signed(WEBHOOK_SECRET, &body)).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(status(&p, booking).await, "AUTHORISED");
    let events_to_bookings = p.outbox_count(booking).await;

    for _ in 0..1000 {
        let (code, v) = deliver(&p, &body, signed(WEBHOOK_SECRET, &body)).await;
        assert_eq!(code, 200);
        assert_eq!(v["outcome"], "duplicate");
    }
    assert_eq!(events_stored(&p).await, 1);
    assert_eq!(status(&p, booking).await, "AUTHORISED");
    assert_eq!(p.outbox_count(booking).await, events_to_bookings, "one effect");
}

#[tokio::test]
async fn the_current_state_wins_over_the_order_events_arrive_in() {
    let (ls, p) = with_localstripe().await;
    let (booking, intent) = confirmed_by_household(&ls, &p).await;
    // A stale "failed" event arrives after the household's card succeeded.
    let body = event(
        "evt_old_failure",
        "payment_intent.payment_failed",
        json!({"id": intent, "status": "requires_payment_method"}),
    );
    let (code, _) = deliver(&p, &body, signed(WEBHOOK_SECRET, &body)).await;
    assert_eq!(code, 200);
    assert_eq!(
        status(&p, booking).await,
        "AUTHORISED",
        "re-read from Stripe: the intent is authorised"
    );
}

#[tokio::test]
async fn forged_stale_and_unsigned_events_are_refused_and_stored_nowhere() {
    let (_ls, p) = with_localstripe().await;
    let body = event("evt_x", "payment_intent.succeeded", json!({"id": "pi_nothing"}));
    let now = chrono::Utc::now().timestamp();
    let cases = [
        signed("whsec_forged", &body),
        Some(signature::sign(WEBHOOK_SECRET, now - 301, &body)),
        Some(signature::sign(WEBHOOK_SECRET, now, &body).replace("v1=", "v0=")),
        Some("t=abc,v1=zz".to_string()),
        None,
    ];
    for header in cases {
        let (code, v) = deliver(&p, &body, header.clone()).await;
        assert_eq!(code, 400, "{header:?}");
        assert_eq!(v["error"]["code"], "INVALID_SIGNATURE");
    }
    let tampered = event("evt_x", "payment_intent.succeeded", json!({"id": "pi_other"}));
    let (code, _) = deliver(&p, &tampered, signed(WEBHOOK_SECRET, &body)).await;
    assert_eq!(code, 400);
    assert_eq!(events_stored(&p).await, 0);

    // The previous secret still verifies during a rotation; unknown types are acknowledged.
    let unknown = event("evt_unknown", "customer.created", json!({"id": "cus_1"}));
    let (code, v) = deliver(&p, &unknown, signed("whsec_old_secret", &unknown)).await;
    assert_eq!(code, 200);
    assert_eq!(v["outcome"], "ignored");
}

#[tokio::test]
async fn onboarding_then_account_updated_enables_payouts_and_pays_what_waits() {
    let (ls, p) = with_localstripe().await;
    let provider = Uuid::new_v4();
    let link: Value = p
        .post(
            &format!("/internal/providers/{provider}/onboarding"),
            json!({"refresh_url": "https://roundabout.example/payouts", "return_url": "https://roundabout.example/payouts/done"}),
        )
        .await
        .unwrap();
    assert!(link["url"].as_str().unwrap().starts_with("https://"));
    let account: String = sqlx::query_scalar("select account_id from connected_accounts where provider_id = $1")
        .bind(provider)
        .fetch_one(&p.pool)
        .await
        .unwrap();

    // A completed booking of the provider, paid by invoice before onboarding finished.
    let booking = Uuid::new_v4();
    let mut req = hire(booking, None);
    req["provider_id"] = json!(provider);
    p.post("/internal/payments", req).await.unwrap();
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    let payout: Value = p
        .post(&format!("/internal/payments/{booking}/payout"), json!({}))
        .await
        .unwrap();
    assert_eq!(payout["status"], "DUE", "waits as a payable");
    assert_eq!(payout["amount_pence"], 9_500);

    ls.enable_account(&account).await;
    let body = event(
        "evt_acct",
        "account.updated",
        json!({"id": account, "object": "account"}),
    );
    let (code, _) = deliver(&p, &body, signed(WEBHOOK_SECRET, &body)).await;
    assert_eq!(code, 200);
    let enabled: Vec<Value> = p
        .post("/internal/providers/payouts/batch", json!({"ids": [provider]}))
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(enabled[0]["payouts_enabled"], true);
    let transfers = ls.get(&format!("transfers?destination={account}")).await;
    assert_eq!(transfers["data"][0]["amount"], 9_500);
    assert_eq!(p.balances(booking).await[&format!("payable:provider:{provider}")], 0);
    p.ledger_is_balanced().await;

    // Another provider's member cannot onboard this provider.
    let mut stranger = roundabout_support::internal_auth::Caller::user(Uuid::new_v4(), "x@example.org");
    stranger.provider_id = Some(Uuid::new_v4());
    let err = p
        .client
        .post::<_, Value>(
            &format!("/internal/providers/{provider}/onboarding"),
            &json!({"refresh_url": "https://a.example", "return_url": "https://b.example"}),
            &stranger,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
}
