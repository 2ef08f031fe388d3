//! Places: a WGS84 point, as output and as input.

use async_graphql::{InputObject, SimpleObject};
use serde::Serialize;

/// A WGS84 position.
#[derive(SimpleObject, Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}

/// A WGS84 position.
#[derive(InputObject, Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPointInput {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}
