//! The bookings service host: probes and caller authentication.

use roundabout_bookings::{build, Config, MIGRATOR};
use roundabout_support::testing::{self, Running};
use serde_json::Value;

#[tokio::test]
async fn probes_answer_and_report_readiness() {
    let (_pool, url) = testing::fresh_database(&MIGRATOR).await;
    let svc = Running::spawn(
        build(Config::new(
            testing::host_config("bookings", &url),
            "http://127.0.0.1:9".into(),
            "http://127.0.0.1:9".into(),
            "http://127.0.0.1:9".into(),
        ))
        .await
        .unwrap(),
    );
    let health = reqwest::get(format!("{}/healthz", svc.url)).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: Value = reqwest::get(format!("{}/readyz", svc.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let missing = reqwest::get(format!("{}/internal/nothing-here", svc.url))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn payment_events_are_stored_once_and_only_from_payments() {
    use roundabout_support::internal_auth::Caller;
    use serde_json::json;

    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let svc = Running::spawn(
        build(Config::new(
            testing::host_config("bookings", &url),
            "http://127.0.0.1:9".into(),
            "http://127.0.0.1:9".into(),
            "http://127.0.0.1:9".into(),
        ))
        .await
        .unwrap(),
    );
    let client = svc.client("bookings");
    let booking = uuid::Uuid::new_v4();
    let body = json!({"booking_id": booking, "status": "AUTHORISED", "failure_code": null});
    let payments = Caller::service("payments");
    for _ in 0..3 {
        let v: Value = client
            .send(
                reqwest::Method::POST,
                "/internal/payment-events",
                Some(&body),
                &payments,
                Some("payment:x:AUTHORISED"),
            )
            .await
            .unwrap();
        assert_eq!(v["received"], true);
    }
    let stored: i64 = sqlx::query_scalar("select count(*) from payment_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let err = client
        .send::<_, Value>(
            reqwest::Method::POST,
            "/internal/payment-events",
            Some(&body),
            &Caller::service("gateway"),
            Some("k2"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
}
