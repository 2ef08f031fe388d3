//! 200 concurrent `bookVehicle` calls for one vehicle and overlapping
//! periods: exactly one is confirmed, every other is SLOT_UNAVAILABLE, and
//! no money is taken from the losers.

use crate::support::bookings::{in_days, rows, World};
use crate::support::gql::bookings::{book, book_vehicle, hire};
use crate::support::gql::Payload;
use chrono::Duration;
use futures::future::join_all;

#[tokio::test]
async fn two_hundred_concurrent_bookings_confirm_exactly_one() {
    let w = World::new(20_000_000).await;
    let mut households = Vec::new();
    for i in 0..10 {
        households.push(w.household(&format!("h{i}@wox.test")).await.0);
    }
    let start = in_days(4);
    let v = w.vehicles[0].clone();
    let calls = (0..200).map(|i| {
        let h = households[i % households.len()].clone();
        // Periods overlap pairwise: each is 3 h long and starts within 2 h.
        let s = start + Duration::minutes((i % 120) as i64);
        let mut input = hire(&v, s, 3, &format!("race-{i}"));
        if i % 2 == 0 {
            input.payment_method = Some("pm_card_visa".into());
        }
        async move { book(&h, input).await }
    });
    let answers = join_all(calls).await;
    let confirmed: Vec<_> = answers
        .iter()
        .filter(|p| p.booking.as_ref().map(|b| &b.status) == Some(&book_vehicle::BookingStatus::Confirmed))
        .collect();
    assert_eq!(
        confirmed.len(),
        1,
        "{:?}",
        answers.iter().map(|p| p.code()).collect::<Vec<_>>()
    );
    let refused = answers.iter().filter(|p| p.code() == "SLOT_UNAVAILABLE").count();
    assert_eq!(refused, 199);
    // Only the winner has a booking row and a payment; the losers paid nothing.
    assert_eq!(rows(&w.stack.bookings_pool, "select count(*) from bookings").await, 1);
    assert_eq!(rows(&w.stack.payments_pool, "select count(*) from payments").await, 1);
    assert!(w.stack.fake.intent_count() <= 1);
}
