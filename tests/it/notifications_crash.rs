//! Notifications when the gateway dies mid-send: the gateway as a process,
//! SIGKILLed where `NOTIFY_SEND_PAUSE` stops its sender, then started again.

use std::time::{Duration, Instant};

/// The gateway as a process, sending through the stand-in Notify, stopped
/// for good at `pause` of its first message (`NOTIFY_SEND_PAUSE`), SIGKILLed
/// there and started again without the pause: the message reaches Notify
/// exactly once.
async fn killed_at(pause: &str) {
    use crate::support::proc_stack::{world, ProcStack};
    use roundabout_notify::testing;

    let (base, stand) = testing::stand_in().await;
    let (key, templates) = (testing::good_key(), testing::templates());
    let mut stack = ProcStack::start_env(
        None,
        None,
        &[
            ("NOTIFY_API_KEY", &key),
            ("NOTIFY_BASE_URL", &base),
            ("NOTIFY_TEMPLATES", &templates),
            ("NOTIFY_SEND_PAUSE", pause),
            ("NOTIFY_POLL_MILLIS", "100"),
            ("NOTIFY_LEASE_SECS", "2"),
        ],
    )
    .await;
    // Setting up approves a provider: its members are told, by email.
    let _w = world(&stack.gateway).await;
    let gateway_db = sqlx::PgPool::connect(stack.database_url("gateway")).await.unwrap();
    let sending = || async {
        sqlx::query_as::<_, (uuid::Uuid, String)>(
            "select id, status from notifications where template = 'provider_approved'",
        )
        .fetch_all(&gateway_db)
        .await
        .unwrap()
    };
    let accepted = |stand: &testing::Shared| stand.lock().unwrap().accepted.len();

    // The sender reaches the pause with the message marked SENDING.
    let deadline = Instant::now() + Duration::from_secs(30);
    let id = loop {
        let rows = sending().await;
        let reached = match pause {
            "before_send" => rows.iter().any(|(_, s)| s == "SENDING"),
            _ => accepted(&stand) == 1,
        };
        if reached {
            break rows
                .iter()
                .find(|(_, s)| s == "SENDING")
                .map(|(id, _)| *id)
                .expect("in doubt");
        }
        assert!(Instant::now() < deadline, "the sender did not reach {pause}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let before = accepted(&stand);
    assert_eq!(before, usize::from(pause == "after_send"), "{pause}");

    stack.proc_mut("gateway").kill();
    stack.proc_mut("gateway").set_env("NOTIFY_SEND_PAUSE", None);
    stack.proc_mut("gateway").start().await;

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = sending().await;
        if rows.iter().all(|(_, s)| s == "SENT" || s == "DELIVERED") && !rows.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not sent after the restart ({pause}): {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = stand.lock().unwrap();
    let copies = s
        .accepted
        .iter()
        .filter(|(_, b)| b["reference"] == id.to_string())
        .count();
    assert_eq!(copies, 1, "killed {pause}: Notify got the message {copies} times");
}

#[tokio::test]
async fn a_gateway_killed_before_sending_sends_the_message_once_when_it_is_back() {
    killed_at("before_send").await;
}

#[tokio::test]
async fn a_gateway_killed_after_notify_accepted_does_not_send_a_second_copy() {
    killed_at("after_send").await;
}
