//! A scheme's budget running out, through the gateway against the real
//! eligibility service (`docs/RULES.md`: the subsidy is
//! `min(base × percent, cap, remaining budget)`, never overspent):
//! - bookings are subsidised with what is left, then not at all, and still
//!   confirmed;
//! - a booking whose budget hold lapsed while its payment waited, and whose
//!   money another booking took meanwhile, is refused with
//!   `BUDGET_EXHAUSTED` when its subsidy is committed: nothing captured
//!   (read back from localstripe), nothing committed, the slot freed.

use std::time::{Duration, Instant};

use crate::support::bookings::{in_days, World};
use crate::support::gql::bookings::{book, book_vehicle, hire};
use crate::support::gql::offers::{offers, Offers};
use crate::support::gql::schemes::{scheme_spend, SchemeSpend};
use crate::support::gql::{Payload, Typed};
use crate::support::{Cards, Options, Stack};
use roundabout::graphql_client::GraphqlClient;

/// The scheme's (committed, remaining) pence.
async fn spend(w: &World) -> (i64, i64) {
    let v = w
        .officer
        .data::<SchemeSpend>(scheme_spend::Variables {
            council_id: w.council.clone(),
        })
        .await;
    let s = &v.council.unwrap().schemes[0];
    (s.committed_pence, s.remaining_pence)
}

/// The subsidy and household share of a booking answer.
fn split(p: &book_vehicle::BookVehicleBookVehicle) -> (i64, i64) {
    let price = &p.booking.as_ref().unwrap().price;
    (price.subsidy_pence, price.household_pence)
}

/// The offered (base, subsidy, household) pence of `vehicle` for a 4-hour hire `days` ahead.
async fn offered(h: &GraphqlClient, vehicle: &str, days: i64) -> (i64, i64, i64) {
    let start = in_days(days);
    let input = offers::OffersInput {
        kind: offers::BookingKind::Hire,
        start,
        end: Some(start + chrono::Duration::hours(4)),
        lease_months: None,
        near: None,
        radius_km: Some(5.0),
        seats: None,
        wheelchair_accessible: None,
        electric_only: None,
        first: None,
        household_id: None,
    };
    let o = h.data::<Offers>(offers::Variables { input }).await.offers;
    let price = &o
        .iter()
        .find(|o| o.vehicle.id == vehicle)
        .unwrap_or_else(|| panic!("{vehicle} not offered: {o:?}"))
        .price;
    (price.base_pence, price.subsidy_pence, price.household_pence)
}

#[tokio::test]
async fn when_the_budget_runs_out_bookings_get_what_is_left_then_no_subsidy() {
    // £15 of budget; a 4-hour hire (£26) earns £10.40.
    let w = World::new(1_500).await;
    let (h1, _) = w.household("one@wox.test").await;
    let (h2, _) = w.household("two@wox.test").await;
    let (h3, _) = w.household("three@wox.test").await;

    let p = book(&h1, hire(&w.vehicles[0], in_days(3), 4, "a")).await;
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::Confirmed), "{p:?}");
    assert_eq!(split(&p), (1_040, 1_560));
    assert_eq!(spend(&w).await, (1_040, 460));

    // What is left: £4.60, offered and booked.
    assert_eq!(offered(&h2, &w.vehicles[1], 3).await, (2_600, 460, 2_140));
    let p = book(&h2, hire(&w.vehicles[1], in_days(3), 4, "b")).await;
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::Confirmed), "{p:?}");
    assert_eq!(split(&p), (460, 2_140));
    assert_eq!(p.booking.as_ref().unwrap().subsidies[0].amount_pence, 460);
    assert_eq!(spend(&w).await, (1_500, 0));

    // Nothing left: no subsidy offered, the whole price to pay, still booked.
    assert_eq!(offered(&h3, &w.vehicles[2], 3).await, (2_600, 0, 2_600));
    let p = book(&h3, hire(&w.vehicles[2], in_days(3), 4, "c")).await;
    p.assert_ok();
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::Confirmed), "{p:?}");
    assert_eq!(split(&p), (0, 2_600));
    assert_eq!(p.booking.as_ref().unwrap().subsidies, vec![]);
    assert_eq!(spend(&w).await, (1_500, 0));
}

#[tokio::test]
async fn a_booking_whose_lapsed_hold_was_spent_meanwhile_is_refused_with_budget_exhausted() {
    // Budget for one 4-hour hire's subsidy; holds last a second.
    let stack = Stack::start_with(Options {
        cards: Cards::LocalStripe,
        budget_hold_secs: Some(1),
        ..Options::default()
    })
    .await;
    let w = World::on(stack, 1_040).await;
    let stripe = w.stack.stripe.as_ref().unwrap();
    let (h1, _) = w.household("one@wox.test").await;
    let (h2, _) = w.household("two@wox.test").await;

    // Stripe is down: the first household's card booking holds the whole
    // budget and waits to be charged.
    stripe.fail_next(1_000_000, "before").await;
    let mut first = hire(&w.vehicles[0], in_days(3), 4, "card");
    first.payment_method = Some("pm_card_visa".into());
    let p = book(&h1, first.clone()).await;
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::PendingPayment), "{p:?}");
    let id = p.booking.as_ref().unwrap().id.clone();

    // The hold lapses; the second household, paying by invoice, gets the
    // budget and is confirmed.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let p = book(&h2, hire(&w.vehicles[1], in_days(3), 4, "invoice")).await;
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::Confirmed), "{p:?}");
    assert_eq!(split(&p), (1_040, 1_560));

    // Stripe is back: the first booking is charged, its subsidy cannot be
    // committed, and it is compensated.
    stripe.fail_next(0, "before").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let failed = loop {
        let again = book(&h1, first.clone()).await;
        if again.status() == Some(&book_vehicle::BookingStatus::Failed) {
            break again;
        }
        assert!(Instant::now() < deadline, "{again:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(failed.booking.as_ref().unwrap().id, id);
    assert_eq!(failed.code(), "BUDGET_EXHAUSTED", "{failed:?}");
    assert_eq!(
        failed.booking.as_ref().unwrap().payment.as_ref().map(|p| &p.status),
        Some(&book_vehicle::PaymentStatus::Cancelled),
        "{failed:?}"
    );

    // Nothing taken: the authorisation was cancelled at the processor.
    let intents = stripe.intents_with("booking_id", &id).await;
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0]["status"], "canceled", "{intents:?}");
    assert_eq!(intents[0]["amount_received"], 0);
    // Nothing committed for it, nothing overspent.
    assert_eq!(spend(&w).await, (1_040, 0));
    let state: String = sqlx::query_scalar("select state from budget_allocations where booking_id = $1::uuid")
        .bind(&id)
        .fetch_one(&w.stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(state, "RELEASED");
    let booking: uuid::Uuid = id.parse().unwrap();
    let ledger = roundabout_payments::db::ledger::booking_balances(&w.stack.payments_pool, booking)
        .await
        .unwrap();
    assert_eq!(ledger, vec![]);
    // The slot is free again.
    let (h3, _) = w.household("three@wox.test").await;
    let p = book(&h3, hire(&w.vehicles[0], in_days(3), 4, "after")).await;
    assert_eq!(p.status(), Some(&book_vehicle::BookingStatus::Confirmed), "{p:?}");
    assert_eq!(split(&p), (0, 2_600));
}
