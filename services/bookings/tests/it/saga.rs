//! The booking saga against stand-in services: a refused budget hold
//! compensates to FAILED with BUDGET_EXHAUSTED and charges nothing; a card
//! waiting for the household is woken by a payment event; an unpaid
//! booking expires and frees its slot.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};
use std::time::Duration;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use chrono::Utc;
use roundabout_api::{
    inventory::VehicleData,
    payments::PaymentData,
    states::{BookingKind, PaymentMethodKind, PaymentState, Propulsion, VehicleKind, VehicleStatus},
    Pence,
};
use roundabout_bookings::{build, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::{Caller, HouseholdMembership},
    testing::{self, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

/// What the stand-ins were asked, and how they answer.
#[derive(Default)]
struct Fakes {
    calls: Mutex<Vec<String>>,
    refuse_hold: AtomicBool,
    card_needs_action: AtomicBool,
    vehicle: Mutex<Value>,
}

type S = Arc<Fakes>;

fn log(s: &S, what: &str) {
    s.calls.lock().unwrap().push(what.to_string());
}

/// A whole payment as the payments service answers, in `status`.
fn payment(booking_id: Uuid, status: PaymentState) -> PaymentData {
    PaymentData {
        booking_id,
        household_id: Uuid::new_v4(),
        provider_id: Uuid::new_v4(),
        council_id: Uuid::new_v4(),
        kind: BookingKind::Hire,
        method: PaymentMethodKind::Card,
        status,
        currency: "GBP".into(),
        base_pence: Pence(2600),
        subsidy_pence: Pence(1040),
        amount_pence: Pence(1560),
        platform_fee_pence: Pence(0),
        refunded_pence: Pence(0),
        client_secret: None,
        failure_code: None,
        failure_message: None,
        stripe_intent_id: None,
        destination_account: None,
        instalments: Vec::new(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn stand_ins(s: S) -> (String, String, String) {
    let inventory = Router::new()
        .route(
            "/internal/vehicles/{id}",
            get(|State(s): State<S>, Path(_id): Path<Uuid>| async move { Json(s.vehicle.lock().unwrap().clone()) }),
        )
        .route(
            "/internal/vehicles/search",
            post(|State(s): State<S>| async move {
                Json(json!({"results": [{"vehicle": s.vehicle.lock().unwrap().clone(), "distance_km": 0.0}]}))
            }),
        )
        .with_state(s.clone());
    let scheme = Uuid::new_v4();
    let eligibility = Router::new()
        .route(
            "/internal/subsidy/quote",
            post(move || async move {
                Json(
                    json!({"quotes": [{"base_pence": 2600, "subsidy": {"scheme_id": scheme, "scheme_version": 1,
                    "scheme_name": "S", "amount_pence": 1040, "per_month_pence": null}}]}),
                )
            }),
        )
        .route(
            "/internal/budget/{op}",
            post(|State(s): State<S>, Path(op): Path<String>| async move {
                log(&s, &format!("budget/{op}"));
                if op == "hold" && s.refuse_hold.load(Ordering::SeqCst) {
                    return (
                        StatusCode::CONFLICT,
                        Json(json!({"error": {"code": "BUDGET_EXHAUSTED", "message": "The budget is spent"}})),
                    );
                }
                (StatusCode::OK, Json(json!({})))
            }),
        )
        .with_state(s.clone());
    let payments = Router::new()
        .route(
            "/internal/payments",
            post(|State(s): State<S>| async move {
                log(&s, "charge");
                let status = if s.card_needs_action.load(Ordering::SeqCst) {
                    PaymentState::RequiresAction
                } else {
                    PaymentState::Authorised
                };
                Json(payment(Uuid::new_v4(), status))
            }),
        )
        .route(
            "/internal/payments/{id}/{op}",
            post(|State(s): State<S>, Path((id, op)): Path<(Uuid, String)>| async move {
                log(&s, &op);
                let status = if op == "capture" {
                    PaymentState::Captured
                } else {
                    PaymentState::Cancelled
                };
                Json(payment(id, status))
            }),
        )
        .with_state(s.clone());
    (serve(inventory).await, serve(eligibility).await, serve(payments).await)
}

struct Setup {
    svc: Running,
    pool: sqlx::PgPool,
    fakes: S,
    household: Caller,
    household_id: Uuid,
    vehicle: Uuid,
}

async fn setup(payment_timeout: Duration) -> Setup {
    let fakes: S = Arc::new(Fakes::default());
    let vehicle = Uuid::new_v4();
    *fakes.vehicle.lock().unwrap() = serde_json::to_value(VehicleData {
        id: vehicle,
        provider_id: Uuid::new_v4(),
        list_seq: 1,
        kind: VehicleKind::Car,
        make: "Vauxhall".into(),
        model: "Corsa".into(),
        registration: None,
        seats: 5,
        propulsion: Propulsion::Petrol,
        range_km: None,
        co2_grams_per_km: None,
        wheelchair_accessible: false,
        lat: 51.78,
        lon: -1.48,
        status: VehicleStatus::Available,
        currency: "GBP".into(),
        per_hour_pence: Some(Pence(650)),
        per_day_pence: Some(Pence(4500)),
        per_month_lease_pence: None,
        deposit_pence: Pence(0),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    })
    .unwrap();
    let (inv, elig, pay) = stand_ins(fakes.clone()).await;
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let mut config = Config::new(testing::host_config("bookings", &url), inv, elig, pay);
    config.payment_timeout = payment_timeout;
    config.job_interval = Duration::from_millis(100);
    let svc = Running::spawn(build(config).await.unwrap());
    let household_id = Uuid::new_v4();
    let mut household = Caller::user(Uuid::new_v4(), "resident");
    household.household = Some(HouseholdMembership {
        household_id,
        council_id: Uuid::new_v4(),
    });
    Setup {
        svc,
        pool,
        fakes,
        household,
        household_id,
        vehicle,
    }
}

impl Setup {
    async fn book(&self, key: &str) -> Value {
        let start = Utc::now() + chrono::Duration::days(2);
        let body = json!({"household_id": self.household_id, "vehicle_id": self.vehicle, "kind": "HIRE",
            "start": start, "end": start + chrono::Duration::hours(4), "idempotency_key": key});
        self.svc
            .client("bookings")
            .send(
                reqwest::Method::POST,
                "/internal/bookings",
                Some(&body),
                &self.household,
                None,
            )
            .await
            .unwrap()
    }

    async fn state(&self, id: &str) -> (String, String, bool) {
        sqlx::query_as("select status, step, slot_held from bookings where id = $1::uuid")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn until(&self, id: &str, status: &str) {
        for _ in 0..100 {
            let (s, step, _) = self.state(id).await;
            if s == status && step == "DONE" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("booking never reached {status}: {:?}", self.state(id).await);
    }

    fn calls(&self) -> Vec<String> {
        self.fakes.calls.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn a_refused_budget_hold_fails_the_booking_without_charging() {
    let s = setup(Duration::from_secs(900)).await;
    s.fakes.refuse_hold.store(true, Ordering::SeqCst);
    let b = s.book("k").await;
    assert_eq!(b["status"], "FAILED");
    assert_eq!(b["failure_code"], "BUDGET_EXHAUSTED");
    assert_eq!(b["slot_held"], false);
    let calls = s.calls();
    assert!(!calls.contains(&"charge".to_string()), "{calls:?}");
    assert!(calls.contains(&"budget/release".to_string()), "{calls:?}");
    // The slot is free again.
    s.fakes.refuse_hold.store(false, Ordering::SeqCst);
    let b = s.book("k2").await;
    assert_eq!(b["status"], "CONFIRMED", "{b}");
}

#[tokio::test]
async fn a_payment_event_wakes_a_booking_waiting_for_the_card() {
    let s = setup(Duration::from_secs(900)).await;
    s.fakes.card_needs_action.store(true, Ordering::SeqCst);
    let b = s.book("k").await;
    assert_eq!(b["status"], "PENDING_PAYMENT");
    assert_eq!(b["payment_status"], "REQUIRES_ACTION");
    let id = b["id"].as_str().unwrap().to_string();
    // The household completes the card; payments says so.
    s.fakes.card_needs_action.store(false, Ordering::SeqCst);
    let event = json!({"booking_id": id, "status": "AUTHORISED", "failure_code": null});
    let _: Value = s
        .svc
        .client("bookings")
        .send(
            reqwest::Method::POST,
            "/internal/payment-events",
            Some(&event),
            &Caller::service("payments"),
            Some("payment:x:AUTHORISED"),
        )
        .await
        .unwrap();
    // Woken at once, not after the 5 s wait.
    let started = std::time::Instant::now();
    s.until(&id, "CONFIRMED").await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(s.calls().contains(&"capture".to_string()));
}

#[tokio::test]
async fn an_unpaid_booking_expires_and_frees_its_slot() {
    let s = setup(Duration::from_secs(1)).await;
    s.fakes.card_needs_action.store(true, Ordering::SeqCst);
    let b = s.book("k").await;
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(b["status"], "PENDING_PAYMENT");
    // Nudge it: the resumer looks again when the next attempt is due.
    sqlx::query("update bookings set next_attempt_at = now() + interval '1.5 seconds' where id = $1::uuid")
        .bind(&id)
        .execute(&s.pool)
        .await
        .unwrap();
    s.until(&id, "EXPIRED").await;
    let (_, _, held) = s.state(&id).await;
    assert!(!held);
    let calls = s.calls();
    assert!(calls.contains(&"release".to_string()), "{calls:?}");
    assert!(calls.contains(&"budget/release".to_string()), "{calls:?}");
    assert!(!calls.contains(&"capture".to_string()), "{calls:?}");
}
