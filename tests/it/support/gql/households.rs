//! A household's profile and eligibility: `support/graphql/households.graphql`.

use graphql_client::GraphQLQuery;

use super::*;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct UpdateHouseholdProfile;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct MyEligibility;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct MyProfileZones;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct HouseholdProfile;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct HouseholdEligibility;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CheckEligibility;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "graphql/schema.graphql",
    query_path = "tests/it/support/graphql/households.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone",
    normalization = "rust",
    skip_serializing_none
)]
#[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
pub struct CouncilsForPostcode;

super::payloads!(
    update_household_profile::UpdateHouseholdProfileUpdateHouseholdProfile,
    check_eligibility::CheckEligibilityCheckEligibility
);

/// A profile at (`lon`, `lat`) (the typed twin of [`crate::support::eligibility::profile`]).
pub fn profile(lon: f64, lat: f64, income: i64, cars: i64) -> update_household_profile::HouseholdProfileInput {
    use update_household_profile::{GeoPointInput, HouseholdProfileInput, TravelNeedsInput};
    HouseholdProfileInput {
        location: GeoPointInput { lat, lon },
        postcode: Some("OX28 6AA".into()),
        members: 2,
        annual_income_pence: Some(income),
        income_band: None,
        cars_owned: cars,
        blue_badge: false,
        benefits: Some(vec!["universal_credit".into()]),
        lead_age: Some(40),
        needs: TravelNeedsInput {
            seats: 4,
            wheelchair_accessible: false,
            electric_preferred: true,
        },
        household_id: None,
    }
}
