//! The booking saga survives crashes. Eligibility, bookings and payments run
//! as child processes (payments charging cards at localstripe); for every
//! step of a booking, of a cancellation and of a refused booking's
//! compensation, each of them is SIGKILLed with a booking at that step and
//! started again, and the end state is checked in every service and at the
//! processor: confirmed with the card captured and the subsidy committed,
//! cancelled with the refund made and the subsidy released, or failed with
//! nothing captured and nothing committed. No orphaned charge, no lost
//! booking.
//!
//! The saga is stopped exactly at a step with bookings' test-only pause
//! points (`BOOKINGS_SAGA_PAUSE=before:STEP` or `after:STEP`, released by
//! SIGUSR1): bookings is restarted with the point armed, the booking or
//! cancellation is made, and once the saga notes that it is paused there
//! the table's part is killed —
//! - bookings itself, before the step is performed, or after it was
//!   performed but before its outcome was recorded (the step is performed
//!   again after the restart; every receiver is idempotent by booking);
//! - eligibility or payments, before the step; the saga is then released and
//!   goes on until it needs the dead part, waits there, and finishes once
//!   the part is back.

use std::time::{Duration, Instant};

use crate::support::bookings::*;
use crate::support::{procs::Proc, Cards, Options, Stack};
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

/// Without the payment, which cannot be read while payments is down.
const BOOK_SLIM: &str = "mutation($i: BookVehicleInput!) { bookVehicle(input: $i) { booking { id status } userErrors { field code message } } }";
const CANCEL_SLIM: &str =
    "mutation($id: ID!) { cancelBooking(id: $id) { booking { id status } userErrors { field code message } } }";

/// localstripe's test PaymentMethods: one that pays, one whose charge is declined.
const VISA: &str = "pm_card_visa";
const DECLINED: &str = "pm_card_chargeCustomerFail";

/// A 4-hour hire: £26, £10.40 subsidy, £15.60 paid by the household.
const HOUSEHOLD_PENCE: i64 = 1560;
const SUBSIDY_PENCE: i64 = 1040;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Eligibility,
    Bookings,
    Payments,
}

/// Who is killed, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// `part` is SIGKILLed while the saga is stopped before the step.
    Before(Part),
    /// Bookings is SIGKILLed after performing the step, before recording it.
    BookingsAfter,
}

/// Every kill, at every step.
const KILLS: [Kill; 4] = [
    Kill::Before(Part::Bookings),
    Kill::BookingsAfter,
    Kill::Before(Part::Eligibility),
    Kill::Before(Part::Payments),
];

/// What a case starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// A card booking, which ends CONFIRMED.
    Booking,
    /// The cancellation of a confirmed booking, which ends CANCELLED.
    Cancellation,
    /// A booking whose card is declined, compensated: ends FAILED.
    Compensation,
}

async fn crash_world() -> (World, GraphqlClient) {
    let stack = Stack::start_with(Options {
        processes: true,
        cards: Cards::LocalStripe,
        ..Options::default()
    })
    .await;
    let w = World::on(stack, 20_000_000).await;
    let (h, _) = w.household("crash@wox.test").await;
    (w, h)
}

fn proc(w: &mut World, part: Part) -> &mut Proc {
    let s = &mut w.stack;
    match part {
        Part::Eligibility => s.eligibility_proc.as_mut(),
        Part::Bookings => s.bookings_proc.as_mut(),
        Part::Payments => s.payments_proc.as_mut(),
    }
    .unwrap()
}

/// Restarts bookings with `pause` armed (or none).
async fn restart_bookings(w: &mut World, pause: Option<&str>) {
    let b = proc(w, Part::Bookings);
    b.kill();
    b.set_env("BOOKINGS_SAGA_PAUSE", pause);
    b.start().await;
}

