//! Providers in councils, vehicles, geo search, the change feed between
//! replicas, and fleet import: inventory's internal API against a real
//! eligibility service and PostgreSQL.

use crate::support::*;
use roundabout_support::internal_auth::Caller;
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn providers_apply_and_only_officers_of_that_council_decide() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let other = inv.council("OXF", witney()).await;
    let p = inv.provider("Cotswold Car Club").await;
    let pid = p.provider_id.unwrap();

    let applied: Value = inv
        .client
        .post(&format!("/internal/providers/{pid}/councils/{council}"), &json!({}), &p)
        .await
        .unwrap();
    assert_eq!(applied["status"], "PENDING");
    // Someone else cannot apply for the provider.
    let stranger = inv.provider("Other").await;
    let err = inv
        .client
        .post::<_, Value>(
            &format!("/internal/providers/{pid}/councils/{other}"),
            &json!({}),
            &stranger,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    // An unknown council is not found, and nothing is stored.
    let err = inv
        .client
        .post::<_, Value>(
            &format!("/internal/providers/{pid}/councils/{}", Uuid::new_v4()),
            &json!({}),
            &p,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOT_FOUND"));
    assert_eq!(inv.count("provider_councils").await, 1);

    // An officer of another council may not approve here.
    let approve = format!("/internal/councils/{council}/providers/{pid}/approve");
    let err = inv
        .client
        .post::<_, Value>(&approve, &json!({}), &officer(other))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = inv.client.post::<_, Value>(&approve, &json!({}), &p).await.unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let standing: Vec<Value> = inv
        .client
        .get(&format!("/internal/providers/{pid}/councils"), &p)
        .await
        .unwrap();
    assert_eq!(standing[0]["status"], "PENDING");

    let approved: Value = inv.client.post(&approve, &json!({}), &officer(council)).await.unwrap();
    assert_eq!(approved["status"], "APPROVED");
    // Approving a provider that never applied finds nothing.
    let err = inv
        .client
        .post::<_, Value>(
            &format!("/internal/councils/{other}/providers/{pid}/approve"),
            &json!({}),
            &officer(other),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOT_FOUND"));

    let listed: Vec<Value> = inv
        .client
        .get(
            &format!("/internal/councils/{council}/providers?status=APPROVED"),
            &officer(council),
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "Cotswold Car Club");
    let err = inv
        .client
        .get::<Value>(&format!("/internal/councils/{council}/providers"), &officer(other))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));

    let suspended: Value = inv
        .client
        .post(
            &format!("/internal/councils/{council}/providers/{pid}/suspend"),
            &json!({}),
            &officer(council),
        )
        .await
        .unwrap();
    assert_eq!(suspended["status"], "SUSPENDED");
}

