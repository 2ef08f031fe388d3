//! Vehicles: what a provider may list, parsed from the raw input into a
//! [`NewVehicle`] whose every field is known good. Field names in errors are
//! the input's own (`seats`, `pricing.per_hour_pence`, `location.lat`).

use std::fmt::Display;

use roundabout_api::{
    states::{Propulsion, VehicleKind},
    Pence,
};
use roundabout_support::{text as checked_text, ApiError};

/// Highest price per hour, in pence (£1,000).
pub const MAX_PER_HOUR_PENCE: i64 = 100_000;
/// Highest price per day, in pence (£5,000).
pub const MAX_PER_DAY_PENCE: i64 = 500_000;
/// Highest lease price per month, in pence (£20,000).
pub const MAX_PER_MONTH_PENCE: i64 = 2_000_000;
/// Highest deposit, in pence (£10,000).
pub const MAX_DEPOSIT_PENCE: i64 = 1_000_000;

pub use roundabout_api::inventory::{LocationIn, PricingIn, VehicleIn};

/// A vehicle whose every field has been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVehicle {
    pub kind: VehicleKind,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i32,
    pub propulsion: Propulsion,
    pub range_km: Option<i32>,
    pub co2_grams_per_km: Option<i32>,
    pub wheelchair_accessible: bool,
    pub lat: f64,
    pub lon: f64,
    pub per_hour_pence: Option<Pence>,
    pub per_day_pence: Option<Pence>,
    pub per_month_lease_pence: Option<Pence>,
    pub deposit_pence: Pence,
}

fn invalid(path: &[&str], message: impl Into<String>) -> ApiError {
    ApiError::invalid(path[0], message).with_field(path.iter().copied())
}

/// One of `allowed` (a state's `ALL`), as written (upper case, `-` or space
/// read as `_`).
pub fn parse_enum<T: Copy + Display>(raw: &str, allowed: &[T], field: &str) -> Result<T, ApiError> {
    let wanted = raw.trim().to_ascii_uppercase().replace(['-', ' '], "_");
    allowed
        .iter()
        .copied()
        .find(|a| a.to_string() == wanted)
        .ok_or_else(|| {
            // Quoted as given, but never more of it than a value could be.
            let shown: String = raw.chars().take(40).collect();
            let words: Vec<String> = allowed.iter().map(T::to_string).collect();
            invalid(
                &[field],
                format!("Unknown {field} {shown:?}: expected one of {}", words.join(", ")),
            )
        })
}

fn text(raw: &str, field: &str) -> Result<String, ApiError> {
    checked_text::single_line(field, &format!("The {field}"), raw, 100)
}

/// A registration plate, upper case without spaces; empty means none.
pub fn parse_registration(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let plate: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if plate.is_empty() {
        return Ok(None);
    }
    if !(2..=12).contains(&plate.len()) || !plate.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(invalid(
            &["registration"],
            "The registration must be 2 to 12 letters and digits",
        ));
    }
    Ok(Some(plate))
}

fn bounded(v: Option<i64>, max: i64, path: &[&str], what: &str) -> Result<Option<i32>, ApiError> {
    match v {
        None => Ok(None),
        Some(v) if (0..=max).contains(&v) => Ok(Some(v as i32)),
        Some(_) => Err(invalid(path, format!("The {what} must be between 0 and {max}"))),
    }
}

fn price(v: Option<i64>, max: i64, name: &str, what: &str) -> Result<Option<Pence>, ApiError> {
    match v {
        None => Ok(None),
        Some(p) if (1..=max).contains(&p) => Ok(Some(Pence(p))),
        Some(_) => Err(invalid(
            &["pricing", name],
            format!("The {what} must be between 1 and {max} pence"),
        )),
    }
}

/// Checks a latitude and longitude pair.
pub fn parse_location(l: LocationIn) -> Result<(f64, f64), ApiError> {
    if !l.lat.is_finite() || !(-90.0..=90.0).contains(&l.lat) {
        return Err(invalid(&["location", "lat"], "The latitude must be between -90 and 90"));
    }
    if !l.lon.is_finite() || !(-180.0..=180.0).contains(&l.lon) {
        return Err(invalid(
            &["location", "lon"],
            "The longitude must be between -180 and 180",
        ));
    }
    Ok((l.lat, l.lon))
}

/// The United Kingdom's bounding box (Great Britain, Northern Ireland and the
/// islands), as (min lon, min lat, max lon, max lat).
pub const UK_BBOX: (f64, f64, f64, f64) = (-8.7, 49.8, 1.8, 60.9);

/// True when (lon, lat) is inside the UK's bounding box.
pub fn in_uk(lon: f64, lat: f64) -> bool {
    let (x0, y0, x1, y1) = UK_BBOX;
    (x0..=x1).contains(&lon) && (y0..=y1).contains(&lat)
}

