//! Booking through the gateway against the real services (the payment
//! processor is the in-process fake): confirmation by invoice and card,
//! the calendar refusing overlaps, a declined card compensated, cancellation
//! refunds per policy, and tenancy.

use crate::support::bookings::{in_days, rows, World, WITNEY};
use crate::support::gql::bookings::{
    book, book_vehicle, booking, booking_contact, cancel, cancel_booking, council_provider_bookings, hire, my_bookings,
    provider_bookings, BookingContact, CouncilProviderBookings, MyBookings, ProviderBookings,
};
use crate::support::gql::councils::{council_contact, update_council_contact, CouncilContact, UpdateCouncilContact};
use crate::support::gql::fleet::{
    apply_to_council, approve_provider, council_provider_contacts, update_provider_contact, ApplyToCouncil,
    ApproveProvider, CouncilProviderContacts, UpdateProviderContact,
};
use crate::support::gql::households::{profile, update_household_profile, UpdateHouseholdProfile};
use crate::support::gql::schemes::{scheme_spend, SchemeSpend};
use crate::support::gql::{first_error_code, Payload, Typed};
use chrono::Duration;

async fn committed(w: &World) -> i64 {
    let v = w
        .officer
        .data::<SchemeSpend>(scheme_spend::Variables {
            council_id: w.council.clone(),
        })
        .await;
    v.council.unwrap().schemes[0].committed_pence
}

async fn booking(client: &roundabout::graphql_client::GraphqlClient, id: &str) -> Option<booking::BookingFields> {
    client
        .data::<crate::support::gql::bookings::Booking>(booking::Variables { id: id.into() })
        .await
        .booking
}

/// A provider's contact details as (pickup address, phone, email).
macro_rules! contact {
    ($c:expr) => {{
        let c = &$c;
        (c.pickup_address.as_deref(), c.phone.as_deref(), c.email.as_deref())
    }};
}

#[tokio::test]
async fn a_household_books_by_invoice_and_card_and_a_second_household_is_refused() {
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("one@wox.test").await;
    let (h2, _) = w.household("two@wox.test").await;
    let start = in_days(3);

    // By invoice: 4 hours at £6.50 (cheaper than a day at £45), 40 % subsidy.
    let p = book(&h1, hire(&w.vehicles[0], start, 4, "k1")).await;
    p.assert_ok();
    let b = p.booking.unwrap();
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed);
    assert_eq!(
        b.price,
        book_vehicle::BookingFieldsPrice {
            currency: "GBP".into(),
            base_pence: 2600,
            subsidy_pence: 1040,
            household_pence: 1560,
        }
    );
    assert_eq!(b.subsidies[0].scheme.name, "EV lease support");
    let payment = b.payment.as_ref().unwrap();
    assert_eq!(payment.method, book_vehicle::PaymentMethodKind::Invoice);
    assert_eq!(payment.status, book_vehicle::PaymentStatus::Captured);
    assert_eq!(payment.amount_pence, 1560);
    assert_eq!(b.household.id, h1_id);
    let id = b.id.clone();
    assert_eq!(committed(&w).await, 1040);

    // The same key and request: the same booking; a different request: a conflict.
    let again = book(&h1, hire(&w.vehicles[0], start, 4, "k1")).await;
    assert_eq!(again.booking.unwrap().id, id);
    let other = book(&h1, hire(&w.vehicles[1], start, 4, "k1")).await;
    assert_eq!(other.code(), "IDEMPOTENCY_CONFLICT");
    assert_eq!(other.booking, None);

    // Another household, the same vehicle, an overlapping period.
    let refused = book(&h2, hire(&w.vehicles[0], start + Duration::hours(3), 2, "k1")).await;
    assert_eq!(refused.code(), "SLOT_UNAVAILABLE");
    // Back to back is fine (half-open periods), by card this time.
    let mut by_card = hire(&w.vehicles[0], start + Duration::hours(4), 2, "k2");
    by_card.payment_method = Some("pm_card_visa".into());
    let p = book(&h2, by_card).await;
    p.assert_ok();
    let b = p.booking.unwrap();
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed);
    let payment = b.payment.unwrap();
    assert_eq!(payment.method, book_vehicle::PaymentMethodKind::Card);
    assert_eq!(payment.status, book_vehicle::PaymentStatus::Captured);
    assert_eq!(payment.client_secret, None);
    assert_eq!(rows(&w.stack.bookings_pool, "select count(*) from bookings").await, 2);

    // Tenancy: nobody sees another household's booking.
    assert_eq!(booking(&h1, &id).await.unwrap().id, id);
    assert_eq!(booking(&h2, &id).await, None);
    assert_eq!(booking(&w.officer, &id).await.unwrap().id, id);

    // Lists.
    let mine = h1
        .data::<MyBookings>(my_bookings::Variables)
        .await
        .me
        .unwrap()
        .household
        .unwrap()
        .bookings;
    assert_eq!(mine.total_count, 1);
    assert_eq!(mine.nodes[0].id, id);
    let page = w
        .provider
        .data::<ProviderBookings>(provider_bookings::Variables { first: Some(1) })
        .await
        .me
        .unwrap()
        .provider
        .unwrap()
        .bookings;
    assert_eq!(page.total_count, 2);
    assert!(page.page_info.has_next_page);
    assert_eq!(page.edges[0].node.id, id);
}

