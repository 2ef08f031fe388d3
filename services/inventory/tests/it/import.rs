//! Fleet import: CSV and GBFS, all rows or none.

use crate::support::*;
use serde_json::{json, Value};

const HEADER: &str = "kind,make,model,registration,seats,propulsion,range_km,wheelchair_accessible,lat,lon,per_hour_pence,per_day_pence,per_month_lease_pence,deposit_pence";

#[tokio::test]
async fn a_csv_with_a_bad_row_imports_nothing_and_names_line_and_field() {
    let inv = Inv::start().await;
    let council = inv.council("WOX", witney()).await;
    let p = inv.provider("Cotswold Car Club").await;
    inv.approved(&p, council).await;
    let mut taken = vehicle(51.78, -1.48);
    taken["registration"] = json!("TAKEN1");
    inv.add(&p, taken).await;
    let before = inv.count("vehicles").await;

    let csv = format!(
        "{HEADER}\n\
         CAR,Renault,Zoe,AB12CDE,5,ELECTRIC,300,false,51.78,-1.48,650,4500,,10000\n\
         CAR,Renault,Zoe,,0,ELECTRIC,300,false,51.78,-1.48,650,,,\n\
         WAV,Ford,Tourneo,taken1,7,DIESEL,,true,51.79,-1.49,,5500,,\n\
         CAR,Tesla,3,AB12CDE,5,ELECTRIC,400,false,51.79,-1.49,,,60000,\n\
         CAR,Peugeot,e-208,,5,ELECTRIC,300,false,48.85,2.35,700,,,\n\
         EBIKE,Raleigh,Motus,,1,ELECTRIC_ASSIST,80,maybe,51.79,-1.49,300,,,\n"
    );
    let out: Value = inv
        .client
        .post("/internal/vehicles/import", &json!({"format": "csv", "csv": csv}), &p)
        .await
        .unwrap();
    assert_eq!(out["imported"], 0);
    let got: Vec<(u64, String, String)> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "seats".into(), "INVALID_INPUT".into()),
            (7, "wheelchair_accessible".into(), "INVALID_INPUT".into()),
        ],
        "row-shape errors come first: {out}"
    );
    assert_eq!(inv.count("vehicles").await, before);

    // With the shape fixed, the database checks name their lines too.
    let csv = format!(
        "{HEADER}\n\
         CAR,Renault,Zoe,AB12CDE,5,ELECTRIC,300,false,51.78,-1.48,650,4500,,10000\n\
         WAV,Ford,Tourneo,taken1,7,DIESEL,,true,51.79,-1.49,,5500,,\n\
         CAR,Tesla,3,AB12CDE,5,ELECTRIC,400,false,51.79,-1.49,,,60000,\n\
         CAR,Peugeot,e-208,,5,ELECTRIC,300,false,48.85,2.35,700,,,\n"
    );
    let out: Value = inv
        .client
        .post("/internal/vehicles/import", &json!({"format": "csv", "csv": csv}), &p)
        .await
        .unwrap();
    let got: Vec<(u64, &str, &str)> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "registration", "REGISTRATION_TAKEN"),
            (4, "registration", "REGISTRATION_TAKEN"),
            (5, "lat", "INVALID_INPUT")
        ]
    );
    assert_eq!(inv.count("vehicles").await, before);

    // A good file is stored whole.
    let csv = format!(
        "{HEADER}\n\
         CAR,Renault,Zoe,AB12CDE,5,ELECTRIC,300,false,51.78,-1.48,650,4500,,10000\n\
         WAV,Ford,Tourneo,WAV1,7,DIESEL,,true,51.79,-1.49,,5500,,\n"
    );
    let out: Value = inv
        .client
        .post("/internal/vehicles/import", &json!({"format": "CSV", "csv": csv}), &p)
        .await
        .unwrap();
    assert_eq!(out["imported"], 2, "{out}");
    assert_eq!(inv.count("vehicles").await, before + 2);
}

#[tokio::test]
async fn a_gbfs_pair_imports_with_the_given_prices() {
    let inv = Inv::start().await;
    let p = inv.provider("Windrush").await;
    let types = json!({"last_updated": "2026-11-23T10:00:00Z", "ttl": 60, "version": "3.0", "data": {"vehicle_types": [
        {"vehicle_type_id": "ebike", "form_factor": "bicycle", "propulsion_type": "electric_assist", "max_range_meters": 60000,
         "make": [{"text": "Raleigh", "language": "en"}], "model": [{"text": "Motus", "language": "en"}]},
        {"vehicle_type_id": "zoe", "form_factor": "car", "propulsion_type": "electric", "rider_capacity": 5, "max_range_meters": 300000}
    ]}});
    let status = json!({"last_updated": "2026-11-23T10:00:00Z", "ttl": 60, "version": "3.0", "data": {"vehicles": [
        {"vehicle_id": "a", "vehicle_type_id": "ebike", "lat": 51.78, "lon": -1.48, "is_reserved": false, "is_disabled": false},
        {"vehicle_id": "b", "vehicle_type_id": "zoe", "lat": 51.79, "lon": -1.49, "is_reserved": false, "is_disabled": false},
        {"vehicle_id": "c", "vehicle_type_id": "bus", "lat": 51.79, "lon": -1.49, "is_reserved": false, "is_disabled": false}
    ]}});
    let mut body =
        json!({"format": "gbfs", "vehicle_types": types, "vehicle_status": status, "pricing": {"per_hour_pence": 400}});
    let out: Value = inv.client.post("/internal/vehicles/import", &body, &p).await.unwrap();
    assert_eq!(
        out["errors"],
        json!([{"line": 3, "field": "vehicle_type_id", "code": "INVALID_INPUT", "message": "No vehicle type \"bus\" in vehicle_types"}])
    );
    assert_eq!(inv.count("vehicles").await, 0);

    body["vehicle_status"]["data"]["vehicles"].as_array_mut().unwrap().pop();
    let out: Value = inv.client.post("/internal/vehicles/import", &body, &p).await.unwrap();
    assert_eq!(out["imported"], 2);
    let kinds: Vec<(String, String, i32)> =
        sqlx::query_as("select kind, propulsion, range_km from vehicles order by kind")
            .fetch_all(&inv.pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        vec![
            ("CAR".into(), "ELECTRIC".into(), 300),
            ("EBIKE".into(), "ELECTRIC_ASSIST".into(), 60)
        ]
    );
}

#[tokio::test]
async fn a_fifty_megabyte_import_is_refused_before_it_is_read() {
    let inv = Inv::start().await;
    let p = inv.provider("Cotswold Car Club").await;
    let row = "CAR,Renault,Zoe,,5,ELECTRIC,300,false,51.78,-1.48,650,,,\n";
    let csv = format!("{HEADER}\n{}", row.repeat(50 * 1024 * 1024 / row.len()));
    let err = inv
        .client
        .post::<_, Value>("/internal/vehicles/import", &json!({"format": "csv", "csv": csv}), &p)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PAYLOAD_TOO_LARGE"));
    assert_eq!(inv.count("vehicles").await, 0);
}
