//! Assisted booking: an officer finds a household of the council and acts
//! for it — reads and updates its profile, searches offers, books by invoice
//! and cancels — every action in the council's audit log with the officer's
//! name. Officers of other councils and other households are refused and
//! change nothing.

use crate::support::bookings::{in_days, rows, World, WITNEY};
use crate::support::gql::bookings::{
    book, book_vehicle, cancel, cancel_booking, hire, my_bookings, BookVehicle, MyBookings,
};
use crate::support::gql::households::{
    audit_log, council_households, household_members, my_id, profile_for, update_profile_for, AuditLog,
    CouncilHouseholds, HouseholdMembers, MyId, UpdateProfileFor,
};
use crate::support::gql::offers::{offers, Offers};
use crate::support::gql::{field, first_error_code, Payload, Typed};
use chrono::Duration;
use roundabout::graphql_client::GraphqlClient;

type Households = council_households::CouncilHouseholdsCouncilHouseholds;
type Log = audit_log::AuditLogCouncilAuditLog;

fn households_vars(council: &str) -> council_households::Variables {
    council_households::Variables {
        council_id: council.into(),
        search: None,
        first: None,
        after: None,
    }
}

async fn households(officer: &GraphqlClient, vars: council_households::Variables) -> Households {
    officer
        .data::<CouncilHouseholds>(vars)
        .await
        .council
        .unwrap()
        .households
}

fn audit_vars(council: &str, household: Option<&str>, first: Option<i64>) -> audit_log::Variables {
    audit_log::Variables {
        council_id: council.into(),
        household_id: household.map(str::to_string),
        first,
        after: None,
    }
}

async fn audit_page(officer: &GraphqlClient, vars: audit_log::Variables) -> Log {
    officer.data::<AuditLog>(vars).await.council.unwrap().audit_log
}

async fn audit(officer: &GraphqlClient, council: &str, household: Option<&str>) -> Log {
    audit_page(officer, audit_vars(council, household, Some(100))).await
}

async fn audit_rows(w: &World) -> i64 {
    rows(&w.stack.gateway_pool, "select count(*) from assisted_actions").await
}

async fn read_household(h: &GraphqlClient, id: &str) -> Option<household_members::HouseholdMembersHousehold> {
    h.data::<HouseholdMembers>(household_members::Variables { id: id.into() })
        .await
        .household
}

async fn members(h: &GraphqlClient, id: &str) -> i64 {
    read_household(h, id).await.unwrap().profile.unwrap().members
}

async fn update_for(
    officer: &GraphqlClient,
    input: update_profile_for::HouseholdProfileInput,
) -> update_profile_for::UpdateProfileForUpdateHouseholdProfile {
    officer
        .data::<UpdateProfileFor>(update_profile_for::Variables { input })
        .await
        .update_household_profile
}

