//! Inventory with a real eligibility service beside it (for council
//! boundaries), each on port 0 with its own fresh database.

use roundabout_support::{
    client::ServiceClient,
    internal_auth::Caller,
    testing::{self, Running},
};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub struct Inv {
    pub svc: Running,
    pub client: ServiceClient,
    pub pool: PgPool,
    pub db_url: String,
    pub eligibility: Running,
}

/// A square around Witney.
pub fn witney() -> Value {
    json!({"type": "Polygon", "coordinates": [[[-1.60, 51.70], [-1.30, 51.70], [-1.30, 51.90], [-1.60, 51.90], [-1.60, 51.70]]]})
}

impl Inv {
    pub async fn start() -> Self {
        let (_, elig_url) = testing::fresh_database(&roundabout_eligibility::MIGRATOR).await;
        let eligibility = Running::spawn(
            roundabout_eligibility::build(roundabout_eligibility::Config::new(testing::host_config(
                "eligibility",
                &elig_url,
            )))
            .await
            .unwrap(),
        );
        let (pool, db_url) = testing::fresh_database(&roundabout_inventory::MIGRATOR).await;
        let svc = Running::spawn(
            roundabout_inventory::build(roundabout_inventory::Config::new(
                testing::host_config("inventory", &db_url),
                eligibility.url.clone(),
            ))
            .await
            .unwrap(),
        );
        let client = svc.client("inventory");
        Self {
            svc,
            client,
            pool,
            db_url,
            eligibility,
        }
    }

    /// Another replica on the same database.
    pub async fn replica(&self) -> Running {
        self.replica_polling(std::time::Duration::from_millis(200)).await
    }

    /// Another replica on the same database, reading the change feed
    /// unprompted every `every`.
    pub async fn replica_polling(&self, every: std::time::Duration) -> Running {
        let mut config = roundabout_inventory::Config::new(
            testing::host_config("inventory", &self.db_url),
            self.eligibility.url.clone(),
        );
        config.index_poll = every;
        Running::spawn(roundabout_inventory::build(config).await.unwrap())
    }

    /// Creates a council in eligibility; returns its id.
    pub async fn council(&self, code: &str, boundary: Value) -> Uuid {
        let id = Uuid::new_v4();
        let _: Value = self
            .eligibility
            .client("eligibility")
            .post(
                "/internal/councils",
                &json!({"id": id, "name": format!("Council {code}"), "code": code, "boundary": boundary}),
                &testing::admin_caller(),
            )
            .await
            .unwrap();
        id
    }

    /// Creates a provider organisation; returns a caller acting for it.
    pub async fn provider(&self, name: &str) -> Caller {
        let id = Uuid::new_v4();
        let _: Value = self
            .client
            .put(
                &format!("/internal/providers/{id}"),
                &json!({"name": name}),
                &Caller::service("gateway"),
            )
            .await
            .unwrap();
        Caller {
            provider_id: Some(id),
            ..Caller::user(Uuid::new_v4(), format!("member of {name}"))
        }
    }

    /// Applies to the council and has an officer approve.
    pub async fn approved(&self, provider: &Caller, council: Uuid) {
        let p = provider.provider_id.unwrap();
        let _: Value = self
            .client
            .post(
                &format!("/internal/providers/{p}/councils/{council}"),
                &json!({}),
                provider,
            )
            .await
            .unwrap();
        let _: Value = self
            .client
            .post(
                &format!("/internal/councils/{council}/providers/{p}/approve"),
                &json!({}),
                &officer(council),
            )
            .await
            .unwrap();
    }

    pub async fn add(&self, provider: &Caller, v: Value) -> Value {
        self.client.post("/internal/vehicles", &v, provider).await.unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

pub fn officer(council: Uuid) -> Caller {
    Caller {
        officer_of: vec![council],
        ..Caller::user(Uuid::new_v4(), "officer@council.test")
    }
}

/// A good vehicle at (lat, lon).
pub fn vehicle(lat: f64, lon: f64) -> Value {
    json!({
        "kind": "CAR", "make": "Renault", "model": "Zoe", "registration": null, "seats": 5,
        "propulsion": "ELECTRIC", "range_km": 300, "co2_grams_per_km": 0, "wheelchair_accessible": false,
        "location": {"lat": lat, "lon": lon},
        "pricing": {"per_hour_pence": 650, "per_day_pence": 4500, "deposit_pence": 10000}
    })
}
