//! GBFS v3.0: the open-data feed of a council (`system_information`,
//! `vehicle_types`, `vehicle_status`, `system_pricing_plans`,
//! `geofencing_zones`) and the mapping of our vehicle attributes onto GBFS
//! ones, used both ways (the feed and fleet import).
//!
//! Only AVAILABLE vehicles of providers approved in the council and inside
//! its boundary are published. Vehicle types and pricing plans are shared by
//! vehicles with equal attributes; their ids are stable hashes of them.

use chrono::{SecondsFormat, Utc};
use geo::orient::{Direction, Orient};
use roundabout_api::{
    states::{Propulsion, VehicleKind},
    Pence,
};
use serde_json::{json, Value};

use crate::{db::vehicles::VehicleRow, index::CouncilShape};

/// The version served.
pub const VERSION: &str = "3.0";
/// Seconds a client may cache a file.
pub const TTL: u64 = 60;
/// The files of the feed besides `gbfs.json`.
pub const FILES: &[&str] = &[
    "system_information",
    "vehicle_types",
    "vehicle_status",
    "system_pricing_plans",
    "geofencing_zones",
];

/// Our kind as a GBFS `form_factor`.
pub fn form_factor(kind: VehicleKind) -> &'static str {
    match kind {
        VehicleKind::Ebike => "bicycle",
        VehicleKind::CargoBike => "cargo_bicycle",
        VehicleKind::Car | VehicleKind::Van | VehicleKind::Wav | VehicleKind::Minibus => "car",
    }
}

/// Our propulsion as a GBFS `propulsion_type`.
pub fn propulsion_type(p: Propulsion) -> &'static str {
    match p {
        Propulsion::Electric => "electric",
        Propulsion::ElectricAssist => "electric_assist",
        Propulsion::Hybrid => "hybrid",
        Propulsion::Petrol => "combustion",
        Propulsion::Diesel => "combustion_diesel",
        Propulsion::Human => "human",
    }
}

/// A GBFS `propulsion_type` as ours (`None`: not something we list).
pub fn propulsion_from_gbfs(p: &str) -> Option<Propulsion> {
    Some(match p {
        "human" => Propulsion::Human,
        "electric_assist" => Propulsion::ElectricAssist,
        "electric" => Propulsion::Electric,
        "combustion" => Propulsion::Petrol,
        "combustion_diesel" => Propulsion::Diesel,
        "hybrid" | "plug_in_hybrid" => Propulsion::Hybrid,
        _ => return None,
    })
}

/// A GBFS `form_factor` as our kind (`None`: not something we list).
pub fn kind_from_gbfs(form_factor: &str) -> Option<VehicleKind> {
    Some(match form_factor {
        "car" => VehicleKind::Car,
        "bicycle" => VehicleKind::Ebike,
        "cargo_bicycle" => VehicleKind::CargoBike,
        _ => return None,
    })
}

