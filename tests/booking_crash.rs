//! The booking saga survives crashes: eligibility, bookings and payments run as child
//! processes; a test SIGKILLs one with a booking (or a cancellation) at a
//! recorded step, starts it again, and checks the end state — confirmed
//! with the payment captured and the subsidy committed, or cancelled with
//! the refund made and the subsidy released. No orphaned charge, no lost
//! booking.

mod bookings_support;
mod common;
mod eligibility_support;

use std::time::{Duration, Instant};

use bookings_support::*;
use common::Stack;
use serde_json::{json, Value};

/// Without the payment, which cannot be read while payments is down.
const BOOK_SLIM: &str = "mutation($i: BookVehicleInput!) { bookVehicle(input: $i) { booking { id status } userErrors { field code message } } }";
const CANCEL_SLIM: &str =
    "mutation($id: ID!) { cancelBooking(id: $id) { booking { id status } userErrors { field code message } } }";

async fn book_slim(h: &roundabout::graphql_client::GraphqlClient, input: Value) -> Value {
    h.mutate("bookVehicle", BOOK_SLIM, json!({"i": input})).await.unwrap()
}

const SCHEME_SPEND: &str = "query($id: ID!) { council(id: $id) { schemes { committedPence } } }";

async fn committed(w: &World) -> i64 {
    let v = w.officer.query(SCHEME_SPEND, json!({"id": w.council})).await.unwrap();
    v["council"]["schemes"][0]["committedPence"].as_i64().unwrap()
}

async fn step_of(w: &World, id: &str) -> (String, String) {
    sqlx::query_as("select status, step from bookings where id = $1::uuid")
        .bind(id)
        .fetch_one(&w.stack.bookings_pool)
        .await
        .unwrap()
}

/// Waits until the booking reaches `status` with its saga done.
async fn settles(w: &World, id: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, step) = step_of(w, id).await;
        if s == status && step == "DONE" {
            return;
        }
        assert!(Instant::now() < deadline, "booking stuck at {s}/{step}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn procs(w: &mut World) -> (&mut common::procs::Proc, &mut common::procs::Proc) {
    let s = &mut w.stack;
    (s.bookings_proc.as_mut().unwrap(), s.payments_proc.as_mut().unwrap())
}

fn eligibility(w: &mut World) -> &mut common::procs::Proc {
    w.stack.eligibility_proc.as_mut().unwrap()
}

