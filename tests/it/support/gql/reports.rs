//! Reports: `support/graphql/reports.graphql`.

use graphql_client::GraphQLQuery;

use super::*;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/reports.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CouncilReport;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/reports.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct ReportTotals;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/reports.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct ReportBreakdown;
