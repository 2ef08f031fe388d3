//! The main journey of `docs/RULES.md` through the gateway against all the real
//! services, payments on its Stripe adapter against localstripe: admin →
//! council → zones → scheme → provider → vehicles (and payout onboarding) →
//! household → eligibility → offers → book with a card → second household
//! refused → cancel → refund → report. What payments says it did at the
//! processor is read back from localstripe.

use crate::support::bookings::*;
use crate::support::gql::bookings::{book_vehicle, cancel_booking, BookVehicle, CancelBooking};
use crate::support::gql::fleet::{start_payout_onboarding, StartPayoutOnboarding};
use crate::support::gql::households::{my_eligibility, MyEligibility};
use crate::support::gql::offers::{offers, Offers};
use crate::support::gql::reports::{council_report, CouncilReport};
use crate::support::gql::{first_error_code, Payload, Typed};
use crate::support::{Cards, Options, Stack};
use chrono::{Datelike, Duration, Utc, Weekday};

/// Next Saturday (at least two days away) at 10:00 UTC.
fn saturday_ten() -> chrono::DateTime<Utc> {
    let mut d = Utc::now().date_naive() + Duration::days(2);
    while d.weekday() != Weekday::Sat {
        d += Duration::days(1);
    }
    d.and_hms_opt(10, 0, 0).unwrap().and_utc()
}

