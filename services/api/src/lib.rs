//! The contract between Roundabout's parts.
//!
//! Everything two parts must agree on is declared here once and used by both
//! sides: the internal routes (paths used by the serving router and by the
//! calling client), the request and response bodies of each route, the state
//! enums that travel between parts and are stored in their databases, the
//! error codes, and money. Database rows are not here: each service keeps
//! its rows private to its `db/` module and converts them to these types.
//!
//! The rules more than one part applies are here too, each once: the
//! cancellation refund ([`refund`]), the household fact catalogue
//! ([`facts`]), money's written forms ([`money`]), postcodes
//! ([`postcode`]) and URL encoding ([`url`]).

pub mod bookings;
mod common;
pub mod eligibility;
pub mod errors;
pub mod events;
pub mod facts;
#[cfg(feature = "graphql")]
pub mod graphql;
pub mod inventory;
pub mod money;
pub mod payments;
pub mod postcode;
pub mod privacy;
pub mod refund;
pub mod retention;
pub mod routes;
pub mod states;
pub mod uk_time;
pub mod url;

pub use common::{BatchIn, ContactIn, RowErrorData};
pub use errors::ErrorCode;
pub use money::Pence;

/// Things with an id: what a batch read (`POST …/batch` with ids) returns.
pub trait HasId {
    fn id(&self) -> uuid::Uuid;
}
