//! The household fact catalogue: the only facts a scheme's rules may read,
//! their types and how they are put into words.
//!
//! Rules see facts as `{"household": {"members": 2, "annualIncomePence": …,
//! "needs": {"seats": 4, …}}}`; an unknown fact is `null`.

use roundabout_api::Pence;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The catalogue itself (paths, types, words) is the contract's, shared
/// with the web's criteria builder.
pub use roundabout_api::facts::{fact, Fact, FactType, Unit, CATALOGUE};

/// What the household needs from a vehicle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Needs {
    pub seats: Option<i64>,
    pub wheelchair_accessible: Option<bool>,
    pub electric_preferred: Option<bool>,
}

/// An income given as a band rather than a figure: from `from_pence`
/// (inclusive) to below `below_pence`; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeBand {
    #[serde(default)]
    pub from_pence: Option<Pence>,
    #[serde(default)]
    pub below_pence: Option<Pence>,
}

impl From<roundabout_api::eligibility::IncomeBandIn> for IncomeBand {
    fn from(b: roundabout_api::eligibility::IncomeBandIn) -> Self {
        Self {
            from_pence: b.from_pence,
            below_pence: b.below_pence,
        }
    }
}

impl IncomeBand {
    /// Whether `pence` lies in the band.
    pub fn contains(&self, pence: Pence) -> bool {
        self.from_pence.is_none_or(|f| pence >= f) && self.below_pence.is_none_or(|b| pence < b)
    }
}

/// A household's facts; `None` is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub members: Option<i64>,
    pub annual_income_pence: Option<Pence>,
    /// The band the household chose, when it gave its income as a band
    /// (`annual_income_pence` is then a figure inside it). Explanations
    /// show the band; rules read only the figure.
    #[serde(skip)]
    pub income_band: Option<IncomeBand>,
    pub cars_owned: Option<i64>,
    pub blue_badge: Option<bool>,
    pub benefits: Option<Vec<String>>,
    pub lead_age: Option<i64>,
    pub needs: Needs,
}

impl Facts {
    /// The facts as rules see them.
    pub fn to_json(&self) -> Value {
        json!({"household": {
            "members": self.members,
            "annualIncomePence": self.annual_income_pence,
            "carsOwned": self.cars_owned,
            "blueBadge": self.blue_badge,
            "benefits": self.benefits,
            "leadAge": self.lead_age,
            "needs": {
                "seats": self.needs.seats,
                "wheelchairAccessible": self.needs.wheelchair_accessible,
                "electricPreferred": self.needs.electric_preferred,
            },
        }})
    }

    /// One fact's value (`null` when unknown).
    pub fn value(&self, path: &str) -> Value {
        match path {
            "household.members" => json!(self.members),
            "household.annualIncomePence" => json!(self.annual_income_pence),
            "household.carsOwned" => json!(self.cars_owned),
            "household.blueBadge" => json!(self.blue_badge),
            "household.benefits" => json!(self.benefits),
            "household.leadAge" => json!(self.lead_age),
            "household.needs.seats" => json!(self.needs.seats),
            "household.needs.wheelchairAccessible" => json!(self.needs.wheelchair_accessible),
            "household.needs.electricPreferred" => json!(self.needs.electric_preferred),
            _ => Value::Null,
        }
    }

    /// Parses a test case's facts: `{"household": {…}}` with catalogue
    /// names and types only. Missing facts are unknown.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let top = value
            .as_object()
            .ok_or("facts must be an object like {\"household\": {…}}")?;
        if let Some(k) = top.keys().find(|k| *k != "household") {
            return Err(format!("unknown key {k:?}: facts hold only \"household\""));
        }
        let Some(h) = top.get("household") else {
            return Ok(Self::default());
        };
        let h = h.as_object().ok_or("\"household\" must be an object")?;
        let mut f = Self::default();
        for (k, v) in h {
            match k.as_str() {
                "members" => f.members = int(v, k, 1, 30)?,
                "annualIncomePence" => f.annual_income_pence = int(v, k, 0, 100_000_000_000)?.map(Pence),
                "carsOwned" => f.cars_owned = int(v, k, 0, 20)?,
                "blueBadge" => f.blue_badge = boolean(v, k)?,
                "benefits" => f.benefits = strings(v, k)?,
                "leadAge" => f.lead_age = int(v, k, 16, 120)?,
                "needs" => f.needs = needs(v)?,
                other => return Err(format!("unknown fact household.{other}")),
            }
        }
        Ok(f)
    }
}