/// FNV-1a: a hash that stays the same across builds and replicas.
fn stable_id(prefix: &str, parts: &[&dyn std::fmt::Display]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.to_string().bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{prefix}-{h:016x}")
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The vehicle type id of a vehicle.
pub fn vehicle_type_id(v: &VehicleRow) -> String {
    stable_id(
        "type",
        &[
            &v.kind,
            &v.propulsion,
            &v.make,
            &v.model,
            &v.seats,
            &opt(v.range_km),
            &opt(v.co2_grams_per_km),
            &v.wheelchair_accessible,
        ],
    )
}

/// The pricing plan id of a vehicle.
pub fn plan_id(v: &VehicleRow) -> String {
    stable_id(
        "plan",
        &[
            &v.currency,
            // The bare numbers of pence (not `Pence`'s pounds): ids stay as they were.
            &opt(v.per_hour_pence.map(Pence::get)),
            &opt(v.per_day_pence.map(Pence::get)),
            &opt(v.per_month_lease_pence.map(Pence::get)),
            &v.deposit_pence.get(),
        ],
    )
}

fn text(t: impl Into<String>) -> Value {
    json!([{"text": t.into(), "language": "en"}])
}

fn pounds(pence: Pence) -> f64 {
    pence.get() as f64 / 100.0
}

/// Wraps a file's data with the GBFS header.
pub fn file(data: Value) -> Value {
    json!({
        "last_updated": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "ttl": TTL,
        "version": VERSION,
        "data": data,
    })
}

pub fn system_information(c: &CouncilShape) -> Value {
    file(json!({
        "system_id": format!("roundabout-{}", c.row.code.to_ascii_lowercase()),
        "languages": ["en"],
        "name": text(format!("Roundabout — {}", c.row.name)),
        "short_name": text(c.row.code.clone()),
        "operator": text("Roundabout, for the council"),
        "opening_hours": "24/7",
        "feed_contact_email": "open-data@roundabout.example",
        "timezone": "Europe/London",
    }))
}

fn vehicle_type(v: &VehicleRow) -> Value {
    let mut t = json!({
        "vehicle_type_id": vehicle_type_id(v),
        "form_factor": form_factor(v.kind),
        "propulsion_type": propulsion_type(v.propulsion),
        "rider_capacity": v.seats,
        "name": text(format!("{} {} ({})", v.make, v.model, v.kind.as_str().to_lowercase().replace('_', " "))),
        "make": text(v.make.clone()),
        "model": text(v.model.clone()),
        "default_pricing_plan_id": plan_id(v),
    });
    if v.propulsion != Propulsion::Human {
        // Required for motorised types; 0 when the provider did not say.
        t["max_range_meters"] = json!(v.range_km.unwrap_or(0) * 1000);
    }
    if let Some(co2) = v.co2_grams_per_km {
        t["g_CO2_km"] = json!(co2);
    }
    if v.wheelchair_accessible {
        t["description"] = text("Wheelchair accessible");
    }
    t
}

pub fn vehicle_types(vehicles: &[std::sync::Arc<VehicleRow>]) -> Value {
    let mut seen = std::collections::BTreeMap::new();
    for v in vehicles {
        seen.entry(vehicle_type_id(v)).or_insert_with(|| vehicle_type(v));
    }
    file(json!({"vehicle_types": seen.into_values().collect::<Vec<_>>()}))
}

pub fn vehicle_status(vehicles: &[std::sync::Arc<VehicleRow>]) -> Value {
    let list: Vec<Value> = vehicles
        .iter()
        .map(|v| {
            let mut status = json!({
                "vehicle_id": v.id.to_string(),
                "lat": v.lat,
                "lon": v.lon,
                "is_reserved": false,
                "is_disabled": false,
                "vehicle_type_id": vehicle_type_id(v),
                "pricing_plan_id": plan_id(v),
                "last_reported": v.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            });
            if v.propulsion != Propulsion::Human {
                // Required for motorised vehicles. Charge is not tracked, so
                // this is the full range the provider declared (0 if none).
                status["current_range_meters"] = json!(v.range_km.unwrap_or(0) * 1000);
            }
            status
        })
        .collect();
    file(json!({"vehicles": list}))
}

fn plan(v: &VehicleRow) -> Value {
    let mut parts = Vec::new();
    if let Some(p) = v.per_hour_pence {
        parts.push(format!("£{:.2} an hour", pounds(p)));
    }
    if let Some(p) = v.per_day_pence {
        parts.push(format!("£{:.2} a day", pounds(p)));
    }
    if let Some(p) = v.per_month_lease_pence {
        parts.push(format!("£{:.2} a month to lease", pounds(p)));
    }
    if v.deposit_pence > Pence::ZERO {
        parts.push(format!("£{:.2} deposit", pounds(v.deposit_pence)));
    }
    let mut p = json!({
        "plan_id": plan_id(v),
        "name": text(parts.first().cloned().unwrap_or_default()),
        "currency": v.currency,
        "price": 0.0,
        "is_taxable": false,
        "description": text(parts.join(", ")),
    });
    match (v.per_hour_pence, v.per_day_pence, v.per_month_lease_pence) {
        (Some(h), _, _) => {
            // Charged by the started hour: a rate per 60 minutes.
            p["per_min_pricing"] = json!([{"start": 0, "rate": pounds(h), "interval": 60}]);
        }
        (None, Some(d), _) => p["price"] = json!(pounds(d)),
        (None, None, Some(m)) => p["price"] = json!(pounds(m)),
        (None, None, None) => {}
    }
    p
}

pub fn system_pricing_plans(vehicles: &[std::sync::Arc<VehicleRow>]) -> Value {
    let mut seen = std::collections::BTreeMap::new();
    for v in vehicles {
        seen.entry(plan_id(v)).or_insert_with(|| plan(v));
    }
    file(json!({"plans": seen.into_values().collect::<Vec<_>>()}))
}

/// The council's boundary as the one zone where rides may start and end
/// (exterior rings counter-clockwise, as RFC 7946 and GBFS ask).
pub fn geofencing_zones(c: &CouncilShape) -> Value {
    let shape = c.area.shape().orient(Direction::Default);
    let coordinates: Vec<Value> = shape
        .0
        .iter()
        .map(|poly| {
            let ring = |ls: &geo::LineString<f64>| -> Value { ls.0.iter().map(|p| json!([p.x, p.y])).collect() };
            let mut rings = vec![ring(poly.exterior())];
            rings.extend(poly.interiors().iter().map(ring));
            Value::Array(rings)
        })
        .collect();
    file(json!({
        "geofencing_zones": {
            "type": "FeatureCollection",
            "features": [{
                "type": "Feature",
                "properties": {
                    "name": text(c.row.name.clone()),
                    "rules": [{"ride_start_allowed": true, "ride_end_allowed": true, "ride_through_allowed": true}],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
            }],
        },
        "global_rules": [{"ride_start_allowed": false, "ride_end_allowed": false, "ride_through_allowed": true}],
    }))
}
