//! Hostile input thrown at inventory: first at its parsers as properties
//! (vehicles, registrations, organisation names, CSV and GBFS fleet files,
//! searches), then at the running service's write endpoints (each body made
//! invalid on purpose), asserting no panic, no 5xx, a typed refusal,
//! nothing written and the service still answering.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (and scales
//! the HTTP bodies: a tenth of it per endpoint, at least 100).

use crate::fuzzing::*;
use crate::support::*;
use proptest::prelude::*;
use roundabout_api::{inventory::SearchIn, Pence};
use roundabout_inventory::{
    domain::{
        import::{self, CSV_COLUMNS},
        provider::OrganisationName,
        vehicle::{parse_registration, parse_vehicle, PricingIn, VehicleIn},
    },
    http::search,
};
use roundabout_support::internal_auth::Caller;
use serde_json::{json, Value};
use uuid::Uuid;

fn vehicle_in() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("CAR".to_string()), hostile_string()],
        hostile_string(),
        hostile_string(),
        prop::option::of(hostile_string()),
        any::<i64>(),
        prop_oneof![Just("ELECTRIC".to_string()), hostile_string()],
        prop::option::of(any::<i64>()),
        any::<f64>(),
        any::<f64>(),
        prop::option::of(any::<i64>()),
        prop::option::of(any::<i64>()),
    )
        .prop_map(
            |(kind, make, model, reg, seats, propulsion, range, lat, lon, hour, deposit)| {
                json!({
                    "kind": kind, "make": make, "model": model, "registration": reg, "seats": seats,
                    "propulsion": propulsion, "range_km": range, "co2_grams_per_km": null,
                    "wheelchair_accessible": false, "location": {"lat": lat, "lon": lon},
                    "pricing": {"per_hour_pence": hour, "deposit_pence": deposit},
                })
            },
        )
}

/// CSV text: a header of known and unknown columns, rows of hostile cells,
/// quotes and ragged lines.
fn csv_file() -> impl Strategy<Value = String> {
    let column = prop_oneof![
        4 => prop::sample::select(CSV_COLUMNS.to_vec()).prop_map(str::to_string),
        1 => hostile_string(),
    ];
    let cell = prop_oneof![
        3 => "[A-Za-z0-9.\\-]{0,8}",
        1 => hostile_string(),
        1 => Just("\"quoted, cell\"".to_string()),
        1 => Just("\"unclosed".to_string()),
        1 => Just("51.78".to_string()),
    ];
    (
        prop::collection::vec(column, 0..18),
        prop::collection::vec(prop::collection::vec(cell, 0..18), 0..10),
    )
        .prop_map(|(header, rows)| {
            let mut text = header.join(",");
            for r in rows {
                text.push('\n');
                text.push_str(&r.join(","));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3_000), ..ProptestConfig::default() })]

    #[test]
    fn vehicles_are_checked_or_refused_by_field(v in vehicle_in()) {
        let Ok(v) = serde_json::from_value::<VehicleIn>(v) else { return Ok(()) };
        match parse_vehicle(&v) {
            Ok(n) => {
                prop_assert!(roundabout_support::text::first_forbidden(&n.make, false).is_none());
                prop_assert!(roundabout_support::text::first_forbidden(&n.model, false).is_none());
                prop_assert!((1..=16).contains(&n.seats));
                prop_assert!(n.lat.is_finite() && n.lon.is_finite());
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "INVALID_INPUT");
                prop_assert!(e.body.field.is_some());
            }
        }
    }

    #[test]
    fn registrations_and_names_never_panic(s in hostile_string()) {
        if let Ok(Some(plate)) = parse_registration(Some(&s)) {
            prop_assert!(plate.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        }
        if let Ok(name) = OrganisationName::parse(&s) {
            prop_assert!(roundabout_support::text::first_forbidden(name.as_str(), false).is_none());
        }
    }

    #[test]
    fn csv_files_are_read_or_refused_row_by_row(text in csv_file()) {
        match import::from_csv(&text) {
            Ok(rows) => prop_assert!(rows.len() <= import::MAX_ROWS),
            Err(errors) => {
                prop_assert!(!errors.is_empty() && errors.len() <= import::MAX_ERRORS + 1);
                for e in &errors {
                    prop_assert!(!e.message.is_empty());
                    prop_assert!(e.message.chars().count() < 1_000, "{}", e.message);
                }
            }
        }
    }

    #[test]
    fn gbfs_files_are_read_or_refused(types in any_json(), status in any_json(), vehicles in prop::collection::vec(any_json(), 0..4)) {
        let status = json!({"data": {"vehicles": vehicles}, "junk": status});
        let pricing = PricingIn { per_hour_pence: Some(Pence(300)), ..PricingIn::default() };
        let _ = import::from_gbfs(&types, &status, &pricing);
        let typed = json!({"data": {"vehicle_types": [types]}});
        let _ = import::from_gbfs(&typed, &status, &pricing);
    }

    #[test]
    fn searches_are_checked_or_refused(lat in any::<f64>(), lon in any::<f64>(), radius in prop::option::of(any::<f64>()), limit in prop::option::of(any::<usize>()), seats in prop::option::of(any::<i32>()), kind in prop::option::of(hostile_string())) {
        let body = SearchIn { council_id: Uuid::nil(), lat, lon, radius_km: radius, limit, seats, wheelchair_accessible: None, electric_only: None, kind };
        match search::parse(&body) {
            Ok(q) => prop_assert!(q.radius_km > 0.0 && q.radius_km <= search::MAX_RADIUS_KM && q.limit <= search::MAX_LIMIT),
            Err(e) => prop_assert_eq!(e.code(), "INVALID_INPUT"),
        }
    }
}