#[tokio::test]
async fn a_declined_card_fails_takes_nothing_commits_nothing_and_frees_the_slot() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let start = in_days(2);
    let mut input = hire(&w.vehicles[0], start, 4, "declined");
    input.payment_method = Some(roundabout_payments::processor::fake::DECLINED_CARD.into());
    let p = book(&h, input).await;
    assert_eq!(p.code(), "PAYMENT_DECLINED", "{p:?}");
    let b = p.booking.unwrap();
    assert_eq!(b.status, book_vehicle::BookingStatus::Failed);
    assert_eq!(b.payment.unwrap().status, book_vehicle::PaymentStatus::Failed);
    assert_eq!(committed(&w).await, 0);
    assert_eq!(
        rows(&w.stack.payments_pool, "select count(*) from ledger_entries").await,
        0
    );
    // The slot is free again.
    let p = book(&h, hire(&w.vehicles[0], start, 4, "retry")).await;
    assert_eq!(
        p.booking.as_ref().map(|b| &b.status),
        Some(&book_vehicle::BookingStatus::Confirmed),
        "{p:?}"
    );
}

#[tokio::test]
async fn cancellation_refunds_per_policy_and_releases_the_subsidy() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let (other, _) = w.household("two@wox.test").await;

    // Days ahead: the whole household share back.
    let early = book(&h, hire(&w.vehicles[0], in_days(3), 4, "early")).await;
    let early_id = early.booking.unwrap().id;
    // Hours ahead: half.
    let soon_start = chrono::Utc::now() + Duration::hours(3);
    let soon = book(&h, hire(&w.vehicles[1], soon_start, 4, "soon")).await;
    assert_eq!(
        soon.booking.as_ref().map(|b| &b.status),
        Some(&book_vehicle::BookingStatus::Confirmed),
        "{soon:?}"
    );
    let soon_id = soon.booking.unwrap().id;
    assert_eq!(committed(&w).await, 2080);

    // Someone else's booking: not found; the provider: forbidden.
    let p = cancel(&other, &early_id, None).await;
    assert_eq!(p.code(), "NOT_FOUND");
    let err = w
        .provider
        .run::<crate::support::gql::bookings::CancelBooking>(cancel_booking::Variables {
            id: early_id.clone(),
            reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&err), "FORBIDDEN", "{err:?}");

    let p = cancel(&h, &early_id, Some("Plans changed")).await;
    p.assert_ok();
    let b = p.booking.unwrap();
    assert_eq!(b.status, cancel_booking::BookingStatus::Cancelled);
    let cancellation = b.cancellation.unwrap();
    assert_eq!(cancellation.reason.as_deref(), Some("Plans changed"));
    assert_eq!(cancellation.refund_pence, 1560);
    let payment = b.payment.unwrap();
    assert_eq!(payment.status, cancel_booking::PaymentStatus::Refunded);
    assert_eq!(payment.refunded_pence, 1560);
    assert_eq!(committed(&w).await, 1040);

    // The officer of the council cancels the other: half back.
    let p = cancel(&w.officer, &soon_id, None).await;
    let b = p.booking.as_ref().unwrap_or_else(|| panic!("{p:?}"));
    assert_eq!(b.cancellation.as_ref().unwrap().refund_pence, 780, "{p:?}");
    assert_eq!(
        b.payment.as_ref().unwrap().status,
        cancel_booking::PaymentStatus::PartiallyRefunded
    );
    assert_eq!(committed(&w).await, 0);

    // Twice: INVALID_STATE, nothing changes.
    let p = cancel(&h, &early_id, None).await;
    assert_eq!(p.code(), "INVALID_STATE");
    // The slot is free again.
    let p = book(&other, hire(&w.vehicles[0], in_days(3), 4, "after")).await;
    assert_eq!(
        p.booking.as_ref().map(|b| &b.status),
        Some(&book_vehicle::BookingStatus::Confirmed),
        "{p:?}"
    );
}

