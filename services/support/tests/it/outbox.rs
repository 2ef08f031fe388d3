//! The outbox relay against real PostgreSQL and a real HTTP receiver.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Json, Router};
use roundabout_support::{
    client::ServiceClient,
    internal_auth::{Caller, InternalAuth, CALLER_HEADER},
    metrics::Metrics,
    outbox::{enqueue, Message, Relay},
    testing,
};
use serde_json::{json, Value};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/bookings");

type Seen = Arc<Mutex<Vec<String>>>;

/// Accepts everything from the bookings service (its own key, checked as
/// payments checks it) except: `flaky` fails the first time, `refused`
/// always 422.
async fn receiver(
    State((seen, auth)): State<(Seen, InternalAuth)>,
    headers: HeaderMap,
    Json(_body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let token = headers.get(CALLER_HEADER).unwrap().to_str().unwrap();
    if auth.verify(token).ok() != Some(Caller::service("bookings")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "UNAUTHENTICATED", "message": "no"}})),
        );
    }
    let key = headers.get("idempotency-key").unwrap().to_str().unwrap().to_string();
    let mut seen = seen.lock().unwrap();
    let earlier = seen.iter().filter(|k| **k == key).count();
    seen.push(key.clone());
    match key.as_str() {
        "flaky" if earlier == 0 => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({}))),
        "refused" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {"code": "INVALID_STATE", "message": "no"}})),
        ),
        _ => (StatusCode::OK, Json(json!({"ok": true}))),
    }
}

#[tokio::test]
async fn relay_delivers_retries_with_the_same_key_and_parks_refusals() {
    let (pool, _) = testing::fresh_database(&MIGRATOR).await;
    let seen: Seen = Arc::default();
    let payments = InternalAuth::new(&testing::test_internal_keys("payments"), "payments").unwrap();
    let app = Router::new()
        .route("/hook", post(receiver))
        .with_state((seen.clone(), payments));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut tx = pool.begin().await.unwrap();
    for key in ["ok", "flaky", "refused"] {
        enqueue(&mut tx, &Message::new("payments", "/hook", &json!({"k": key}), key))
            .await
            .unwrap();
    }
    // The same key again is not a second message.
    enqueue(&mut tx, &Message::new("payments", "/hook", &json!({"k": "ok"}), "ok"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let client = ServiceClient::new(
        "payments",
        base,
        testing::signing_as("bookings"),
        reqwest::Client::new(),
    );
    let relay = Relay::new(pool.clone(), "bookings", vec![client], Metrics::new("bookings"));
    assert_eq!(relay.drain_once().await.unwrap(), 3);

    let state = |key: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i32, bool, bool)>(
                "select attempts, delivered_at is not null, dead_at is not null from outbox where idempotency_key = $1",
            )
            .bind(key)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(state("ok").await, (1, true, false));
    assert_eq!(state("flaky").await, (1, false, false));
    assert_eq!(state("refused").await, (1, false, true));

    // The flaky one waits for its backoff, then goes again with the same key.
    assert_eq!(relay.drain_once().await.unwrap(), 0);
    sqlx::query("update outbox set next_attempt_at = now() where idempotency_key = 'flaky'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(relay.drain_once().await.unwrap(), 1);
    assert_eq!(state("flaky").await, (2, true, false));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|k| *k == "flaky").count(), 2);
    assert_eq!(seen.iter().filter(|k| *k == "ok").count(), 1);
    assert_eq!(relay.drain_once().await.unwrap(), 0);
}