#[tokio::test]
async fn an_officer_acts_for_a_household_and_every_action_is_audited() {
    use audit_log::{AssistedActionKind as Action, AssistedActionOutcome as Outcome};
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("ann.smith@wox.test").await;
    let (h2, h2_id) = w.household("bob.jones@wox.test").await;
    let (other_council, other_officer) = w.stack.council("OTH", "officer@oth.test").await;
    let start = in_days(3);

    // Finding households: by email, any case; wildcards are plain text.
    let found = households(
        &w.officer,
        council_households::Variables {
            search: Some("  ANN.S ".into()),
            ..households_vars(&w.council)
        },
    )
    .await;
    assert_eq!(found.total_count, 1, "{found:?}");
    assert_eq!(found.nodes[0].id, h1_id);
    assert_eq!(found.nodes[0].email.as_deref(), Some("ann.smith@wox.test"));
    let none = households(
        &w.officer,
        council_households::Variables {
            search: Some("%".into()),
            ..households_vars(&w.council)
        },
    )
    .await;
    assert_eq!(none.total_count, 0, "{none:?}");
    let page = households(
        &w.officer,
        council_households::Variables {
            first: Some(1),
            ..households_vars(&w.council)
        },
    )
    .await;
    assert_eq!(page.total_count, 2);
    assert!(page.page_info.has_next_page);
    let after = page.page_info.end_cursor.clone().unwrap();
    let next = households(
        &w.officer,
        council_households::Variables {
            first: Some(1),
            after: Some(after),
            ..households_vars(&w.council)
        },
    )
    .await;
    assert_eq!(next.nodes[0].id, h2_id);
    // Only the council's officers search its households.
    for (who, client) in [("other officer", &other_officer), ("household", &h1)] {
        let errors = client
            .run::<CouncilHouseholds>(households_vars(&w.council))
            .await
            .unwrap_err();
        assert_eq!(first_error_code(&errors), "FORBIDDEN", "{who}: {errors:?}");
    }
    // The other council's officer finds none of these.
    let theirs = households(
        &other_officer,
        council_households::Variables {
            search: Some("ann".into()),
            ..households_vars(&other_council)
        },
    )
    .await;
    assert_eq!(theirs.total_count, 0);
    assert_eq!(audit_rows(&w).await, 0, "searching is not acting for a household");

    // Reading the profile.
    assert_eq!(members(&w.officer, &h1_id).await, 2);

    // Updating it for the household.
    let mut input = profile_for(WITNEY.0, WITNEY.1, 1_500_000, 0);
    input.members = 3;
    input.household_id = Some(h1_id.clone());
    let p = update_for(&w.officer, input.clone()).await;
    p.assert_ok();
    assert_eq!(p.household.unwrap().id, h1_id);
    assert_eq!(members(&h1, &h1_id).await, 3);
    // A field the service refuses comes back at the field, and is recorded as refused.
    let mut bad = input.clone();
    bad.members = 0;
    let p = update_for(&w.officer, bad).await;
    assert_eq!(
        p.user_errors().first().and_then(|e| e.field.clone()),
        field(&["input", "members"]),
        "{p:?}"
    );
    assert_eq!(members(&h1, &h1_id).await, 3);

    // Offers for the household.
    let offers_input = offers::OffersInput {
        kind: offers::BookingKind::Hire,
        start,
        end: Some(start + Duration::hours(4)),
        lease_months: None,
        near: None,
        radius_km: None,
        seats: None,
        wheelchair_accessible: None,
        electric_only: None,
        first: None,
        household_id: Some(h1_id.clone()),
    };
    let found_offers = w
        .officer
        .data::<Offers>(offers::Variables {
            input: offers_input.clone(),
        })
        .await
        .offers;
    assert!(!found_offers.is_empty(), "{found_offers:?}");
    // Subsidised: the household's own eligibility is applied.
    assert_eq!(found_offers[0].price.household_pence, 1560, "{found_offers:?}");

    // Booking for it, by invoice.
    let mut input = hire(&w.vehicles[0], start, 4, "assisted-1");
    input.household_id = Some(h1_id.clone());
    let p = book(&w.officer, input).await;
    p.assert_ok();
    let b = p.booking.unwrap();
    let booking = b.id.clone();
    assert_eq!(b.status, book_vehicle::BookingStatus::Confirmed);
    assert_eq!(b.household.id, h1_id);
    assert_eq!(b.payment.unwrap().method, book_vehicle::PaymentMethodKind::Invoice);
    let mine = h1
        .data::<MyBookings>(my_bookings::Variables)
        .await
        .me
        .unwrap()
        .household
        .unwrap()
        .bookings;
    assert_eq!(mine.nodes[0].id, booking);

    // A booking the service refuses is recorded with its reason.
    let mut taken = hire(&w.vehicles[0], start + Duration::hours(1), 2, "assisted-2");
    taken.household_id = Some(h1_id.clone());
    let p = book(&w.officer, taken).await;
    assert_eq!(p.code(), "SLOT_UNAVAILABLE", "{p:?}");

    // Refusals: an officer of another council, another household, a bad id.
    let before = (
        audit_rows(&w).await,
        rows(&w.stack.bookings_pool, "select count(*) from bookings").await,
    );
    let mut other_profile = profile_for(WITNEY.0, WITNEY.1, 1_500_000, 0);
    other_profile.members = 9;
    for (who, client, id) in [
        ("other council's officer", &other_officer, h1_id.as_str()),
        ("another household", &h2, h1_id.as_str()),
        ("a malformed id", &w.officer, "not-an-id"),
        (
            "an unknown household",
            &w.officer,
            "6f1c1c52-5f59-4f55-9d4b-2d0c8e1a0b01",
        ),
    ] {
        other_profile.household_id = Some(id.into());
        let errors = client
            .run::<UpdateProfileFor>(update_profile_for::Variables {
                input: other_profile.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(first_error_code(&errors), "FORBIDDEN", "{who} updates: {errors:?}");
        let mut i = offers_input.clone();
        i.household_id = Some(id.into());
        let errors = client.run::<Offers>(offers::Variables { input: i }).await.unwrap_err();
        assert_eq!(first_error_code(&errors), "FORBIDDEN", "{who} searches: {errors:?}");
        let mut i = hire(&w.vehicles[1], start, 2, "refused");
        i.household_id = Some(id.into());
        let errors = client
            .run::<BookVehicle>(book_vehicle::Variables { input: i })
            .await
            .unwrap_err();
        assert_eq!(first_error_code(&errors), "FORBIDDEN", "{who} books: {errors:?}");
    }
    // The other council's officer cannot see or cancel the booking.
    let p = cancel(&other_officer, &booking, None).await;
    assert_eq!(p.code(), "NOT_FOUND", "{p:?}");
    assert_eq!(read_household(&other_officer, &h1_id).await, None);
    assert_eq!(
        (
            audit_rows(&w).await,
            rows(&w.stack.bookings_pool, "select count(*) from bookings").await,
        ),
        before,
        "nothing changes on refusal"
    );
    assert_eq!(members(&h1, &h1_id).await, 3);

    // The household's own actions are its own: not in the log.
    let p = book(&h2, hire(&w.vehicles[1], start, 2, "own")).await;
    p.assert_ok();
    assert_eq!(audit_rows(&w).await, before.0);

    // Cancelling for the household.
    let p = cancel(&w.officer, &booking, Some("Asked by phone")).await;
    p.assert_ok();
    assert_eq!(p.status(), Some(&cancel_booking::BookingStatus::Cancelled));

    // The audit log: every action, newest first, with the officer's name.
    let log = audit(&w.officer, &w.council, Some(&h1_id)).await;
    let nodes = &log.nodes;
    let officer_id = w.officer.data::<MyId>(my_id::Variables).await.me.unwrap().id;
    for n in nodes {
        assert_eq!(n.officer_name, "officer@wox.test", "{n:?}");
        assert_eq!(n.officer_id, officer_id);
        assert_eq!(n.household.id, h1_id);
        assert_ne!(n.outcome, Outcome::Pending, "{n:?}");
        assert!(n.finished_at.is_some(), "{n:?}");
    }
    let seen: Vec<(&Action, &Outcome, Option<&str>)> = nodes
        .iter()
        .map(|n| (&n.action, &n.outcome, n.detail.as_deref()))
        .collect();
    let offers_detail = format!("{} offers", found_offers.len());
    assert_eq!(
        seen,
        vec![
            (&Action::Cancellation, &Outcome::Succeeded, None),
            (&Action::Booking, &Outcome::Refused, Some("SLOT_UNAVAILABLE")),
            (&Action::Booking, &Outcome::Succeeded, None),
            (&Action::OffersSearch, &Outcome::Succeeded, Some(offers_detail.as_str())),
            (&Action::ProfileUpdate, &Outcome::Refused, Some("INVALID_INPUT")),
            (&Action::ProfileUpdate, &Outcome::Succeeded, None),
            (&Action::ProfileRead, &Outcome::Succeeded, None),
        ],
        "{log:?}"
    );
    assert_eq!(nodes[0].target_id.as_deref(), Some(booking.as_str()));
    assert_eq!(nodes[2].target_id.as_deref(), Some(booking.as_str()));
    assert_eq!(log.total_count, 7);

    // Paging, newest first.
    let page = audit_page(&w.officer, audit_vars(&w.council, Some(&h1_id), Some(3))).await;
    assert_eq!(page.nodes.len(), 3);
    assert!(page.page_info.has_next_page);
    let rest = audit_page(
        &w.officer,
        audit_log::Variables {
            after: page.page_info.end_cursor.clone(),
            ..audit_vars(&w.council, Some(&h1_id), Some(10))
        },
    )
    .await
    .nodes;
    assert_eq!(rest.len(), 4);
    assert_eq!(rest[0].id, nodes[3].id);

    // The whole council's log holds only h1's entries; the admin sees it too.
    let all = audit(&w.stack.admin, &w.council, None).await;
    assert_eq!(all.total_count, 7, "{all:?}");
    // Nobody else reads it.
    for (who, client) in [
        ("other officer", &other_officer),
        ("household", &h1),
        ("provider", &w.provider),
    ] {
        let errors = client
            .run::<AuditLog>(audit_vars(&w.council, None, None))
            .await
            .unwrap_err();
        assert_eq!(first_error_code(&errors), "FORBIDDEN", "{who}: {errors:?}");
    }
    // The other council's log is empty.
    let theirs = audit(&other_officer, &other_council, None).await;
    assert_eq!(theirs.total_count, 0);

    // The eligibility service recorded the officer's profile read as well.
    let reads: Vec<(String, Option<String>)> =
        sqlx::query_as("select reader_kind, reader_name from profile_reads where household_id = $1::uuid order by id")
            .bind(&h1_id)
            .fetch_all(&w.stack.eligibility_pool)
            .await
            .unwrap();
    assert!(
        reads.contains(&("officer".into(), Some("officer@wox.test".into()))),
        "{reads:?}"
    );
}

#[tokio::test]
async fn a_household_passing_its_own_id_acts_for_itself_unaudited() {
    let w = World::new(20_000_000).await;
    let (h1, h1_id) = w.household("ann@wox.test").await;
    let mut input = hire(&w.vehicles[0], in_days(2), 2, "self");
    input.household_id = Some(h1_id.clone());
    let p = book(&h1, input).await;
    p.assert_ok();
    assert_eq!(p.booking.unwrap().household.id, h1_id);
    // An officer without a household id is still refused: offers and bookings are for a household.
    let errors = w
        .officer
        .run::<BookVehicle>(book_vehicle::Variables {
            input: hire(&w.vehicles[1], in_days(2), 2, "x"),
        })
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&errors), "FORBIDDEN", "{errors:?}");
    assert_eq!(audit_rows(&w).await, 0);
    // A profile read by the household itself is not audited; the officer's is.
    members(&h1, &h1_id).await;
    assert_eq!(audit_rows(&w).await, 0);
    members(&w.officer, &h1_id).await;
    assert_eq!(audit_rows(&w).await, 1);
}
