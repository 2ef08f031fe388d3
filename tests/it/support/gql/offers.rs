//! Offers: `support/graphql/offers.graphql`.

use graphql_client::GraphQLQuery;

use super::*;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/offers.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct Offers;