#[tokio::test]
async fn the_scheduler_starts_and_completes_a_booking_and_releases_the_payout() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("one@wox.test").await;
    let start = chrono::Utc::now() + Duration::seconds(3);
    let mut input = hire(&w.vehicles[0], start, 0, "short");
    input.end = Some(start + Duration::seconds(3));
    let p = book(&h, input).await;
    let b = p.booking.as_ref().unwrap_or_else(|| panic!("{p:?}"));
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed, "{p:?}");
    let id: uuid::Uuid = b.id.parse().unwrap();
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, step): (String, String) = sqlx::query_as("select status, step from bookings where id = $1")
            .bind(id)
            .fetch_one(&w.stack.bookings_pool)
            .await
            .unwrap();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "COMPLETED" && step == "DONE" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stuck at {status}/{step}: {seen:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen.contains(&"ACTIVE".to_string()), "{seen:?}");
    // The provider's share is released for payout.
    let payouts: i64 = sqlx::query_scalar("select count(*) from payouts where booking_id = $1")
        .bind(id)
        .fetch_one(&w.stack.payments_pool)
        .await
        .unwrap();
    assert_eq!(payouts, 1);
}

#[tokio::test]
async fn an_officer_sees_and_counts_only_the_provider_bookings_made_in_its_council() {
    // One household hires two vehicles at the same time: beyond its limits.
    let w = World::unbounded(20_000_000).await;
    // The provider also operates in a second council covering the same area.
    let (other, other_officer) = w.stack.council("OXC", "officer@oxc.test").await;
    w.provider
        .data::<ApplyToCouncil>(apply_to_council::Variables {
            council_id: other.clone(),
        })
        .await
        .apply_to_council
        .assert_ok();
    other_officer
        .data::<ApproveProvider>(approve_provider::Variables {
            council_id: other.clone(),
            provider_id: w.provider_id.clone(),
        })
        .await
        .approve_provider
        .assert_ok();
    // Bookings: one in the second council, then two in the first.
    let elsewhere = w.stack.household(&other, "far@oxc.test").await;
    elsewhere
        .data::<UpdateHouseholdProfile>(update_household_profile::Variables {
            input: profile(WITNEY.0, WITNEY.1, 1_500_000, 0),
        })
        .await
        .update_household_profile
        .assert_ok();
    let p = book(&elsewhere, hire(&w.vehicles[0], in_days(2), 2, "x")).await;
    let b = p.booking.as_ref().unwrap_or_else(|| panic!("{p:?}"));
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed, "{p:?}");
    let elsewhere_id = b.id.clone();
    let (h, _) = w.household("one@wox.test").await;
    let mut mine = Vec::new();
    for (i, v) in w.vehicles[1..].iter().enumerate() {
        let p = book(&h, hire(v, in_days(3), 2, &format!("k{i}"))).await;
        let b = p.booking.as_ref().unwrap_or_else(|| panic!("{p:?}"));
        assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed, "{p:?}");
        mine.push(b.id.clone());
    }

    let page = |officer: &'static str, after: Option<String>| {
        let (client, council) = if officer == "WOX" {
            (&w.officer, &w.council)
        } else {
            (&other_officer, &other)
        };
        async move {
            let v = client
                .data::<CouncilProviderBookings>(council_provider_bookings::Variables {
                    council_id: council.clone(),
                    after,
                })
                .await;
            v.council.unwrap().providers[0].bookings.clone()
        }
    };
    let ids = |nodes: &[council_provider_bookings::CouncilProviderBookingsCouncilProvidersBookingsNodes]| {
        nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>()
    };
    let first = page("WOX", None).await;
    assert_eq!(first.total_count, 2, "{first:?}");
    assert_eq!(ids(&first.nodes), vec![mine[0].clone()]);
    assert!(first.page_info.has_next_page);
    let second = page("WOX", first.page_info.end_cursor.clone()).await;
    assert_eq!(second.total_count, 2, "{second:?}");
    assert_eq!(ids(&second.nodes), vec![mine[1].clone()]);
    assert!(!second.page_info.has_next_page);
    let theirs = page("OXC", None).await;
    assert_eq!(theirs.total_count, 1, "{theirs:?}");
    assert_eq!(ids(&theirs.nodes), vec![elsewhere_id]);
    assert!(!theirs.page_info.has_next_page);
    // The provider itself sees and counts all three.
    let all = w
        .provider
        .data::<ProviderBookings>(provider_bookings::Variables { first: None })
        .await;
    assert_eq!(all.me.unwrap().provider.unwrap().bookings.total_count, 3);
}

