//! Retention of abandoned bookings: only bookings that never moved money
//! are deleted, after their council's period (read from a stand-in
//! eligibility), in batches, leaving reports unchanged; when eligibility
//! cannot be reached nothing is deleted before the defaults allow.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use roundabout_bookings::{build, retention, Config, MIGRATOR};
use roundabout_support::{
    client::ServiceClient,
    metrics::Metrics,
    retention::Settings,
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// A stand-in eligibility answering councils' own periods, or 503 when down.
#[derive(Default)]
struct Eligibility {
    down: AtomicBool,
    overrides: Mutex<Value>,
}

async fn stand_in(e: Arc<Eligibility>) -> ServiceClient {
    let router = Router::new()
        .route(
            "/internal/retention/overrides",
            get(|State(e): State<Arc<Eligibility>>| async move {
                if e.down.load(Ordering::SeqCst) {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Json(json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "down"}})),
                    );
                }
                (StatusCode::OK, Json(e.overrides.lock().unwrap().clone()))
            }),
        )
        .with_state(e);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    ServiceClient::new(
        "eligibility",
        url,
        testing::signing_as("bookings"),
        reqwest::Client::new(),
    )
}

/// A booking of `council` in `status` whose saga is at `step`, paid as
/// `payment` (null: no payment made), last changed `days_ago` days ago.
async fn booking(pool: &PgPool, council: Uuid, status: &str, step: &str, payment: Option<&str>, days_ago: i32) -> Uuid {
    let id = Uuid::new_v4();
    let holds = matches!(status, "CONFIRMED" | "ACTIVE" | "COMPLETED");
    sqlx::query(
        "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, period, status,
            slot_held, step, base_pence, subsidy_pence, first_base_pence, first_subsidy_pence, payment_status,
            idempotency_key, request_digest, cancelled_at, refund_pence, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 'HIRE',
            tstzrange(now() - make_interval(days => $8), now() - make_interval(days => $8) + interval '2 hours'),
            $6, $9, $7, 2600, 1040, 2600, 1040, $10, $1::text, 'digest',
            case when $6 = 'CANCELLED' then now() - make_interval(days => $8) end,
            case when $6 = 'CANCELLED' then 1560 end,
            now() - make_interval(days => $8 + 1), now() - make_interval(days => $8))",
    )
    .bind(id)
    .bind(Uuid::new_v4())
    .bind(council)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .bind(status)
    .bind(step)
    .bind(days_ago)
    .bind(holds)
    .bind(payment)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn event(pool: &PgPool, booking: Uuid, consumed: bool) {
    sqlx::query(
        "insert into payment_events (idempotency_key, booking_id, status, consumed_at)
         values ($1, $2, 'CANCELLED', case when $3 then now() - interval '50 days' end)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(booking)
    .bind(consumed)
    .execute(pool)
    .await
    .unwrap();
}

async fn exists(pool: &PgPool, id: Uuid) -> bool {
    sqlx::query_scalar("select exists (select 1 from bookings where id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The abandoned bookings deleted by one pass.
async fn pass(runner: &roundabout_support::retention::Runner) -> u64 {
    let done = runner.pass().await.unwrap().expect("no other replica holds the pass");
    done.iter()
        .find(|(k, _)| *k == roundabout_api::states::RetentionKind::AbandonedBookings)
        .map(|(_, n)| *n)
        .unwrap()
}

async fn spawn(pool_url: &str) -> Running {
    let unused = "http://127.0.0.1:9".to_string();
    let mut config = Config::new(
        testing::host_config("bookings", pool_url),
        unused.clone(),
        unused.clone(),
        unused,
    );
    // The tests run the purges themselves.
    config.retention = Settings::default().paused();
    Running::spawn(build(config).await.unwrap())
}

#[tokio::test]
async fn only_bookings_that_never_moved_money_go_after_their_councils_period_and_reports_stay() {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let svc = spawn(&url).await;
    let client = svc.client("bookings");
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    // Council A keeps abandoned bookings 30 days; B the default 90.
    let stand_in_state = Arc::new(Eligibility::default());
    *stand_in_state.overrides.lock().unwrap() = json!([{"council_id": a, "kind": "ABANDONED_BOOKINGS", "days": 30}]);
    let eligibility = stand_in(stand_in_state).await;

    let a_failed = booking(&pool, a, "FAILED", "DONE", Some("CANCELLED"), 40).await;
    let a_expired = booking(&pool, a, "EXPIRED", "DONE", None, 40).await;
    event(&pool, a_expired, true).await;
    let a_recent = booking(&pool, a, "FAILED", "DONE", Some("FAILED"), 10).await;
    let a_refunded = booking(&pool, a, "FAILED", "DONE", Some("REFUNDED"), 400).await;
    let a_compensating = booking(&pool, a, "FAILED", "RELEASE_BUDGET", Some("CANCELLED"), 40).await;
    let a_stood = booking(&pool, a, "COMPLETED", "DONE", Some("CAPTURED"), 400).await;
    let a_cancelled = booking(&pool, a, "CANCELLED", "DONE", Some("PARTIALLY_REFUNDED"), 400).await;
    let b_middle = booking(&pool, b, "FAILED", "DONE", Some("CANCELLED"), 40).await;
    // More than one batch of 500.
    for _ in 0..600 {
        booking(&pool, b, "EXPIRED", "DONE", Some("CANCELLED"), 100).await;
    }
    booking(&pool, b, "CONFIRMED", "DONE", Some("CAPTURED"), 100).await;

    let report = |council: Uuid| {
        let client = client.clone();
        async move {
            let to = chrono::Utc::now();
            let from = to - chrono::Duration::days(3 * 365);
            let path = format!(
                "/internal/councils/{council}/report?from={}&to={}",
                roundabout_api::url::encode(&from.to_rfc3339()),
                roundabout_api::url::encode(&to.to_rfc3339())
            );
            client.get::<Value>(&path, &admin_caller()).await.unwrap()
        }
    };
    let (report_a, report_b) = (report(a).await, report(b).await);
    // Totals are flattened into the report.
    assert_eq!(report_a["bookings"], 1, "{report_a}");
    assert_eq!(report_b["bookings"], 1, "{report_b}");

    let metrics = Metrics::new("bookings");
    let runner = retention::runner(pool.clone(), Settings::default(), eligibility, &metrics);
    let deleted = pass(&runner).await;
    for gone in [a_failed, a_expired] {
        assert!(!exists(&pool, gone).await);
    }
    for (what, kept) in [
        ("recent", a_recent),
        ("refunded", a_refunded),
        ("compensating", a_compensating),
        ("completed", a_stood),
        ("cancelled", a_cancelled),
        ("within B's period", b_middle),
    ] {
        assert!(exists(&pool, kept).await, "the {what} booking was deleted");
    }
    let left_in_b: i64 = sqlx::query_scalar("select count(*) from bookings where council_id = $1")
        .bind(b)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left_in_b, 2);
    assert_eq!(deleted, 2 + 600);
    // The deleted booking's payment event went with it.
    assert_eq!(count(&pool, "select count(*) from payment_events").await, 0);
    assert_eq!(report(a).await, report_a);
    assert_eq!(report(b).await, report_b);
    assert_eq!(pass(&runner).await, 0);
    assert!(metrics
        .render()
        .lines()
        .any(|l| l.starts_with("retention_deleted_total{") && l.contains("ABANDONED_BOOKINGS") && l.ends_with(" 602")));
}

#[tokio::test]
async fn without_eligibility_nothing_is_deleted_before_the_defaults_or_a_councils_longer_period_allow() {
    let (pool, _url) = testing::fresh_database(&MIGRATOR).await;
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let state = Arc::new(Eligibility::default());
    state.down.store(true, Ordering::SeqCst);
    let runner = retention::runner(
        pool.clone(),
        Settings::default(),
        stand_in(state.clone()).await,
        &Metrics::new("bookings"),
    );
    // Never read: which councils keep bookings longer is unknown, so none go.
    let b_old = booking(&pool, b, "FAILED", "DONE", Some("CANCELLED"), 100).await;
    // A payment event not yet acted on might say money moved: kept.
    let b_unread_event = booking(&pool, b, "EXPIRED", "DONE", Some("CANCELLED"), 100).await;
    event(&pool, b_unread_event, false).await;
    assert_eq!(pass(&runner).await, 0);
    assert!(exists(&pool, b_old).await);

    // Read once: A keeps them 200 days, C 30.
    *state.overrides.lock().unwrap() = json!([
        {"council_id": a, "kind": "ABANDONED_BOOKINGS", "days": 200},
        {"council_id": c, "kind": "ABANDONED_BOOKINGS", "days": 30},
    ]);
    state.down.store(false, Ordering::SeqCst);
    let a_old = booking(&pool, a, "FAILED", "DONE", Some("CANCELLED"), 150).await;
    assert_eq!(pass(&runner).await, 1);
    assert!(!exists(&pool, b_old).await);
    assert!(exists(&pool, a_old).await);
    assert!(exists(&pool, b_unread_event).await);
    assert_eq!(count(&pool, "select count(*) from payment_events").await, 1);

    // Down again: the last periods read, none below the default of 90 days.
    state.down.store(true, Ordering::SeqCst);
    let b_due = booking(&pool, b, "EXPIRED", "DONE", None, 95).await;
    let c_short = booking(&pool, c, "EXPIRED", "DONE", None, 40).await;
    let c_due = booking(&pool, c, "EXPIRED", "DONE", None, 95).await;
    assert_eq!(pass(&runner).await, 2);
    assert!(!exists(&pool, b_due).await);
    assert!(!exists(&pool, c_due).await);
    assert!(exists(&pool, c_short).await, "C's 30 days wait for eligibility");
    assert!(exists(&pool, a_old).await, "A's 200 days are kept");
}
