//! The fleet: a table of vehicles, adding and changing one, its status.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{
        render, render_refused,
        vocabulary::{self, filters},
        with_session,
    },
    session::{ProviderUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provider/fleet", get(list))
        .route("/provider/fleet/new", get(new_page).post(add))
        .route("/provider/fleet/{id}", get(edit_page).post(edit))
        .route("/provider/fleet/{id}/status", axum::routing::post(set_status))
}

pub const KINDS: &[(&str, &str)] = &[
    ("CAR", "Car"),
    ("VAN", "Van"),
    ("WAV", "Wheelchair-accessible vehicle"),
    ("MINIBUS", "Minibus"),
    ("EBIKE", "E-bike"),
    ("CARGO_BIKE", "Cargo bike"),
];

pub const PROPULSIONS: &[(&str, &str)] = &[
    ("ELECTRIC", "Electric"),
    ("HYBRID", "Hybrid"),
    ("PETROL", "Petrol"),
    ("DIESEL", "Diesel"),
    ("ELECTRIC_ASSIST", "Electric assist (bikes)"),
    ("HUMAN", "Pedal power"),
];

pub const STATUSES: &[(&str, &str)] = &[
    ("AVAILABLE", "Available"),
    ("MAINTENANCE", "In maintenance"),
    ("RETIRED", "Retired"),
];

const VEHICLE_FIELDS: &str = "id kind make model registration seats propulsion rangeKm wheelchairAccessible status location { lat lon } pricing { perHourPence perDayPence perMonthLeasePence depositPence }";

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    pub id: String,
    pub kind: String,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i64,
    pub propulsion: String,
    pub range_km: Option<i64>,
    pub wheelchair_accessible: bool,
    pub status: String,
    pub location: Location,
    pub pricing: Pricing,
}

#[derive(Deserialize, Clone)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub per_hour_pence: Option<i64>,
    pub per_day_pence: Option<i64>,
    pub per_month_lease_pence: Option<i64>,
    pub deposit_pence: i64,
}

impl Vehicle {
    fn form(&self) -> FormData {
        let money = |p: Option<i64>| p.map(pounds_field).unwrap_or_default();
        let mut f = FormData::default();
        f.set("kind", &self.kind);
        f.set("make", &self.make);
        f.set("model", &self.model);
        f.set("registration", self.registration.clone().unwrap_or_default());
        f.set("seats", self.seats.to_string());
        f.set("propulsion", &self.propulsion);
        f.set("range", self.range_km.map(|r| r.to_string()).unwrap_or_default());
        f.set("wheelchair", if self.wheelchair_accessible { "yes" } else { "no" });
        f.set("lat", self.location.lat.to_string());
        f.set("lon", self.location.lon.to_string());
        f.set("per-hour", money(self.pricing.per_hour_pence));
        f.set("per-day", money(self.pricing.per_day_pence));
        f.set("per-month", money(self.pricing.per_month_lease_pence));
        f.set("deposit", pounds_field(self.pricing.deposit_pence));
        f
    }
}

/// Pence as the number a form shows: `6.50`.
fn pounds_field(p: i64) -> String {
    roundabout_api::Pence(p).decimal().to_string()
}

/// The prices of a form (`per-hour`, `per-day`, `per-month`, `deposit`),
/// each in pounds or empty, and at least one of the first three; what is
/// wrong goes to `e` at its field.
pub fn prices(f: &FormData, e: &mut Errors) -> (Option<i64>, Option<i64>, Option<i64>, Option<i64>) {
    let mut money = |field: &str| match f.get(field) {
        "" => None,
        raw => match parse_pounds(raw) {
            Some(p) => Some(p),
            None => {
                e.add(field, "Enter an amount in pounds, like 6.50");
                None
            }
        },
    };
    let (hour, day, month, deposit) = (
        money("per-hour"),
        money("per-day"),
        money("per-month"),
        money("deposit"),
    );
    if hour.is_none() && day.is_none() && month.is_none() && e.get("per-hour").is_none() {
        e.add("per-hour", "Enter at least one price: an hour, a day or a lease month");
    }
    (hour, day, month, deposit)
}

/// "6.50", "£6.50" or "6" as pence (`roundabout_api::Pence::parse_pounds`).
pub fn parse_pounds(raw: &str) -> Option<i64> {
    roundabout_api::Pence::parse_pounds(raw).map(roundabout_api::Pence::get)
}

