//! Relay-style cursor pagination, shared by every connection of the schema.
//!
//! A cursor is opaque to clients: `base64url("<kind>:<key>")`, where the
//! key is the position the owning service pages by (for vehicles, their
//! insertion number), so pages stay stable while rows are added. Declare a
//! connection's types with [`connection_types!`] and build it with
//! [`edges_and_nodes`].

use async_graphql::SimpleObject;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use roundabout_api::ErrorCode;

use crate::schema::errors::coded;

/// Largest page a client may ask for.
pub const MAX_FIRST: i32 = 100;

/// Where a page ends and whether more follow.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    /// True when another page follows this one.
    pub has_next_page: bool,
    /// The cursor of the page's last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A cursor for the position `key` of a `kind` of object.
pub fn encode_cursor(kind: &str, key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The position in a cursor made by [`encode_cursor`] for the same `kind`;
/// any other string is an `INVALID_INPUT` error.
pub fn decode_cursor(kind: &str, cursor: &str) -> async_graphql::Result<i64> {
    let bad = || {
        coded(
            ErrorCode::InvalidInput,
            "The cursor given as `after` is not one this list made",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (k, key) = text.split_once(':').ok_or_else(bad)?;
    if k != kind {
        return Err(bad());
    }
    key.parse().map_err(|_| bad())
}

/// Checks `first` (0..=[`MAX_FIRST`]).
pub fn check_first(first: i32) -> async_graphql::Result<i32> {
    if (0..=MAX_FIRST).contains(&first) {
        Ok(first)
    } else {
        Err(coded(
            ErrorCode::InvalidInput,
            format!("`first` must be between 0 and {MAX_FIRST}"),
        ))
    }
}

/// Pairs each node with its cursor; returns (cursors, nodes, page info).
pub fn edges_and_nodes<T>(items: Vec<(i64, T)>, kind: &str, has_next_page: bool) -> (Vec<String>, Vec<T>, PageInfo) {
    let cursors: Vec<String> = items.iter().map(|(k, _)| encode_cursor(kind, *k)).collect();
    let info = PageInfo {
        has_next_page,
        end_cursor: cursors.last().cloned(),
    };
    (cursors, items.into_iter().map(|(_, n)| n).collect(), info)
}

/// Declares a connection type and its edge type for `$node` (which must be
/// `Clone`), with the contract's shape: `edges`, `nodes`, `pageInfo`,
/// `totalCount`. Also gives the connection a `from_page` constructor.
#[macro_export]
macro_rules! connection_types {
    ($conn:ident, $edge:ident, $node:ty) => {
        /// One object of a page, with its cursor.
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque; pass as `after` to get what follows this edge.
            pub cursor: String,
            /// The object.
            pub node: $node,
        }

        /// A page of a list (Relay-style connection).
        #[derive(async_graphql::SimpleObject)]
        pub struct $conn {
            /// The page's objects, each with its cursor.
            pub edges: Vec<$edge>,
            /// The page's objects, without cursors.
            pub nodes: Vec<$node>,
            /// Where the page ends and whether more follow.
            pub page_info: $crate::schema::pagination::PageInfo,
            /// How many there are over all pages.
            pub total_count: roundabout_api::graphql::CheckedInt,
        }

        impl $conn {
            /// A page from (position, node) pairs in order.
            pub fn from_page(items: Vec<(i64, $node)>, kind: &str, has_next_page: bool, total_count: i64) -> Self {
                let (cursors, nodes, page_info) =
                    $crate::schema::pagination::edges_and_nodes(items, kind, has_next_page);
                Self {
                    edges: cursors
                        .into_iter()
                        .zip(nodes.iter().cloned())
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    nodes,
                    page_info,
                    total_count: total_count.into(),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        let c = encode_cursor("vehicle", 42);
        assert_eq!(decode_cursor("vehicle", &c).unwrap(), 42);
        assert!(decode_cursor("booking", &c).is_err());
        assert!(decode_cursor("vehicle", "not a cursor!").is_err());
        assert!(check_first(101).is_err());
        assert_eq!(check_first(0).unwrap(), 0);
    }
}