#[test]
fn a_csv_of_many_columns_or_long_cells_is_refused_in_one_line() {
    let wide = format!("{}\n", vec!["x"; 100_000].join(","));
    let errors = import::from_csv(&wide).unwrap_err();
    assert_eq!(errors.len(), 1);
    let long = format!(
        "kind,make,model,seats,propulsion,lat,lon,per_hour_pence\nCAR,{},Zoe,5,ELECTRIC,51.78,-1.48,650\n",
        "R".repeat(10_000)
    );
    let errors = import::from_csv(&long).unwrap_err();
    assert_eq!((errors[0].line, errors[0].field.as_str()), (2, "make"));
    let bad_rows = format!(
        "kind,make,model,seats,propulsion,lat,lon\n{}",
        "BOAT,R,Z,5,ELECTRIC,51,-1\n".repeat(1_000)
    );
    assert_eq!(import::from_csv(&bad_rows).unwrap_err().len(), import::MAX_ERRORS + 1);
}

// ---------------------------------------------------------------------
// The running service.

const TABLES: &[&str] = &["providers", "provider_councils", "vehicles"];

#[tokio::test]
async fn hostile_bodies_at_every_write_endpoint_are_refused_and_change_nothing() {
    let inv = Inv::start().await;
    let council = inv.council("FUZ", witney()).await;
    let provider = inv.provider("Fuzz Cars").await;
    inv.approved(&provider, council).await;
    let added = inv.add(&provider, vehicle(51.78, -1.48)).await;
    let vehicle_id = added["id"].as_str().unwrap().to_string();
    let s = Target {
        url: inv.svc.url.clone(),
        audience: "inventory",
        client: inv.client.clone(),
        pool: inv.pool.clone(),
        tables: TABLES,
    };
    let before = s.counts().await;
    let n = bodies();
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    let vehicle_fields = vec![
        "kind",
        "make",
        "model",
        "seats",
        "propulsion",
        "location",
        "location/lat",
        "pricing",
        "pricing/per_hour_pence?",
        "wheelchair_accessible",
    ];
    let targets: Vec<(reqwest::Method, String, Value, Vec<&'static str>, Caller)> = vec![
        (
            put.clone(),
            format!("/internal/providers/{}", Uuid::new_v4()),
            json!({"name": "Another Club"}),
            vec!["name"],
            Caller::service("gateway"),
        ),
        (
            post.clone(),
            "/internal/vehicles".into(),
            vehicle(51.78, -1.48),
            vehicle_fields.clone(),
            provider.clone(),
        ),
        (
            put.clone(),
            format!("/internal/vehicles/{vehicle_id}"),
            vehicle(51.79, -1.47),
            vehicle_fields,
            provider.clone(),
        ),
        (
            post.clone(),
            format!("/internal/vehicles/{vehicle_id}/status"),
            json!({"status": "MAINTENANCE"}),
            vec!["status"],
            provider.clone(),
        ),
        (
            post.clone(),
            "/internal/vehicles/search".into(),
            json!({"council_id": council, "lat": 51.78, "lon": -1.48, "radius_km": 5.0, "limit": 10, "seats": 2, "kind": "CAR"}),
            vec!["council_id", "lat", "lon", "radius_km?", "limit?", "seats?", "kind?"],
            Caller::service("bookings"),
        ),
    ];
    let mut sent = 0;
    for (method, path, base, fields, caller) in &targets {
        for body in bad_bodies(base, fields, n) {
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    for body in generate(any_body(), n) {
        for (method, path, _, _, caller) in &targets {
            // A search of random JSON may be a valid search: it writes nothing either way.
            if path.ends_with("/search") {
                continue;
            }
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    // GBFS imports made bad: refused, or every problem listed and nothing imported.
    let gbfs = json!({"format": "gbfs", "vehicle_types": {"data": {"vehicle_types": [{"vehicle_type_id": "car", "form_factor": "car", "propulsion_type": "electric"}]}},
        "vehicle_status": {"data": {"vehicles": [{"vehicle_id": "a", "vehicle_type_id": "car", "lat": 51.78, "lon": -1.48}]}}, "pricing": {"per_hour_pence": 300}});
    let gbfs_fields = [
        "format",
        "vehicle_types",
        "vehicle_status",
        "vehicle_types/data/vehicle_types/0/form_factor",
        "vehicle_types/data/vehicle_types/0/vehicle_type_id",
        "vehicle_status/data/vehicles/0/lat",
        "vehicle_status/data/vehicles/0/vehicle_type_id",
    ];
    for body in bad_bodies(&gbfs, &gbfs_fields, n) {
        match s
            .client
            .post::<_, Value>("/internal/vehicles/import", &body, &provider)
            .await
        {
            Ok(out) => {
                assert_eq!(out["imported"], 0, "{body}: {out}");
                assert!(!out["errors"].as_array().unwrap().is_empty(), "{body}");
            }
            Err(roundabout_support::client::ClientError::Refused { status, .. }) => assert!(status.is_client_error()),
            Err(e) => panic!("{body}: {e}"),
        }
        sent += 1;
    }
    // Out-of-range numbers in a search.
    let ranges = generate(
        (
            prop_oneof![(-1e308f64..-90.1), (90.1f64..1e308)],
            prop_oneof![(-1e308f64..0.0), (100.1f64..1e308)],
            (501u64..u64::MAX),
            prop_oneof![(i32::MIN..1), (17..i32::MAX)],
        ),
        n,
    );
    for (lat, radius, limit, seats) in ranges {
        let base = json!({"council_id": council, "lat": 51.78, "lon": -1.48});
        for (k, v) in [
            ("lat", json!(lat)),
            ("radius_km", json!(radius)),
            ("limit", json!(limit)),
            ("seats", json!(seats)),
        ] {
            let mut body = base.clone();
            body[k] = v;
            s.refused(
                post.clone(),
                "/internal/vehicles/search",
                &body,
                &Caller::service("bookings"),
            )
            .await;
            sent += 1;
        }
    }
    // CSV files with a row made bad on purpose: every problem listed, nothing imported.
    let files = generate((csv_file(), poisoned_string()), n);
    for (text, bad) in files {
        let csv = format!(
            "kind,make,model,seats,propulsion,lat,lon,per_hour_pence\nCAR,{},Zoe,5,ELECTRIC,51.78,-1.48,650\n{text}",
            bad.replace([',', '"', '\n', '\r'], "\0")
        );
        let out: Value = s
            .client
            .post(
                "/internal/vehicles/import",
                &json!({"format": "csv", "csv": csv}),
                &provider,
            )
            .await
            .unwrap_or_else(|e| panic!("{csv:?}: {e}"));
        assert_eq!(out["imported"], 0, "{csv:?}: {out}");
        assert!(!out["errors"].as_array().unwrap().is_empty());
        sent += 1;
    }
    for bytes in Target::raw_bodies() {
        s.raw(post.clone(), "/internal/vehicles", bytes.clone(), &provider)
            .await;
        s.raw(post.clone(), "/internal/vehicles/import", bytes, &provider).await;
        sent += 2;
    }
    s.alive().await;
    assert_eq!(
        s.counts().await,
        before,
        "nothing was written by {sent} refused requests"
    );
}