#[tokio::test]
async fn a_booking_and_its_cancellation_survive_killed_services() {
    let mut w = World::on(Stack::start_with_processes().await, 20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;

    // Payments is killed before the charge: the booking waits at CHARGE with
    // its subsidy held; then bookings is killed too. Both come back and the
    // resumer finishes the booking.
    procs(&mut w).1.kill();
    let p = book_slim(&h, hire(&w.vehicles[0], in_days(3), 4, "crash-1")).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(p["booking"]["status"], "PENDING_PAYMENT");
    let id = p["booking"]["id"].as_str().unwrap().to_string();
    assert_eq!(step_of(&w, &id).await.1, "CHARGE");
    procs(&mut w).0.kill();
    procs(&mut w).1.start().await;
    procs(&mut w).0.start().await;
    settles(&w, &id, "CONFIRMED").await;
    let q = format!("query($id: ID!) {{ booking(id: $id) {{ {BOOKING_FIELDS} }} }}");
    let b = h.query(&q, json!({"id": id})).await.unwrap();
    assert_eq!(b["booking"]["payment"]["status"], "CAPTURED", "{b}");
    assert_eq!(committed(&w).await, 1040);
    // The slot is still held: another household is refused.
    let (h2, _) = w.household("two@wox.test").await;
    let refused = book(&h2, hire(&w.vehicles[0], in_days(3), 1, "x")).await;
    assert_eq!(code(&refused), "SLOT_UNAVAILABLE");

    // Bookings is killed between the booking's steps: payments is down, so
    // the saga stops at CHARGE; killing bookings then loses nothing.
    procs(&mut w).1.kill();
    let p = book_slim(&h, hire(&w.vehicles[1], in_days(3), 4, "crash-2")).await;
    let id2 = p["booking"]["id"].as_str().unwrap().to_string();
    procs(&mut w).0.kill();
    procs(&mut w).0.start().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(step_of(&w, &id2).await, ("PENDING_PAYMENT".into(), "CHARGE".into()));
    procs(&mut w).1.start().await;
    settles(&w, &id2, "CONFIRMED").await;
    assert_eq!(committed(&w).await, 2080);

    // A cancellation with payments down stops at REFUND; bookings is
    // killed; both return and the cancellation completes: refunded, the
    // subsidy released, the slot freed.
    procs(&mut w).1.kill();
    let c: Value = h.mutate("cancelBooking", CANCEL_SLIM, json!({"id": id})).await.unwrap();
    assert_eq!(c["userErrors"], json!([]), "{c}");
    assert_eq!(step_of(&w, &id).await.1, "REFUND");
    procs(&mut w).0.kill();
    procs(&mut w).0.start().await;
    procs(&mut w).1.start().await;
    settles(&w, &id, "CANCELLED").await;
    let b = h.query(&q, json!({"id": id})).await.unwrap();
    assert_eq!(b["booking"]["payment"]["status"], "REFUNDED", "{b}");
    assert_eq!(b["booking"]["cancellation"]["refundPence"], 1560);
    assert_eq!(committed(&w).await, 1040);
    let again = book(&h2, hire(&w.vehicles[0], in_days(3), 1, "y")).await;
    assert_eq!(again["booking"]["status"], "CONFIRMED", "{again}");

    // A 1-hour hire: £6.50, subsidy £2.60.
    assert_eq!(committed(&w).await, 1300);

    // Eligibility is down: a new booking cannot be priced, so it is refused
    // with nothing written.
    eligibility(&mut w).kill();
    let before = rows(&w.stack.bookings_pool, "select count(*) from bookings").await;
    let err = h
        .raw(
            BOOK_SLIM,
            json!({"i": hire(&w.vehicles[2], in_days(3), 4, "no-eligibility")}),
        )
        .await
        .unwrap();
    assert_eq!(err["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{err}");
    assert_eq!(
        rows(&w.stack.bookings_pool, "select count(*) from bookings").await,
        before
    );
    // A cancellation with eligibility down is refunded, then stops at
    // RELEASE_BUDGET; bookings is killed; both return and it completes.
    let c: Value = h
        .mutate("cancelBooking", CANCEL_SLIM, json!({"id": id2}))
        .await
        .unwrap();
    assert_eq!(c["userErrors"], json!([]), "{c}");
    assert_eq!(step_of(&w, &id2).await.1, "RELEASE_BUDGET");
    procs(&mut w).0.kill();
    eligibility(&mut w).start().await;
    procs(&mut w).0.start().await;
    settles(&w, &id2, "CANCELLED").await;
    assert_eq!(committed(&w).await, 260);

    // Nothing orphaned: every payment belongs to a booking, and every
    // captured payment to a confirmed booking.
    let payments: Vec<(uuid::Uuid, String)> = sqlx::query_as("select booking_id, status from payments")
        .fetch_all(&w.stack.payments_pool)
        .await
        .unwrap();
    for (booking, status) in payments {
        let (s, _): (String, String) = sqlx::query_as("select status, step from bookings where id = $1")
            .bind(booking)
            .fetch_one(&w.stack.bookings_pool)
            .await
            .unwrap();
        match status.as_str() {
            "CAPTURED" => assert_eq!(s, "CONFIRMED"),
            "REFUNDED" => assert_eq!(s, "CANCELLED"),
            other => panic!("payment {booking} left {other}"),
        }
    }
}