#[derive(Template)]
#[template(path = "provider/fleet.html")]
struct FleetPage {
    l: Layout,
    vehicles: Vec<Vehicle>,
    total: i64,
    next: Option<String>,
}

async fn list(State(s): State<AppState>, user: ProviderUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let q = FormData(q);
    let after = Some(q.get("after")).filter(|a| !a.is_empty());
    let v: Value = s
        .gateway
        .query(
            Some(&user.token),
            &format!("query($after: String) {{ me {{ provider {{ vehicles(first: 20, after: $after) {{ nodes {{ {VEHICLE_FIELDS} }} totalCount pageInfo {{ hasNextPage endCursor }} }} }} }} }}"),
            json!({"after": after}),
        )
        .await?;
    let conn = &v["me"]["provider"]["vehicles"];
    let vehicles: Vec<Vehicle> =
        serde_json::from_value(conn["nodes"].clone()).map_err(|e| anyhow::anyhow!("fleet page: {e}"))?;
    render(&FleetPage {
        l: Layout::new(&user.session, "Fleet", "/provider/fleet"),
        vehicles,
        total: conn["totalCount"].as_i64().unwrap_or(0),
        next: conn["pageInfo"]["endCursor"]
            .as_str()
            .filter(|_| conn["pageInfo"]["hasNextPage"] == true)
            .map(|c| format!("/provider/fleet?after={}", vocabulary::urlencode(c))),
    })
}

#[derive(Template)]
#[template(path = "provider/vehicle.html")]
struct VehiclePage {
    l: Layout,
    /// None: a new vehicle.
    vehicle: Option<Vehicle>,
    form: FormData,
    errors: Errors,
    kinds: &'static [(&'static str, &'static str)],
    propulsions: &'static [(&'static str, &'static str)],
    statuses: &'static [(&'static str, &'static str)],
}

impl VehiclePage {
    fn new(user: &SignedIn, vehicle: Option<Vehicle>, form: FormData, errors: Errors) -> Self {
        let title = if vehicle.is_some() {
            "Change a vehicle"
        } else {
            "Add a vehicle"
        };
        Self {
            l: Layout::new(&user.session, title, "/provider/fleet").with_errors(&errors),
            vehicle,
            form,
            errors,
            kinds: KINDS,
            propulsions: PROPULSIONS,
            statuses: STATUSES,
        }
    }
}

async fn new_page(user: ProviderUser) -> PageResult {
    let mut form = FormData::default();
    form.set("deposit", "0.00");
    render(&VehiclePage::new(&user, None, form, Errors::default()))
}

/// The provider's own vehicle, or "Page not found".
async fn vehicle(s: &AppState, user: &SignedIn, id: &str) -> Result<Vehicle, PageError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(PageError::NotFound);
    }
    let v: Value = s
        .gateway
        .query(
            Some(&user.token),
            &format!("query($id: ID!) {{ me {{ provider {{ id }} }} vehicle(id: $id) {{ provider {{ id }} {VEHICLE_FIELDS} }} }}"),
            json!({"id": id}),
        )
        .await?;
    if v["vehicle"].is_null() || v["vehicle"]["provider"]["id"] != v["me"]["provider"]["id"] {
        return Err(PageError::NotFound);
    }
    serde_json::from_value(v["vehicle"].clone()).map_err(|e| anyhow::anyhow!("vehicle: {e}").into())
}

async fn edit_page(State(s): State<AppState>, user: ProviderUser, Path(id): Path<String>) -> PageResult {
    let v = vehicle(&s, &user, &id).await?;
    let form = v.form();
    render(&VehiclePage::new(&user, Some(v), form, Errors::default()))
}

