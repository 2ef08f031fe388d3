//! Accounts: `support/graphql/identity/*.graphql`, one operation a document
//! (the gateway allows one sign-in or sign-up in a request's document).

use graphql_client::GraphQLQuery;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/identity/sign_in.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct SignIn;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/identity/sign_up_household.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct SignUpHousehold;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/identity/sign_up_provider.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct SignUpProvider;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/identity/me.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct Me;

super::payloads!(
    sign_in::SignInSignIn,
    sign_up_household::SignUpHouseholdSignUpHousehold,
    sign_up_provider::SignUpProviderSignUpProvider,
);
