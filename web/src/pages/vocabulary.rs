//! The words every page uses for the same things, each written once: vehicle
//! kinds and power, booking statuses, income bands and benefits. Money and
//! dates are in [`crate::views`].

use serde_json::{json, Value};

/// Benefits asked about: (value stored, label).
pub use roundabout_api::facts::BENEFITS;

/// An income band as offered: from `from` (inclusive) to below `below`, in pence.
#[derive(Debug)]
pub struct Band {
    pub value: &'static str,
    pub label: &'static str,
    pub from: Option<i64>,
    pub below: Option<i64>,
}

impl Band {
    /// Whether an income lies in the band.
    pub fn contains(&self, pence: i64) -> bool {
        self.from.is_none_or(|f| pence >= f) && self.below.is_none_or(|b| pence < b)
    }

    /// The figure stored for a band chosen without a figure: its top (the
    /// last pound below its upper end, or its lower end when it has none),
    /// so a scheme's limit at a band's edge ("under £25,000") judges the
    /// band as a whole.
    pub fn top(&self) -> i64 {
        self.below.map(|b| b - 100).or(self.from).unwrap_or(0)
    }

    /// The band as the API takes it.
    pub fn api(&self) -> Value {
        json!({"fromPence": self.from, "belowPence": self.below})
    }
}

/// Income bands offered, and "rather not say" (no band).
pub const INCOME_BANDS: &[Band] = &[
    Band {
        value: "under-15000",
        label: "Under £15,000",
        from: None,
        below: Some(1_500_000),
    },
    Band {
        value: "15000-24999",
        label: "£15,000 to £24,999",
        from: Some(1_500_000),
        below: Some(2_500_000),
    },
    Band {
        value: "25000-34999",
        label: "£25,000 to £34,999",
        from: Some(2_500_000),
        below: Some(3_500_000),
    },
    Band {
        value: "35000-49999",
        label: "£35,000 to £49,999",
        from: Some(3_500_000),
        below: Some(5_000_000),
    },
    Band {
        value: "50000-plus",
        label: "£50,000 or more",
        from: Some(5_000_000),
        below: None,
    },
];

/// The radio for "I would rather not say".
pub const NOT_GIVEN: &str = "not-given";

/// The band an income falls in.
pub fn band_of(income: Option<i64>) -> &'static str {
    income
        .and_then(|p| INCOME_BANDS.iter().find(|b| b.contains(p)))
        .map(|b| b.value)
        .unwrap_or(NOT_GIVEN)
}

/// The band's label for an income ("£15,000 to £24,999"), or "Not given".
pub fn income_words(income: Option<i64>) -> &'static str {
    let v = band_of(income);
    INCOME_BANDS
        .iter()
        .find(|b| b.value == v)
        .map(|b| b.label)
        .unwrap_or("Not given")
}

/// A vehicle kind as people name it.
pub fn kind_words(kind: &str) -> &'static str {
    match kind {
        "CAR" => "Car",
        "VAN" => "Van",
        "WAV" => "Wheelchair-accessible vehicle",
        "MINIBUS" => "Minibus",
        "EBIKE" => "E-bike",
        "CARGO_BIKE" => "Cargo bike",
        _ => "Vehicle",
    }
}

/// How a vehicle is powered, as people name it.
pub fn power_words(propulsion: &str) -> &'static str {
    match propulsion {
        "ELECTRIC" => "Electric",
        "HYBRID" => "Hybrid",
        "PETROL" => "Petrol",
        "DIESEL" => "Diesel",
        "HUMAN" => "Pedal",
        "ELECTRIC_ASSIST" => "Electric assist",
        _ => "Other",
    }
}

/// Where a booking stands, as the household and the provider read it.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "PENDING_PAYMENT" => "Waiting for payment",
        "CONFIRMED" => "Confirmed",
        "ACTIVE" => "In progress",
        "COMPLETED" => "Completed",
        "CANCELLED" => "Cancelled",
        "EXPIRED" => "Expired",
        "FAILED" => "Failed",
        _ => "Unknown",
    }
}