/// Where the postcode of the form is, looked up in the councils the
/// provider operates in (`locatePostcode`): `None` without a postcode, else
/// the point or the message for the field.
async fn locate(s: &AppState, user: &SignedIn, f: &FormData) -> Result<Option<Result<(f64, f64), String>>, PageError> {
    let postcode = f.get("postcode");
    if postcode.is_empty() {
        return Ok(None);
    }
    let code: String = postcode.chars().filter(|c| !c.is_whitespace()).collect();
    if !(2..=7).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(Some(Err("Enter a real postcode, like OX28 4AB".to_string())));
    }
    let v: Value = s
        .gateway
        .query(Some(&user.token), "{ me { provider { councils { id } } } }", json!({}))
        .await?;
    let councils: Vec<String> = v["me"]["provider"]["councils"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if councils.is_empty() {
        return Ok(Some(Err(
            "Apply to a council first: postcodes are looked up in the councils you operate in. Or give the latitude and longitude"
                .to_string(),
        )));
    }
    for council in councils {
        let p: Value = s
            .gateway
            .query(
                Some(&user.token),
                "query($c: ID!, $p: String!) { locatePostcode(councilId: $c, postcode: $p) { lat lon } }",
                json!({"c": council, "p": postcode}),
            )
            .await?;
        if let (Some(lat), Some(lon)) = (p["locatePostcode"]["lat"].as_f64(), p["locatePostcode"]["lon"].as_f64()) {
            return Ok(Some(Ok((lat, lon))));
        }
    }
    Ok(Some(Err(
        "We cannot find this postcode in the councils you operate in. Check it, or give the latitude and longitude"
            .to_string(),
    )))
}

/// Checks the vehicle form, its postcode `located` already; the
/// `VehicleInput` or the fields' messages.
fn vehicle_input(f: &FormData, located: Option<Result<(f64, f64), String>>) -> Result<Value, Errors> {
    let mut e = Errors::default();
    if !KINDS.iter().any(|k| k.0 == f.get("kind")) {
        e.add("kind", "Select what kind of vehicle it is");
    }
    for (field, what) in [("make", "make"), ("model", "model")] {
        if f.get(field).is_empty() {
            e.add(field, format!("Enter the vehicle's {what}"));
        }
    }
    let seats = f.get("seats").parse::<i64>().ok().filter(|s| (1..=16).contains(s));
    if seats.is_none() {
        e.add("seats", "Seats must be a whole number from 1 to 16");
    }
    if !PROPULSIONS.iter().any(|k| k.0 == f.get("propulsion")) {
        e.add("propulsion", "Select how the vehicle is powered");
    }
    let range = match f.get("range") {
        "" => None,
        r => match r.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add("range", "Range must be a whole number of kilometres");
                None
            }
        },
    };
    let wheelchair = match f.get("wheelchair") {
        "yes" => true,
        "no" => false,
        _ => {
            e.add("wheelchair", "Select yes if a wheelchair user can travel in it");
            false
        }
    };
    let (lat, lon) = match located {
        Some(Ok((lat, lon))) => (Some(lat), Some(lon)),
        Some(Err(message)) => {
            e.add("postcode", message);
            (None, None)
        }
        None => {
            let lat = f.get("lat").parse::<f64>().ok();
            let lon = f.get("lon").parse::<f64>().ok();
            if f.get("lat").is_empty() && f.get("lon").is_empty() {
                e.add("postcode", "Enter the postcode where the vehicle is kept");
            } else if lat.is_none() || lon.is_none() {
                e.add(
                    "lat",
                    "Enter the latitude and longitude as numbers, like 51.785 and -1.485",
                );
            }
            (lat, lon)
        }
    };
    let (hour, day, month, deposit) = prices(f, &mut e);
    if !e.is_empty() {
        return Err(e);
    }
    let registration = Some(f.get("registration")).filter(|r| !r.is_empty());
    Ok(json!({
        "kind": f.get("kind"), "make": f.get("make"), "model": f.get("model"), "registration": registration,
        "seats": seats, "propulsion": f.get("propulsion"), "rangeKm": range, "wheelchairAccessible": wheelchair,
        "location": {"lat": lat, "lon": lon},
        "pricing": {"perHourPence": hour, "perDayPence": day, "perMonthLeasePence": month, "depositPence": deposit.unwrap_or(0)},
    }))
}

