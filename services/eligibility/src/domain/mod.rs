//! Eligibility's domain types and rules (no I/O).

pub mod council;
pub mod evaluate;
pub mod facts;
pub mod profile;
pub mod rules;
pub mod scheme;
pub mod wording;

/// GeoJSON areas (boundaries, zones), shared with the other services.
pub use roundabout_support::geojson as geometry;
