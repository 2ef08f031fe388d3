//! Fleet import: a CSV file, or a GBFS `vehicle_types` + `vehicle_status`
//! pair, read into vehicles. Every row is checked and every problem reported
//! with its line (the CSV line, or the position in `vehicle_status`'s
//! `vehicles`, from 1) and field; nothing is stored unless all rows are good.

use roundabout_api::Pence;
use std::collections::HashMap;

use roundabout_api::states::VehicleKind;
use serde_json::Value;

use super::vehicle::{parse_vehicle, LocationIn, NewVehicle, PricingIn, VehicleIn};

/// Most vehicles one import may hold.
pub const MAX_ROWS: usize = 5_000;
/// Most columns a CSV file may name (there are 19 known ones).
pub const MAX_COLUMNS: usize = 32;
/// Longest CSV cell, in characters.
pub const MAX_CELL_CHARS: usize = 200;
/// Most problems listed; past this the file is refused with a note.
pub const MAX_ERRORS: usize = 200;

/// The note that ends a list of problems cut at [`MAX_ERRORS`].
fn too_many(line: u64) -> RowError {
    RowError::new(
        line,
        "",
        format!("More than {MAX_ERRORS} rows have problems; the first {MAX_ERRORS} are listed"),
    )
}

/// A problem with one row (declared in the contract).
pub use roundabout_api::RowErrorData as RowError;

/// A checked row.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub vehicle: NewVehicle,
}

/// The columns a CSV file has, in any order; the first line names them.
pub const CSV_COLUMNS: &[&str] = &[
    "kind",
    "make",
    "model",
    "registration",
    "seats",
    "propulsion",
    "range_km",
    "co2_grams_per_km",
    "wheelchair_accessible",
    "lat",
    "lon",
    "price_per_hour",
    "price_per_day",
    "price_per_lease_month",
    "deposit",
    // The same prices in pence, as first defined; still read.
    "per_hour_pence",
    "per_day_pence",
    "per_month_lease_pence",
    "deposit_pence",
];

/// Each price's column in pounds and its older column in pence.
const PRICE_COLUMNS: &[(&str, &str)] = &[
    ("price_per_hour", "per_hour_pence"),
    ("price_per_day", "per_day_pence"),
    ("price_per_lease_month", "per_month_lease_pence"),
    ("deposit", "deposit_pence"),
];

/// An amount in pounds, "4.50", "£4.50", "4" or "1,000.00", as pence (the
/// contract crate's one reading of pounds).
pub fn parse_pounds(raw: &str) -> Option<i64> {
    roundabout_api::Pence::parse_pounds(raw).map(|p| p.0)
}
const REQUIRED: &[&str] = &["kind", "make", "model", "seats", "propulsion", "lat", "lon"];

fn checked(line: u64, v: &VehicleIn) -> Result<Row, RowError> {
    parse_vehicle(v)
        .map(|vehicle| Row { line, vehicle })
        .map_err(|e| RowError {
            line,
            field: e
                .body
                .field
                .as_ref()
                .and_then(|f| f.last().cloned())
                .unwrap_or_default(),
            code: e.body.code,
            message: e.body.message.clone(),
        })
}

