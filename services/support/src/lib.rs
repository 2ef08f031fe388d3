//! Shared support for every Roundabout service and the gateway.
//!
//! Nothing here knows about vehicles, bookings or schemes' rules: it is the
//! plumbing each service would otherwise write again — configuration from the
//! environment, telemetry, the JSON error envelope, signed service-to-service
//! calls, GeoJSON area validation, checks of free text, the transactional outbox and its relay, deleting records past their retention period, the HTTP host with health,
//! readiness, metrics and the OpenAPI document, W3C trace context propagation, a private PostgreSQL cluster and test support — and
//! two rules services must agree on: the subsidy formula ([`subsidy`]) and
//! small-number suppression ([`disclosure`]).

pub mod admission;
pub mod client;
pub mod config;
pub mod db;
pub mod disclosure;
pub mod error;
pub mod events;
pub mod exclusive;
pub mod geojson;
pub mod internal_auth;
pub mod internal_keys;
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod outbox;
pub mod retention;
pub use roundabout_local::{pg_cluster, ports};
pub mod server;
pub mod shutdown;
pub mod subsidy;
pub mod telemetry;
pub mod text;
pub mod token;
pub mod trace;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ApiError, ApiResult};
