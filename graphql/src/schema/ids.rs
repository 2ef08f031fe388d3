//! Object ids as the API shows them.

use async_graphql::ID;
use uuid::Uuid;

/// Parses an `ID` into a UUID; a malformed id finds nothing.
pub fn parse_id(id: &ID) -> Option<Uuid> {
    Uuid::parse_str(id.as_str()).ok()
}
