//! Eligibility's domain types and rules (no I/O).

pub mod council;

/// GeoJSON areas (boundaries, zones), shared with the other services.
pub use roundabout_support::geojson as geometry;
