//! The contract between Roundabout's parts.
//!
//! Everything two parts must agree on is declared here once and used by both
//! sides: the internal routes (paths used by the serving router and by the
//! calling client), the request and response bodies of each route, the state
//! enums that travel between parts and are stored in their databases, the
//! error codes, and money. Database rows are not here: each service keeps its
//! rows private to its `db/` module and converts them to these types.

#[cfg(feature = "graphql")]
pub mod graphql;
pub mod money;

pub use money::Pence;
