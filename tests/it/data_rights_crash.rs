//! A household's erasure when parts die while it runs: each service down
//! in turn, and the gateway itself SIGKILLed mid-erasure.

use std::time::{Duration, Instant};

use roundabout::graphql_client::{user_error_code, GraphqlClient};
use serde_json::json;

use crate::{
    data_rights::{count, wait_done, CLOSE},
    support::{bookings::World, procs::Proc, Stack, PASSWORD},
};

fn proc_of<'a>(stack: &'a mut Stack, part: &str) -> &'a mut Proc {
    match part {
        "bookings" => stack.bookings_proc.as_mut(),
        "payments" => stack.payments_proc.as_mut(),
        _ => stack.eligibility_proc.as_mut(),
    }
    .expect("the part runs as a process")
}

#[tokio::test]
async fn an_erasure_finishes_after_each_part_was_down_while_it_ran() {
    let mut w = World::on(Stack::start_with_processes().await, 1_000_000).await;
    for (part, waits_at) in [
        ("bookings", "CANCEL_BOOKINGS"),
        ("payments", "PAYMENTS"),
        ("eligibility", "ELIGIBILITY"),
    ] {
        let (h, id) = w.household(&format!("crash.{part}@example.test")).await;
        proc_of(&mut w.stack, part).kill();
        // The household itself asks: an officer's request needs eligibility
        // to find the household (and is refused, changing nothing, without it).
        let closed = h
            .mutate("closeAccount", CLOSE, json!({"i": {"password": PASSWORD}}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&closed), None, "{part}: {closed}");
        // The erasure goes as far as it can and waits at the dead part's step.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let waiting: (String, Option<String>) =
            sqlx::query_as("select step, last_error from erasures where household_id = $1::uuid")
                .bind(&id)
                .fetch_one(&w.stack.gateway_pool)
                .await
                .unwrap();
        assert_eq!(waiting.0, waits_at, "{part}: {waiting:?}");
        assert!(
            waiting.1.as_deref().is_some_and(|e| e.contains(part)),
            "{part}: {waiting:?}"
        );
        proc_of(&mut w.stack, part).start().await;
        wait_done(&w.officer, &id, Duration::from_secs(90)).await;
        let metrics = reqwest::get(format!("{}/metrics", w.stack.gateway.metrics_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let failed = metrics.lines().find(|l| {
            l.starts_with("erasure_steps_total")
                && l.contains(&format!("step=\"{waits_at}\""))
                && l.contains("outcome=\"failed\"")
        });
        assert!(
            failed.is_some_and(|l| !l.ends_with(" 0")),
            "{part}: the failed step is counted:\n{metrics}"
        );
        assert!(metrics.contains("erasures_pending{service=\"gateway\"} 0"), "{metrics}");
        let profiles = count(
            &w.stack.eligibility_pool,
            "select count(*) from household_profiles where household_id = $1::uuid",
            &id,
        )
        .await;
        assert_eq!(profiles, 0, "{part}");
    }
}

#[tokio::test]
async fn an_erasure_finishes_after_the_gateway_itself_was_killed_while_it_ran() {
    use crate::support::proc_stack::{world, ProcStack};
    let mut stack = ProcStack::start(None).await;
    let w = world(&stack.gateway).await;
    let h = GraphqlClient::new(&stack.gateway).with_token(w.household_token.clone());
    let id = h.query("{ me { household { id } } }", json!({})).await.unwrap()["me"]["household"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gateway_db = sqlx::PgPool::connect(stack.database_url("gateway")).await.unwrap();
    let step = |pool: sqlx::PgPool, id: String| async move {
        sqlx::query_scalar::<_, String>("select step from erasures where household_id = $1::uuid")
            .bind(id)
            .fetch_optional(&pool)
            .await
            .unwrap()
    };

    // Eligibility down: the erasure gets as far as its step and waits there.
    stack.proc_mut("eligibility").kill();
    let closed = h
        .mutate("closeAccount", CLOSE, json!({"i": {"password": PASSWORD}}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&closed), None, "{closed}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while step(gateway_db.clone(), id.clone()).await.as_deref() != Some("ELIGIBILITY") {
        assert!(
            Instant::now() < deadline,
            "the erasure did not reach eligibility's step"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The gateway dies with the step claimed or waiting; both come back.
    stack.proc_mut("gateway").kill();
    stack.proc_mut("eligibility").start().await;
    stack.proc_mut("gateway").start().await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while step(gateway_db.clone(), id.clone()).await.as_deref() != Some("DONE") {
        assert!(
            Instant::now() < deadline,
            "the erasure did not finish after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let profiles: i64 = sqlx::query_scalar("select count(*) from household_profiles where household_id = $1::uuid")
        .bind(&id)
        .fetch_one(&sqlx::PgPool::connect(stack.database_url("eligibility")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(profiles, 0);
    let users: i64 = sqlx::query_scalar("select count(*) from memberships where household_id = $1::uuid")
        .bind(&id)
        .fetch_one(&gateway_db)
        .await
        .unwrap();
    assert_eq!(users, 0);
}
