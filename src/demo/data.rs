//! The West Oxfordshire demo: a plausible district boundary around Witney,
//! Carterton and Chipping Norton, its towns, providers and households.

use serde_json::{json, Value};

/// A WGS84 position as (longitude, latitude).
pub type LonLat = (f64, f64);

/// The district boundary (approximate, drawn for the demo).
pub const BOUNDARY: &[LonLat] = &[
    (-1.719, 51.776),
    (-1.700, 51.860),
    (-1.665, 51.935),
    (-1.625, 51.985),
    (-1.560, 52.030),
    (-1.480, 52.010),
    (-1.400, 51.975),
    (-1.340, 51.925),
    (-1.300, 51.870),
    (-1.270, 51.820),
    (-1.315, 51.765),
    (-1.360, 51.720),
    (-1.420, 51.695),
    (-1.500, 51.690),
    (-1.580, 51.700),
    (-1.650, 51.715),
    (-1.700, 51.740),
    (-1.719, 51.776),
];

/// A town of the district: its name, centre and a zone around it.
pub struct Town {
    pub name: &'static str,
    pub centre: LonLat,
    /// Half-width of the zone's box, in degrees of (longitude, latitude).
    pub half: LonLat,
}

pub const TOWNS: &[Town] = &[
    Town {
        name: "Witney",
        centre: (-1.485, 51.785),
        half: (0.045, 0.022),
    },
    Town {
        name: "Carterton",
        centre: (-1.594, 51.759),
        half: (0.030, 0.016),
    },
    Town {
        name: "Chipping Norton",
        centre: (-1.546, 51.941),
        half: (0.030, 0.016),
    },
];

/// The boundary as a GeoJSON Polygon.
pub fn boundary() -> Value {
    let ring: Vec<Value> = BOUNDARY.iter().map(|&(x, y)| json!([x, y])).collect();
    json!({"type": "Polygon", "coordinates": [ring]})
}

/// A town's zone as a GeoJSON Polygon.
pub fn zone(t: &Town) -> Value {
    let ((x, y), (dx, dy)) = (t.centre, t.half);
    json!({"type": "Polygon", "coordinates": [[[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]]})
}

/// Demo provider organisations: (name, sign-in email).
pub const PROVIDERS: &[(&str, &str)] = &[
    ("Cotswold Car Club", "fleet@cotswold-car-club.example"),
    ("Windrush Community Transport", "bookings@windrush-transport.example"),
];

/// Demo households: (display name, sign-in email).
pub const HOUSEHOLDS: &[(&str, &str)] = &[
    ("The Ahmed household", "ahmed@households.example"),
    ("The Brown household", "brown@households.example"),
    ("The Clarke household", "clarke@households.example"),
];

/// The demo council's first officer.
pub const OFFICER_EMAIL: &str = "officer@westoxon.example";
/// The demo council's code.
pub const COUNCIL_CODE: &str = "WOX";
