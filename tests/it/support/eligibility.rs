//! Queries and helpers shared by the eligibility journeys through the gateway.

use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

pub const CREATE_ZONE: &str = "mutation($input: CreateZoneInput!) { createZone(input: $input) { zone { id name geometry } userErrors { field code message } } }";

pub const SCHEME_FIELDS: &str = "id name description status version effectiveFrom effectiveTo zones { id name } \
    criteria { id label rule failText } subsidy { percentBasisPoints capPerBookingPence } appliesTo budgetPence \
    committedPence remainingPence testCases { name facts expectEligible lastResult } council { code }";

pub fn scheme_mutation(name: &str, args: &str, vars: &str) -> String {
    format!(
        "mutation({vars}) {{ {name}({args}) {{ scheme {{ {SCHEME_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

pub fn create_scheme() -> String {
    scheme_mutation("createScheme", "input: $input", "$input: SchemeInput!")
}

pub fn update_scheme() -> String {
    scheme_mutation(
        "updateScheme",
        "id: $id, input: $input",
        "$id: ID!, $input: SchemeInput!",
    )
}

pub fn add_test_case() -> String {
    scheme_mutation("addSchemeTestCase", "input: $input", "$input: SchemeTestCaseInput!")
}

pub fn step(name: &str) -> String {
    scheme_mutation(name, "id: $id", "$id: ID!")
}

pub const UPDATE_PROFILE: &str = "mutation($input: HouseholdProfileInput!) { updateHouseholdProfile(input: $input) { household { id profile { location { lat lon } members annualIncomePence carsOwned benefits needs { seats } zones { name } } } userErrors { field code message } } }";

pub const MY_ELIGIBILITY: &str = "{ me { household { id eligibility { scheme { id name version } eligible reasons { criterionId label passed explanation } } } } }";

pub const SIMULATE: &str = "query($id: ID!) { simulateScheme(schemeId: $id) { householdsEvaluated eligibleHouseholds estimatedSubsidyPence failuresByCriterion { criterionId count } } }";

/// A zone box around a centre, as GeoJSON.
pub fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]]})
}

/// The "EV lease support" scheme of the brief, in `council`, limited to `zones`.
pub fn ev_scheme(council: &str, zones: &[&str]) -> Value {
    json!({
        "councilId": council,
        "name": "EV lease support",
        "description": "Help with an electric car for households on low incomes without a car.",
        "zoneIds": zones,
        "criteria": [
            {"id": "income", "label": "Household income under £25,000",
             "rule": {"<": [{"var": "household.annualIncomePence"}, 2_500_000]},
             "failText": "This scheme is for households with an income under {limit}. You told us your household's income is {value}."},
            {"id": "no-car", "label": "No car in the household",
             "rule": {"==": [{"var": "household.carsOwned"}, 0]},
             "failText": "This scheme is for households without a car. You told us your household owns {value}."},
        ],
        "subsidy": {"percentBasisPoints": 4000, "capPerBookingPence": 12000},
        "appliesTo": ["LEASE", "HIRE"],
        "budgetPence": 20_000_000,
    })
}

pub fn profile(lon: f64, lat: f64, income: i64, cars: i64) -> Value {
    json!({
        "location": {"lat": lat, "lon": lon},
        "postcode": "OX28 6AA",
        "members": 2,
        "annualIncomePence": income,
        "carsOwned": cars,
        "blueBadge": false,
        "benefits": ["universal_credit"],
        "leadAge": 40,
        "needs": {"seats": 4, "wheelchairAccessible": false, "electricPreferred": true},
    })
}

/// Runs a mutation that must succeed; returns its payload.
pub async fn ok(client: &GraphqlClient, name: &str, query: &str, vars: Value) -> Value {
    let p = client.mutate(name, query, vars).await.unwrap();
    assert_eq!(p["userErrors"], json!([]), "{name}: {p}");
    p
}

/// How many rows `table` holds (a table name the test writes, never input).
pub async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::QueryBuilder::new("select count(*) from ")
        .push(table)
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Publishes, in `council`, a scheme that reads the household's benefits
/// and the lead person's age (so households are asked both); answers its id.
pub async fn publish_older_and_benefits_scheme(officer: &GraphqlClient, council: &str) -> String {
    let input = json!({
        "councilId": council,
        "name": "Travel help for older residents",
        "description": "Help with hire for residents on Pension Credit or aged 65 or over.",
        "zoneIds": [],
        "criteria": [
            {"id": "older", "label": "On Pension Credit or aged 65 or over",
             "rule": {"or": [{"in": ["pension_credit", {"var": "household.benefits"}]}, {">=": [{"var": "household.leadAge"}, 65]}]},
             "failText": "This scheme is for residents on Pension Credit or aged 65 or over."},
        ],
        "subsidy": {"percentBasisPoints": 2000, "capPerBookingPence": 2000},
        "appliesTo": ["HIRE"],
        "budgetPence": 100_000,
    });
    let created = ok(officer, "createScheme", &create_scheme(), json!({"input": input})).await;
    let id = created["scheme"]["id"].as_str().expect("the scheme").to_string();
    ok(officer, "publishScheme", &step("publishScheme"), json!({"id": id})).await;
    id
}
