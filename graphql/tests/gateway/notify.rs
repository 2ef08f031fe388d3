//! Sending each message once when the sender dies: between recording a
//! message and sending it, and between the transport accepting it and the
//! answer being recorded. The messages go to the stand-in GOV.UK Notify
//! server (`roundabout_notify::testing`); "dying" is a claim left behind
//! exactly as a killed sender leaves it (the row marked `SENDING` under a
//! lease that runs out), and a fresh notifier takes over.

use std::{sync::Arc, time::Duration};

use roundabout_gateway::{
    config::ServiceUrls,
    notify::{
        db::{self, NewNotification},
        Notifier, Settings, Transports,
    },
    services::Services,
    MIGRATOR,
};
use roundabout_notify::{testing, Address, Outgoing, Transport};
use roundabout_support::testing as support;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

fn settings(t: Arc<dyn Transport>) -> Settings {
    Settings {
        poll: Duration::from_millis(100),
        lease: Duration::from_millis(300),
        transports: Transports::all(t),
        ..Default::default()
    }
}

fn notifier(pool: &PgPool, settings: Settings) -> Notifier {
    let nowhere = "http://127.0.0.1:9".to_string();
    let services = Services::new(
        &ServiceUrls {
            inventory: nowhere.clone(),
            eligibility: nowhere.clone(),
            bookings: nowhere.clone(),
            payments: nowhere,
        },
        support::signing_as("gateway"),
    );
    Notifier::new(pool.clone(), services, settings)
}

/// Records one message to `email`, as the intake does.
async fn record(pool: &PgPool, email: &str) -> Uuid {
    let id = Uuid::new_v4();
    let mut conn = pool.acquire().await.unwrap();
    db::insert(
        &mut conn,
        &NewNotification {
            id,
            event_id: Uuid::new_v4(),
            template: "booking_reminder".into(),
            recipient_kind: "HOUSEHOLD",
            recipient_id: Uuid::new_v4(),
            household_id: Some(Uuid::new_v4()),
            council_id: None,
            booking_id: Some(Uuid::new_v4()),
            channel: "EMAIL",
            address: json!({"kind": "EMAIL", "email": email}),
            subject: "Reminder: your booking starts tomorrow".into(),
            body: "Your booking starts tomorrow.".into(),
            personalisation: json!({"subject": "Reminder: your booking starts tomorrow", "body": "Your booking starts tomorrow."}),
            attachments: json!([]),
            send_after: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    id
}

async fn row(pool: &PgPool, id: Uuid) -> (String, Option<String>, i32) {
    sqlx::query_as("select status, transport_id, attempts from notifications where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn sent_to(stand: &testing::Shared, email: &str) -> usize {
    stand
        .lock()
        .unwrap()
        .accepted
        .iter()
        .filter(|(_, b)| b["email_address"] == email)
        .count()
}

#[tokio::test]
async fn a_sender_killed_before_sending_leaves_the_message_to_another_which_sends_it_once() {
    let (pool, _) = support::fresh_database(&MIGRATOR).await;
    let (base, stand) = testing::stand_in().await;
    let notify: Arc<dyn Transport> = Arc::new(testing::transport(&base, &testing::good_key()));
    let id = record(&pool, "before@example.test").await;

    // The first sender claims it and dies before calling Notify.
    let claimed = db::claim_due(&pool, 0.3).await.unwrap().expect("due");
    assert_eq!(claimed.id, id);
    assert_eq!(row(&pool, id).await.0, "SENDING");
    // Nobody else takes it while the claim stands.
    let n = notifier(&pool, settings(notify.clone()));
    assert_eq!(n.send_due().await.unwrap(), 0, "claimed by the dead sender");
    assert_eq!(sent_to(&stand, "before@example.test"), 0);

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(n.send_due().await.unwrap(), 1);
    assert_eq!(sent_to(&stand, "before@example.test"), 1, "sent once");
    let (status, transport_id, _) = row(&pool, id).await;
    assert_eq!(status, "SENT");
    let notify_id = stand.lock().unwrap().references[&id.to_string()].clone();
    assert_eq!(transport_id.as_deref(), Some(notify_id.as_str()));
    // Nothing is due to be sent again.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let _ = n.send_due().await.unwrap();
    assert_eq!(sent_to(&stand, "before@example.test"), 1);
}

#[tokio::test]
async fn a_sender_killed_after_notify_accepted_is_not_followed_by_a_second_copy() {
    let (pool, _) = support::fresh_database(&MIGRATOR).await;
    let (base, stand) = testing::stand_in().await;
    let notify: Arc<dyn Transport> = Arc::new(testing::transport(&base, &testing::good_key()));
    let id = record(&pool, "after@example.test").await;

    // The first sender claims it, Notify accepts it, and the sender dies
    // before recording Notify's answer.
    let c = db::claim_due(&pool, 0.3).await.unwrap().expect("due");
    let msg = Outgoing {
        id: c.id,
        template: c.template.clone(),
        to: Address::Email {
            email: "after@example.test".into(),
        },
        subject: c.subject.clone(),
        body: c.body.clone(),
        personalisation: serde_json::from_value(c.personalisation.clone()).unwrap(),
        attachments: Vec::new(),
    };
    let accepted = notify.send(&msg).await.unwrap();
    assert_eq!(sent_to(&stand, "after@example.test"), 1);
    let (status, transport_id, _) = row(&pool, id).await;
    assert_eq!(
        (status.as_str(), transport_id),
        ("SENDING", None),
        "the answer was never recorded"
    );

    // Another sender takes over once the claim runs out: it finds the
    // message at Notify by its reference and records it, sending nothing.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let n = notifier(&pool, settings(notify));
    assert_eq!(n.send_due().await.unwrap(), 1);
    assert_eq!(sent_to(&stand, "after@example.test"), 1, "no second copy");
    let (status, transport_id, _) = row(&pool, id).await;
    assert_eq!(status, "SENT");
    assert_eq!(transport_id, Some(accepted.transport_id));
}

#[tokio::test]
async fn a_rate_limited_message_is_sent_once_after_the_wait_and_a_refused_one_fails_visibly() {
    let (pool, _) = support::fresh_database(&MIGRATOR).await;
    let (base, stand) = testing::stand_in().await;
    let notify: Arc<dyn Transport> = Arc::new(testing::transport(&base, &testing::good_key()));
    let n = notifier(&pool, settings(notify));

    let limited = record(&pool, "limited@example.test").await;
    stand.lock().unwrap().fail_next = Some((
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        Some("1"),
    ));
    assert_eq!(n.send_due().await.unwrap(), 1);
    let (status, _, attempts) = row(&pool, limited).await;
    assert_eq!((status.as_str(), attempts), ("SENDING", 1), "waiting to try again");
    sqlx::query("update notifications set next_attempt_at = now() where id = $1")
        .bind(limited)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n.send_due().await.unwrap(), 1);
    assert_eq!(row(&pool, limited).await.0, "SENT");
    assert_eq!(sent_to(&stand, "limited@example.test"), 1);

    let refused = record(&pool, "refused@example.test").await;
    stand.lock().unwrap().fail_next = Some((
        axum::http::StatusCode::BAD_REQUEST,
        "BadRequestError",
        "Can't send to this recipient using a team-only API key",
        None,
    ));
    assert_eq!(n.send_due().await.unwrap(), 1);
    let failed: (String, Option<String>) = sqlx::query_as("select status, last_error from notifications where id = $1")
        .bind(refused)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(failed.0, "FAILED");
    assert!(failed.1.unwrap().contains("BadRequestError"));
}