/// Checks every field of a vehicle; the first problem is the error.
pub fn parse_vehicle(v: &VehicleIn) -> Result<NewVehicle, ApiError> {
    let kind = parse_enum(&v.kind, VehicleKind::ALL, "kind")?;
    let propulsion = parse_enum(&v.propulsion, Propulsion::ALL, "propulsion")?;
    let make = text(&v.make, "make")?;
    let model = text(&v.model, "model")?;
    let registration = parse_registration(v.registration.as_deref())?;
    let Some(seats) = i32::try_from(v.seats).ok().filter(|s| (1..=16).contains(s)) else {
        return Err(invalid(&["seats"], "Seats must be between 1 and 16"));
    };
    let range_km = bounded(v.range_km, 2_000, &["range_km"], "range in km")?;
    let co2_grams_per_km = bounded(v.co2_grams_per_km, 1_000, &["co2_grams_per_km"], "CO2 in g/km")?;
    let (lat, lon) = parse_location(v.location)?;
    let p = &v.pricing;
    let per_hour_pence = price(
        p.per_hour_pence.map(|p| p.0),
        MAX_PER_HOUR_PENCE,
        "per_hour_pence",
        "price per hour",
    )?;
    let per_day_pence = price(
        p.per_day_pence.map(|p| p.0),
        MAX_PER_DAY_PENCE,
        "per_day_pence",
        "price per day",
    )?;
    let per_month_lease_pence = price(
        p.per_month_lease_pence.map(|p| p.0),
        MAX_PER_MONTH_PENCE,
        "per_month_lease_pence",
        "lease price per month",
    )?;
    if per_hour_pence.is_none() && per_day_pence.is_none() && per_month_lease_pence.is_none() {
        return Err(invalid(
            &["pricing"],
            "Give at least one price: per hour, per day or per lease month",
        ));
    }
    let deposit_pence = match p.deposit_pence.map(|d| d.0) {
        None => Pence::ZERO,
        Some(d) if (0..=MAX_DEPOSIT_PENCE).contains(&d) => Pence(d),
        Some(_) => {
            return Err(invalid(
                &["pricing", "deposit_pence"],
                format!("The deposit must be between 0 and {MAX_DEPOSIT_PENCE} pence"),
            ))
        }
    };
    Ok(NewVehicle {
        kind,
        make,
        model,
        registration,
        seats,
        propulsion,
        range_km,
        co2_grams_per_km,
        wheelchair_accessible: v.wheelchair_accessible,
        lat,
        lon,
        per_hour_pence,
        per_day_pence,
        per_month_lease_pence,
        deposit_pence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VehicleIn {
        VehicleIn {
            kind: "car".into(),
            make: " Renault ".into(),
            model: "Zoe".into(),
            registration: Some("ab12 cde".into()),
            seats: 5,
            propulsion: "ELECTRIC".into(),
            range_km: Some(300),
            co2_grams_per_km: Some(0),
            wheelchair_accessible: false,
            location: LocationIn {
                lat: 51.785,
                lon: -1.485,
            },
            pricing: PricingIn {
                per_hour_pence: Some(Pence(650)),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_good_vehicle_is_normalised() {
        let v = parse_vehicle(&sample()).unwrap();
        assert_eq!(v.kind, VehicleKind::Car);
        assert_eq!(v.make, "Renault");
        assert_eq!(v.registration.as_deref(), Some("AB12CDE"));
        assert_eq!(v.deposit_pence, Pence(0));
    }

    #[test]
    fn bad_fields_name_themselves() {
        type Change = Box<dyn Fn(&mut VehicleIn)>;
        let cases: Vec<(Change, Vec<&str>)> = vec![
            (Box::new(|v| v.seats = 0), vec!["seats"]),
            (Box::new(|v| v.seats = 17), vec!["seats"]),
            (Box::new(|v| v.kind = "HOVERCRAFT".into()), vec!["kind"]),
            (Box::new(|v| v.propulsion = "STEAM".into()), vec!["propulsion"]),
            (Box::new(|v| v.location.lat = 91.0), vec!["location", "lat"]),
            (Box::new(|v| v.location.lon = -181.0), vec!["location", "lon"]),
            (
                Box::new(|v| v.pricing.per_hour_pence = Some(Pence(-5))),
                vec!["pricing", "per_hour_pence"],
            ),
            (
                Box::new(|v| v.pricing.per_day_pence = Some(Pence(10_000_000))),
                vec!["pricing", "per_day_pence"],
            ),
            (Box::new(|v| v.pricing.per_hour_pence = None), vec!["pricing"]),
            (
                Box::new(|v| v.pricing.deposit_pence = Some(Pence(-1))),
                vec!["pricing", "deposit_pence"],
            ),
            (Box::new(|v| v.registration = Some("!!".into())), vec!["registration"]),
            (Box::new(|v| v.make = " ".into()), vec!["make"]),
            (Box::new(|v| v.model = "Zo\0e".into()), vec!["model"]),
            (Box::new(|v| v.make = "Re\u{202E}nault".into()), vec!["make"]),
        ];
        for (change, field) in cases {
            let mut v = sample();
            change(&mut v);
            let err = parse_vehicle(&v).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT");
            assert_eq!(err.body.field, Some(field.iter().map(|s| s.to_string()).collect()));
        }
    }

    #[test]
    fn the_uk_box_holds_witney_but_not_paris() {
        assert!(in_uk(-1.485, 51.785));
        assert!(!in_uk(2.35, 48.85));
    }
}