fn int(v: &Value, name: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
            _ => Err(format!("household.{name} must be a whole number from {min} to {max}")),
        },
        _ => Err(format!("household.{name} must be a number")),
    }
}

fn boolean(v: &Value, name: &str) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err(format!("household.{name} must be true or false")),
    }
}

fn strings(v: &Value, name: &str) -> Result<Option<Vec<String>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Array(a) if a.len() <= 20 => a
            .iter()
            .map(|s| {
                s.as_str()
                    .filter(|s| s.len() <= 60 && roundabout_support::text::first_forbidden(s, false).is_none())
                    .map(str::to_string)
                    .ok_or_else(|| format!("household.{name} must be a list of short strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(format!("household.{name} must be a list of strings")),
    }
}

fn needs(v: &Value) -> Result<Needs, String> {
    let empty = Map::new();
    let m = match v {
        Value::Null => &empty,
        Value::Object(m) => m,
        _ => return Err("household.needs must be an object".into()),
    };
    let mut n = Needs::default();
    for (k, v) in m {
        match k.as_str() {
            "seats" => n.seats = int(v, "needs.seats", 1, 16)?,
            "wheelchairAccessible" => n.wheelchair_accessible = boolean(v, "needs.wheelchairAccessible")?,
            "electricPreferred" => n.electric_preferred = boolean(v, "needs.electricPreferred")?,
            other => return Err(format!("unknown fact household.needs.{other}")),
        }
    }
    Ok(n)
}

/// Pence as pounds for people: `£31,000` or `£12.50`.
pub fn pounds(pence: Pence) -> String {
    pence.short().to_string()
}

/// A value of `fact` in words, e.g. `£31,000`, `3`, `yes`.
pub fn show(fact: &Fact, value: &Value) -> String {
    match (value, fact.unit) {
        (Value::Null, _) => "not known".into(),
        (Value::Bool(true), _) => "yes".into(),
        (Value::Bool(false), _) => "no".into(),
        (Value::Array(a), _) if a.is_empty() => "none".into(),
        (Value::Array(a), _) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        (Value::Number(n), Unit::Pence) => n.as_i64().map(|p| pounds(Pence(p))).unwrap_or_else(|| n.to_string()),
        (Value::Number(n), _) => n.to_string(),
        (other, _) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_facts_of_the_wrong_shape_are_refused() {
        assert!(Facts::parse(&json!({"household": {"members": 2, "carsOwned": 0}})).is_ok());
        for bad in [
            json!([1, 2]),
            json!({"person": {}}),
            json!({"household": {"members": "two"}}),
            json!({"household": {"income": 5}}),
            json!({"household": {"blueBadge": 1}}),
            json!({"household": {"benefits": [1]}}),
            json!({"household": {"needs": {"seats": 100}}}),
            json!({"household": {"benefits": ["universal\u{0}credit"]}}),
        ] {
            assert!(Facts::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_catalogue_fact_has_a_value_slot() {
        let f = Facts::parse(
            &json!({"household": {"members": 1, "annualIncomePence": 1, "carsOwned": 1,
            "blueBadge": true, "benefits": [], "leadAge": 30,
            "needs": {"seats": 1, "wheelchairAccessible": true, "electricPreferred": true}}}),
        )
        .unwrap();
        for fact in CATALOGUE {
            assert!(!f.value(fact.path).is_null(), "{}", fact.path);
        }
    }
}
