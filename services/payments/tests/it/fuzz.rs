//! Hostile input thrown at payments: the webhook signature parser as a
//! property, then the running service's charge, refund and fee endpoints
//! (each body made invalid on purpose) and its public webhook route
//! (forged, malformed, and signed events the database cannot store),
//! asserting no panic, no 5xx, a typed refusal, nothing written and the
//! service still answering.

use crate::fuzzing::*;
use crate::support::service::{self, WEBHOOK_SECRET};
use proptest::prelude::*;
use roundabout_payments::domain::signature;
use roundabout_support::{internal_auth::Caller, testing::admin_caller};
use serde_json::{json, Value};
use uuid::Uuid;

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4_000), ..ProptestConfig::default() })]

    #[test]
    fn signature_headers_are_verified_or_refused(header in prop_oneof![
        hostile_string(),
        (any::<i64>(), "[0-9a-f]{0,70}").prop_map(|(t, v)| format!("t={t},v1={v}")),
        (any::<i64>(), hostile_string()).prop_map(|(t, junk)| format!("{},{junk}", signature::sign("whsec_a", t, b"{}"))),
    ], now in any::<i64>(), body in any::<Vec<u8>>()) {
        let _ = signature::verify(&header, &body, &["whsec_a".to_string()], now);
    }

    #[test]
    fn a_signed_time_anywhere_is_checked_without_overflow(t in any::<i64>(), now in any::<i64>()) {
        let h = signature::sign("whsec_a", t, b"{}");
        let r = signature::verify(&h, b"{}", &["whsec_a".to_string()], now);
        let fresh = now.checked_sub(t).is_some_and(|d| d.unsigned_abs() <= signature::TOLERANCE_SECS as u64);
        prop_assert_eq!(r.is_ok(), fresh);
    }
}

const TABLES: &[&str] = &[
    "payments",
    "stripe_events",
    "ledger_transactions",
    "ledger_entries",
    "lease_instalments",
    "council_fees",
    "outbox",
];

#[tokio::test]
async fn hostile_bodies_and_webhooks_are_refused_and_change_nothing() {
    let p = service::start(None).await;
    let s = Target {
        url: p.svc.url.clone(),
        audience: "payments",
        client: p.client.clone(),
        pool: p.pool.clone(),
        tables: TABLES,
    };
    let before = s.counts().await;
    let n = bodies();
    let post = reqwest::Method::POST;
    let bookings = service::bookings();
    let charge = service::hire(Uuid::new_v4(), None);
    let mut sent = 0;
    for body in bad_bodies(
        &charge,
        &[
            "booking_id",
            "household_id",
            "council_id",
            "kind",
            "base_pence",
            "subsidy_pence",
            "payment_method?",
            "lease?",
        ],
        n,
    ) {
        s.refused(post.clone(), "/internal/payments", &body, &bookings).await;
        sent += 1;
    }
    // Amounts out of range: negative, past £1m, a subsidy above the price.
    for (base, subsidy) in generate(
        prop_oneof![
            (i64::MIN..0, 0i64..10),
            (100_000_001i64..i64::MAX, 0i64..10),
            (0i64..10_000, 10_001i64..i64::MAX),
            (0i64..10_000, i64::MIN..0),
        ],
        n,
    ) {
        let mut body = charge.clone();
        body["base_pence"] = json!(base);
        body["subsidy_pence"] = json!(subsidy);
        s.refused(post.clone(), "/internal/payments", &body, &bookings).await;
        sent += 1;
    }
    for body in generate(any_body(), n) {
        s.refused(post.clone(), "/internal/payments", &body, &bookings).await;
        s.refused(
            post.clone(),
            &format!("/internal/payments/{}/refund", Uuid::new_v4()),
            &body,
            &bookings,
        )
        .await;
        sent += 2;
    }
    for bp in generate(prop_oneof![i32::MIN..0, 5_001..i32::MAX], n) {
        s.refused(
            reqwest::Method::PUT,
            &format!("/internal/councils/{}/platform-fee", Uuid::new_v4()),
            &json!({"basis_points": bp}),
            &admin_caller(),
        )
        .await;
        sent += 1;
    }
    // A path parameter that is not an id: refused with the envelope.
    for raw in generate("[a-z0-9%.\\-]{1,40}", n / 4) {
        s.answered(
            &format!("/internal/payments/{}", path_segment(&raw)),
            &Caller::service("bookings"),
        )
        .await;
        sent += 1;
    }

    // The public webhook route: forged, malformed and unstorable events.
    let http = reqwest::Client::new();
    let hook = format!("{}/webhooks/stripe", s.url);
    let now = chrono::Utc::now().timestamp();
    let forged = generate((hostile_string(), any::<Vec<u8>>()), n);
    for (header, body) in forged {
        let mut req = http.post(&hook).body(body);
        if let Ok(h) = reqwest::header::HeaderValue::from_str(&header) {
            req = req.header("stripe-signature", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400, "{header:?}");
        sent += 1;
    }
    // Signed with the real secret, but not events, or events with text the
    // database cannot store (the safety net answers 400, not 500).
    let signed_bodies = generate(
        prop_oneof![
            any_body().prop_map(|v| v.to_string()),
            (poisoned_string(), hostile_string()).prop_map(|(id, t)| {
                json!({"id": format!("{id}\0"), "type": t, "data": {"object": {}}}).to_string()
            }),
            hostile_string()
                .prop_map(|t| json!({"id": "evt_1", "type": format!("{t}\0"), "data": {"object": {}}}).to_string()),
        ],
        n,
    );
    for body in signed_bodies {
        let header = signature::sign(WEBHOOK_SECRET, now, body.as_bytes());
        let res = http
            .post(&hook)
            .header("stripe-signature", header)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let e: Value = res.json().await.unwrap();
        assert!(e["error"]["code"].is_string(), "{e}");
        sent += 1;
    }
    s.alive().await;
    assert_eq!(
        s.counts().await,
        before,
        "nothing was written by {sent} refused requests"
    );
    p.ledger_is_balanced().await;
}
