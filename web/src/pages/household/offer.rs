//! One offer as the gateway returns it: the vehicle, its provider, the price
//! with the council's subsidy, and why it is offered.

use serde::Deserialize;

use crate::pages::vocabulary::pounds;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub vehicle: Vehicle,
    pub distance_km: f64,
    pub price: Price,
    pub subsidies: Vec<Applied>,
    pub reasons: Vec<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    pub id: String,
    pub kind: String,
    pub make: String,
    pub model: String,
    pub seats: i64,
    pub propulsion: String,
    pub wheelchair_accessible: bool,
    pub provider: Named,
}

#[derive(Deserialize, Clone)]
pub struct Named {
    #[serde(default)]
    pub id: String,
    pub name: String,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub household_pence: i64,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub scheme: Named,
}

impl Offer {
    pub fn distance(&self) -> String {
        format!("{:.1} km", self.distance_km)
    }

    pub fn scheme(&self) -> String {
        self.subsidies
            .first()
            .map(|s| s.scheme.name.clone())
            .unwrap_or_default()
    }

    /// Why it is offered, without what the result already says: its price
    /// (shown first) and its distance (shown with how many are available).
    pub fn reasons_shown(&self) -> Vec<&str> {
        let price = pounds(self.price.household_pence);
        let distance = self.distance();
        self.reasons
            .iter()
            .map(String::as_str)
            .filter(|r| !r.starts_with(&price) && !r.starts_with(&distance))
            .collect()
    }
}