/// Reads a CSV fleet file: at most [`MAX_COLUMNS`] columns, [`MAX_ROWS`]
/// rows and cells of [`MAX_CELL_CHARS`] characters.
pub fn from_csv(text: &str) -> Result<Vec<Row>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(e) => {
            return Err(vec![RowError::new(
                1,
                "",
                format!("The header line cannot be read: {e}"),
            )])
        }
    };
    if headers.len() > MAX_COLUMNS {
        return Err(vec![RowError::new(
            1,
            "",
            format!(
                "The header line names {} columns; the columns are {}",
                headers.len(),
                CSV_COLUMNS.join(", ")
            ),
        )]);
    }
    let mut errors = Vec::new();
    for h in &headers {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            let shown: String = h.chars().take(40).collect();
            errors.push(RowError::new(
                1,
                &shown,
                format!("Unknown column {shown:?}; the columns are {}", CSV_COLUMNS.join(", ")),
            ));
        }
    }
    for r in REQUIRED {
        if !headers.iter().any(|h| h == r) {
            errors.push(RowError::new(1, r, format!("The column {r} is missing")));
        }
    }
    for (pounds, pence) in PRICE_COLUMNS {
        if headers.iter().any(|h| h == pounds) && headers.iter().any(|h| h == pence) {
            errors.push(RowError::new(
                1,
                pence,
                format!("Give {pounds} (in pounds) or {pence} (in pence), not both"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let fallback_line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(fallback_line);
                errors.push(RowError::new(line, "", format!("This line cannot be read: {e}")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(fallback_line);
        if errors.len() >= MAX_ERRORS {
            errors.push(too_many(line));
            break;
        }
        if rows.len() + errors.len() >= MAX_ROWS {
            errors.push(RowError::new(
                line,
                "",
                format!("An import holds at most {MAX_ROWS} vehicles"),
            ));
            break;
        }
        if let Some(h) = headers
            .iter()
            .zip(record.iter())
            .find_map(|(h, v)| (v.len() > MAX_CELL_CHARS && v.chars().count() > MAX_CELL_CHARS).then_some(h))
        {
            errors.push(RowError::new(
                line,
                h,
                format!("A cell may hold at most {MAX_CELL_CHARS} characters"),
            ));
            continue;
        }
        let cells: HashMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .collect();
        match csv_row(line, &cells).and_then(|v| checked(line, &v)) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(2, "", "The file has no vehicles"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn csv_row(line: u64, c: &HashMap<&str, &str>) -> Result<VehicleIn, RowError> {
    let text = |k: &str| c.get(k).map(|s| s.to_string()).unwrap_or_default();
    let int = |k: &str| -> Result<Option<i64>, RowError> {
        c.get(k)
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| RowError::new(line, k, format!("{k} must be a whole number, not {s:?}")))
            })
            .transpose()
    };
    // A price from its column in pounds, else its older column in pence.
    let price = |pounds: &str, pence: &str| -> Result<Option<Pence>, RowError> {
        match c.get(pounds) {
            Some(s) => Pence::parse_pounds(s).map(Some).ok_or_else(|| {
                RowError::new(
                    line,
                    pounds,
                    format!("{pounds} must be an amount in pounds, like 4.50, not {s:?}"),
                )
            }),
            None => Ok(int(pence)?.map(Pence)),
        }
    };
    let float = |k: &str| -> Result<f64, RowError> {
        let s = c
            .get(k)
            .ok_or_else(|| RowError::new(line, k, format!("{k} is required")))?;
        s.parse::<f64>()
            .map_err(|_| RowError::new(line, k, format!("{k} must be a number, not {s:?}")))
    };
    let wheelchair = match c.get("wheelchair_accessible").map(|s| s.to_ascii_lowercase()) {
        None => false,
        Some(s) if ["true", "yes", "1", "y"].contains(&s.as_str()) => true,
        Some(s) if ["false", "no", "0", "n"].contains(&s.as_str()) => false,
        Some(s) => {
            return Err(RowError::new(
                line,
                "wheelchair_accessible",
                format!("wheelchair_accessible must be true or false, not {s:?}"),
            ))
        }
    };
    Ok(VehicleIn {
        kind: text("kind"),
        make: text("make"),
        model: text("model"),
        registration: c.get("registration").map(|s| s.to_string()),
        seats: int("seats")?.ok_or_else(|| RowError::new(line, "seats", "seats is required"))?,
        propulsion: text("propulsion"),
        range_km: int("range_km")?,
        co2_grams_per_km: int("co2_grams_per_km")?,
        wheelchair_accessible: wheelchair,
        location: LocationIn {
            lat: float("lat")?,
            lon: float("lon")?,
        },
        pricing: PricingIn {
            per_hour_pence: price("price_per_hour", "per_hour_pence")?,
            per_day_pence: price("price_per_day", "per_day_pence")?,
            per_month_lease_pence: price("price_per_lease_month", "per_month_lease_pence")?,
            deposit_pence: price("deposit", "deposit_pence")?,
        },
    })
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A GBFS localised string's first text, or a plain string.
fn localised(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first().and_then(|t| str_at(t, "text")).map(str::to_string),
        _ => None,
    }
}

/// Reads a GBFS v3 `vehicle_types` + `vehicle_status` pair (whole files, or
/// just their `data`); `pricing` applies to every vehicle, as GBFS prices
/// live in another file.
pub fn from_gbfs(types: &Value, status: &Value, pricing: &PricingIn) -> Result<Vec<Row>, Vec<RowError>> {
    let types_list = types
        .pointer("/data/vehicle_types")
        .or_else(|| types.get("vehicle_types"))
        .and_then(Value::as_array);
    let vehicles = status
        .pointer("/data/vehicles")
        .or_else(|| status.get("vehicles"))
        .and_then(Value::as_array);
    let (Some(types_list), Some(vehicles)) = (types_list, vehicles) else {
        return Err(vec![RowError::new(
            0,
            "",
            "Expected a GBFS vehicle_types file (data.vehicle_types) and a vehicle_status file (data.vehicles)",
        )]);
    };
    let by_id: HashMap<&str, &Value> = types_list
        .iter()
        .filter_map(|t| str_at(t, "vehicle_type_id").map(|id| (id, t)))
        .collect();
    if vehicles.len() > MAX_ROWS {
        return Err(vec![RowError::new(
            0,
            "",
            format!("An import holds at most {MAX_ROWS} vehicles"),
        )]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, v) in vehicles.iter().enumerate() {
        let line = i as u64 + 1;
        if errors.len() >= MAX_ERRORS {
            errors.push(too_many(line));
            break;
        }
        match gbfs_row(line, v, &by_id, pricing).and_then(|v| checked(line, &v)) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(0, "vehicles", "The vehicle_status file has no vehicles"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn gbfs_row(line: u64, v: &Value, types: &HashMap<&str, &Value>, pricing: &PricingIn) -> Result<VehicleIn, RowError> {
    let type_id = str_at(v, "vehicle_type_id")
        .ok_or_else(|| RowError::new(line, "vehicle_type_id", "Each vehicle needs a vehicle_type_id"))?;
    let t = types.get(type_id).ok_or_else(|| {
        let shown: String = type_id.chars().take(40).collect();
        RowError::new(
            line,
            "vehicle_type_id",
            format!("No vehicle type {shown:?} in vehicle_types"),
        )
    })?;
    // Quoted in errors: never more of it than a value could be.
    let short = |s: &str| s.chars().take(40).collect::<String>();
    let ff = str_at(t, "form_factor").unwrap_or("");
    let kind = crate::gbfs::kind_from_gbfs(ff).ok_or_else(|| {
        RowError::new(
            line,
            "form_factor",
            format!("Form factor {:?} is not one Roundabout lists", short(ff)),
        )
    })?;
    let pt = str_at(t, "propulsion_type").unwrap_or("");
    let propulsion = crate::gbfs::propulsion_from_gbfs(pt).ok_or_else(|| {
        RowError::new(
            line,
            "propulsion_type",
            format!("Propulsion {:?} is not one Roundabout lists", short(pt)),
        )
    })?;
    let coord = |k: &str| {
        v.get(k)
            .and_then(Value::as_f64)
            .ok_or_else(|| RowError::new(line, k, format!("Each vehicle needs {k}")))
    };
    let seats = t
        .get("rider_capacity")
        .and_then(Value::as_i64)
        .unwrap_or(if kind == VehicleKind::Car { 5 } else { 1 });
    let range_km = t
        .get("max_range_meters")
        .and_then(Value::as_f64)
        .map(|m| (m / 1000.0).round() as i64);
    Ok(VehicleIn {
        kind: kind.as_str().into(),
        make: localised(t.get("make")).unwrap_or_else(|| "Unknown".into()),
        model: localised(t.get("model"))
            .or_else(|| localised(t.get("name")))
            .unwrap_or_else(|| type_id.into()),
        registration: None,
        seats,
        propulsion: propulsion.as_str().into(),
        range_km,
        co2_grams_per_km: t.get("g_CO2_km").and_then(Value::as_i64),
        wheelchair_accessible: false,
        location: LocationIn {
            lat: coord("lat")?,
            lon: coord("lon")?,
        },
        pricing: pricing.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use roundabout_api::Pence;

    #[test]
    fn every_bad_row_is_named_by_line_and_field() {
        let csv = "kind,make,model,seats,propulsion,lat,lon,per_hour_pence\n\
                   CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,650\n\
                   CAR,Renault,Zoe,25,ELECTRIC,51.78,-1.48,650\n\
                   BOAT,Renault,Zoe,5,ELECTRIC,51.78,-1.48,650\n\
                   CAR,Renault,Zoe,5,ELECTRIC,north,-1.48,650\n";
        let errors = from_csv(csv).unwrap_err();
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(got, vec![(3, "seats"), (4, "kind"), (5, "lat")]);
    }

    #[test]
    fn a_good_file_reads_every_row() {
        let csv = "kind,make,model,seats,propulsion,lat,lon,per_day_pence,wheelchair_accessible\n\
                   WAV,Ford,Tourneo,6,DIESEL,51.78,-1.48,5500,yes\n";
        let rows = from_csv(csv).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].vehicle.wheelchair_accessible);
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn prices_are_read_in_pounds_and_the_pence_columns_still_work() {
        let pounds =
            "kind,make,model,seats,propulsion,lat,lon,price_per_hour,price_per_day,price_per_lease_month,deposit\n\
                      CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,4.50,£45,\"1,000.5\",100\n";
        let v = &from_csv(pounds).unwrap()[0].vehicle;
        assert_eq!(
            (
                v.per_hour_pence,
                v.per_day_pence,
                v.per_month_lease_pence,
                v.deposit_pence
            ),
            (Some(Pence(450)), Some(Pence(4500)), Some(Pence(100_050)), Pence(10_000))
        );
        let pence = "kind,make,model,seats,propulsion,lat,lon,per_hour_pence,deposit_pence\n\
                     CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,450,10000\n";
        let v = &from_csv(pence).unwrap()[0].vehicle;
        assert_eq!((v.per_hour_pence, v.deposit_pence), (Some(Pence(450)), Pence(10_000)));
        // Pence in a pounds column, or a price in both, are refused by name.
        let bad = "kind,make,model,seats,propulsion,lat,lon,price_per_hour\n\
                   CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,4.505\n";
        let e = from_csv(bad).unwrap_err();
        assert_eq!((e[0].line, e[0].field.as_str()), (2, "price_per_hour"));
        assert!(e[0].message.contains("like 4.50"), "{}", e[0].message);
        let both = "kind,make,model,seats,propulsion,lat,lon,price_per_hour,per_hour_pence\n\
                    CAR,Renault,Zoe,5,ELECTRIC,51.78,-1.48,4.50,450\n";
        let e = from_csv(both).unwrap_err();
        assert_eq!((e[0].line, e[0].field.as_str()), (1, "per_hour_pence"));
        for (raw, want) in [
            ("4.5", Some(450)),
            ("£0.99", Some(99)),
            (".5", None),
            ("4.", Some(400)),
            ("-1", None),
            ("1e3", None),
        ] {
            assert_eq!(parse_pounds(raw), want, "{raw}");
        }
    }

    #[test]
    fn gbfs_pairs_map_form_factor_and_propulsion() {
        let types = serde_json::json!({"data": {"vehicle_types": [
            {"vehicle_type_id": "ebike", "form_factor": "bicycle", "propulsion_type": "electric_assist", "max_range_meters": 60000},
            {"vehicle_type_id": "moped", "form_factor": "moped", "propulsion_type": "electric"}
        ]}});
        let status = serde_json::json!({"data": {"vehicles": [
            {"vehicle_id": "a", "vehicle_type_id": "ebike", "lat": 51.78, "lon": -1.48, "is_reserved": false, "is_disabled": false},
            {"vehicle_id": "b", "vehicle_type_id": "moped", "lat": 51.78, "lon": -1.48, "is_reserved": false, "is_disabled": false}
        ]}});
        let pricing = PricingIn {
            per_hour_pence: Some(Pence(300)),
            ..Default::default()
        };
        let errors = from_gbfs(&types, &status, &pricing).unwrap_err();
        assert_eq!(
            errors,
            vec![RowError::new(
                2,
                "form_factor",
                "Form factor \"moped\" is not one Roundabout lists"
            )]
        );
    }
}
