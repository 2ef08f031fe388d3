//! `offers` through the gateway against every real service: booked
//! vehicles are left out for the period only, the household's needs and
//! home are used unless the search says otherwise, the subsidy is the best
//! eligible scheme's (bounded by what is left of its budget), leases are
//! priced by the month, and only a signed-in household gets offers.

use crate::support::bookings::{in_days, World, WITNEY};
use crate::support::gql::bookings::{book, hire};
use crate::support::gql::offers::{offers, Offers};
use crate::support::gql::{first_error_code, Payload, Typed};
use chrono::Duration;
use roundabout::graphql_client::GraphqlClient;

/// A search with nothing but what the schema requires.
fn search(kind: offers::BookingKind, start: chrono::DateTime<chrono::Utc>) -> offers::OffersInput {
    offers::OffersInput {
        kind,
        start,
        end: None,
        lease_months: None,
        near: None,
        radius_km: None,
        seats: None,
        wheelchair_accessible: None,
        electric_only: None,
        first: None,
        household_id: None,
    }
}

fn window(days: i64) -> offers::OffersInput {
    let start = in_days(days);
    offers::OffersInput {
        end: Some(start + Duration::hours(4)),
        ..search(offers::BookingKind::Hire, start)
    }
}

async fn offers_for(h: &GraphqlClient, input: offers::OffersInput) -> Vec<offers::OffersOffers> {
    h.data::<Offers>(offers::Variables { input }).await.offers
}

fn ids(o: &[offers::OffersOffers]) -> Vec<String> {
    o.iter().map(|x| x.vehicle.id.clone()).collect()
}

/// (base, subsidy, household) pence.
fn price(offer: &offers::OffersOffers) -> (i64, i64, i64) {
    (
        offer.price.base_pence,
        offer.price.subsidy_pence,
        offer.price.household_pence,
    )
}

#[tokio::test]
async fn offers_leave_out_booked_vehicles_for_the_period_only() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;
    let o = offers_for(&h, window(3)).await;
    let mut all = ids(&o);
    all.sort();
    let mut expected = w.vehicles.clone();
    expected.sort();
    assert_eq!(all, expected, "{o:?}");
    for offer in &o {
        // 4 h at £6.50 = £26; 40% = £10.40 from the EV scheme.
        assert_eq!(price(offer), (2600, 1040, 1560));
        assert_eq!(offer.subsidies[0].scheme.name, "EV lease support");
    }

    // Another household books the first vehicle for that afternoon.
    let (other, _) = w.household("neighbours@wox.test").await;
    let p = book(&other, hire(&w.vehicles[0], in_days(3), 4, "k1")).await;
    p.assert_ok();
    let o = offers_for(&h, window(3)).await;
    let now = ids(&o);
    assert_eq!(now.len(), 2, "{o:?}");
    assert!(!now.contains(&w.vehicles[0]));
    // An overlapping hour is taken too; the next day is free.
    let mut overlapping = window(3);
    overlapping.start = in_days(3) + Duration::hours(3);
    overlapping.end = Some(in_days(3) + Duration::hours(6));
    assert!(!ids(&offers_for(&h, overlapping).await).contains(&w.vehicles[0]));
    assert!(ids(&offers_for(&h, window(4)).await).contains(&w.vehicles[0]));
}

#[tokio::test]
async fn offers_follow_the_search_then_the_profile() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;

    // Seats asked for: only the 7-seater fits 6; it says so.
    let mut six = window(3);
    six.seats = Some(6);
    let o = offers_for(&h, six).await;
    assert_eq!(ids(&o), vec![w.vehicles[2].clone()], "{o:?}");
    let reasons = &o[0].reasons;
    assert!(
        reasons.iter().any(|r| r.contains("Seats 7: fits your 6")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("km from home")), "{reasons:?}");

    // Without seats, the profile's need (4) scores the 4-seater best of
    // three otherwise alike (all electric, priced the same, within 1 km).
    let o = offers_for(&h, window(3)).await;
    assert_eq!(o[0].vehicle.seats, 4, "{o:?}");
    let scores: Vec<f64> = o.iter().map(|x| x.score).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "best first: {scores:?}");

    // A place given instead of home: far away, nothing.
    let mut elsewhere = window(3);
    elsewhere.near = Some(offers::GeoPointInput { lat: 51.75, lon: -1.26 });
    elsewhere.radius_km = Some(2.0);
    let o = offers_for(&h, elsewhere).await;
    assert_eq!(o, vec![]);

    // A household without a profile must say where to look, and gets no
    // subsidy: nothing is known about it yet.
    let newcomer = w.stack.household(&w.council, "new@wox.test").await;
    let errors = newcomer
        .run::<Offers>(offers::Variables { input: window(3) })
        .await
        .unwrap_err();
    assert_eq!(first_error_code(&errors), "INVALID_INPUT", "{errors:?}");
    let mut near = window(3);
    near.near = Some(offers::GeoPointInput {
        lat: WITNEY.1,
        lon: WITNEY.0,
    });
    let o = offers_for(&newcomer, near).await;
    assert_eq!(ids(&o).len(), 3, "{o:?}");
    for offer in &o {
        assert_eq!(offer.price.subsidy_pence, 0);
        assert_eq!(offer.subsidies, vec![]);
        let reasons = &offer.reasons;
        assert!(
            reasons.iter().any(|r| r.contains("from the place you chose"))
                && reasons.iter().any(|r| r.contains("no council subsidy")),
            "{reasons:?}"
        );
    }

    // Only a household gets offers.
    for who in [&w.officer, &w.provider, &w.stack.anon] {
        let errors = who
            .run::<Offers>(offers::Variables { input: window(3) })
            .await
            .unwrap_err();
        assert!(
            ["FORBIDDEN", "UNAUTHENTICATED"].contains(&first_error_code(&errors).as_str()),
            "{errors:?}"
        );
    }
}

#[tokio::test]
async fn a_lease_is_priced_by_the_month_and_the_subsidy_by_what_is_left() {
    // A budget of £5: less than one hire's 40%.
    let w = World::new(500).await;
    let (h, _) = w.household("family@wox.test").await;
    for offer in &offers_for(&h, window(3)).await {
        assert_eq!(price(offer), (2600, 500, 2100));
    }

    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;
    let lease = offers::OffersInput {
        lease_months: Some(12),
        ..search(offers::BookingKind::Lease, in_days(10))
    };
    let o = offers_for(&h, lease.clone()).await;
    assert_eq!(ids(&o).len(), 3, "{o:?}");
    // £300 a month for 12 months; 40% = £120 a month, at the £120 cap.
    for offer in &o {
        assert_eq!(price(offer), (360_000, 144_000, 216_000));
    }
    let mut zero = lease;
    zero.lease_months = Some(0);
    let errors = h.run::<Offers>(offers::Variables { input: zero }).await.unwrap_err();
    assert_eq!(first_error_code(&errors), "INVALID_INPUT", "{errors:?}");
}
