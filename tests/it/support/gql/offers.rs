//! Offers: `support/graphql/offers.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/offers.graphql":
    Offers,
}
