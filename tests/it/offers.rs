//! `offers` through the gateway against every real service: booked
//! vehicles are left out for the period only, the household's needs and
//! home are used unless the search says otherwise, the subsidy is the best
//! eligible scheme's (bounded by what is left of its budget), leases are
//! priced by the month, and only a signed-in household gets offers.

use crate::support;
use crate::support::bookings::*;
use chrono::Duration;
use serde_json::{json, Value};

const OFFERS: &str = "query($i: OffersInput!) { offers(input: $i) { vehicle { id seats } distanceKm \
    price { basePence subsidyPence householdPence } subsidies { scheme { name } amountPence } score reasons } }";

fn window(days: i64) -> Value {
    let start = in_days(days);
    json!({"kind": "HIRE", "start": start, "end": start + Duration::hours(4)})
}

fn ids(o: &Value) -> Vec<String> {
    o["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["vehicle"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn offers_leave_out_booked_vehicles_for_the_period_only() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;
    let o = h.query(OFFERS, json!({"i": window(3)})).await.unwrap();
    let mut all = ids(&o);
    all.sort();
    let mut expected = w.vehicles.clone();
    expected.sort();
    assert_eq!(all, expected, "{o}");
    for offer in o["offers"].as_array().unwrap() {
        // 4 h at £6.50 = £26; 40% = £10.40 from the EV scheme.
        assert_eq!(
            offer["price"],
            json!({"basePence": 2600, "subsidyPence": 1040, "householdPence": 1560})
        );
        assert_eq!(offer["subsidies"][0]["scheme"]["name"], "EV lease support");
    }

    // Another household books the first vehicle for that afternoon.
    let (other, _) = w.household("neighbours@wox.test").await;
    let p = book(&other, hire(&w.vehicles[0], in_days(3), 4, "k1")).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let o = h.query(OFFERS, json!({"i": window(3)})).await.unwrap();
    let now = ids(&o);
    assert_eq!(now.len(), 2, "{o}");
    assert!(!now.contains(&w.vehicles[0]));
    // An overlapping hour is taken too; the next day is free.
    let mut overlapping = window(3);
    overlapping["start"] = json!(in_days(3) + Duration::hours(3));
    overlapping["end"] = json!(in_days(3) + Duration::hours(6));
    assert!(!ids(&h.query(OFFERS, json!({"i": overlapping})).await.unwrap()).contains(&w.vehicles[0]));
    assert!(ids(&h.query(OFFERS, json!({"i": window(4)})).await.unwrap()).contains(&w.vehicles[0]));
}

#[tokio::test]
async fn offers_follow_the_search_then_the_profile() {
    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;

    // Seats asked for: only the 7-seater fits 6; it says so.
    let mut six = window(3);
    six["seats"] = json!(6);
    let o = h.query(OFFERS, json!({"i": six})).await.unwrap();
    assert_eq!(ids(&o), vec![w.vehicles[2].clone()], "{o}");
    let reasons = o["offers"][0]["reasons"].to_string();
    assert!(reasons.contains("Seats 7: fits your 6"), "{reasons}");
    assert!(reasons.contains("km from home"), "{reasons}");

    // Without seats, the profile's need (4) scores the 4-seater best of
    // three otherwise alike (all electric, priced the same, within 1 km).
    let o = h.query(OFFERS, json!({"i": window(3)})).await.unwrap();
    let offers = o["offers"].as_array().unwrap();
    assert_eq!(offers[0]["vehicle"]["seats"], 4, "{o}");
    let scores: Vec<f64> = offers.iter().map(|x| x["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "best first: {scores:?}");

    // A place given instead of home: far away, nothing.
    let mut elsewhere = window(3);
    elsewhere["near"] = json!({"lat": 51.75, "lon": -1.26});
    elsewhere["radiusKm"] = json!(2.0);
    let o = h.query(OFFERS, json!({"i": elsewhere})).await.unwrap();
    assert_eq!(o["offers"], json!([]));

    // A household without a profile must say where to look, and gets no
    // subsidy: nothing is known about it yet.
    let newcomer = w.stack.household(&w.council, "new@wox.test").await;
    let v = newcomer.raw(OFFERS, json!({"i": window(3)})).await.unwrap();
    assert_eq!(support::error_code(&v), "INVALID_INPUT", "{v}");
    let mut near = window(3);
    near["near"] = json!({"lat": WITNEY.1, "lon": WITNEY.0});
    let o = newcomer.query(OFFERS, json!({"i": near})).await.unwrap();
    assert_eq!(ids(&o).len(), 3, "{o}");
    for offer in o["offers"].as_array().unwrap() {
        assert_eq!(offer["price"]["subsidyPence"], 0);
        assert_eq!(offer["subsidies"], json!([]));
        let reasons = offer["reasons"].to_string();
        assert!(
            reasons.contains("from the place you chose") && reasons.contains("no council subsidy"),
            "{reasons}"
        );
    }

    // Only a household gets offers.
    for who in [&w.officer, &w.provider, &w.stack.anon] {
        let v = who.raw(OFFERS, json!({"i": window(3)})).await.unwrap();
        assert!(
            ["FORBIDDEN", "UNAUTHENTICATED"].contains(&support::error_code(&v).as_str()),
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_lease_is_priced_by_the_month_and_the_subsidy_by_what_is_left() {
    // A budget of £5: less than one hire's 40%.
    let w = World::new(500).await;
    let (h, _) = w.household("family@wox.test").await;
    let o = h.query(OFFERS, json!({"i": window(3)})).await.unwrap();
    for offer in o["offers"].as_array().unwrap() {
        assert_eq!(
            offer["price"],
            json!({"basePence": 2600, "subsidyPence": 500, "householdPence": 2100})
        );
    }

    let w = World::new(20_000_000).await;
    let (h, _) = w.household("family@wox.test").await;
    let lease = json!({"kind": "LEASE", "start": in_days(10), "leaseMonths": 12});
    let o = h.query(OFFERS, json!({"i": lease})).await.unwrap();
    assert_eq!(ids(&o).len(), 3, "{o}");
    // £300 a month for 12 months; 40% = £120 a month, at the £120 cap.
    for offer in o["offers"].as_array().unwrap() {
        assert_eq!(
            offer["price"],
            json!({"basePence": 360_000, "subsidyPence": 144_000, "householdPence": 216_000})
        );
    }
    let mut zero = lease.clone();
    zero["leaseMonths"] = json!(0);
    let v = h.raw(OFFERS, json!({"i": zero})).await.unwrap();
    assert_eq!(support::error_code(&v), "INVALID_INPUT", "{v}");
}
