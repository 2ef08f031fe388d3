//! The payments service host: probes and caller authentication.

use roundabout_payments::{build, Config, MIGRATOR};
use roundabout_support::testing::{self, Running};
use serde_json::Value;

#[tokio::test]
async fn probes_answer_and_report_readiness() {
    let (_pool, url) = testing::fresh_database(&MIGRATOR).await;
    let svc = Running::spawn(
        build(Config {
            host: testing::host_config("payments", &url),
            stripe: None,
            settings: roundabout_payments::Settings::default(),
            bookings_url: None,
            job_interval: std::time::Duration::from_secs(3600),
            retention: Default::default(),
        })
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