/// Waits until the saga notes it is paused at `point` (e.g. `before CHARGE`);
/// answers the booking's id.
async fn paused(w: &World, key: &str, point: &str) -> String {
    let note = format!("paused {point} (BOOKINGS_SAGA_PAUSE)");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Option<String> = sqlx::query_scalar(
            "select id::text from bookings where (idempotency_key = $1 or id::text = $1) and last_error = $2",
        )
        .bind(key)
        .bind(&note)
        .fetch_optional(&w.stack.bookings_pool)
        .await
        .unwrap();
        if let Some(id) = found {
            return id;
        }
        assert!(Instant::now() < deadline, "the saga never paused {point}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_and_step(w: &World, id: &str) -> (String, String) {
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
        let (s, step) = status_and_step(w, id).await;
        if s == status && step == "DONE" {
            return;
        }
        assert!(Instant::now() < deadline, "booking {id} stuck at {s}/{step}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs one case: `path` with the saga stopped at `step`, `kill` there.
async fn case(w: &mut World, h: &GraphqlClient, path: Path, step: &str, kill: Kill, n: i64) {
    let label = format!("{path:?} at {step}, {kill:?}");
    let point = match kill {
        Kill::BookingsAfter => format!("after {step}"),
        Kill::Before(_) => format!("before {step}"),
    };
    restart_bookings(w, Some(&point.replace(' ', ":"))).await;

    let card = if path == Path::Compensation { DECLINED } else { VISA };
    let key = format!("crash-{n}");
    let mut input = hire(&w.vehicles[(n % 3) as usize], in_days(3 + n), 4, &key);
    input["paymentMethod"] = json!(card);
    let (request, id) = if path == Path::Cancellation {
        let p = book_slim(h, input.clone()).await;
        assert_eq!(p["booking"]["status"], "CONFIRMED", "{label}: {p}");
        let id = p["booking"]["id"].as_str().unwrap().to_string();
        let client = h.clone();
        let cancel_id = id.clone();
        let request = tokio::spawn(async move { client.raw(CANCEL_SLIM, json!({"id": cancel_id})).await });
        paused(w, &id, &point).await;
        (request, id)
    } else {
        let client = h.clone();
        let body = input.clone();
        let request = tokio::spawn(async move { client.raw(BOOK_SLIM, json!({"i": body})).await });
        let id = paused(w, &key, &point).await;
        (request, id)
    };

    match kill {
        Kill::Before(Part::Bookings) | Kill::BookingsAfter => {
            proc(w, Part::Bookings).kill();
            restart_bookings(w, None).await;
        }
        Kill::Before(part) => {
            proc(w, part).kill();
            proc(w, Part::Bookings).sigusr1();
            // The request answers once the saga finished or waits for the dead part.
            let answer = request_answer(request, &label).await;
            let needs_part = match (path, part) {
                (Path::Booking, Part::Eligibility) => matches!(step, "HOLD_BUDGET" | "CHARGE" | "COMMIT_BUDGET"),
                (Path::Booking, _) => step != "FREE_SLOT",
                (_, Part::Eligibility) => step != "FREE_SLOT",
                (_, _) => matches!(step, "RELEASE_PAYMENT" | "REFUND"),
            };
            let (status, now) = status_and_step(w, &id).await;
            if needs_part {
                assert_ne!(now, "DONE", "{label}: finished without {part:?}: {answer}");
            } else {
                assert_eq!(now, "DONE", "{label}: {status}/{now}: {answer}");
            }
            proc(w, part).start().await;
            return finish(w, h, path, &id, input, &label).await;
        }
    }
    // The household's request was cut off with bookings; whatever it was told, nothing is lost.
    request_answer(request, &label).await;
    finish(w, h, path, &id, input, &label).await;
}

async fn request_answer(request: tokio::task::JoinHandle<anyhow::Result<Value>>, label: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(30), request)
        .await
        .unwrap_or_else(|_| panic!("{label}: the request never answered"))
        .unwrap()
        .unwrap_or_else(|e| json!({"transport error": e.to_string()}))
}

/// Waits for the end state and checks it everywhere.
async fn finish(w: &World, h: &GraphqlClient, path: Path, id: &str, input: Value, label: &str) {
    let end = match path {
        Path::Booking => "CONFIRMED",
        Path::Cancellation => "CANCELLED",
        Path::Compensation => "FAILED",
    };
    settles(w, id, end).await;
    if path != Path::Cancellation {
        // No lost booking: the same request again answers the same booking.
        let again = book_slim(h, input).await;
        assert_eq!(again["booking"]["id"], id, "{label}: {again}");
        assert_eq!(again["booking"]["status"], end, "{label}: {again}");
    }
    let e = ends(w, id).await;
    let expected = match path {
        Path::Booking => Ends {
            slot_held: true,
            payment: Some(("CAPTURED".into(), 0)),
            allocation: Some("COMMITTED".into()),
            received: HOUSEHOLD_PENCE,
            refunded: 0,
        },
        Path::Cancellation => Ends {
            slot_held: false,
            payment: Some(("REFUNDED".into(), HOUSEHOLD_PENCE)),
            allocation: Some("RELEASED".into()),
            received: HOUSEHOLD_PENCE,
            refunded: HOUSEHOLD_PENCE,
        },
        Path::Compensation => Ends {
            slot_held: false,
            payment: Some(("FAILED".into(), 0)),
            allocation: Some("RELEASED".into()),
            received: 0,
            refunded: 0,
        },
    };
    assert_eq!(e, expected, "{label}");
}

/// A booking's state in every service and at the processor.
#[derive(Debug, PartialEq, Eq)]
struct Ends {
    slot_held: bool,
    /// Status and amount refunded, in payments.
    payment: Option<(String, i64)>,
    /// The subsidy's state, in eligibility.
    allocation: Option<String>,
    /// Captured and refunded at localstripe.
    received: i64,
    refunded: i64,
}

async fn ends(w: &World, id: &str) -> Ends {
    let slot_held: bool = sqlx::query_scalar("select slot_held from bookings where id = $1::uuid")
        .bind(id)
        .fetch_one(&w.stack.bookings_pool)
        .await
        .unwrap();
    let payment: Option<(String, i64)> =
        sqlx::query_as("select status, refunded_pence from payments where booking_id = $1::uuid")
            .bind(id)
            .fetch_optional(&w.stack.payments_pool)
            .await
            .unwrap();
    let allocation: Option<(String, i64)> =
        sqlx::query_as("select state, amount_pence from budget_allocations where booking_id = $1::uuid")
            .bind(id)
            .fetch_optional(&w.stack.eligibility_pool)
            .await
            .unwrap();
    if let Some((_, amount)) = &allocation {
        assert_eq!(*amount, SUBSIDY_PENCE);
    }
    let stripe = w.stack.stripe.as_ref().unwrap();
    let intents = stripe.intents_with("booking_id", id).await;
    assert!(intents.len() <= 1, "charged more than once: {intents:?}");
    let (mut received, mut refunded) = (0, 0);
    for pi in &intents {
        let status = pi["status"].as_str().unwrap();
        assert!(
            matches!(status, "succeeded" | "canceled" | "requires_payment_method"),
            "an authorisation left behind: {pi}"
        );
        received += pi["amount_received"].as_i64().unwrap();
        let pi_id = pi["id"].as_str().unwrap();
        if status == "succeeded" {
            refunded += stripe
                .refunds_of(pi_id)
                .await
                .iter()
                .map(|r| r["amount"].as_i64().unwrap())
                .sum::<i64>();
        }
    }
    Ends {
        slot_held,
        payment,
        allocation: allocation.map(|a| a.0),
        received,
        refunded,
    }
}

/// After every case: nothing half-done anywhere.
async fn nothing_orphaned(w: &World) {
    let unfinished = rows(
        &w.stack.bookings_pool,
        "select count(*) from bookings where step <> 'DONE'",
    )
    .await;
    assert_eq!(unfinished, 0, "bookings left mid-saga");
    let bookings: Vec<(uuid::Uuid, String)> = sqlx::query_as("select id, status from bookings")
        .fetch_all(&w.stack.bookings_pool)
        .await
        .unwrap();
    let status_of = |id: uuid::Uuid| bookings.iter().find(|b| b.0 == id).map(|b| b.1.as_str());
    let payments: Vec<(uuid::Uuid, String)> = sqlx::query_as("select booking_id, status from payments")
        .fetch_all(&w.stack.payments_pool)
        .await
        .unwrap();
    for (booking, status) in &payments {
        let ok = match (status.as_str(), status_of(*booking)) {
            ("CAPTURED", Some(s)) => s == "CONFIRMED",
            ("REFUNDED", Some(s)) => s == "CANCELLED",
            ("FAILED" | "CANCELLED", Some(s)) => s == "FAILED",
            _ => false,
        };
        assert!(
            ok,
            "payment {booking} is {status}, its booking {:?}",
            status_of(*booking)
        );
    }
    let allocations: Vec<(uuid::Uuid, String)> = sqlx::query_as("select booking_id, state from budget_allocations")
        .fetch_all(&w.stack.eligibility_pool)
        .await
        .unwrap();
    for (booking, state) in &allocations {
        let ok = match (state.as_str(), status_of(*booking)) {
            ("COMMITTED", Some(s)) => s == "CONFIRMED",
            ("RELEASED", Some(s)) => s == "CANCELLED" || s == "FAILED",
            _ => false,
        };
        assert!(
            ok,
            "subsidy of {booking} is {state}, its booking {:?}",
            status_of(*booking)
        );
    }
    let unbalanced = roundabout_payments::db::ledger::unbalanced(&w.stack.payments_pool)
        .await
        .unwrap();
    assert!(unbalanced.is_empty(), "unbalanced ledger transactions: {unbalanced:?}");
    for pi in w.stack.stripe.as_ref().unwrap().list("payment_intents").await {
        let booking = pi["metadata"]["booking_id"].as_str().unwrap().parse().unwrap();
        assert_ne!(pi["status"], "requires_capture", "an orphaned authorisation: {pi}");
        if pi["status"] == "succeeded" {
            assert!(
                matches!(status_of(booking), Some("CONFIRMED" | "CANCELLED")),
                "money taken for a booking that is {:?}: {pi}",
                status_of(booking)
            );
        }
    }
}

async fn book_slim(h: &GraphqlClient, input: Value) -> Value {
    h.mutate("bookVehicle", BOOK_SLIM, json!({"i": input})).await.unwrap()
}

/// Every kill at `step` of `path`, one after the other on one stack.
async fn every_kill_at(path: Path, step: &str) {
    let (mut w, h) = crash_world().await;
    for (n, kill) in KILLS.into_iter().enumerate() {
        case(&mut w, &h, path, step, kill, n as i64).await;
    }
    nothing_orphaned(&w).await;
}

#[tokio::test]
async fn a_booking_survives_any_part_killed_at_hold_budget() {
    every_kill_at(Path::Booking, "HOLD_BUDGET").await;
}

#[tokio::test]
async fn a_booking_survives_any_part_killed_at_charge() {
    every_kill_at(Path::Booking, "CHARGE").await;
}

#[tokio::test]
async fn a_booking_survives_any_part_killed_at_commit_budget() {
    every_kill_at(Path::Booking, "COMMIT_BUDGET").await;
}

#[tokio::test]
async fn a_booking_survives_any_part_killed_at_capture() {
    every_kill_at(Path::Booking, "CAPTURE").await;
}

#[tokio::test]
async fn a_cancellation_survives_any_part_killed_at_refund() {
    every_kill_at(Path::Cancellation, "REFUND").await;
}

#[tokio::test]
async fn a_cancellation_survives_any_part_killed_at_release_budget() {
    every_kill_at(Path::Cancellation, "RELEASE_BUDGET").await;
}

#[tokio::test]
async fn a_cancellation_survives_any_part_killed_at_free_slot() {
    every_kill_at(Path::Cancellation, "FREE_SLOT").await;
}

#[tokio::test]
async fn a_declined_booking_is_compensated_whichever_part_is_killed_at_release_payment() {
    every_kill_at(Path::Compensation, "RELEASE_PAYMENT").await;
}

#[tokio::test]
async fn a_declined_booking_is_compensated_whichever_part_is_killed_at_release_budget() {
    every_kill_at(Path::Compensation, "RELEASE_BUDGET").await;
}

#[tokio::test]
async fn a_declined_booking_is_compensated_whichever_part_is_killed_at_free_slot() {
    every_kill_at(Path::Compensation, "FREE_SLOT").await;
}

#[tokio::test]
async fn with_eligibility_down_a_booking_is_refused_with_nothing_written() {
    let mut w = World::on(Stack::start_with_processes().await, 20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    proc(&mut w, Part::Eligibility).kill();
    let err = h
        .raw(
            BOOK_SLIM,
            json!({"i": hire(&w.vehicles[0], in_days(3), 4, "no-eligibility")}),
        )
        .await
        .unwrap();
    assert_eq!(err["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{err}");
    assert_eq!(rows(&w.stack.bookings_pool, "select count(*) from bookings").await, 0);
    assert_eq!(rows(&w.stack.payments_pool, "select count(*) from payments").await, 0);
}
