//! The payments service on port 0 with its own database and a chosen processor.

use std::{sync::Arc, time::Duration};

use roundabout_payments::{build_with_processor, processor::PaymentProcessor, AppState, Config, Settings, MIGRATOR};
use roundabout_support::{
    client::ServiceClient,
    internal_auth::Caller,
    testing::{self, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

pub const WEBHOOK_SECRET: &str = "whsec_test_roundabout";

pub struct Payments {
    pub svc: Running,
    pub pool: sqlx::PgPool,
    pub client: ServiceClient,
    pub state: AppState,
}

pub async fn start(processor: Option<Arc<dyn PaymentProcessor>>) -> Payments {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let settings = Settings {
        webhook_secrets: vec!["whsec_old_secret".into(), WEBHOOK_SECRET.into()],
        reconcile_after_secs: 0.0,
        lease_retry_secs: 3600,
        ..Settings::default()
    };
    let config = Config {
        host: testing::host_config("payments", &url),
        stripe: None,
        settings: settings.clone(),
        bookings_url: None,
        // The background jobs stay out of the way; tests run them by hand.
        job_interval: Duration::from_secs(3600),
        // The tests run the purges themselves.
        retention: roundabout_support::retention::Settings::default().paused(),
    };
    let svc = Running::spawn(build_with_processor(config, processor.clone()).await.unwrap());
    let client = svc.client("payments");
    let state = AppState {
        pool: pool.clone(),
        auth: roundabout_support::internal_auth::InternalAuth::new(
            &testing::test_internal_keys("payments"),
            "payments",
        )
        .unwrap(),
        processor,
        settings: Arc::new(settings),
    };
    Payments {
        svc,
        pool,
        client,
        state,
    }
}

pub fn bookings() -> Caller {
    Caller::service("bookings")
}

/// A hire charge request: £100 with £40 subsidy.
pub fn hire(booking: Uuid, pm: Option<&str>) -> Value {
    json!({
        "booking_id": booking,
        "household_id": Uuid::new_v4(),
        "provider_id": Uuid::new_v4(),
        "council_id": Uuid::new_v4(),
        "kind": "HIRE",
        "base_pence": 10_000,
        "subsidy_pence": 4_000,
        "payment_method": pm,
    })
}

impl Payments {
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, roundabout_support::client::ClientError> {
        self.client.post(path, &body, &bookings()).await
    }

    pub async fn ledger_is_balanced(&self) {
        let bad = roundabout_payments::db::ledger::unbalanced(&self.pool).await.unwrap();
        assert!(bad.is_empty(), "unbalanced transactions: {bad:?}");
    }

    pub async fn balances(&self, booking: Uuid) -> std::collections::HashMap<String, i64> {
        roundabout_payments::db::ledger::booking_balances(&self.pool, booking)
            .await
            .unwrap()
            .into_iter()
            .map(|(account, balance)| (account, balance.get()))
            .collect()
    }

    pub async fn outbox_count(&self, booking: Uuid) -> i64 {
        sqlx::query_scalar("select count(*) from outbox where payload->>'booking_id' = $1")
            .bind(booking.to_string())
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}