#[tokio::test]
async fn the_main_journey() {
    // Admin → council → zones → scheme (published) → provider (approved) → vehicles.
    let stack = Stack::start_with(Options {
        cards: Cards::LocalStripe,
        ..Options::default()
    })
    .await;
    let w = World::on(stack, 20_000_000).await;
    let stripe = w.stack.stripe.as_ref().unwrap();
    let began = Utc::now() - Duration::minutes(1);

    // The provider starts payout onboarding: an express account at the processor.
    let o = w
        .provider
        .data::<StartPayoutOnboarding>(start_payout_onboarding::Variables)
        .await
        .start_payout_onboarding;
    o.assert_ok();
    let account = o
        .url
        .as_deref()
        .unwrap()
        .split('/')
        .find(|p| p.starts_with("acct_"))
        .unwrap();
    assert_eq!(stripe.get(&format!("accounts/{account}")).await["type"], "express");

    // The household signs up, fills its profile and qualifies, with reasons.
    let (h, _) = w.household("family@wox.test").await;
    let e = h.data::<MyEligibility>(my_eligibility::Variables).await;
    let decision = &e.me.unwrap().household.unwrap().eligibility[0];
    assert_eq!(decision.scheme.name, "EV lease support");
    assert!(decision.eligible);
    assert!(decision.reasons.iter().all(|r| r.passed));

    // Offers for Saturday 10:00–14:00 within 5 km, needing 4 seats.
    let start = saturday_ten();
    let input = offers::OffersInput {
        kind: offers::BookingKind::Hire,
        start,
        end: Some(start + Duration::hours(4)),
        lease_months: None,
        near: None,
        radius_km: Some(5.0),
        seats: Some(4),
        wheelchair_accessible: None,
        electric_only: None,
        first: None,
        household_id: None,
    };
    let o = h
        .data::<Offers>(offers::Variables { input: input.clone() })
        .await
        .offers;
    assert_eq!(o.len(), 3, "{o:?}");
    let scores: Vec<f64> = o.iter().map(|o| o.score).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "best first: {scores:?}");
    for offer in &o {
        assert_eq!(
            offer.price,
            offers::OffersOffersPrice {
                currency: "GBP".into(),
                base_pence: 2600,
                subsidy_pence: 1040,
                household_pence: 1560,
            }
        );
        assert_eq!(offer.subsidies[0].scheme.name, "EV lease support");
        let reasons = &offer.reasons;
        assert!(reasons[0].ends_with("km from home"), "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("Seats ") && r.ends_with("fits your 4")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r == "£15.60 after a £10.40 council subsidy"),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r == "Electric"), "{reasons:?}");
    }
    // The exact fit (4 seats) ranks above the 7-seater at a similar distance.
    let best = o[0].vehicle.id.clone();

    // Book the best with a card.
    let mut booking = book_vehicle::BookVehicleInput {
        vehicle_id: best.clone(),
        kind: book_vehicle::BookingKind::Hire,
        start,
        end: Some(start + Duration::hours(4)),
        lease_months: None,
        payment_method: Some("pm_card_visa".into()),
        idempotency_key: "saturday".into(),
        household_id: None,
    };
    let p = h
        .data::<BookVehicle>(book_vehicle::Variables { input: booking.clone() })
        .await
        .book_vehicle;
    p.assert_ok();
    let b = p.booking.unwrap();
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed);
    assert_eq!(b.payment.unwrap().status, book_vehicle::PaymentStatus::Captured);
    let id = b.id;
    // At the processor: one PaymentIntent for the booking, its £15.60 captured.
    let intents = stripe.intents_with("booking_id", &id).await;
    assert_eq!(intents.len(), 1, "{intents:?}");
    let intent = intents[0]["id"].as_str().unwrap().to_string();
    let pi = stripe.get(&format!("payment_intents/{intent}")).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    assert_eq!(pi["amount"], 1560);
    assert_eq!(pi["amount_received"], 1560);
    assert_eq!(pi["currency"], "gbp");
    assert!(stripe.refunds_of(&intent).await.is_empty());
    // The booked vehicle is no longer offered for that period.
    let o = h.data::<Offers>(offers::Variables { input }).await.offers;
    assert!(o.iter().all(|o| o.vehicle.id != best));

    // A second household, the same vehicle, an overlapping time: refused.
    let (h2, _) = w.household("neighbour@wox.test").await;
    booking.start = start + Duration::hours(2);
    booking.end = Some(start + Duration::hours(5));
    let refused = h2
        .data::<BookVehicle>(book_vehicle::Variables { input: booking })
        .await
        .book_vehicle;
    assert_eq!(refused.code(), "SLOT_UNAVAILABLE");

    // The household cancels days ahead: the whole share back, the subsidy released.
    let c = h
        .data::<CancelBooking>(cancel_booking::Variables {
            id: id.clone(),
            reason: Some("Change of plan".into()),
        })
        .await
        .cancel_booking;
    c.assert_ok();
    let cancelled = c.booking.unwrap();
    assert_eq!(cancelled.status, cancel_booking::BookingStatus::Cancelled);
    assert_eq!(cancelled.cancellation.unwrap().refund_pence, 1560);
    assert_eq!(
        cancelled.payment.unwrap().status,
        cancel_booking::PaymentStatus::Refunded
    );
    // The refund was made at the processor, once, of the whole £15.60.
    let refunds = stripe.refunds_of(&intent).await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 1560);
    assert_eq!(refunds[0]["status"], "succeeded");
    let charge = pi["latest_charge"].as_str().unwrap();
    assert_eq!(stripe.get(&format!("charges/{charge}")).await["amount_refunded"], 1560);
    // The ledger balances, per transaction and overall.
    let unbalanced = rows(
        &w.stack.payments_pool,
        "select count(*) from (select transaction_id from ledger_entries group by transaction_id having sum(amount_pence) <> 0) t",
    )
    .await;
    assert_eq!(unbalanced, 0);

    // The officer's report: the booking was cancelled, so it is counted
    // apart with its refund, in none of the money that stands.
    let r = w
        .officer
        .data::<CouncilReport>(council_report::Variables {
            council_id: w.council.clone(),
            from: began,
            to: Utc::now() + Duration::minutes(1),
        })
        .await;
    assert_eq!(
        r.council_report,
        council_report::CouncilReportCouncilReport {
            bookings: 0,
            households: 0,
            gross_pence: 0,
            subsidy_pence: 0,
            household_paid_pence: 0,
            refunded_pence: 1560,
            cancelled_bookings: 1,
            cancellation_charges_pence: 0,
            by_scheme: vec![],
        }
    );
    // Households see no report.
    let denied = h
        .run::<CouncilReport>(council_report::Variables {
            council_id: w.council.clone(),
            from: began,
            to: Utc::now(),
        })
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&denied), "FORBIDDEN");
}
