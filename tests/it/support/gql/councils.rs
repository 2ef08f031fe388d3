//! Councils and zones: `support/graphql/councils.graphql`.

use graphql_client::GraphQLQuery;

use super::*;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CreateCouncil;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CreateZone;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct UpdateCouncilContact;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CouncilContact;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CouncilZones;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct ImportPostcodes;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct Councils;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CouncilBoundary;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/councils.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct TwoCouncils;

super::payloads!(
    create_council::CreateCouncilCreateCouncil,
    create_zone::CreateZoneCreateZone,
    update_council_contact::UpdateCouncilContactUpdateCouncilContact,
    import_postcodes::ImportPostcodesImportPostcodes
);

/// A council named after `code` over [`crate::support::witney_boundary`], with its officer.
pub fn council_input(code: &str, officer_email: &str) -> create_council::CreateCouncilInput {
    create_council::CreateCouncilInput {
        name: format!("Council {code}"),
        code: code.into(),
        boundary: crate::support::witney_boundary(),
        officer_email: officer_email.into(),
        officer_password: crate::support::PASSWORD.into(),
    }
}