#[tokio::test]
async fn bad_vehicles_are_refused_and_change_nothing() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let p = inv.provider("Cotswold Car Club").await;
    inv.approved(&p, council).await;
    let mut first = vehicle(51.78, -1.48);
    first["registration"] = json!("AB12 CDE");
    let first = inv.add(&p, first).await;
    assert_eq!(first["registration"], "AB12CDE");
    assert_eq!(first["status"], "AVAILABLE");
    let before = inv.count("vehicles").await;

    let cases: Vec<(&str, Value, &str, Option<Value>)> = vec![
        ("seats", json!({"seats": 0}), "INVALID_INPUT", Some(json!(["seats"]))),
        ("seats", json!({"seats": 17}), "INVALID_INPUT", Some(json!(["seats"]))),
        (
            "negative",
            json!({"pricing": {"per_hour_pence": -1}}),
            "INVALID_INPUT",
            Some(json!(["pricing", "per_hour_pence"])),
        ),
        (
            "absurd",
            json!({"pricing": {"per_day_pence": 900_000_000}}),
            "INVALID_INPUT",
            Some(json!(["pricing", "per_day_pence"])),
        ),
        (
            "no price",
            json!({"pricing": {"deposit_pence": 100}}),
            "INVALID_INPUT",
            Some(json!(["pricing"])),
        ),
        (
            "lat",
            json!({"location": {"lat": 95.0, "lon": -1.48}}),
            "INVALID_INPUT",
            Some(json!(["location", "lat"])),
        ),
        (
            "lon",
            json!({"location": {"lat": 51.0, "lon": 190.0}}),
            "INVALID_INPUT",
            Some(json!(["location", "lon"])),
        ),
        (
            "outside the UK",
            json!({"location": {"lat": 48.85, "lon": 2.35}}),
            "INVALID_INPUT",
            Some(json!(["location"])),
        ),
        (
            "kind",
            json!({"kind": "HOVERCRAFT"}),
            "INVALID_INPUT",
            Some(json!(["kind"])),
        ),
        (
            "propulsion",
            json!({"propulsion": "STEAM"}),
            "INVALID_INPUT",
            Some(json!(["propulsion"])),
        ),
        (
            "registration",
            json!({"registration": "ab12cde"}),
            "REGISTRATION_TAKEN",
            Some(json!(["registration"])),
        ),
        ("shape", json!({"seats": "five"}), "INVALID_INPUT", None),
    ];
    for (name, change, code, field) in cases {
        let mut v = vehicle(51.78, -1.48);
        for (k, val) in change.as_object().unwrap() {
            v[k] = val.clone();
        }
        let err = inv
            .client
            .post::<_, Value>("/internal/vehicles", &v, &p)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(code), "{name}");
        if let (Some(field), roundabout_support::client::ClientError::Refused { body, .. }) = (field, &err) {
            assert_eq!(json!(body.field), field, "{name}");
        }
    }
    assert_eq!(inv.count("vehicles").await, before);

    // Editing: another provider's vehicle is forbidden and unchanged.
    let id = first["id"].as_str().unwrap();
    let other = inv.provider("Rival Cars").await;
    let mut edit = vehicle(51.79, -1.49);
    edit["model"] = json!("Megane");
    let err = inv
        .client
        .put::<_, Value>(&format!("/internal/vehicles/{id}"), &edit, &other)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = inv
        .client
        .post::<_, Value>(
            &format!("/internal/vehicles/{id}/status"),
            &json!({"status": "RETIRED"}),
            &other,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let unchanged: Value = inv
        .client
        .get(&format!("/internal/vehicles/{id}"), &other)
        .await
        .unwrap();
    assert_eq!(unchanged["model"], "Zoe");
    assert_eq!(unchanged["status"], "AVAILABLE");

    // The owner edits it; a bad status is refused.
    let edited: Value = inv
        .client
        .put(&format!("/internal/vehicles/{id}"), &edit, &p)
        .await
        .unwrap();
    assert_eq!(edited["model"], "Megane");
    assert_eq!(edited["registration"], Value::Null);
    let err = inv
        .client
        .post::<_, Value>(
            &format!("/internal/vehicles/{id}/status"),
            &json!({"status": "STOLEN"}),
            &p,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    // Only provider members add vehicles.
    let err = inv
        .client
        .post::<_, Value>("/internal/vehicles", &vehicle(51.78, -1.48), &officer(council))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
}

async fn search(inv: &Inv, body: Value) -> Vec<Value> {
    let out: Value = inv
        .client
        .post("/internal/vehicles/search", &body, &Caller::service("bookings"))
        .await
        .unwrap();
    out["results"].as_array().unwrap().clone()
}

fn ids(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .map(|r| r["vehicle"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_offers_only_approved_available_vehicles_inside_the_council_nearest_first() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let approved = inv.provider("Approved").await;
    inv.approved(&approved, council).await;
    let pending = inv.provider("Pending").await;
    let pid = pending.provider_id.unwrap();
    let _: Value = inv
        .client
        .post(
            &format!("/internal/providers/{pid}/councils/{council}"),
            &json!({}),
            &pending,
        )
        .await
        .unwrap();

    // Witney is at (51.785, -1.485).
    let near = inv.add(&approved, vehicle(51.786, -1.486)).await;
    let far = inv.add(&approved, vehicle(51.80, -1.50)).await;
    let mut wav = vehicle(51.79, -1.49);
    wav["kind"] = json!("WAV");
    wav["seats"] = json!(7);
    wav["propulsion"] = json!("DIESEL");
    wav["wheelchair_accessible"] = json!(true);
    let wav = inv.add(&approved, wav).await;
    // Outside the boundary (west of -1.60), though within 10 km.
    inv.add(&approved, vehicle(51.785, -1.61)).await;
    let resting = inv.add(&approved, vehicle(51.785, -1.485)).await;
    let rid = resting["id"].as_str().unwrap();
    let _: Value = inv
        .client
        .post(
            &format!("/internal/vehicles/{rid}/status"),
            &json!({"status": "MAINTENANCE"}),
            &approved,
        )
        .await
        .unwrap();
    inv.add(&pending, vehicle(51.785, -1.485)).await;

    let base = json!({"council_id": council, "lat": 51.785, "lon": -1.485, "radius_km": 10, "limit": 10});
    let all = search(&inv, base.clone()).await;
    assert_eq!(
        ids(&all),
        ids(&[
            json!({"vehicle": near}),
            json!({"vehicle": wav}),
            json!({"vehicle": far})
        ])
    );
    let d: Vec<f64> = all.iter().map(|r| r["distance_km"].as_f64().unwrap()).collect();
    assert!(d[0] < 0.2 && d[0] <= d[1] && d[1] <= d[2], "{d:?}");

    let mut q = base.clone();
    q["wheelchair_accessible"] = json!(true);
    assert_eq!(ids(&search(&inv, q).await), vec![wav["id"].as_str().unwrap()]);
    let mut q = base.clone();
    q["seats"] = json!(6);
    assert_eq!(search(&inv, q).await.len(), 1);
    let mut q = base.clone();
    q["electric_only"] = json!(true);
    assert_eq!(search(&inv, q).await.len(), 2);
    let mut q = base.clone();
    q["kind"] = json!("CAR");
    q["limit"] = json!(1);
    assert_eq!(ids(&search(&inv, q).await), vec![near["id"].as_str().unwrap()]);
    let mut q = base.clone();
    q["radius_km"] = json!(0.5);
    assert_eq!(search(&inv, q).await.len(), 1);

    // Suspension removes the provider's vehicles from the council's offers.
    let aid = approved.provider_id.unwrap();
    let _: Value = inv
        .client
        .post(
            &format!("/internal/councils/{council}/providers/{aid}/suspend"),
            &json!({}),
            &officer(council),
        )
        .await
        .unwrap();
    assert!(search(&inv, base.clone()).await.is_empty());

    for (bad, field) in [
        (json!({"lat": 91}), "lat"),
        (json!({"radius_km": 0}), "radius_km"),
        (json!({"radius_km": 1000}), "radius_km"),
        (json!({"limit": 100000}), "limit"),
        (json!({"kind": "BOAT"}), "kind"),
    ] {
        let mut q = base.clone();
        for (k, v) in bad.as_object().unwrap() {
            q[k] = v.clone();
        }
        let err = inv
            .client
            .post::<_, Value>("/internal/vehicles/search", &q, &Caller::service("bookings"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("INVALID_INPUT"), "{field}");
    }
}

#[tokio::test]
async fn another_replica_converges_through_the_change_feed() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let p = inv.provider("Cotswold Car Club").await;
    inv.approved(&p, council).await;
    let before = inv.add(&p, vehicle(51.786, -1.486)).await;
    // The second replica loads what exists at its start…
    let replica = inv.replica().await;
    let rc = replica.client("inventory");
    let q = json!({"council_id": council, "lat": 51.785, "lon": -1.485, "radius_km": 5, "limit": 10});
    let found = |v: Value| v["results"].as_array().unwrap().len();
    let out: Value = rc
        .post("/internal/vehicles/search", &q, &Caller::service("bookings"))
        .await
        .unwrap();
    assert_eq!(found(out), 1);
    // …and follows writes made through the first.
    inv.add(&p, vehicle(51.787, -1.487)).await;
    let id = before["id"].as_str().unwrap();
    let _: Value = inv
        .client
        .post(
            &format!("/internal/vehicles/{id}/status"),
            &json!({"status": "RETIRED"}),
            &p,
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..50 {
        let out: Value = rc
            .post("/internal/vehicles/search", &q, &Caller::service("bookings"))
            .await
            .unwrap();
        seen = ids(out["results"].as_array().unwrap());
        if seen.len() == 1 && seen[0] != id {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the replica did not converge: {seen:?}");
}

#[tokio::test]
async fn a_write_through_one_replica_is_found_on_another_within_a_second_by_notification() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let p = inv.provider("Cotswold Car Club").await;
    inv.approved(&p, council).await;
    // This replica would not poll for a minute: only the notification can
    // tell it of the new vehicle in time.
    let replica = inv.replica_polling(std::time::Duration::from_secs(60)).await;
    let rc = replica.client("inventory");
    let q = json!({"council_id": council, "lat": 51.785, "lon": -1.485, "radius_km": 5, "limit": 10});
    let search = || async {
        let out: Value = rc
            .post("/internal/vehicles/search", &q, &Caller::service("bookings"))
            .await
            .unwrap();
        ids(out["results"].as_array().unwrap())
    };
    // Its first poll is at start; wait until that has surely passed.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(search().await.is_empty());
    let added = inv.add(&p, vehicle(51.786, -1.486)).await;
    let id = added["id"].as_str().unwrap().to_string();
    let written = std::time::Instant::now();
    loop {
        if search().await == vec![id.clone()] {
            break;
        }
        assert!(
            written.elapsed() < std::time::Duration::from_secs(1),
            "the other replica did not find the vehicle within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn fleet_pages_follow_insertion_order() {
    let inv = Inv::start().await;
    let p = inv.provider("Cotswold Car Club").await;
    let pid = p.provider_id.unwrap();
    let mut added = Vec::new();
    for i in 0..5 {
        added.push(inv.add(&p, vehicle(51.78 + i as f64 * 0.001, -1.48)).await["id"].clone());
    }
    let page: Value = inv
        .client
        .get(&format!("/internal/providers/{pid}/vehicles?first=2"), &p)
        .await
        .unwrap();
    assert_eq!(page["total_count"], 5);
    assert_eq!(page["has_next_page"], true);
    let after = page["items"][1]["list_seq"].as_i64().unwrap();
    let next: Value = inv
        .client
        .get(
            &format!("/internal/providers/{pid}/vehicles?first=10&after={after}"),
            &p,
        )
        .await
        .unwrap();
    assert_eq!(next["has_next_page"], false);
    let got: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(next["items"].as_array().unwrap())
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(got, added);
    let batch: Vec<Value> = inv
        .client
        .post(
            "/internal/vehicles/batch",
            &json!({"ids": [added[0], Uuid::new_v4()]}),
            &Caller::anonymous(),
        )
        .await
        .unwrap();
    assert_eq!(batch.len(), 1);
}