/// The API's field names as the form's.
fn form_field(api: &str) -> Option<&'static str> {
    Some(match api {
        "kind" => "kind",
        "make" => "make",
        "model" => "model",
        "registration" => "registration",
        "seats" => "seats",
        "propulsion" => "propulsion",
        "rangeKm" => "range",
        "wheelchairAccessible" => "wheelchair",
        "location" | "lat" | "lon" => "lat",
        "perHourPence" | "pricing" => "per-hour",
        "perDayPence" => "per-day",
        "perMonthLeasePence" => "per-month",
        "depositPence" => "deposit",
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VehiclePayload {
    user_errors: Vec<UserError>,
}

async fn save(
    s: &AppState,
    user: &SignedIn,
    id: Option<&str>,
    form: &FormData,
) -> Result<Result<(), Errors>, PageError> {
    let located = locate(s, user, form).await?;
    let input = match vehicle_input(form, located) {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    let (name, query, vars) = match id {
        Some(id) => (
            "updateVehicle",
            "mutation($id: ID!, $i: VehicleInput!) { updateVehicle(id: $id, input: $i) { vehicle { id } userErrors { field code message } } }",
            json!({"id": id, "i": input}),
        ),
        None => (
            "addVehicle",
            "mutation($i: VehicleInput!) { addVehicle(input: $i) { vehicle { id } userErrors { field code message } } }",
            json!({"i": input}),
        ),
    };
    let v: Value = s.gateway.query(Some(&user.token), query, vars).await?;
    let p: VehiclePayload =
        serde_json::from_value(v[name].clone()).map_err(|e| anyhow::anyhow!("{name} payload: {e}"))?;
    if p.user_errors.is_empty() {
        Ok(Ok(()))
    } else {
        Ok(Err(Errors::from_user_errors(&p.user_errors, "make", form_field)))
    }
}

async fn add(State(s): State<AppState>, user: ProviderUser, CsrfForm(form): CsrfForm) -> PageResult {
    match save(&s, &user, None, &form).await? {
        Ok(()) => {
            let data = user.session.data.with_flash(format!(
                "{} {} is added to your fleet.",
                form.get("make"),
                form.get("model")
            ));
            Ok(with_session(see_other("/provider/fleet"), data))
        }
        Err(errors) => render_refused(&VehiclePage::new(&user, None, form, errors)),
    }
}

async fn edit(
    State(s): State<AppState>,
    user: ProviderUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let v = vehicle(&s, &user, &id).await?;
    match save(&s, &user, Some(&v.id), &form).await? {
        Ok(()) => {
            let data = user.session.data.with_flash("The vehicle's details are saved.");
            Ok(with_session(see_other("/provider/fleet"), data))
        }
        Err(errors) => render_refused(&VehiclePage::new(&user, Some(v), form, errors)),
    }
}

async fn set_status(
    State(s): State<AppState>,
    user: ProviderUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let v = vehicle(&s, &user, &id).await?;
    let status = form.get("status");
    if !STATUSES.iter().any(|k| k.0 == status) {
        let mut errors = Errors::default();
        errors.add("status", "Select the vehicle's status");
        let f = v.form();
        return render_refused(&VehiclePage::new(&user, Some(v), f, errors));
    }
    let r: Value = s
        .gateway
        .query(
            Some(&user.token),
            "mutation($id: ID!, $s: VehicleStatus!) { setVehicleStatus(id: $id, status: $s) { vehicle { id } userErrors { field code message } } }",
            json!({"id": v.id, "s": status}),
        )
        .await?;
    let p: VehiclePayload = serde_json::from_value(r["setVehicleStatus"].clone())
        .map_err(|e| anyhow::anyhow!("setVehicleStatus payload: {e}"))?;
    if !p.user_errors.is_empty() {
        let errors = Errors::from_user_errors(&p.user_errors, "status", |_| Some("status"));
        let f = v.form();
        return render_refused(&VehiclePage::new(&user, Some(v), f, errors));
    }
    let words = STATUSES.iter().find(|k| k.0 == status).map(|k| k.1).unwrap_or(status);
    let data = user
        .session
        .data
        .with_flash(format!("{} {} is now: {}.", v.make, v.model, words.to_lowercase()));
    Ok(with_session(see_other("/provider/fleet"), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_are_read_as_pence() {
        assert_eq!(parse_pounds("6.50"), Some(650));
        assert_eq!(parse_pounds("£45"), Some(4500));
        assert_eq!(parse_pounds("1,000.5"), Some(100_050));
        assert_eq!(parse_pounds("6.505"), None);
        assert_eq!(parse_pounds("six"), None);
        assert_eq!(parse_pounds(".5"), None);
    }
}