fn provider_contact(
    pickup_address: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
) -> update_provider_contact::Variables {
    update_provider_contact::Variables {
        input: update_provider_contact::ProviderContactInput {
            pickup_address: pickup_address.map(str::to_string),
            phone: phone.map(str::to_string),
            email: email.map(str::to_string),
        },
    }
}

fn council_contact_input(council: &str, email: Option<&str>, phone: Option<&str>) -> update_council_contact::Variables {
    update_council_contact::Variables {
        council_id: council.into(),
        input: update_council_contact::CouncilContactInput {
            email: email.map(str::to_string),
            phone: phone.map(str::to_string),
        },
    }
}

#[tokio::test]
async fn households_read_the_provider_s_contact_details_on_their_bookings_and_officers_on_the_provider() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("contact@wox.test").await;

    // Bad details are refused at their field; nothing is stored.
    let p = w
        .provider
        .data::<UpdateProviderContact>(provider_contact(None, None, Some("bookings")))
        .await
        .update_provider_contact;
    assert_eq!(p.code(), "INVALID_INPUT", "{p:?}");
    assert_eq!(
        p.user_errors()[0].field,
        Some(vec!["input".to_string(), "email".to_string()])
    );
    // Only a provider's members set them.
    let refused = h
        .run::<UpdateProviderContact>(provider_contact(None, Some("01993 555010"), None))
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&refused), "FORBIDDEN", "{refused:?}");
    let p = w
        .provider
        .data::<UpdateProviderContact>(provider_contact(
            Some("Market Square\nWitney"),
            Some("01993 555010"),
            Some("bookings@cotswold.example"),
        ))
        .await
        .update_provider_contact;
    p.assert_ok();
    let contact = (
        Some("Market Square\nWitney"),
        Some("01993 555010"),
        Some("bookings@cotswold.example"),
    );
    assert_eq!(
        contact!(p.provider.as_ref().unwrap().contact.as_ref().unwrap()),
        contact
    );

    // The household reads them on its booking, not on any provider.
    let b = book(&h, hire(&w.vehicles[0], in_days(3), 4, "contact-1")).await;
    let id = b.booking.unwrap().id;
    let vars = || booking_contact::Variables { id: id.clone() };
    let v = h.data::<BookingContact>(vars()).await.booking.unwrap();
    assert_eq!(contact!(v.provider_contact), contact);
    assert!(v.vehicle.provider.contact.is_none(), "{v:?}");
    // Another household sees neither the booking nor the details.
    let (other, _) = w.household("other-contact@wox.test").await;
    let v = other.data::<BookingContact>(vars()).await;
    assert!(v.booking.is_none());

    // Officers of the council read them on the booking and the provider.
    let v = w.officer.data::<BookingContact>(vars()).await.booking.unwrap();
    assert_eq!(contact!(v.provider_contact), contact);
    let v = w
        .officer
        .data::<CouncilProviderContacts>(council_provider_contacts::Variables {
            council_id: w.council.clone(),
        })
        .await;
    let providers = v.council.unwrap().providers;
    assert_eq!(contact!(providers[0].contact.as_ref().unwrap()), contact);
    // The council's contact details: its officers set them, anyone reads them.
    let refused = h
        .run::<UpdateCouncilContact>(council_contact_input(&w.council, Some("x@wox.example"), None))
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&refused), "FORBIDDEN", "{refused:?}");
    let p = w
        .officer
        .data::<UpdateCouncilContact>(council_contact_input(&w.council, None, Some("ring us")))
        .await
        .update_council_contact;
    assert_eq!(
        p.user_errors().first().and_then(|e| e.field.clone()),
        Some(vec!["input".to_string(), "phone".to_string()]),
        "{p:?}"
    );
    let p = w
        .officer
        .data::<UpdateCouncilContact>(council_contact_input(
            &w.council,
            Some("transport@wox.example"),
            Some("01993 861000"),
        ))
        .await
        .update_council_contact;
    p.assert_ok();
    let v = w
        .stack
        .anon
        .data::<CouncilContact>(council_contact::Variables {
            council_id: w.council.clone(),
        })
        .await;
    let c = v.council.unwrap().contact;
    assert_eq!(
        (c.email.as_deref(), c.phone.as_deref()),
        (Some("transport@wox.example"), Some("01993 861000"))
    );

    // Empty clears a part.
    let p = w
        .provider
        .data::<UpdateProviderContact>(provider_contact(Some(""), Some("01993 555010"), None))
        .await
        .update_provider_contact;
    assert_eq!(
        contact!(p.provider.as_ref().unwrap().contact.as_ref().unwrap()),
        (None, Some("01993 555010"), None)
    );
}
