//! Invoice payments, refunds and the ledger, without a card processor.

use crate::support::service::{hire, start};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_invoiced_hire_is_captured_refunded_and_the_ledger_balances() {
    let p = start(None).await;
    let booking = Uuid::new_v4();
    let req = hire(booking, None);
    let paid = p.post("/internal/payments", req.clone()).await.unwrap();
    assert_eq!(paid["method"], "INVOICE");
    assert_eq!(paid["status"], "AUTHORISED");
    assert_eq!(paid["amount_pence"], 6_000);
    assert_eq!(paid["platform_fee_pence"], 500);

    let captured = p
        .post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    assert_eq!(captured["status"], "CAPTURED");
    // Capturing twice changes nothing.
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    let b = p.balances(booking).await;
    let household = req["household_id"].as_str().unwrap();
    let council = req["council_id"].as_str().unwrap();
    let provider = req["provider_id"].as_str().unwrap();
    assert_eq!(b[&format!("receivable:household:{household}")], 6_000);
    assert_eq!(b[&format!("receivable:council:{council}")], 4_000);
    assert_eq!(b[&format!("payable:provider:{provider}")], -9_500);
    assert_eq!(b["revenue:platform_fee"], -500);

    // Too much is refused and changes nothing.
    let err = p
        .post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": 6_001}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("REFUND_EXCEEDS_CAPTURED"));
    assert_eq!(p.balances(booking).await, b);

    let refunded = p
        .post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": 3_000}),
        )
        .await
        .unwrap();
    assert_eq!(refunded["status"], "PARTIALLY_REFUNDED");
    assert_eq!(refunded["refunded_pence"], 3_000);
    // A second cancellation refund of the booking is the same one.
    let again = p
        .post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": 3_000}),
        )
        .await
        .unwrap();
    assert_eq!(again["refunded_pence"], 3_000);

    let b = p.balances(booking).await;
    assert_eq!(
        b[&format!("receivable:household:{household}")],
        3_000,
        "the household owes what was not refunded"
    );
    assert_eq!(
        b[&format!("receivable:council:{council}")],
        0,
        "the subsidy is released in full"
    );
    assert_eq!(b.values().sum::<i64>(), 0);
    p.ledger_is_balanced().await;
}

#[tokio::test]
async fn the_database_refuses_an_unbalanced_or_edited_ledger() {
    let p = start(None).await;
    let mut tx = p.pool.begin().await.unwrap();
    let t = roundabout_payments::domain::ledger::Transaction {
        kind: "charge",
        entries: vec![roundabout_payments::domain::ledger::Entry {
            account: "cash:stripe".into(),
            amount: roundabout_api::Pence(100),
        }],
    };
    roundabout_payments::db::ledger::record(&mut tx, None, "bad", &t)
        .await
        .unwrap();
    assert!(tx.commit().await.is_err(), "an unbalanced transaction must not commit");

    let booking = Uuid::new_v4();
    p.post("/internal/payments", hire(booking, None)).await.unwrap();
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    let edit = sqlx::query("update ledger_entries set amount_pence = amount_pence + 1")
        .execute(&p.pool)
        .await;
    assert!(edit.is_err(), "the ledger is append-only");
}

#[tokio::test]
async fn a_charge_is_idempotent_by_booking_and_checks_its_input() {
    let p = start(None).await;
    let booking = Uuid::new_v4();
    let req = hire(booking, None);
    let first = p.post("/internal/payments", req.clone()).await.unwrap();
    let second = p.post("/internal/payments", req.clone()).await.unwrap();
    assert_eq!(first["created_at"], second["created_at"]);
    let mut other = req.clone();
    other["base_pence"] = json!(12_000);
    let err = p.post("/internal/payments", other).await.unwrap_err();
    assert_eq!(err.code(), Some("IDEMPOTENCY_CONFLICT"));

    for (field, value) in [
        ("subsidy_pence", json!(20_000)),
        ("base_pence", json!(-1)),
        ("kind", json!("BIKE")),
    ] {
        let mut bad = hire(Uuid::new_v4(), None);
        bad[field] = value;
        assert_eq!(
            p.post("/internal/payments", bad).await.unwrap_err().code(),
            Some("INVALID_INPUT"),
            "{field}"
        );
    }
    // A card without a processor is refused, not silently invoiced.
    let err = p
        .post("/internal/payments", hire(Uuid::new_v4(), Some("pm_card_visa")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("CARD_PAYMENTS_DISABLED"));
    let count: i64 = sqlx::query_scalar("select count(*) from payments")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);

    // Only services move money.
    let household = roundabout_support::internal_auth::Caller::user(Uuid::new_v4(), "h@example.org");
    let err = p
        .client
        .post::<_, serde_json::Value>("/internal/payments", &hire(Uuid::new_v4(), None), &household)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn a_fully_subsidised_booking_needs_no_payment() {
    let p = start(None).await;
    let booking = Uuid::new_v4();
    let mut req = hire(booking, None);
    req["subsidy_pence"] = json!(10_000);
    let paid = p.post("/internal/payments", req).await.unwrap();
    assert_eq!(paid["status"], "NOT_REQUIRED");
    assert_eq!(paid["amount_pence"], 0);
    let captured = p
        .post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    assert_eq!(captured["status"], "NOT_REQUIRED");
    assert!(!p.balances(booking).await.is_empty());
    p.ledger_is_balanced().await;
}

#[tokio::test]
async fn an_invoiced_lease_bills_each_month_exactly_once() {
    let p = start(None).await;
    let booking = Uuid::new_v4();
    let mut req = hire(booking, None);
    req["kind"] = json!("LEASE");
    req["base_pence"] = json!(30_000);
    req["subsidy_pence"] = json!(12_000);
    req["lease"] = json!({"months": 3, "start": "2026-01-01T00:00:00Z", "monthly_base_pence": 30_000, "monthly_subsidy_pence": 12_000});
    let paid = p.post("/internal/payments", req).await.unwrap();
    assert_eq!(paid["instalments"].as_array().unwrap().len(), 2);
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();

    // Both months are overdue; two runners race over them.
    let (a, b) = tokio::join!(
        roundabout_payments::ops::jobs::bill_leases_once(&p.state),
        roundabout_payments::ops::jobs::bill_leases_once(&p.state)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(
        roundabout_payments::ops::jobs::bill_leases_once(&p.state)
            .await
            .unwrap(),
        0
    );
    let charges: i64 =
        sqlx::query_scalar("select count(*) from ledger_transactions where booking_id = $1 and kind = 'charge'")
            .bind(booking)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(charges, 3, "the first month and two more, once each");
    let view = p
        .client
        .get::<serde_json::Value>(
            &format!("/internal/payments/{booking}"),
            &crate::support::service::bookings(),
        )
        .await
        .unwrap();
    assert!(view["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "PAID"));
    p.ledger_is_balanced().await;
}
